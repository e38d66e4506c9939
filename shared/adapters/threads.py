"""Concurrency on a thread pool: a use case's independent round trips overlap instead of queueing one after another.

The round trips are network waits (the SDKs release the GIL while they wait), so threads overlap them well. Each
call runs in a copy of the caller's context (contextvars), so its OpenTelemetry spans and logs stay in the
invocation's trace; within `invocation(context)` its logs also carry the invocation id the Python worker reads from
`context.thread_local_storage` (per thread, so a pool thread must be given it).
Never deadlocks, even when a call itself uses `all` while every pool thread is busy: a call that no thread has
started yet when its result is wanted runs in the waiting thread instead.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import partial
from typing import Any

from shared.adapters import lanes

log = logging.getLogger(__name__)

# (the worker's thread_local_storage, the invocation id) of the invocation handing work to the pool.
INVOCATION: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar("invocation", default=None)

# Enough for a burst of dials on one worker (each overlaps up to four round trips); idle threads cost nothing.
WORKERS = 32


class Threads:
    """Concurrency (shared.ports) on one process-wide pool, created on first use."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="overlap")
            return self._pool

    def all(self, *calls: Callable[[], Any]) -> list[Any]:
        if len(calls) < 2:
            return [call() for call in calls]
        futures = [self._submit(call) for call in calls[1:]]
        done = [_inline(calls[0])]
        for future, call in zip(futures, calls[1:], strict=True):
            done.append(_inline(call) if future is None or future.cancel() else future)
        wait(done)  # every call finishes before an error of one is raised (the first, in order)
        return [future.result() for future in done]

    def later(self, call: Callable[[], None]) -> None:
        """After the answer: no longer the emergency work that handed it on (adapters/lanes.py)."""
        if self._submit(partial(_logged, call), lanes.other) is None:
            _logged(call)

    def _submit(self, call: Callable[[], Any], lane: Callable[[], Any] | None = None) -> Future[Any] | None:
        """None when the pool takes no more work (the interpreter is shutting down): the caller runs it itself.
        `lane`: a context manager to run it in (the caller's lane otherwise)."""
        try:
            return self._executor().submit(contextvars.copy_context().run, as_invocation, call, lane)
        except RuntimeError:
            return None


@contextmanager
def invocation(context: Any) -> Iterator[None]:
    """Within it, work this invocation hands to the pool logs under its invocation id (azure.functions.Context:
    the id set on `thread_local_storage` in the thread that logs)."""
    storage = getattr(context, "thread_local_storage", None)
    token = INVOCATION.set((storage, context.invocation_id) if storage is not None else None)
    try:
        yield
    finally:
        INVOCATION.reset(token)


def as_invocation(call: Callable[[], Any], lane: Callable[[], Any] | None = None) -> Any:
    """`call` with this thread's invocation id set to that of `invocation(context)` (the worker reads it from the
    thread's storage when a record is logged), in `lane` when given."""
    if lane is not None:
        with lane():
            return as_invocation(call)
    bound = INVOCATION.get()
    if bound is None:
        return call()
    storage, invocation_id = bound
    before = getattr(storage, "invocation_id", None)
    storage.invocation_id = invocation_id
    try:
        return call()
    finally:
        storage.invocation_id = before


def _inline(call: Callable[[], Any]) -> Future[Any]:
    """`call` run here, as a finished future (its result or its exception)."""
    future: Future[Any] = Future()
    try:
        future.set_result(call())
    except Exception as exc:
        future.set_exception(exc)
    return future


def _logged(call: Callable[[], None]) -> None:
    try:
        call()
    except Exception:  # nobody waits for it: say so, the timer or a redelivery finishes the work
        log.exception("deferred work failed")
