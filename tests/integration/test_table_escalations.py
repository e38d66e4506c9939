"""Escalation steps in a real Azurite: scheduled once, due when their time comes, claimed once, retaken when stuck."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.table_escalations import TableEscalationStore
from shared.adapters.tables import Tables
from shared.domain.escalation import DEFAULT_POLICY, steps_for
from shared.ports import Conflict
from tests.fakes import T0

STUCK = timedelta(seconds=60)


def test_a_step_is_scheduled_once_due_at_its_time_claimed_once_and_retaken_when_its_run_died(tables: Tables) -> None:
    store = TableEscalationStore(tables)
    step = steps_for("ec-1", T0, False, DEFAULT_POLICY)[0]
    assert store.schedule(step) and not store.schedule(step)
    due = step.due_at
    assert store.due(due - timedelta(seconds=1), STUCK) == []
    [found] = store.due(due, STUCK)
    assert found.tier == step.tier and found.due_at == due and store.of_call("ec-1") == [found]
    claimed = store.save(replace(found, status="running"), claimed_at=due)
    with pytest.raises(Conflict):
        store.save(replace(found, status="running"), claimed_at=due)  # a second timer run loses
    assert store.due(due + STUCK - timedelta(seconds=1), STUCK) == []
    [retaken] = store.due(due + STUCK, STUCK)
    assert retaken.version == claimed.version
    store.save(replace(retaken, status="done", outcome="told 1", ran_at=due + STUCK))
    assert store.due(due + timedelta(hours=1), STUCK) == [] and store.of_call("ec-1")[0].outcome == "told 1"
