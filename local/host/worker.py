"""The Python worker's concurrency limit, as the local host applies it to every function invocation.

azure-functions-python-worker 4.x (4.34, `dispatcher.py` `_get_sync_tp_max_workers`) runs synchronous functions on
one `ThreadPoolExecutor` of `PYTHON_THREADPOOL_THREAD_COUNT` threads; unset (or not an integer >= 1, which it logs
and ignores) it passes `max_workers=None`, i.e. Python's default `min(32, os.cpu_count() + 4)`. An invocation beyond
that waits for a thread; none is refused. `async def` functions run on the worker's event loop instead, unbounded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Mapping

logger = logging.getLogger(__name__)

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


def default_thread_count() -> int:
    """What `ThreadPoolExecutor(max_workers=None)` picks on Python 3.11."""
    return min(32, (os.cpu_count() or 1) + 4)


def thread_count(env: Mapping[str, str]) -> int:
    """The worker's sync thread pool size for this environment; a bad value falls back to the default, as the
    worker does (with a warning)."""
    raw = env.get(THREAD_COUNT_SETTING)
    if raw is None:
        return default_thread_count()
    try:
        value = int(raw)
    except ValueError:
        logger.warning("%s must be an integer; using the default", THREAD_COUNT_SETTING)
        return default_thread_count()
    if value < 1:
        logger.warning("%s must be at least 1; using the default", THREAD_COUNT_SETTING)
        return default_thread_count()
    return value


class InvocationSlots:
    """At most `size` synchronous invocations at once; the others wait for a slot in arrival order, as work queued on
    the worker's `ThreadPoolExecutor` does."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("the worker needs at least one thread")
        self.size = size
        self._lock = threading.Lock()
        self._free = size
        self._waiting: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        """How many invocations wait for a thread now."""
        with self._lock:
            return len(self._waiting)

    def __enter__(self) -> InvocationSlots:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # set by the invocation that hands its slot over
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1
