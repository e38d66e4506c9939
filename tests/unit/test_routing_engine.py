"""The routing engine follows emergency DND: hold, release, the order of events, failures and the timer (fakes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.config import Settings, problems
from shared.domain import presence as policy
from shared.domain.calls import Agent
from shared.domain.readiness import _routing_worker
from shared.domain.routing_hold import WorkerState, WorkerStatus
from shared.services.presence import on_call_ended, update
from shared.services.routing_engine import hold_for_call, reconcile, release_for_call
from tests.fakes import FakeDeps


def held(deps: FakeDeps, agent: str = "alice") -> bool:
    return deps.routing.available(agent) is False


def dnd(deps: FakeDeps, call_id: str, agent: str = "alice") -> None:
    update(agent, lambda p: policy.start_emergency(p, call_id, deps.clock.now()), deps)


def test_engine_down_at_the_start_the_timer_holds_once_it_answers() -> None:
    deps = FakeDeps()
    deps.routing.add("alice", available=True)
    deps.routing.down = True
    dnd(deps, "c1")
    assert hold_for_call("alice", "c1", deps) is False  # logged, never raised
    deps.routing.down = False
    assert reconcile(deps).held == ["c1"]
    assert held(deps)


def test_an_end_before_the_start_leaves_no_hold() -> None:
    deps = FakeDeps()
    deps.routing.add("alice", available=True)
    assert release_for_call("alice", "c1", deps)
    assert hold_for_call("alice", "c1", deps)
    assert deps.routing.patches == [] and not held(deps)


def test_a_hold_that_lands_after_the_release_is_undone() -> None:
    deps = FakeDeps()
    deps.routing.add("alice", available=True)
    engine_hold = deps.routing.hold

    def hold_while_the_end_runs(agent: Agent, call_id: str) -> Any:
        release_for_call("alice", call_id, deps)  # the end, on another instance, before our hold lands
        return engine_hold(agent, call_id)
    deps.routing.hold = hold_while_the_end_runs  # type: ignore[method-assign]
    dnd(deps, "c1")
    hold_for_call("alice", "c1", deps)
    assert not held(deps)
    assert all(h.settled for h in deps.routing_holds.rows.values())


def test_the_timer_releases_the_worker_of_a_restored_presence_and_keeps_a_later_calls_hold() -> None:
    deps = FakeDeps()
    deps.routing.add("alice", available=True)
    dnd(deps, "c1")
    hold_for_call("alice", "c1", deps)
    dnd(deps, "c2")  # a second emergency call takes over her DND
    hold_for_call("alice", "c2", deps)
    deps.clock.advance(timedelta(minutes=1))
    assert reconcile(deps).released == ["c1"]
    assert held(deps)  # c2 still holds it
    deps.routing.down = True
    on_call_ended("alice", "c2", deps)  # the release fails: DND is lifted all the same
    assert deps.presence.get("alice")[0].status == "Available"
    deps.routing.down = False
    assert reconcile(deps).released == ["c2"]
    assert deps.routing.available("alice") is True


def test_no_engine_writes_nothing() -> None:
    from shared.adapters.routing_events import NoRoutingEngine

    deps = FakeDeps()
    deps.routing = NoRoutingEngine()  # type: ignore[assignment]
    assert hold_for_call("alice", "c1", deps) and release_for_call("alice", "c1", deps)
    assert deps.routing_holds.rows == {}


def test_readiness_fails_an_unknown_worker_warns_when_unreachable_passes_without_engine() -> None:
    def status(state: WorkerState) -> str:
        return _routing_worker(WorkerStatus("w1", state, "detail")).status.value
    assert [status(s) for s in WorkerState] == ["pass", "fail", "warning", "pass", "pass"]


def test_routing_engine_setting_is_checked() -> None:
    assert problems(Settings({"ROUTING_ENGINE": "kafka"}))[0]["setting"] == "ROUTING_ENGINE"
    assert "ACS_CONNECTION_STRING" in problems(Settings({"ROUTING_ENGINE": "jobrouter"}))[0]["problem"]
    assert Settings({}).routing_engine == "none"


class _Misconfigured:
    """ROUTING_ENGINE=jobrouter without ACS_CONNECTION_STRING: the container cannot build the engine."""

    @property
    def configured(self) -> bool:
        from shared.config import SettingError

        raise SettingError("ROUTING_ENGINE", "is jobrouter, which needs ACS_CONNECTION_STRING")


def test_a_misconfigured_engine_never_fails_presence_nor_stops_the_timer_s_other_work() -> None:
    from shared.domain.calls import EmergencyCall
    from shared.services.expiry import run_expiry
    from tests.fakes import T0

    d = FakeDeps()
    d.routing = _Misconfigured()
    assert hold_for_call("alice", "c1", d) is False and release_for_call("alice", "c1", d) is False
    update("alice", lambda p: policy.start_emergency(p, "c1", T0), d)  # stuck in DND for an ended call
    d.calls.create(EmergencyCall("c1", "alice", "911", "US", False, T0, agent_name="Alice",
                                 ended_at=T0 + timedelta(minutes=1), end_source="dialer", announced=True))
    d.calls.create(EmergencyCall("c2", "bob", "911", "US", False, T0, agent_name="Bob"))  # not announced yet
    d.clock.advance(timedelta(minutes=2))
    run_expiry(d, d.policy, timedelta(days=30))
    assert not d.presence.get("alice")[0].in_emergency
    assert [data["emergencyCallId"] for kind, data in d.events.published if kind == "Emergency.CallStarted"] == ["c2"]


def test_a_slow_engine_is_given_up_on_within_the_deadline() -> None:
    """Event Grid waits 30 s for the presence handler: a worker that keeps changing on a slow engine is left to
    the timer after DEADLINE_SECONDS, not after MAX_ATTEMPTS slow rounds."""
    import time
    from types import SimpleNamespace

    from azure.core.exceptions import ResourceModifiedError

    from shared.adapters import jobrouter
    from shared.ports import RoutingEngineError

    class Slow:
        calls = 0

        def get_worker(self, worker_id: str) -> Any:
            Slow.calls += 1
            time.sleep(0.2)
            return SimpleNamespace(available_for_offers=True, tags={}, etag=f"e{Slow.calls}")

        def upsert_worker(self, *args: Any, **kwargs: Any) -> None:
            raise ResourceModifiedError("412")

    started = time.monotonic()
    try:
        jobrouter.JobRouterEngine(Slow(), deadline_seconds=0.3).hold(Agent("alice", "Alice"), "c1")
        raise AssertionError("expected RoutingEngineError")
    except RoutingEngineError:
        pass
    assert Slow.calls == 2 and time.monotonic() - started < 1.0
    assert jobrouter.CLIENT_OPTIONS["retry_total"] == 0
