"""Emergency first (issue 18): other work of the process yields to the emergency work in flight, for a bounded time;
the round trips an emergency dial hands to the pool count as emergency work, what it defers after the answer does
not; the dial function is async, so the worker never queues it behind its thread pool."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import azure.functions as func
import pytest

from functions import agent_signed_in, inbound_callback
from functions import outbound_call as outbound_calls
from functions.outbound_call import dials_emergency
from shared.adapters import lanes
from shared.adapters.threads import Threads


def test_other_work_waits_for_the_emergency_work_in_flight_and_goes_on_when_it_ends() -> None:
    # GIVEN an emergency dial in flight for 50 ms
    started = threading.Event()

    def dial() -> None:
        with lanes.emergency():
            started.set()
            time.sleep(0.05)
    worker = threading.Thread(target=dial)
    worker.start()
    started.wait()
    # WHEN other work is about to make a request
    waited = lanes.yield_to_emergency(limit=2.0)
    worker.join()
    # THEN it waited for the dial, and no longer than it lasted (well within its limit)
    assert 0.02 < waited < 1.0


def test_other_work_waits_no_longer_than_its_limit_and_emergency_work_never_waits() -> None:
    with lanes.emergency():
        assert lanes.yield_to_emergency(limit=2.0) == 0.0  # the dial's own requests
        done: list[float] = []
        other = threading.Thread(target=lambda: done.append(lanes.yield_to_emergency(limit=0.05)))
        other.start()
        other.join()
    assert 0.04 < done[0] < 0.5
    assert lanes.yield_to_emergency(limit=2.0) == 0.0  # nothing in flight: no wait at all


def test_work_that_holds_a_lock_an_emergency_dial_may_need_never_pauses() -> None:
    # GIVEN an emergency dial in flight, and other work holding a lock (a table's creation, the voice setup's
    # refresh) that the dial may wait for
    with lanes.emergency():
        done: list[tuple[float, float]] = []

        def other() -> None:
            with lanes.holding():
                held = lanes.yield_to_emergency(limit=1.0)
            done.append((held, lanes.yield_to_emergency(limit=0.05)))
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
    # THEN it does not pause while it holds the lock (the dial would wait behind it), only once it let go
    assert done[0][0] == 0.0 and done[0][1] > 0.04


def test_round_trips_an_emergency_dial_hands_on_are_emergency_work_and_deferred_work_is_not() -> None:
    pool = Threads(workers=2)
    seen: list[tuple[str, bool]] = []
    deferred = threading.Event()

    def later() -> None:
        seen.append(("later", lanes.in_emergency()))
        deferred.set()
    with lanes.emergency():
        pool.all(lambda: seen.append(("all", lanes.in_emergency())),
                 lambda: seen.append(("all", lanes.in_emergency())))
        pool.later(later)
    assert deferred.wait(5)
    assert sorted(seen) == [("all", True), ("all", True), ("later", False)]


def test_an_emergency_dial_runs_on_the_emergency_threads_and_another_dial_on_its_own() -> None:
    names = [lanes.submit_emergency(lambda: (threading.current_thread().name, lanes.in_emergency())).result(5),
             lanes.submit_other(lambda: (threading.current_thread().name, lanes.in_emergency())).result(5)]
    assert names[0][0].startswith("emergency-lane") and names[0][1] is True
    assert names[1][0].startswith("other-lane") and names[1][1] is False


def test_both_dial_functions_are_async_so_the_worker_never_queues_them_behind_its_threads() -> None:
    # the dialer service's route and the panel's (signed in): the panel's is the one agents use
    app = func.FunctionApp()
    app.register_functions(outbound_calls.bp)
    app.register_functions(agent_signed_in.bp)
    functions = {f.get_function_name(): f.get_user_function() for f in app.get_functions()}
    assert inspect.iscoroutinefunction(functions["outbound_call"])
    assert inspect.iscoroutinefunction(functions["signed_in_outbound_call"])


def test_the_callback_function_is_async_too_so_a_ringing_callback_never_waits_for_the_worker_s_threads() -> None:
    app = func.FunctionApp()
    app.register_functions(inbound_callback.bp)
    [function] = app.get_functions()
    assert inspect.iscoroutinefunction(function.get_user_function())


def test_the_lane_is_chosen_from_a_glance_at_the_body() -> None:
    assert dials_emergency(b'{"agentId": "a", "dialedNumber": "911", "countryCode": "US"}')
    assert dials_emergency(b'{"agentId": "a", "dialedNumber": "933", "countryCode": "US"}')
    assert not dials_emergency(b'{"agentId": "a", "dialedNumber": "+12025550123", "countryCode": "US"}')
    assert dials_emergency(b'{"agentId": "a", "dialedNumber": "+ 9 1 1", "countryCode": "US"}')
    assert dials_emergency(b'{"agentId": "a", "dialedNumber": "10111", "countryCode": "ZA"}')  # five digits
    assert not dials_emergency(b'{"dialedNumber": ')  # malformed: the handler answers 400 on the other lane
    assert not dials_emergency(b'[1, 2]')
    assert not dials_emergency(b'{"dialedNumber": 911}')  # not a string: the handler's 400
    # a body the handler refuses for its size is never parsed on the event loop
    assert not dials_emergency(b'{"dialedNumber": "911", "pad": "' + b"x" * 70_000 + b'"}')


def test_an_emergency_call_s_follow_up_yields_no_longer_than_its_budget_in_all() -> None:
    """Do Not Disturb and the notifications make many requests: during a long burst each would wait its full pause,
    one after another, without a budget for the whole invocation."""
    with lanes.emergency():  # a dial in flight for the whole test: every pause runs to its limit
        waits: list[float] = []

        def follow_up() -> None:
            with lanes.waits_at_most(0.1):
                waits.extend(lanes.yield_to_emergency(limit=0.04) for _ in range(3))
                # what it hands to the pool shares the same budget
                waits.extend(Threads().all(*[lambda: lanes.yield_to_emergency(limit=0.04)] * 2))
            waits.append(lanes.yield_to_emergency(limit=0.04))  # after it: the pause of any other work again
        worker = threading.Thread(target=follow_up)
        worker.start()
        worker.join()
    assert waits[0] > 0.03 and waits[1] > 0.03, waits  # its first pauses run to their limit
    assert sum(waits[:5]) < 0.1 + 0.03, waits  # the third gets what is left of the budget
    assert waits[3:5] == [0.0, 0.0], waits  # and then none (the pool's round trips included)
    assert waits[5] > 0.03, waits


def test_a_pre_dial_hint_runs_on_the_other_dials_threads_never_as_emergency_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of hints (a floor typing 911, a client looping) never takes an emergency thread from a dial, nor
    makes other work wait for it: both hint routes, with a body that would be a dial's emergency lane."""
    seen: list[tuple[str, bool]] = []

    def handler(req: func.HttpRequest) -> func.HttpResponse:
        seen.append((threading.current_thread().name, lanes.in_emergency()))
        return func.HttpResponse("{}")
    monkeypatch.setattr(outbound_calls, "handle_pre_dial", handler)
    app = func.FunctionApp()
    app.register_functions(outbound_calls.bp)
    app.register_functions(agent_signed_in.bp)
    functions = {f.get_function_name(): f.get_user_function() for f in app.get_functions()}
    body = b'{"agentId": "a", "dialedNumber": "911", "countryCode": "US"}'
    req = func.HttpRequest("POST", "http://localhost/api/outbound-calls/c1/pre-dial", body=body)
    context = type("Context", (), {"invocation_id": "i1", "thread_local_storage": threading.local()})()
    for name in ("outbound_call_pre_dial", "signed_in_outbound_call_pre_dial"):
        asyncio.run(functions[name](req, context))
    assert [(name.split("_")[0], emergency) for name, emergency in seen] == [("other-lane", False)] * 2, seen
