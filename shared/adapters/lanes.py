"""Emergency first: the dial's answer (and a responder's ringing callback) never waits behind other work of the same
process.

One interpreter shares one GIL and, on Azure, one instance's CPU among every invocation. So while emergency work is
in flight, every other invocation (normal dials, ends, event handlers, admin pages, timers) pauses before each of
its storage, Event Grid, email and SMS requests, for at most `MAX_WAIT` each time: the emergency work gets the CPU
first, the rest is late by a bounded amount, never stopped. An emergency call's follow-up (its Do Not Disturb, its
notifications) has a budget for all its pauses together (`waits_at_most`). Emergency work is marked by a context
variable, so the round trips it hands to the thread pool (adapters/threads.py copies the context) count as emergency
too. Work that holds a lock emergency work may need (a table's creation, the voice setup's refresh) never pauses
while it holds it (`holding`): a pause there would make the emergency work wait behind it.

`EMERGENCY_THREADS` threads of the app's own run the emergency dial, so it does not queue behind the worker's
thread pool (`PYTHON_THREADPOOL_THREAD_COUNT`), which other invocations can fill (a dial beyond them waits for one).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# How long other work waits for the emergency work in flight before each request it makes. Measured with 8
# concurrent dialers and normal dials beside them (bench/README.md): 30 ms kept 35-85 % of the dials within 400 ms,
# 100 ms 87-88 %, 150 ms 91-100 %. An emergency call's follow-up has a budget for all its waits (below).
MAX_WAIT = 0.15
# An invocation that follows an emergency call up (its Do Not Disturb, its notifications) is emergency work too, only
# less urgent than a dial's answer: it yields at most this long in all, however many requests it makes (at 0.15 s a
# request, a notification run of 4 recipients could otherwise wait 2.4 s and more during a burst of dials). Measured
# with 8 dialers redialing without pause (bench/README.md): 0.5 s took the dials within 400 ms from 100 % to 94-96 %
# (87-93 % with normal dials beside), 2 s to 98.5 % (96 %); a follow-up is late by 2 s at most.
FOLLOW_UP_WAIT = 2.0
EMERGENCY_THREADS = 16
# Other dials share a few threads of their own: a burst of them cannot take more of the process than that.
OTHER_THREADS = 4

_EMERGENCY: contextvars.ContextVar[bool] = contextvars.ContextVar("emergency_lane", default=False)
_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_a_shared_lock", default=False)
# What is left of the work's budget of waits (a list, so that the round trips it hands to the pool share it).
_BUDGET: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("wait_budget", default=None)
_changed = threading.Condition()
_in_flight = 0
_executors: dict[str, ThreadPoolExecutor] = {}


@contextmanager
def emergency() -> Iterator[None]:
    """Within it, this context is emergency work: other work yields to it."""
    global _in_flight
    token = _EMERGENCY.set(True)
    with _changed:
        _in_flight += 1
    try:
        yield
    finally:
        with _changed:
            _in_flight -= 1
            if not _in_flight:
                _changed.notify_all()
        _EMERGENCY.reset(token)


def other() -> contextlib.AbstractContextManager[None]:
    """Within it, this context is not emergency work (deferred work an emergency dial hands on)."""
    return _set(_EMERGENCY, False)


def holding() -> contextlib.AbstractContextManager[None]:
    """Within it, this work holds a lock emergency work may wait for: it never pauses."""
    return _set(_HOLDING, True)


@contextmanager
def _set(var: contextvars.ContextVar[bool], value: bool) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


@contextmanager
def waits_at_most(seconds: float) -> Iterator[None]:
    """Within it, this work yields to emergency work for at most `seconds` in all (an emergency call's follow-up:
    late by a bounded amount, whatever the burst)."""
    token = _BUDGET.set([seconds])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def in_emergency() -> bool:
    return _EMERGENCY.get()


def yield_to_emergency(limit: float = MAX_WAIT) -> float:
    """Wait while emergency work is in flight (at most `limit` seconds); nothing for emergency work itself.
    Answers the seconds waited."""
    if not _in_flight or _EMERGENCY.get() or _HOLDING.get():
        return 0.0
    left = _BUDGET.get()
    if left is not None:
        limit = min(limit, left[0])
        if limit <= 0:
            return 0.0
    waited = _wait(limit)
    if left is not None:
        left[0] -= waited
    return waited


def _wait(limit: float) -> float:
    started = time.monotonic()
    deadline = started + limit
    with _changed:
        while _in_flight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            _changed.wait(remaining)
    return time.monotonic() - started


def run_as_emergency(call: Callable[[], T]) -> T:
    with emergency():
        return call()


def _executor(lane: str, workers: int) -> ThreadPoolExecutor:
    """The app's own threads of a lane (created on first use, never at import)."""
    with _changed:
        if lane not in _executors:
            _executors[lane] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{lane}-lane")
        return _executors[lane]


def submit_emergency(call: Callable[[], T]) -> Future[T]:
    """`call` on the emergency threads, in a copy of the caller's context, as emergency work."""
    return _executor("emergency", EMERGENCY_THREADS).submit(contextvars.copy_context().run, run_as_emergency, call)


def on_emergency_threads(call: Callable[[], T]) -> Future[T]:
    """`call` on the emergency threads, in a copy of the caller's context, marking itself what is emergency work
    (a callback's decision and redirect, not what it records afterwards)."""
    return _executor("emergency", EMERGENCY_THREADS).submit(contextvars.copy_context().run, call)


def submit_other(call: Callable[[], T]) -> Future[T]:
    """`call` on the other dials' threads, in a copy of the caller's context (not emergency work)."""
    return _executor("other", OTHER_THREADS).submit(contextvars.copy_context().run, _as_other, call)


def _as_other(call: Callable[[], T]) -> T:
    with other():
        yield_to_emergency()  # before any of its work: parsing, checks and answer cost CPU too
        return call()
