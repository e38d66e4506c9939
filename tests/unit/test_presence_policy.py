"""The presence state machine: DND for an emergency call, restore after, agent changes locked meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.presence import DND, Presence, PresenceLocked, end_emergency, is_stuck, set_by_agent, start_emergency
from tests.fakes import T0


def test_start_sets_dnd_and_remembers_the_status() -> None:
    p = start_emergency(Presence("alice", "Busy"), "c1", T0)
    assert (p.status, p.previous, p.emergency_call_id) == (DND, "Busy", "c1")


def test_start_twice_for_the_same_call_changes_nothing() -> None:
    once = start_emergency(Presence("alice", "Away"), "c1", T0)
    assert start_emergency(once, "c1", T0 + timedelta(seconds=5)) == once


def test_start_when_already_dnd_by_choice_restores_dnd() -> None:
    p = end_emergency(start_emergency(Presence("alice", DND), "c1", T0), "c1", T0)
    assert p.status == DND and not p.in_emergency


def test_a_second_emergency_call_keeps_the_status_from_before_the_first() -> None:
    p = start_emergency(start_emergency(Presence("alice", "Available"), "c1", T0), "c2", T0)
    assert (p.previous, p.emergency_call_id) == ("Available", "c2")


def test_end_restores_the_remembered_status_once() -> None:
    p = end_emergency(start_emergency(Presence("alice", "Busy"), "c1", T0), "c1", T0)
    assert (p.status, p.in_emergency, p.previous) == ("Busy", False, None)
    assert end_emergency(p, "c1", T0) == p


def test_end_of_another_call_changes_nothing() -> None:
    p = start_emergency(Presence("alice", "Busy"), "c1", T0)
    assert end_emergency(p, "other", T0) == p


def test_agent_change_is_refused_during_an_emergency_call() -> None:
    with pytest.raises(PresenceLocked, match="returns to Busy"):
        set_by_agent(start_emergency(Presence("alice", "Busy"), "c1", T0), "Available", T0)


def test_agent_change_outside_an_emergency_call() -> None:
    assert set_by_agent(Presence("alice"), "Away", T0).status == "Away"
    with pytest.raises(ValueError):
        set_by_agent(Presence("alice"), "Sleeping", T0)


def test_stuck_after_the_maximum_call_length() -> None:
    p = start_emergency(Presence("alice"), "c1", T0)
    assert not is_stuck(p, T0 + timedelta(hours=3), timedelta(hours=4))
    assert is_stuck(p, T0 + timedelta(hours=5), timedelta(hours=4))
