"""The process dies at every step of an emergency call's life, one step per run: the dial, CallStarted's two
handlers, the callback, the dialer's end, CallEnded and the timer. After a restart, the world does what it does
(Event Grid redelivers what was not acknowledged, the dialer repeats its end, the timer runs), and the contract
holds: one message per recipient, the callback redirected (at least once), presence back, the lease settled."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.worker_hold import WorkerView, view
from shared.events import call_from_started
from shared.services.callbacks import route_callback
from shared.services.ending import end_emergency_call
from shared.services.expiry import run_expiry
from shared.services.notify import notify_emergency
from shared.services.outbound import place_outbound_call
from shared.services.presence import on_call_ended, on_call_started
from tests.fakes import Killed, Sequential
from tests.fakes_notify import NotifyDeps
from tests.unit.test_callbacks import incoming

PORTS = ("agents", "pool", "presence", "calls", "events", "windows", "incoming", "call_control", "history",
         "mailer", "sms", "deliveries", "templates", "routing", "routing_holds", "sites")
RECIPIENTS = ("s@example.com", "lead@example.org")
CALL_ID = "c-crash"
DIALED = ("911", "US")  # what the dialer says it dialed, with its end


class Steps:
    """Counts every call into a port; the `fatal`-th one dies (before it has any effect)."""

    def __init__(self, fatal: int | None) -> None:
        self.count, self.fatal, self.died_at = 0, fatal, None

    def tick(self, where: str) -> None:
        self.count += 1
        if self.count == self.fatal:
            self.fatal, self.died_at = None, where
            raise Killed(where)


class Counted:
    def __init__(self, port: Any, name: str, steps: Steps) -> None:
        self._port, self._name, self._steps = port, name, steps

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._port, attr)
        if not callable(value):
            return value

        def step(*args: Any, **kwargs: Any) -> Any:
            self._steps.tick(f"{self._name}.{attr}")
            return value(*args, **kwargs)
        return step


def world(fatal: int | None, reverse: bool = False) -> tuple[NotifyDeps, Steps]:
    """`reverse`: the steps a use case takes at once (shared.ports.Concurrency) run last to first, so a death
    between them leaves the other half done (in production any subset of them may have landed)."""
    deps = NotifyDeps()
    deps.concurrency = Sequential(reverse)
    deps.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", email_recipients="; ".join(RECIPIENTS)))
    deps.add_numbers("+12025550100")
    deps.routing.add("alice", available=True)
    steps = Steps(fatal)
    for name in PORTS:
        setattr(deps, name, Counted(getattr(deps, name), name, steps))
    return deps, steps


def at_least_once(action: Any, attempts: int = 4, wait: Any = None) -> Any:
    """Event Grid redelivering, the dialer repeating: until one run gets through without the process dying.
    `wait` passes the time before the next try (Event Grid's first retry comes 10 s later)."""
    for _ in range(attempts):
        try:
            return action()
        except Killed:
            if wait is not None:
                wait()
    raise AssertionError("never got through")


def deliver(deps: NotifyDeps, delivered: set[int]) -> None:
    """Every event published so far and not yet acknowledged, to its handlers (a handler that dies: again)."""
    for index, (event_type, data) in enumerate(list(deps.events._port.published)):
        if index in delivered:
            continue
        agent, call_id = data["agentId"], data["emergencyCallId"]
        if event_type == "Emergency.CallStarted":
            described = call_from_started(data)
            at_least_once(partial(on_call_started, agent, call_id, deps, deps.policy, described))
            at_least_once(partial(notify_emergency, call_id, deps, described))
        elif event_type == "Emergency.CallEnded":
            at_least_once(partial(on_call_ended, agent, call_id, deps))
        delivered.add(index)


def life(deps: NotifyDeps) -> None:
    """One emergency call, end to end, as the dialer, Event Grid, ACS and the timer play it."""
    delivered: set[int] = set()
    with contextlib.suppress(Killed):  # the dialer dials anyway, with its own id
        place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id=CALL_ID), deps, deps.policy)
    deliver(deps, delivered)
    deps.clock.advance(timedelta(minutes=2))
    at_least_once(lambda: run_expiry(deps, deps.policy, timedelta(days=30)))
    deliver(deps, delivered)
    callback = incoming("4:+12025550100", deps=deps)
    at_least_once(lambda: route_callback(callback, deps, timedelta(seconds=20), "8:acs:r_desk"),
                  wait=lambda: deps.clock.advance(timedelta(seconds=10)))
    deps.clock.advance(timedelta(minutes=3))
    at_least_once(lambda: end_emergency_call(CALL_ID, "dialer", deps, deps.policy, agent_id="alice",
                                             dialed=DIALED))
    deliver(deps, delivered)
    deps.clock.advance(timedelta(minutes=1))
    at_least_once(lambda: run_expiry(deps, deps.policy, timedelta(days=30)))
    deliver(deps, delivered)


def steps_in_a_clean_life(reverse: bool) -> int:
    deps, steps = world(None, reverse)
    life(deps)
    return steps.count


@pytest.mark.parametrize(("reverse", "fatal"), [(reverse, fatal) for reverse in (False, True)
                                                for fatal in range(1, steps_in_a_clean_life(reverse) + 1)])
def test_the_process_dies_at_step(reverse: bool, fatal: int) -> None:
    deps, steps = world(fatal, reverse)
    life(deps)
    assert steps.died_at is not None  # it did die somewhere
    sent: dict[str, set[str]] = {}
    for s in deps.mailer._port.sent:
        sent.setdefault(s.to, set()).add(s.id)
    assert {to: len(ids) for to, ids in sent.items()} == dict.fromkeys(RECIPIENTS, 1), steps.died_at
    assert deps.presence.get("alice")[0].status == "Available", steps.died_at
    # Her routing worker takes offers again, with no hold left on it (or was never touched).
    worker = deps.routing._port.workers["alice"]
    assert view(worker.get("availableForOffers"), worker.get("tags")) == WorkerView(True), steps.died_at
    call = deps.calls.get(CALL_ID)[0]
    assert call.ended_at is not None, steps.died_at
    redirects = deps.call_control._port.redirects
    assert 1 <= len(redirects) <= 2, steps.died_at  # at least once; twice only if it died right after one
    # Her identity is recognised as the callback's for the window after the end, as her number is (her panel
    # shows the window from it), even when the call is known only from the dialer's end.
    window = deps.windows.latest("8:acs:r_alice")
    assert window is not None and window.call_id == CALL_ID, steps.died_at
    assert window.until == call.ended_at + timedelta(minutes=60), steps.died_at
    lease = deps.pool.get("+12025550100").lease
    if lease is None:  # the dial died before it leased: the number was never presented, a call to it goes to the desk
        assert [target for _, target in redirects] == ["8:acs:r_desk"], steps.died_at
        return
    assert all(target == "8:acs:r_alice" for _, target in redirects), steps.died_at
    assert lease.call_id == CALL_ID and lease.expires_at == call.ended_at + timedelta(minutes=60), steps.died_at
