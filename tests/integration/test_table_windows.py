"""Callback windows against a real Azurite: one per call, so no later call of the agent replaces another's."""

from __future__ import annotations

from datetime import timedelta

from shared.adapters.table_callbacks import TableCallbackWindowStore
from shared.adapters.tables import Tables, upsert
from shared.domain.routing import CallbackWindow, in_force
from tests.fakes import T0, Sequential

ALICE = "8:acs:r_alice"


def test_each_call_keeps_its_own_window_and_the_real_one_is_in_force(tables: Tables) -> None:
    # GIVEN Alice's 911 window (an hour) and then her 933 window (five minutes)
    store = TableCallbackWindowStore(tables, Sequential())
    real = CallbackWindow(ALICE, "alice", "c911", T0 + timedelta(minutes=60))
    drill = CallbackWindow(ALICE, "alice", "c933", T0 + timedelta(minutes=5), test=True)
    store.open(real)
    store.open(drill)
    # WHEN the drill's window is settled again (its end) and read back by identity and by agent
    store.open(CallbackWindow(ALICE, "alice", "c933", T0 + timedelta(minutes=6), test=True))
    # THEN both are kept, the real call's unchanged, and it is the one a callback belongs to after the drill
    by_identity = sorted(store.by_identity(ALICE), key=lambda w: w.call_id)
    assert [(w.call_id, w.until) for w in by_identity] == [("c911", real.until), ("c933", T0 + timedelta(minutes=6))]
    assert sorted(w.call_id for w in store.by_agent("alice")) == ["c911", "c933"]
    assert store.of_call(ALICE, "c911") == real
    assert in_force(by_identity, T0 + timedelta(minutes=2)).call_id == "c911"
    assert in_force(by_identity, T0 + timedelta(minutes=30)).call_id == "c911"
    assert in_force(by_identity, T0 + timedelta(minutes=61)) is None


def test_a_purged_call_s_window_is_forgotten_and_forgetting_twice_is_no_error(tables: Tables) -> None:
    store = TableCallbackWindowStore(tables, Sequential())
    store.open(CallbackWindow(ALICE, "alice", "c1", T0 + timedelta(minutes=60)))
    store.forget(ALICE, "alice", "c1")
    store.forget(ALICE, "alice", "c1")
    assert store.by_identity(ALICE) == [] and store.by_agent("alice") == [] and store.of_call(ALICE, "c1") is None


def legacy_row(tables: Tables, store: TableCallbackWindowStore, until_hours: float) -> None:
    """The one row per identity and per agent the release before kept (row key ""), of call "old"."""
    for pk in ("acs:" + ALICE, "agent:alice"):
        upsert(tables.get(store.TABLE), {"PartitionKey": pk, "RowKey": "", "acs_user_id": ALICE, "agent_id": "alice",
                                         "call_id": "old", "until": (T0 + timedelta(hours=until_hours)).isoformat(),
                                         "test": False})


def test_a_window_written_by_the_release_before_is_still_read(tables: Tables) -> None:
    # GIVEN the row the previous release kept, from a call before the upgrade
    store = TableCallbackWindowStore(tables, Sequential())
    legacy_row(tables, store, 1)
    # WHEN a new call opens its own window
    store.open(CallbackWindow(ALICE, "alice", "new", T0 + timedelta(minutes=5), test=True))
    # THEN the old call's window still routes callbacks until it ends
    assert in_force(store.by_identity(ALICE), T0 + timedelta(minutes=10)).call_id == "old"


def test_settling_a_call_of_the_release_before_supersedes_its_row_and_the_purge_removes_it(tables: Tables) -> None:
    # GIVEN a call live at the upgrade: its row holds the identity for the live hold (5 h)
    store = TableCallbackWindowStore(tables, Sequential())
    legacy_row(tables, store, 5)
    # WHEN its end settles the window to an hour after the end (as ending.settle_window does)
    found = store.of_call(ALICE, "old")
    assert found is not None and found.until == T0 + timedelta(hours=5)
    store.open(CallbackWindow(ALICE, "alice", "old", T0 + timedelta(hours=1)))
    # THEN that window is the one read, by identity and by agent, and the purge leaves nothing of it
    assert [(w.call_id, w.until) for w in store.by_identity(ALICE)] == [("old", T0 + timedelta(hours=1))]
    assert [(w.call_id, w.until) for w in store.by_agent("alice")] == [("old", T0 + timedelta(hours=1))]
    store.forget(ALICE, "alice", "old")
    assert store.by_identity(ALICE) == [] and store.by_agent("alice") == []
