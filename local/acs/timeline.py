"""A single background thread that runs the stand-in's simulated happenings (a callee answers, a prompt ends, a key
is pressed) when they fall due, one at a time and in due order (ties in the order they were scheduled)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Timeline:
    """`at(delay, task)` runs `task` on the timeline thread `delay` seconds from now; `stop()` drops what is left."""

    def __init__(self, name: str = "acs-calls") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the thread (again after a stop)."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def at(self, delay: float, task: Callable[[], None]) -> None:
        """Schedule `task`; safe from any thread, including from a task."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), task))
            self._cond.notify()

    def stop(self) -> None:
        """End the thread and forget pending tasks."""
        with self._cond:
            self._stopping, thread = True, self._thread
            self._heap.clear()
            self._cond.notify()
        if thread is not None:
            thread.join(timeout=5)
        with self._cond:
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._stopping:
                    return
                _, _, task = heapq.heappop(self._heap)
            try:
                task()
            except Exception:  # a broken task must not stop every simulated call
                logger.exception("simulated call step failed")
