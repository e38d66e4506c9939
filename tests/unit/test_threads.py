"""The production Concurrency: calls overlap, results keep their order, errors wait for the others, nesting on a
full pool never deadlocks, deferred work runs without the caller, and each call sees the caller's context."""

from __future__ import annotations

import contextvars
import logging
import threading
import time

import pytest

from shared.adapters.threads import Threads, invocation

REQUEST = contextvars.ContextVar("request", default="none")


def test_calls_overlap_and_results_keep_their_order() -> None:
    both = threading.Barrier(3, timeout=5)  # passes only when all three calls wait at once

    def call(value: int) -> int:
        both.wait()
        return value

    assert Threads().all(lambda: call(1), lambda: call(2), lambda: call(3)) == [1, 2, 3]


def test_an_error_is_raised_once_every_call_has_finished() -> None:
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Threads().all(fails, slow)
    assert finished.is_set()


def test_nested_calls_on_a_full_pool_do_not_deadlock() -> None:
    threads = Threads(workers=1)
    result: list[object] = []

    def outer() -> list[object]:  # each level holds the only pool thread while it waits for its inner calls
        return threads.all(lambda: threads.all(lambda: 1, lambda: 2), lambda: threads.all(lambda: 3, lambda: 4))

    runner = threading.Thread(target=lambda: result.append(threads.all(outer, outer)), daemon=True)
    runner.start()
    runner.join(5)
    assert result == [[[[1, 2], [3, 4]], [[1, 2], [3, 4]]]]


def test_deferred_work_runs_without_the_caller_and_its_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    threads, release, done = Threads(), threading.Event(), threading.Event()

    def work() -> None:
        release.wait(5)
        done.set()
        raise RuntimeError("mark failed")

    with caplog.at_level(logging.ERROR, logger="shared.adapters.threads"):
        threads.later(work)
        assert not done.is_set()  # the caller went on
        release.set()
        assert done.wait(5)
        for _ in range(50):
            if caplog.records:
                break
            time.sleep(0.05)
    assert [r.getMessage() for r in caplog.records] == ["deferred work failed"]


def test_each_call_sees_the_caller_s_context() -> None:
    threads = Threads()
    token = REQUEST.set("invocation-1")
    try:
        seen = threads.all(REQUEST.get, REQUEST.get, REQUEST.get)
        later: list[str] = []
        ran = threading.Event()

        def deferred() -> None:
            later.append(REQUEST.get())
            ran.set()

        threads.later(deferred)
        assert ran.wait(5)
    finally:
        REQUEST.reset(token)
    assert seen == ["invocation-1"] * 3 and later == ["invocation-1"]


def test_a_pool_that_takes_no_more_work_runs_the_calls_in_the_caller() -> None:
    """As while the interpreter shuts down (a worker recycled mid-dial): the dial still gets its answer and its
    mark, instead of a RuntimeError turning a recorded call into a 500."""
    threads = Threads()
    threads.all(lambda: 0, lambda: 0)
    threads._executor().shutdown()
    ran: list[str] = []
    assert threads.all(lambda: 1, lambda: 2, lambda: 3) == [1, 2, 3]
    threads.later(lambda: ran.append("mark"))
    assert ran == ["mark"]


def test_work_handed_to_the_pool_logs_under_the_invocation_that_handed_it() -> None:
    """The Python worker reads the invocation id of a log record from `context.thread_local_storage`, a
    threading.local: each pool thread is given it for the work it runs, and has its own back afterwards."""
    storage = threading.local()

    class Context:
        invocation_id = "inv-1"
        thread_local_storage = storage

    def first() -> int:  # long enough for the pool thread to start the second call
        time.sleep(0.2)
        return 0

    threads = Threads(workers=1)
    assert threads.all(first, lambda: getattr(storage, "invocation_id", None)) == [0, None]
    with invocation(Context()):
        seen = threads.all(first, lambda: getattr(storage, "invocation_id", None))
        done = threading.Event()
        later: list[object] = []

        def deferred() -> None:
            later.append(getattr(storage, "invocation_id", None))
            done.set()

        threads.later(deferred)
        assert done.wait(5)
    after = threads.all(first, lambda: getattr(storage, "invocation_id", None))
    assert seen == [0, "inv-1"] and later == ["inv-1"] and after == [0, None]
