"""The live board's index in a real Azurite (issue 21): every write of what the board shows marks the call's row
changed, a kept summary is trusted only until then, and a writer that dies between its write and its mark leaves a
summary the board reads again within its refresh age."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from shared.adapters import table_board
from shared.adapters.table_escalations import TableEscalationStore
from shared.adapters.table_notifications import TableDeliveryStore
from shared.adapters.table_stores import TableCallStore
from shared.adapters.tables import Tables
from shared.clock import FixedClock
from shared.domain.delivery import SendResult, claim, settle
from shared.domain.escalation import DEFAULT_POLICY, steps_for
from shared.services import board as service
from tests.fakes import T0, Sequential
from tests.unit.test_notify_service import emergency_call


@dataclass
class BoardDeps:
    tables: Tables
    clock: FixedClock = field(default_factory=lambda: FixedClock(T0 + timedelta(minutes=1)))
    concurrency: Sequential = field(default_factory=Sequential)

    def __post_init__(self) -> None:
        self.calls = TableCallStore(self.tables)
        self.deliveries = TableDeliveryStore(self.tables)
        self.escalations = TableEscalationStore(self.tables)


@pytest.fixture
def deps(tables: Tables) -> BoardDeps:
    d = BoardDeps(tables)
    d.calls.create(emergency_call())
    d.calls.mark_announced("ec-1")
    return d


def current(deps: BoardDeps) -> dict[str, bool]:
    return {r.call_id: r.current for r in deps.calls.board_rows()}


def test_each_write_the_board_shows_marks_the_call_changed_after_its_summary_was_kept(deps: BoardDeps) -> None:
    service.board(deps)
    assert current(deps) == {"ec-1": True}
    record = deps.deliveries.create(claim(None, "ec-1", "email", "desk@example.com", T0))
    writes = {
        "delivery created": lambda: None,
        "delivery replaced": lambda: deps.deliveries.replace(settle(record, SendResult(True, "m-1"), T0)),
        "step scheduled": lambda: deps.escalations.schedule(steps_for("ec-1", T0, False, DEFAULT_POLICY)[1]),
        "step saved": lambda: deps.escalations.save(replace(deps.escalations.of_call("ec-1")[0], status="running"),
                                                    claimed_at=T0),
        "call saved": lambda: deps.calls.save(replace(*[deps.calls.get("ec-1")[0]], ended_at=T0),
                                              deps.calls.get("ec-1")[1]),  # type: ignore[index]
    }
    for what, write in writes.items():
        write()
        assert current(deps) == {"ec-1": False}, what
        service.board(deps)
        assert current(deps) == {"ec-1": True}, what
    [shown] = service.board(deps)["calls"]
    assert shown["notification"]["notified"] == 1 and not shown["inProgress"] and shown["escalation"]["tier"] == 2


def test_a_summary_is_not_kept_over_a_change_made_while_it_was_read(deps: BoardDeps) -> None:
    [row] = deps.calls.board_rows()
    table_board.touch(deps.tables, "ec-1")
    assert not deps.calls.keep_board_summary(row, {"x": 1}, T0)
    assert current(deps) == {"ec-1": False}


def test_a_mark_never_puts_back_a_call_the_board_dropped(deps: BoardDeps) -> None:
    deps.calls.off_board("ec-1")
    table_board.touch(deps.tables, "ec-1")
    deps.deliveries.create(claim(None, "ec-1", "email", "late@example.com", T0))  # a late delivery report's write
    assert deps.calls.board_rows() == []


def test_a_writer_dead_between_its_write_and_its_mark_shows_within_the_refresh_age(
        deps: BoardDeps, monkeypatch: pytest.MonkeyPatch) -> None:
    service.board(deps)
    monkeypatch.setattr(table_board, "touch", lambda tables, call_id: None)  # the process died right after writing
    deps.deliveries.create(claim(None, "ec-1", "email", "desk@example.com", T0))
    assert service.board(deps)["calls"][0]["notification"]["pending"] == 0  # the summary as kept
    deps.clock.advance(service.REFRESH_AFTER)
    assert service.board(deps)["calls"][0]["notification"]["pending"] == 1
