"""The local host's adjustable clock, optionally kept in a file so that it survives a host restart (even `kill -9`).

With env `LOCAL_CLOCK_FILE` set, the offset from the system time lives in that JSON file (`{"offsetSeconds": n}`):
read at start, written atomically (temporary file, fsync, rename) on every advance, and read again whenever
another process changed it, so that hosts sharing the file (scale-out tests) share one time. Advances from several
processes are serialised by an exclusive lock on `<file>.lock` and never lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from local.host.admin import Clock
from shared.clock import AdjustableClock

CLOCK_FILE_SETTING = "LOCAL_CLOCK_FILE"


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """A `FileClock` on `LOCAL_CLOCK_FILE` when it is set, else an in-memory `AdjustableClock`."""
    path = env.get(CLOCK_FILE_SETTING)
    return FileClock(Path(path)) if path else AdjustableClock()


class FileClock:
    """System time plus an offset kept in `path` (missing file: no offset). Thread- and process-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._stamp: tuple[int, int] | None = None
        with self._lock:
            self._reload()

    @property
    def offset(self) -> timedelta:
        with self._lock:
            self._refresh()
            return self._offset

    def now(self) -> datetime:
        with self._lock:
            self._refresh()
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on by `delta` (never back), durably: the new offset is on disk before this returns."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock, self._exclusive():
            self._reload()  # another host may have moved it since we last looked
            write_offset(self.path, self._offset + delta)
            self._reload()
            return datetime.now(UTC) + self._offset

    def _refresh(self) -> None:
        """Re-read the file if it was replaced since the last read (one stat per call)."""
        if _stamp(self.path) != self._stamp:
            self._reload()

    def _reload(self) -> None:
        self._stamp = _stamp(self.path)
        self._offset = read_offset(self.path)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Identifies one version of the file: a rename gives it a new inode."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def read_offset(path: Path) -> timedelta:
    """The offset in the clock file; none when the file does not exist. Raises ValueError naming the file."""
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        return timedelta(0)
    except ValueError as error:
        raise ValueError(f"clock file {path} is not JSON: {error}") from error
    seconds = payload.get("offsetSeconds") if isinstance(payload, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f'clock file {path} must hold {{"offsetSeconds": n}} with n >= 0')
    return timedelta(seconds=seconds)


def write_offset(path: Path, offset: timedelta) -> None:
    """Replace the clock file atomically: a reader, or a host killed mid-write, sees the old or the new offset."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump({"offsetSeconds": offset.total_seconds()}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
