"""The incident evidence queries against a real Azurite: the date range, kind and agent filtered by the store, and
the deliveries of many calls read per partition or as one bounded range, with the same answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.table_incidents import TableIncidentQueries
from shared.adapters.table_notifications import TableDeliveryStore
from shared.adapters.table_stores import TableCallStore
from shared.adapters.tables import Tables
from shared.adapters.threads import Threads
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.services.incident_evidence import list_incidents
from shared.services.incident_filters import parse_filters

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def stored(tables: Tables) -> Tables:
    """Six calls a day apart (even: real, odd: test; alice and bob by turns), each with one email, the first
    three acknowledged; an old call of 2025 with a warning row."""
    calls, deliveries = TableCallStore(tables), TableDeliveryStore(tables)
    for n in range(6):
        at = T0 + timedelta(days=n)
        calls.create(EmergencyCall(f"c{n}", "alice" if n % 2 == 0 else "bob", "933" if n % 2 else "911", "US",
                                   bool(n % 2), at, agent_name="Agent", location={"siteId": "spr"} if n < 3 else None))
        deliveries.create(Delivery(f"c{n}", "email", f"p{n}@example.com", "accepted", operation_id=f"op{n}",
                                   first_attempt_at=at + timedelta(seconds=n + 1), updated_at=at + timedelta(seconds=9),
                                   acknowledged_at=at + timedelta(seconds=30) if n < 3 else None))
    old = datetime(2025, 1, 5, tzinfo=UTC)
    calls.create(EmergencyCall("c-old", "alice", "911", "US", False, old))
    deliveries.create(Delivery("c-old", "none", "sms_not_configured", "warning", reason="x", updated_at=old,
                               final=True))
    return tables


def test_the_store_filters_the_date_range_kind_and_agent(stored: Tables) -> None:
    q = TableIncidentQueries(stored, Threads(4))
    between = q.dialed_between(T0 + timedelta(days=1), T0 + timedelta(days=4))
    assert sorted(c.call_id for c in between) == ["c1", "c2", "c3"]
    assert sorted(c.call_id for c in q.dialed_between(T0, None, test=True)) == ["c1", "c3", "c5"]
    assert sorted(c.call_id for c in q.dialed_between(None, T0 + timedelta(days=3), agent_id="alice")) == [
        "c-old", "c0", "c2"]
    assert [c.call_id for c in q.dialed_between(None, T0)] == ["c-old"]


def test_a_bound_between_two_dials_to_the_microsecond_is_exact(stored: Tables) -> None:
    q = TableIncidentQueries(stored, Threads(4))
    assert [c.call_id for c in q.dialed_between(T0 + timedelta(days=2), T0 + timedelta(days=2, microseconds=1))] == [
        "c2"]


@pytest.mark.parametrize("per_call_limit", [100, 2])  # one partition query per call / one range read
def test_the_deliveries_of_many_calls_are_the_same_either_way(stored: Tables, per_call_limit: int) -> None:
    q = TableIncidentQueries(stored, Threads(4), per_call_limit=per_call_limit)
    found = q.deliveries_of(["c1", "c2", "c4", "c-none"], T0 + timedelta(days=1), T0 + timedelta(days=4))
    assert {k: [d.recipient for d in v] for k, v in found.items()} == {
        "c1": ["p1@example.com"], "c2": ["p2@example.com"], "c4": ["p4@example.com"], "c-none": []}
    assert found["c2"][0].acknowledged_at == T0 + timedelta(days=2, seconds=30)


def test_the_range_read_finds_a_warning_and_a_record_acknowledged_long_after(stored: Tables) -> None:
    # GIVEN c0's email acknowledged (updated) a week after its dial, and the old call's warning row
    deliveries = TableDeliveryStore(stored)
    record = deliveries.get("c0", "email", "p0@example.com")
    assert record is not None
    deliveries.replace(replace(record, updated_at=T0 + timedelta(days=7)))
    q = TableIncidentQueries(stored, Threads(4), per_call_limit=0)
    # WHEN both are read in one range THEN both are found
    found = q.deliveries_of(["c0", "c-old"], datetime(2025, 1, 5, tzinfo=UTC), T0)
    assert [d.recipient for d in found["c0"]] == ["p0@example.com"]
    assert [d.channel for d in found["c-old"]] == ["none"]


def test_the_filtered_list_through_the_store(stored: Tables) -> None:
    q = TableIncidentQueries(stored, Threads(4), per_call_limit=2)
    answer = list_incidents(parse_filters({"from": "2026-03-10", "to": "2026-03-15", "kind": "real",
                                           "outcome": "acknowledged", "site": "spr"}), q)
    assert [i["emergencyCallId"] for i in answer["incidents"]] == ["c2", "c0"]
    assert answer["incidents"][0]["status"]["secondsToFirstNotification"] == 3.0
    warned = list_incidents(parse_filters({"outcome": "warnings"}), q)
    assert [i["emergencyCallId"] for i in warned["incidents"]] == ["c-old"]
