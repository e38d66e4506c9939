"""Renders admins' notification templates in separate processes, with limits on time, memory and output.

A template is code an admin (or whoever holds an admin's session) wrote: rendering it in the worker that dials and
routes callbacks would let it hold the GIL (Jinja folds constants while compiling) or the memory. So every render of
a saved or posted template goes to a small pool of warm child processes (render_worker), started on first use,
never at import. Each answer must arrive within RENDER_SECONDS; a child over a limit is killed and replaced at
once. The parent only waits on a pipe (select releases the GIL), so a dial in another thread is not delayed.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.domain.locales import DEFAULT_LOCALE, known_locale
from shared.domain.template import (
    NotificationContext,
    NotificationTemplate,
    RenderedNotification,
    TemplateError,
    TemplateIssue,
)
from shared.errors import AppError

log = logging.getLogger(__name__)

RENDER_SECONDS = 2.0  # a preview or a save answers within it; a notification waits at most this before the default
START_SECONDS = 15.0  # a cold start of Python and Jinja (not counted against the render, and seldom paid)
MEMORY_BYTES = 256 * 1024 * 1024  # address space of a child: about 10 times what Python and Jinja map at rest
# One worker for the admin API, one for sends: an auditor's previews can never keep a notification waiting.
# Renders beyond that wait at most RENDER_SECONDS for the worker (a notification then goes out with the default).
PURPOSES = ("admin", "send")
_CHILD_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONTZPATH")  # no secrets: the child needs no setting of the app
MAX_REPLY_BYTES = 4 * 1024 * 1024  # three parts of at most 100,000 characters each, JSON-escaped
_ROOT = Path(__file__).resolve().parents[2]


class RenderFailed(AppError):
    """The render did not finish within its limits (`over_limit`), or no render process could run (503)."""

    status = 503

    def __init__(self, reason: str, over_limit: bool = True) -> None:
        super().__init__(reason if over_limit else f"the template cannot be rendered now: {reason}")
        self.reason = reason
        self.over_limit = over_limit


class _Worker:
    """One child process and the buffer of what it has written but we have not read yet."""

    def __init__(self, memory_bytes: int) -> None:
        env = {k: os.environ[k] for k in _CHILD_ENV if k in os.environ} | {
            "RENDER_MEMORY_BYTES": str(memory_bytes),
            "PYTHONPATH": os.pathsep.join([str(_ROOT), *(p for p in sys.path if p)])}
        self.proc = subprocess.Popen(  # stderr dropped: a traceback could quote the call's data
            [sys.executable, "-m", "shared.adapters.render_worker"], cwd=_ROOT, env=env, text=False,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.ready = False
        self._seconds = RENDER_SECONDS
        self._buffer = b""

    def ask(self, request: dict[str, Any], seconds: float, on_step: Callable[[list[Any]], None]) -> dict[str, Any]:
        """Send one request and return its result; RenderFailed (the worker is then unusable) on any limit."""
        if not self.ready:
            self._expect("ready", time.monotonic() + START_SECONDS, on_step)
            self.ready = True
        assert self.proc.stdin is not None
        self._seconds = seconds
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            raise RenderFailed("the render process ended unexpectedly") from None
        result: dict[str, Any] = self._expect("result", time.monotonic() + seconds, on_step)
        return result

    def _expect(self, key: str, deadline: float, on_step: Callable[[list[Any]], None]) -> Any:
        while True:
            try:
                message = json.loads(self._line(deadline))
            except ValueError:
                raise RenderFailed("the render process answered garbage") from None
            if key in message:
                return message[key]
            if "step" in message:
                on_step(message["step"])

    def _line(self, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    if not self.ready:
                        raise RenderFailed("the render process did not start", over_limit=False)
                    raise RenderFailed(f"rendering took longer than {self._seconds:g} s")
                chunk = os.read(fd, 65536)
                if not chunk and not self.ready:
                    raise RenderFailed("the render process did not start", over_limit=False)
                if not chunk:
                    raise RenderFailed("the render process ended (over its memory or CPU limit)")
                self._buffer += chunk
                if len(self._buffer) > MAX_REPLY_BYTES:
                    raise RenderFailed("its output exceeded the size limit")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class RenderPool:
    """`size` warm workers; thread-safe; a worker over a limit is killed and a fresh one started in its place."""

    def __init__(self, size: int = 1, memory_bytes: int = MEMORY_BYTES,
                 seconds: float = RENDER_SECONDS) -> None:
        self.seconds = seconds
        self._memory = memory_bytes
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # started on first use

    def preview(self, t: NotificationTemplate, locale: str = DEFAULT_LOCALE) -> RenderedNotification:
        """Validate `t` against every validation context in every locale and render the sample in `locale`;
        TemplateError names the problem."""
        at: list[Any] = ["text", "sample data"]

        def step(where: list[Any]) -> None:
            at[:] = where
        try:
            result = self._ask({"op": "preview", "template": _parts(t), "locale": locale}, step)
        except RenderFailed as exc:
            if not exc.over_limit:
                raise
            raise TemplateError((TemplateIssue(at[0], None, f"{exc.reason} with sample data ({at[1]})"),)) from None
        if "issues" in result:
            raise TemplateError(tuple(TemplateIssue(f, line, msg) for f, line, msg in result["issues"]))
        return _notification(result["rendered"])

    def render(self, t: NotificationTemplate, context: NotificationContext,
               locale: str = DEFAULT_LOCALE) -> RenderedNotification:
        """Render `t` for one call in `locale`; RenderFailed says why it could not be used."""
        result = self._ask({"op": "render", "template": _parts(t), "values": context.as_placeholders(locale),
                            "is_test": context.is_test, "locale": locale}, lambda _: None)
        if "failed" in result:
            raise RenderFailed(result["failed"])
        return _notification(result["rendered"])

    def close(self) -> None:
        """Kill the idle workers (tests; the platform ends the children with the worker)."""
        while not self._idle.empty():
            worker = self._idle.get_nowait()
            if worker is not None:
                worker.kill()

    def _ask(self, request: dict[str, Any], on_step: Callable[[list[Any]], None]) -> dict[str, Any]:
        try:
            worker = self._idle.get(timeout=self.seconds)
        except queue.Empty:
            raise RenderFailed("every render process is busy", over_limit=False) from None
        try:
            if worker is None or not worker.alive():
                worker = self._start(worker)
            result = worker.ask(request, self.seconds, on_step)
        except BaseException:  # over a limit, or interrupted mid-answer: the worker's state is unknown
            self._idle.put(self._replace(worker))
            raise
        self._idle.put(self._replace(worker) if result.get("recycle") else worker)
        return result

    def _start(self, old: _Worker | None) -> _Worker:
        if old is not None:
            old.kill()
        try:
            return _Worker(self._memory)
        except OSError as exc:
            log.error("render process could not start: %s", type(exc).__name__)
            raise RenderFailed("no render process could start", over_limit=False) from None

    def _replace(self, worker: _Worker | None) -> _Worker | None:
        """Kill the worker; start its successor now so that it is warm by the next render."""
        if worker is not None:
            worker.kill()
        try:
            return _Worker(self._memory)
        except OSError:
            return None


_pools: dict[str, RenderPool] = {}
_pools_lock = threading.Lock()


def pool(purpose: str = "admin") -> RenderPool:
    """The process-wide pool for "admin" (preview, save, restore) or "send", created on first use (never at
    import)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown render pool {purpose!r}")
    with _pools_lock:
        if purpose not in _pools:
            _pools[purpose] = RenderPool()
        return _pools[purpose]


def close_all() -> None:
    """Kill every idle worker (tests)."""
    with _pools_lock:
        for p in _pools.values():
            p.close()


def _parts(t: NotificationTemplate) -> dict[str, str]:
    return {"subject": t.subject, "html": t.html, "text": t.text}


def _notification(r: dict[str, Any]) -> RenderedNotification:
    return RenderedNotification(subject=r["subject"], html=r["html"], text=r["text"], is_test=bool(r["is_test"]),
                                locale=known_locale(r.get("locale")) or DEFAULT_LOCALE)
