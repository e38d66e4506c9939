"""Drills and drill schedules in a real Azurite: created once, every change conditional, the report kept whole,
deleted only as read, schedules listed in date order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from shared.adapters.table_drills import TableDrillStore
from shared.adapters.tables import Tables
from shared.domain.drills import Drill, Schedule, Step
from shared.ports import Conflict
from tests.fakes import T0


def test_a_drill_is_created_once_and_changed_only_as_read(tables: Tables) -> None:
    store = TableDrillStore(tables)
    drill = store.create(Drill("drill-1", "alice", T0, "Alice", presence_before="Busy"))
    with pytest.raises(Conflict):
        store.create(Drill("drill-1", "alice", T0, "Alice"))
    told = store.replace(replace(drill, call_id="c-933", dial_answer_ms=182.5, panel_test_mode=True))
    with pytest.raises(Conflict):  # a second judge that read the drill before: its write loses, never overwrites
        store.replace(replace(drill, dnd_seen_at=T0))
    assert store.get("drill-1") == told and told.version != drill.version


def test_the_report_reads_back_whole_and_lists_newest_first_per_agent(tables: Tables) -> None:
    store = TableDrillStore(tables)
    steps = (Step("dial_answered", "The dial was answered", "pass", "answered in 180 ms", 180),
             Step("sent:email:desk@example.com", "Notification sent", "fail", "550 mailbox unavailable", None))
    done = store.create(Drill("drill-a", "bob", T0, "Bob", call_id="c-1", dnd_seen_at=T0 + timedelta(seconds=1),
                              restored_at=T0 + timedelta(seconds=30), restored_to="Available",
                              completed_at=T0 + timedelta(minutes=1), passed=False, steps=steps))
    later = store.create(Drill("drill-b", "bob", T0 + timedelta(hours=1), "Bob"))
    store.create(Drill("drill-c", "carol", T0, "Carol"))
    assert store.get("drill-a") == done
    assert [d.drill_id for d in store.list("bob")] == [later.drill_id, done.drill_id]
    assert {d.drill_id for d in store.list()} >= {"drill-a", "drill-b", "drill-c"}


def test_a_drill_is_deleted_only_as_read_and_a_second_delete_is_no_error(tables: Tables) -> None:
    store = TableDrillStore(tables)
    drill = store.create(Drill("drill-p", "alice", T0, "Alice"))
    marked = store.replace(replace(drill, purging_at=T0 + timedelta(days=31)))
    with pytest.raises(Conflict):
        store.delete(drill)  # changed since read: the purge reads it again
    store.delete(marked)
    store.delete(marked)
    assert store.get("drill-p") is None


def test_schedules_are_added_once_listed_by_start_and_deleted(tables: Tables) -> None:
    store = TableDrillStore(tables)
    late = Schedule("sched-2", "agent", "alice", date(2026, 12, 1), date(2026, 12, 5), "Ada", T0, "Q4")
    early = Schedule("sched-1", "site", "hq", date(2026, 11, 1), date(2026, 11, 30), "Ada", T0)
    store.add_schedule(late)
    store.add_schedule(early)
    with pytest.raises(Conflict):
        store.add_schedule(late)
    assert store.schedules() == [early, late]
    assert store.delete_schedule("sched-1") and not store.delete_schedule("sched-1")
    assert store.schedules() == [late]
