"""Agents, presence, emergency call records and history against a real Azurite."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.table_stores import TableAgentStore, TableCallStore, TableHistoryStore, TablePresenceStore
from shared.adapters.tables import Tables
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.lease import LeasePolicy
from shared.domain.presence import Presence, start_emergency
from shared.ports import Conflict
from tests.fakes import T0


def test_agent_round_trip_and_lookup_by_acs_identity(tables: Tables) -> None:
    store = TableAgentStore(tables)
    alice = Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice", outbound_number="+12025550199",
                  email_recipients="a@example.com; b@example.org", last_location={"countryCode": "US"})
    store.put(alice)
    assert store.get("alice") == alice
    assert store.by_acs_user("8:acs:r_alice") == alice
    assert store.get("nobody") is None


def test_changing_the_acs_identity_drops_the_old_index(tables: Tables) -> None:
    store = TableAgentStore(tables)
    assert store.put(Agent("alice", "Alice", acs_user_id="8:acs:old")) is None
    assert store.put(Agent("alice", "Alice", acs_user_id="8:acs:new")).acs_user_id == "8:acs:old"
    assert store.by_acs_user("8:acs:old") is None
    assert store.by_acs_user("8:acs:new").agent_id == "alice"
    assert [a.agent_id for a in store.list()] == ["alice"]


def test_presence_writes_are_conditional(tables: Tables) -> None:
    store = TablePresenceStore(tables)
    p, version = store.get("alice")
    assert version is None and p.status == "Available"
    store.save(p, None)
    with pytest.raises(Conflict):
        store.save(p, None)  # a second first-writer loses
    current, v1 = store.get("alice")
    store.save(start_emergency(current, "c1", T0), v1)
    with pytest.raises(Conflict):
        store.save(replace(current, status="Busy"), v1)  # stale version
    assert [x.agent_id for x in store.in_emergency()] == ["alice"]


def test_presence_round_trip(tables: Tables) -> None:
    store = TablePresenceStore(tables)
    p = start_emergency(Presence("alice", "Busy"), "c1", T0)
    store.save(p, None)
    assert store.get("alice")[0] == p


def test_call_record_is_created_once_and_saved_conditionally(tables: Tables) -> None:
    store = TableCallStore(tables)
    call = EmergencyCall("c1", "alice", "911", "US", False, T0, callback_number="+12025550100",
                         callback_source="pool", callback_until=T0 + timedelta(hours=1),
                         location={"lat": 41.0}, warnings=({"code": "x", "message": "y"},))
    assert store.create(call) is True
    assert store.create(call) is False
    loaded, version = store.get("c1")
    assert loaded == call
    store.save(loaded.ended(T0 + timedelta(minutes=5), "dialer", LeasePolicy(window=timedelta(hours=1))), version)
    with pytest.raises(Conflict):
        store.save(loaded, version)
    assert store.get("c1")[0].end_source == "dialer"


def test_call_links_find_the_call_by_either_id(tables: Tables) -> None:
    store = TableCallStore(tables)
    store.link("c1", "server/abc==", "corr-1")
    assert store.find_linked("server/abc==", None) == "c1"
    assert store.find_linked(None, "corr-1") == "c1"
    assert store.find_linked("other", "other") is None


def test_history_lists_newest_first(tables: Tables) -> None:
    store = TableHistoryStore(tables)
    store.add("alice", "e1", {"id": "e1", "at": T0.isoformat()})
    store.add("alice", "e2", {"id": "e2", "at": (T0 + timedelta(minutes=1)).isoformat()})
    assert [e["id"] for e in store.list("alice")] == ["e2", "e1"]
    assert store.list("bob") == []


def test_an_agent_s_locale_reads_back_and_none_stays_none(tables: Tables) -> None:
    store = TableAgentStore(tables)
    store.put(Agent("dora", "Dora Example", locale="da-DK"))
    store.put(Agent("erin", "Erin Example"))
    dora, erin = store.get("dora"), store.get("erin")
    assert dora is not None and dora.locale == "da-DK" and erin is not None and erin.locale is None
