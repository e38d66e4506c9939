"""The every-minute timer, and what reaches the call history from ACS's CallEnded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.services.ending import AcsCallEnded, acs_call_ended, end_emergency_call, link_call_ids
from shared.services.expiry import run_expiry
from shared.services.outbound import place_outbound_call
from shared.services.presence import on_call_ended, on_call_started
from tests.fakes import T0, FakeDeps

RETENTION = timedelta(days=30)
ALICE_ACS = "8:acs:r_alice"


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice", acs_user_id=ALICE_ACS, email_recipients="s@example.com"))
    d.add_numbers("+12025550100")
    return d


def emergency(deps: FakeDeps) -> str:
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    on_call_started("alice", answer["emergencyCallId"], deps, deps.policy)
    return str(answer["emergencyCallId"])


def test_timer_releases_an_expired_lease_into_quarantine(deps: FakeDeps) -> None:
    call_id = emergency(deps)
    end_emergency_call(call_id, "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=59))
    assert run_expiry(deps, deps.policy, RETENTION).released == []
    deps.clock.advance(timedelta(minutes=2))
    report = run_expiry(deps, deps.policy, RETENTION)
    assert report.released == ["+12025550100"]
    assert report.pool_levels["1"]["quarantined"] == 1
    assert run_expiry(deps, deps.policy, RETENTION).released == []  # running twice is harmless


def test_timer_restores_presence_whose_end_never_arrived(deps: FakeDeps) -> None:
    call_id = emergency(deps)
    deps.clock.advance(timedelta(hours=3))
    assert run_expiry(deps, deps.policy, RETENTION).presence_restored == []
    deps.clock.advance(timedelta(hours=2))
    report = run_expiry(deps, deps.policy, RETENTION)
    assert report.presence_restored == ["alice"]
    assert deps.presence.get("alice")[0].status == "Available"
    assert deps.calls.get(call_id)[0].end_source == "timeout"


def test_timer_purges_incidents_after_retention(deps: FakeDeps) -> None:
    call_id = emergency(deps)
    end_emergency_call(call_id, "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(days=29))
    assert run_expiry(deps, deps.policy, RETENTION).incidents_purged == 0
    deps.clock.advance(timedelta(days=2))
    purged: list[str] = []
    assert run_expiry(deps, deps.policy, RETENTION, purged.append).incidents_purged == 1
    assert deps.calls.get(call_id) is None and purged == [call_id]


def test_call_started_after_its_end_leaves_presence_alone(deps: FakeDeps) -> None:
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    on_call_ended("alice", answer["emergencyCallId"], deps)
    on_call_started("alice", answer["emergencyCallId"], deps, deps.policy)  # delivered late
    assert deps.presence.get("alice")[0].status == "Available"


def ended(server: str, corr: str, started_by: str | None = ALICE_ACS) -> AcsCallEnded:
    return AcsCallEnded("ev", server, corr, started_by, T0 + timedelta(minutes=2), 42.0)


def test_a_normal_call_ended_by_acs_goes_to_history(deps: FakeDeps) -> None:
    assert acs_call_ended(ended("srv-n", "corr-n"), deps, deps.policy) == "history"
    assert [e["id"] for e in deps.history.list("alice")] == ["corr-n"]


def test_an_emergency_call_ended_by_acs_ends_it_and_stays_out_of_history(deps: FakeDeps) -> None:
    call_id = emergency(deps)
    link_call_ids(call_id, deps, deps.policy, "srv-e", "corr-e")
    assert acs_call_ended(ended("srv-e", "corr-e"), deps, deps.policy) == "emergency"
    assert deps.calls.get(call_id)[0].end_source == "acs"
    assert deps.history.list("alice") == []


def test_an_unrecognised_call_during_an_emergency_is_withheld_from_history(deps: FakeDeps) -> None:
    emergency(deps)
    assert acs_call_ended(ended("srv-x", "corr-x"), deps, deps.policy) == "withheld"
    assert deps.history.list("alice") == []


def test_a_call_of_an_unknown_identity_is_ignored(deps: FakeDeps) -> None:
    assert acs_call_ended(ended("s", "c", started_by="8:acs:stranger"), deps, deps.policy) == "ignored"


def test_a_call_started_the_dial_could_not_publish_is_published_by_the_timer(deps: FakeDeps) -> None:
    # GIVEN the event bus was down when Alice dialed
    deps.events.fail = True
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    assert deps.calls.get(answer["emergencyCallId"])[0].announced is False
    # WHEN the bus is back and the timer runs (twice)
    deps.events.fail = False
    deps.clock.advance(timedelta(minutes=1))
    first = run_expiry(deps, deps.policy, RETENTION)
    second = run_expiry(deps, deps.policy, RETENTION)
    # THEN CallStarted went out once, so presence and notification follow
    assert first.reannounced == [answer["emergencyCallId"]] and second.reannounced == []
    assert [t for t, _ in deps.events.published] == ["Emergency.CallStarted"]
    assert deps.calls.get(answer["emergencyCallId"])[0].announced is True


def test_the_timer_announces_late_rather_than_never(deps: FakeDeps) -> None:
    # GIVEN the bus was down for the whole callback window after Alice dialed
    deps.events.fail = True
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    deps.events.fail = False
    deps.clock.advance(timedelta(minutes=61))
    # THEN the contacts are still told (the notification says when she dialed)
    assert run_expiry(deps, deps.policy, RETENTION).reannounced == [answer["emergencyCallId"]]
