"""The Job Router adapter through the real SDK (azure-communication-jobrouter 1.0.0) to the ACS stand-in: holds
and releases, ETag conflicts, unknown workers, and the exact prior state."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

from local.acs.standin import AcsStandIn
from shared.adapters.jobrouter import JobRouterEngine, jobrouter_client
from shared.domain.calls import Agent
from shared.domain.routing_hold import WorkerState
from shared.ports import RoutingEngineError, WorkerNotFound

ALICE = Agent("alice", "Alice", routing_worker_id="worker-alice")


def client(standin: AcsStandIn) -> Any:
    return jobrouter_client(standin.connection_string)


def worker(standin: AcsStandIn, worker_id: str = "worker-alice") -> Any:
    return client(standin).get_worker(worker_id)


class ChangedAfterRead:
    """The agent's own client changes her worker right after our read, `times` times (a race we lose)."""

    def __init__(self, inner: Any, standin: AcsStandIn, times: int = 1) -> None:
        self._inner, self._standin, self.times = inner, standin, times

    def get_worker(self, worker_id: str) -> Any:
        read = self._inner.get_worker(worker_id)
        if self.times > 0:
            self.times -= 1
            self._inner.upsert_worker(worker_id, {"labels": {"skill": "billing"}})
        return read

    def upsert_worker(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.upsert_worker(*args, **kwargs)


def test_a_hold_stops_offers_and_the_release_returns_the_worker_to_taking_them(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True, labels={"team": "a"})
    engine = JobRouterEngine(client(standin))
    assert engine.hold(ALICE, "c1") is True
    assert worker(standin).available_for_offers is False
    engine.release(ALICE, "c1")
    after = worker(standin)
    assert (after.available_for_offers, dict(after.tags), dict(after.labels)) == (True, {}, {"team": "a"})
    patches = [r for r in standin.requests("jobrouter") if r["method"] == "PATCH"]
    assert [p["contentType"] for p in patches] == ["application/merge-patch+json"] * 2
    assert all(p["ifMatch"] and p["status"] == 200 for p in patches)
    assert patches[0]["body"] == {"availableForOffers": False,
                                  "tags": {"emergencyHolds": "c1", "emergencyHoldPrior": True}}


def test_a_worker_unavailable_before_stays_unavailable(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=False)
    engine = JobRouterEngine(client(standin))
    assert engine.hold(ALICE, "c1") is False
    engine.release(ALICE, "c1")
    after = worker(standin)
    assert (after.available_for_offers, dict(after.tags)) == (False, {})


def test_a_redelivered_hold_never_saves_the_unavailable_worker_as_its_prior(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    engine = JobRouterEngine(client(standin))
    engine.hold(ALICE, "c1")
    standin.clear()
    assert engine.hold(ALICE, "c1") is True  # as the first time, not False
    assert [r["method"] for r in standin.requests("jobrouter")] == ["GET"]  # nothing changed
    engine.release(ALICE, "c1")
    engine.release(ALICE, "c1")  # idempotent
    assert worker(standin).available_for_offers is True


def test_a_change_by_the_agent_between_read_and_write_is_read_again_and_kept(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    engine = JobRouterEngine(ChangedAfterRead(client(standin), standin))
    engine.hold(ALICE, "c1")
    statuses = [r["status"] for r in standin.requests("jobrouter") if r["method"] == "PATCH"]
    assert statuses == [200, 412, 200]  # her label change, our stale write, our write after reading again
    held = worker(standin)
    assert (held.available_for_offers, dict(held.labels)) == (False, {"skill": "billing"})


def test_a_worker_that_keeps_changing_is_reported_not_overwritten(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    engine = JobRouterEngine(ChangedAfterRead(client(standin), standin, times=99))
    with pytest.raises(RoutingEngineError, match="kept changing"):
        engine.hold(ALICE, "c1")
    assert worker(standin).available_for_offers is True


def test_availability_she_changed_during_the_call_is_not_undone(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=False)
    engine = JobRouterEngine(client(standin))
    engine.hold(ALICE, "c1")
    client(standin).upsert_worker("worker-alice", {"availableForOffers": True})  # her own client
    engine.release(ALICE, "c1")
    after = worker(standin)
    assert (after.available_for_offers, dict(after.tags)) == (True, {})


def test_an_unknown_worker_is_not_found_and_never_created(standin: AcsStandIn) -> None:
    engine = JobRouterEngine(client(standin))
    with pytest.raises(WorkerNotFound):
        engine.hold(ALICE, "c1")
    assert engine.status(ALICE).state == WorkerState.MISSING
    with pytest.raises(ResourceNotFoundError):
        worker(standin)


def test_status_says_whether_the_worker_is_known_and_held(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    engine = JobRouterEngine(client(standin))
    engine.hold(ALICE, "c1")
    status = engine.status(ALICE)
    assert (status.state, status.worker_id) == (WorkerState.KNOWN, "worker-alice")
    assert "held by emergency call c1" in status.detail


def test_an_engine_that_is_down_raises_and_status_says_unreachable(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    standin.set_faults({"jobrouter": "unavailable"})
    engine = JobRouterEngine(client(standin))
    with pytest.raises(RoutingEngineError):
        engine.hold(ALICE, "c1")
    assert engine.status(ALICE).state == WorkerState.UNREACHABLE


def test_the_standin_refuses_a_stale_etag_and_an_if_match_on_an_unknown_worker(standin: AcsStandIn) -> None:
    standin.put_worker("worker-alice", availableForOffers=True)
    c = client(standin)
    with pytest.raises(ResourceModifiedError):
        c.upsert_worker("worker-alice", {"availableForOffers": False}, etag='"stale"',
                        match_condition=MatchConditions.IfNotModified)
    with pytest.raises(ResourceModifiedError):
        c.upsert_worker("nobody", {"availableForOffers": False}, etag='"any"',
                        match_condition=MatchConditions.IfNotModified)
    assert worker(standin).available_for_offers is True
