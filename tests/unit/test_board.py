"""The security desk's live board (issue 21, item 1): every emergency call in progress and every open callback window,
never a normal call; the notification and acknowledgement state of each; a tag that changes only when the board does;
a desk member's Acknowledge, which counts as a link's (it stops the escalation) and is recorded with her name."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.auth import ADMIN, AUDITOR, SECURITY_DESK, Access, Principal, authorize
from shared.commands import OutboundCall
from shared.domain.escalation import parse_policy
from shared.errors import Forbidden, NotFound
from shared.ports import StoreError
from shared.services import acknowledge, escalation
from shared.services import board as service
from shared.services.ending import end_emergency_call
from shared.services.notify import notify_emergency
from shared.services.outbound import place_outbound_call
from tests.fakes import T0
from tests.fakes_escalation import EscalationDeps
from tests.unit.test_notify_service import ALICE, emergency_call

WHERE = {"siteName": "Springfield HQ", "floor": "3", "room": "301", "readout": "1 Example Plaza, floor 3, room 301",
         "address": "1 Example Plaza"}
POLICY = {"tiers": [{"name": "On call", "afterSeconds": 120, "audiences": ["onCall"], "channels": ["email"]}],
          "mode": "any", "onCall": {"emails": ["oncall@example.com"]}}


@pytest.fixture
def deps() -> EscalationDeps:
    """Alice on a 911 call (ec-1) dialed at T0, announced, notified, with an on-call step due at T0+2 min."""
    d = EscalationDeps()
    d.agents.put(ALICE)
    d.sites.put_escalation_policy(parse_policy(POLICY))
    d.calls.create(emergency_call(location=WHERE))
    d.calls.mark_announced("ec-1")
    notify_emergency("ec-1", d)
    escalation.schedule(d.calls.get("ec-1")[0], d)  # type: ignore[index]
    return d


def on_board(deps: EscalationDeps) -> list[str]:
    return [c["emergencyCallId"] for c in service.board(deps)["calls"]]


def test_a_call_in_progress_shows_who_what_where_since_when_and_who_was_told(deps: EscalationDeps) -> None:
    deps.clock.advance(timedelta(minutes=3, seconds=59))  # type: ignore[attr-defined]
    [call] = service.board(deps)["calls"]
    assert call | {"notification": None, "escalation": None} == call | {
        "emergencyCallId": "ec-1", "agentName": "Alice Example", "dialedNumber": "911", "test": False,
        "inProgress": True, "dialedAt": T0.isoformat(), "site": "Springfield HQ", "floor": "3", "room": "301",
        "location": "1 Example Plaza, floor 3, room 301", "callback": None,
        "notification": None, "escalation": None}
    assert call["notification"]["notified"] == 3 and call["notification"]["acknowledgements"] == []
    assert service.minutes_since_dial(call, deps.clock.now()) == 3


def test_the_minutes_since_the_dial_are_counted_by_the_page_so_the_tag_stays(deps: EscalationDeps) -> None:
    first = service.etag(service.board(deps))
    deps.clock.advance(timedelta(seconds=119))  # type: ignore[attr-defined]  # a minute later; no step due yet
    assert service.etag(service.board(deps)) == first


def test_the_next_escalation_step_shows_until_an_acknowledgement_makes_it_unnecessary(deps: EscalationDeps) -> None:
    [call] = service.board(deps)["calls"]
    assert call["escalation"]["name"] == "On call" and call["escalation"]["dueAt"] == (T0 + timedelta(minutes=2)) \
        .isoformat()
    acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana Desk", deps)
    assert service.board(deps)["calls"][0]["escalation"] is None


def test_a_test_call_is_marked_and_a_call_over_stays_while_its_callback_window_is_open(deps: EscalationDeps) -> None:
    deps.calls.create(emergency_call("ec-t", "933"))
    deps.calls.mark_announced("ec-t")
    end_emergency_call("ec-1", "dialer", deps, deps.policy, at=T0 + timedelta(minutes=5))
    board = service.board(deps)
    assert [(c["emergencyCallId"], c["test"], c["inProgress"]) for c in board["calls"]] == [
        ("ec-t", True, True), ("ec-1", False, False)]
    assert (board["inProgress"], board["windowsOpen"]) == (1, 1)


def test_a_closed_window_leaves_the_board_and_its_index(deps: EscalationDeps) -> None:
    end_emergency_call("ec-1", "dialer", deps, deps.policy, at=T0 + timedelta(minutes=5))
    deps.clock.advance(timedelta(minutes=66))  # type: ignore[attr-defined]
    assert on_board(deps) == [] and deps.calls.board == {}


def test_a_normal_call_never_reaches_the_board_a_dial_does_once_announced() -> None:
    d = EscalationDeps()
    d.agents.put(ALICE)
    d.add_numbers("+12025550100")
    place_outbound_call(OutboundCall("alice", "+12025550123", "US", None, None), d, d.policy)  # a customer
    place_outbound_call(OutboundCall("alice", "911", "US", None, "ec-9"), d, d.policy)
    assert on_board(d) == ["ec-9"]


def test_a_ringing_responder_callback_shows_for_its_ring_time(deps: EscalationDeps) -> None:
    call, version = deps.calls.get("ec-1")  # type: ignore[misc]
    at = T0 + timedelta(minutes=7)
    deps.calls.save(replace(call, callbacks=({"outcome": "redirected", "at": at.isoformat()},)), version)
    deps.clock.at = at + timedelta(seconds=10)  # type: ignore[attr-defined]
    assert service.board(deps)["calls"][0]["callback"]["status"] == "ringing"
    deps.clock.at = at + timedelta(seconds=45)  # type: ignore[attr-defined]
    assert service.board(deps)["calls"][0]["callback"]["status"] == "routed"


def test_the_tag_stays_while_nothing_changes_and_changes_with_an_acknowledgement(deps: EscalationDeps) -> None:
    first = service.etag(service.board(deps))
    deps.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
    assert service.etag(service.board(deps)) == first
    acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana Desk", deps)
    assert service.etag(service.board(deps)) != first


@pytest.mark.parametrize(("header", "match"), [
    (None, False), ('"board-x"', True), ('W/"board-x"', True), ('"a", "board-x"', True), ("*", True),
    ('"board-y"', False)])
def test_if_none_match_names_the_tag(header: str | None, match: bool) -> None:
    assert service.matches(header, '"board-x"') is match


def test_snapshots_compute_once_for_every_screen_within_the_half_second() -> None:
    now = [0.0]
    made: list[int] = []
    snapshots = service.Snapshots(0.5, lambda: now[0])

    def compute() -> dict[str, object]:
        made.append(1)
        return {"calls": [], "n": len(made)}
    assert snapshots.get(compute)[0] == snapshots.get(compute)[0] == {"calls": [], "n": 1}
    now[0] = 0.6
    assert snapshots.get(compute)[0]["n"] == 2
    snapshots.clear()
    assert snapshots.get(compute)[0]["n"] == 3


def test_a_desk_member_s_acknowledgement_counts_once_with_her_name_and_stops_the_escalation(
        deps: EscalationDeps) -> None:
    deps.clock.advance(timedelta(seconds=40))  # type: ignore[attr-defined]
    acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana Desk", deps)
    deps.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana R. Desk", deps)  # pressed again, renamed since
    [record] = [d for d in deps.deliveries.list("ec-1") if d.channel == "board"]
    assert record.recipient == "Dana Desk <oid-dana>" and record.acknowledged_via == "board"
    assert record.acknowledged_at == T0 + timedelta(seconds=40)
    events = [e for t, e in deps.events.published if t == acknowledge.ACKNOWLEDGED]
    assert events[0] == events[-1] and events[0]["by"] == "Dana Desk" and events[0]["secondsAfterDial"] == 40
    shown = service.board(deps)["calls"][0]["notification"]
    assert shown["acknowledgements"] == [{"by": "Dana Desk", "channel": "board",
                                          "at": (T0 + timedelta(seconds=40)).isoformat(), "secondsAfterDial": 40}]
    assert shown["deskMembers"] == ["oid-dana"]
    call = deps.calls.get("ec-1")[0]  # type: ignore[index]
    assert acknowledge.acknowledgements(call, deps.deliveries.list("ec-1"))[0]["by"] == "Dana Desk"  # panel, link
    deps.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    [step] = escalation.run_due(deps)
    assert (step.status, step.outcome) == ("skipped", "acknowledged") and deps.mailer.accepted_to().count(
        "oncall@example.com") == 0


def test_a_desk_member_cannot_acknowledge_an_unknown_call_or_after_its_window(deps: EscalationDeps) -> None:
    with pytest.raises(NotFound):
        acknowledge.acknowledge_board("ec-nope", "oid-dana", "Dana Desk", deps)
    end_emergency_call("ec-1", "dialer", deps, deps.policy, at=T0 + timedelta(minutes=5))
    deps.clock.advance(timedelta(minutes=66))  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana Desk", deps)
    assert not [d for d in deps.deliveries.list("ec-1") if d.channel == "board"]


def test_the_board_is_for_the_security_desk_admins_and_auditors_only() -> None:
    def who(*roles: str) -> Principal:
        return Principal("u1", "Dana Desk", frozenset(roles))
    for role in (SECURITY_DESK, ADMIN, AUDITOR):
        assert authorize(who(role), Access.BOARD).name == "Dana Desk"
    with pytest.raises(Forbidden) as refused:
        authorize(who("EmergencyCalling.Agent"), Access.BOARD)
    assert SECURITY_DESK in str(refused.value)
    for access in (Access.READ, Access.INCIDENTS, Access.CHANGE):  # the desk sees the board, nothing else
        assert not who(SECURITY_DESK).can(access)


class CountingGets:
    """Counts the call records the board reads in full."""

    def __init__(self, deps: EscalationDeps) -> None:
        self.ids: list[str] = []
        real = deps.calls.get

        def get(call_id: str) -> object:
            self.ids.append(call_id)
            return real(call_id)
        deps.calls.get = get  # type: ignore[method-assign]


def test_a_call_whose_summary_is_current_is_not_read_again_a_changed_one_is(deps: EscalationDeps) -> None:
    deps.calls.create(emergency_call("ec-2", "911"))
    deps.calls.mark_announced("ec-2")
    deps.calls.trust_board_summaries = True
    reads = CountingGets(deps)
    first = service.board(deps)
    assert sorted(reads.ids) == ["ec-1", "ec-2"]  # new on the index: read in full, summaries kept
    assert service.board(deps) == first and sorted(reads.ids) == ["ec-1", "ec-2"]  # nothing read
    end_emergency_call("ec-2", "dialer", deps, deps.policy, at=T0 + timedelta(minutes=1))  # marks ec-2 changed
    reads.ids.clear()
    shown = {c["emergencyCallId"]: c["inProgress"] for c in service.board(deps)["calls"]}
    assert reads.ids.count("ec-2") >= 1 and "ec-1" not in reads.ids and shown == {"ec-1": True, "ec-2": False}


def test_a_summary_left_behind_by_a_writer_that_died_before_its_change_mark_is_read_again_within_the_refresh_age(
        deps: EscalationDeps) -> None:
    deps.calls.trust_board_summaries = True
    assert service.board(deps)["calls"][0]["notification"]["acknowledgements"] == []
    acknowledge.acknowledge_board("ec-1", "oid-dana", "Dana Desk", deps)  # the fake marks no change: as a lost one
    assert service.board(deps)["calls"][0]["notification"]["acknowledgements"] == []  # stale, as kept
    deps.clock.advance(service.REFRESH_AFTER)  # type: ignore[attr-defined]
    assert service.board(deps)["calls"][0]["notification"]["deskMembers"] == ["oid-dana"]


def test_aged_summaries_are_read_again_a_few_per_poll_oldest_first(deps: EscalationDeps) -> None:
    for n in range(2, 13):
        deps.calls.create(emergency_call(f"ec-{n}", "911"))
        deps.calls.mark_announced(f"ec-{n}")
    deps.calls.trust_board_summaries = True
    service.board(deps)
    deps.clock.advance(service.REFRESH_AFTER)  # type: ignore[attr-defined]
    reads = CountingGets(deps)
    service.board(deps)
    assert len(reads.ids) == service.REFRESH_PER_POLL
    service.board(deps)
    assert len(reads.ids) == 2 * service.REFRESH_PER_POLL and len(set(reads.ids)) == 2 * service.REFRESH_PER_POLL


def test_a_call_read_without_its_notification_state_is_shown_but_not_kept_as_its_summary(
        deps: EscalationDeps) -> None:
    deps.calls.trust_board_summaries = True
    real = deps.deliveries.list

    def failing(call_id: str) -> object:
        raise StoreError("storage blip")
    deps.deliveries.list = failing  # type: ignore[method-assign]
    [call] = service.board(deps)["calls"]
    assert call["notification"]["notified"] == 0 and deps.calls.board["ec-1"] is None
    deps.deliveries.list = real  # type: ignore[method-assign]
    assert service.board(deps)["calls"][0]["notification"]["notified"] == 3
