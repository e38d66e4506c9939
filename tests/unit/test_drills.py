"""933 drills (issue 21): refused beside a real call, judged step by step from the records, finished by a deadline,
purged after retention with an audit entry, and readiness's "last passed drill"."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from shared.domain.audit import Actor
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.drills import REPORT_DEADLINE, Drill
from shared.domain.presence import Presence, end_emergency, start_emergency
from shared.domain.readiness import Status, last_drill
from shared.domain.routing import CallbackWindow
from shared.errors import StateConflict
from shared.services import drills
from tests.fakes import T0, FakeDeps, FakeDrills
from tests.fakes_admin import FakeAudit
from tests.fakes_notify import FakeDeliveries

ADMIN = Actor("admin-1", "Ada Admin")


class DrillDeps(FakeDeps):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries = FakeDeliveries()
        self.drills = FakeDrills()
        self.audit = FakeAudit()
        self.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:alice", email_recipients="desk@example.com",
                              last_location={"siteId": "hq"}))


@pytest.fixture
def deps() -> DrillDeps:
    return DrillDeps()


def test_cal(call_id: str = "c-933", *, test: bool = True, at: datetime = T0, **kw: object) -> EmergencyCall:
    fields: dict[str, object] = {"callback_number": "+12025550100", "callback_source": "pool",
                                 "callback_until": at + timedelta(minutes=10),
                                 "location": {"readout": "1 Example Plaza, floor 3"}} | kw
    return EmergencyCall(call_id, "alice", "933" if test else "911", "US", test, at, **fields)  # type: ignore[arg-type]


test_cal.__test__ = False  # type: ignore[attr-defined]  # a builder, not a test


def delivered(call_id: str, at: datetime, acked: bool = True) -> Delivery:
    return Delivery(call_id, "email", "desk@example.com", "accepted", "op", attempts=1, message_id="op",
                    updated_at=at + timedelta(seconds=1), final=True, delivery_status="Delivered",
                    delivery_status_at=at + timedelta(seconds=20),
                    acknowledged_at=at + timedelta(seconds=40) if acked else None,
                    acknowledged_via="email" if acked else None)


def run_drill(deps: DrillDeps, call: EmergencyCall, delivery: Delivery | None) -> str:
    """GIVEN a started drill whose 933 call was dialed, DND held, ended, and presence restored."""
    started = drills.start("alice", "Alice", deps)
    deps.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    deps.calls.create(replace(call, dialed_at=deps.clock.now()))
    presence = start_emergency(Presence("alice"), call.call_id, deps.clock.now() + timedelta(seconds=1))
    deps.presence.save(presence, None)
    drills.report_dial(started["drillId"], "alice", call.call_id, 180.0, True, deps)
    if delivery is not None:
        deps.deliveries.create(replace(delivery, call_id=call.call_id, updated_at=deps.clock.now(),
                                       delivery_status_at=deps.clock.now() + timedelta(seconds=20)))
    loaded = deps.calls.get(call.call_id)
    assert loaded is not None
    deps.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
    deps.calls.save(replace(loaded[0], ended_at=deps.clock.now()), loaded[1])
    version = deps.presence.get("alice")[1]
    deps.presence.save(end_emergency(deps.presence.get("alice")[0], call.call_id, deps.clock.now()), version)
    return str(started["drillId"])


def test_a_drill_on_a_real_emergency_call_is_refused_and_touches_nothing(deps: DrillDeps) -> None:
    deps.calls.create(test_cal("real", test=False))
    deps.presence.save(start_emergency(Presence("alice"), "real", T0), None)
    before = (dict(deps.calls.rows), dict(deps.presence.rows))
    with pytest.raises(StateConflict, match="on an emergency call"):
        drills.start("alice", "Alice", deps)
    assert deps.drills.rows == {} and (deps.calls.rows, deps.presence.rows) == before


def test_a_drill_cannot_shorten_a_real_calls_callback_window(deps: DrillDeps) -> None:
    # GIVEN a real call that ended, its 60-minute window open
    real = test_cal("real", test=False, ended_at=T0, callback_until=T0 + timedelta(minutes=60))
    deps.calls.create(real)
    window = CallbackWindow("8:acs:alice", "alice", "real", "+12025550100", T0 + timedelta(minutes=60))
    deps.windows.open(window)
    deps.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    # WHEN she starts a drill THEN it is refused, and the real call's window is as it was
    with pytest.raises(StateConflict, match="call you back"):
        drills.start("alice", "Alice", deps)
    assert deps.windows.of_call("8:acs:alice", "real") == window
    assert deps.calls.get("real")[0].callback_until == T0 + timedelta(minutes=60)  # type: ignore[index]


def test_a_drill_through_the_whole_product_passes_every_step_with_its_time(deps: DrillDeps) -> None:
    drill_id = run_drill(deps, test_cal(), delivered("c-933", T0))
    view = drills.drill_view(drills.refresh(deps.drills.rows[drill_id], deps))
    steps = {s["id"]: s for s in view["steps"]}
    assert view["status"] == "passed", view["failed"]
    assert steps["dial_answered"]["ms"] == 180 and steps["dnd_applied"]["ms"] == 1000
    assert steps["dnd_restored"]["reason"] == "returned to Available" and steps["dnd_restored"]["ms"] == 30_000
    assert steps["acknowledged:email:desk@example.com"]["status"] == "pass"
    assert {"callback", "location", "panel_test_mode", "delivered:email:desk@example.com"} <= set(steps)


def test_the_direct_offer_path_counts_as_the_callback_in_force(deps: DrillDeps) -> None:
    call = test_cal(callback_number=None, callback_source="emergency_service", path="direct_offer")
    drill_id = run_drill(deps, call, delivered("c-933", T0))
    step = {s.step_id: s for s in drills.refresh(deps.drills.rows[drill_id], deps).steps}["callback"]
    assert step.status == "pass" and "direct offer" in step.reason


def test_a_notification_that_cannot_be_delivered_fails_the_drill_at_once_and_is_never_retried(
        deps: DrillDeps) -> None:
    refused = Delivery("c-933", "email", "desk@example.com", "failed", "op", attempts=1, final=True,
                       reason="550 mailbox unavailable")
    drill_id = run_drill(deps, test_cal(), refused)
    done = drills.refresh(deps.drills.rows[drill_id], deps)
    assert done.complete and done.passed is False  # every step decided: no wait for the deadline
    failed = {s["id"]: s["reason"] for s in drills.drill_view(done)["failed"]}
    assert failed["sent:email:desk@example.com"] == "550 mailbox unavailable"
    assert failed["delivered:email:desk@example.com"] == "never sent, so never delivered"
    deps.clock.advance(REPORT_DEADLINE)  # type: ignore[attr-defined]
    assert drills.housekeep(deps, timedelta(days=30)).completed == []  # complete: never judged again
    assert deps.deliveries.rows[("c-933", "email", "desk@example.com")].attempts == 1  # nothing resent


def test_a_missing_delivery_report_fails_its_step_at_the_deadline_naming_why(deps: DrillDeps) -> None:
    no_report = replace(delivered("c-933", T0), delivery_status=None, delivery_status_at=None, acknowledged_at=None)
    drill_id = run_drill(deps, test_cal(), no_report)
    deps.clock.advance(REPORT_DEADLINE)  # type: ignore[attr-defined]
    done = drills.refresh(deps.drills.rows[drill_id], deps)
    reasons = {s.step_id: s.reason for s in done.steps if s.status == "fail"}
    assert reasons["delivered:email:desk@example.com"].endswith("no delivery report yet")
    assert set(reasons) == {"delivered:email:desk@example.com", "acknowledged:email:desk@example.com"}


def test_a_drill_whose_panel_died_finds_its_call_and_still_gets_a_report(deps: DrillDeps) -> None:
    started = drills.start("alice", "Alice", deps)
    deps.calls.create(test_cal(at=T0 + timedelta(seconds=2)))
    deps.clock.advance(drills.LINK_AFTER)  # type: ignore[attr-defined]
    assert drills.refresh(deps.drills.rows[started["drillId"]], deps).call_id == "c-933"
    deps.clock.advance(REPORT_DEADLINE)  # type: ignore[attr-defined]
    drills.housekeep(deps, timedelta(days=30))
    done = deps.drills.rows[started["drillId"]]
    assert done.complete and not done.passed
    assert "not by the report's deadline" in {s.step_id: s.reason for s in done.steps}["dial_answered"]


def test_another_call_cannot_be_reported_as_the_drills_dial(deps: DrillDeps) -> None:
    started = drills.start("alice", "Alice", deps)
    deps.calls.create(test_cal("real", test=False))
    with pytest.raises(Exception, match="933 test call"):
        drills.report_dial(started["drillId"], "alice", "real", 100.0, True, deps)


def test_expired_drills_are_purged_once_each_with_one_audit_entry_even_after_a_crash(deps: DrillDeps) -> None:
    drill_id = run_drill(deps, test_cal(), delivered("c-933", T0))
    drills.refresh(deps.drills.rows[drill_id], deps)
    deps.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    deletes = deps.drills.delete
    deps.drills.delete = lambda d: (_ for _ in ()).throw(RuntimeError("host killed"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        drills.housekeep(deps, timedelta(days=30))
    assert deps.drills.rows[drill_id].purging_at is not None  # the intent survived, hidden from every list
    assert drills.list_drills(deps)["drills"] == []
    deps.drills.delete = deletes  # type: ignore[method-assign]
    assert drills.housekeep(deps, timedelta(days=30)).purged == [drill_id]
    assert drill_id not in deps.drills.rows
    purges = {(e.change_id, e.at) for e in deps.audit.entries if e.action == "purged"}
    assert len(purges) == 1 and {e.entity for e in deps.audit.entries} == {"drill"}


def test_a_drill_within_retention_stays(deps: DrillDeps) -> None:
    drill_id = run_drill(deps, test_cal(), delivered("c-933", T0))
    deps.clock.advance(timedelta(days=29))  # type: ignore[attr-defined]
    assert drills.housekeep(deps, timedelta(days=30)).purged == [] and drill_id in deps.drills.rows


def test_a_schedule_is_due_for_the_sites_agents_until_she_passes_a_drill(deps: DrillDeps) -> None:
    added = drills.add_schedule("site", "hq", date(2026, 11, 20), date(2026, 11, 30), "Q4", ADMIN, deps)
    assert [a["state"] for a in added["agents"]] == ["due"]
    assert [d["scheduleId"] for d in drills.agent_drills("alice", deps)["due"]] == [added["scheduleId"]]
    run_drill(deps, test_cal(), delivered("c-933", T0))
    listed = drills.list_drills(deps)
    assert listed["schedules"][0]["agents"][0]["state"] == "passed" and listed["drills"][0]["status"] == "passed"
    assert drills.agent_drills("alice", deps)["due"] == []
    assert [e.action for e in deps.audit.entries if e.entity == "drill-schedule"][0] == "created"


def test_a_schedule_past_its_end_without_a_drill_is_missed(deps: DrillDeps) -> None:
    drills.add_schedule("agent", "alice", date(2026, 11, 1), date(2026, 11, 10), "", ADMIN, deps)
    assert drills.list_drills(deps)["schedules"][0]["agents"][0]["state"] == "missed"


@pytest.mark.parametrize(("passed", "status"), [(None, Status.WARNING), (T0 - timedelta(days=89), Status.PASS),
                                                (T0 - timedelta(days=91), Status.FAIL)])
def test_readiness_last_passed_drill_fails_after_the_setting(passed: datetime | None, status: Status) -> None:
    check = last_drill(passed, T0, timedelta(days=90))
    assert (check.check_id, check.status) == ("last_drill", status)
    assert status == Status.PASS or check.fix


def test_last_passed_ignores_failed_and_running_drills() -> None:
    from shared.domain.drills import last_passed

    ok = Drill("d1", "alice", T0 - timedelta(days=3), "x", passed=True, completed_at=T0)
    failed = Drill("d2", "alice", T0, "x", passed=False, completed_at=T0)
    assert last_passed([ok, failed, Drill("d3", "alice", T0, "x")]) == {"alice": ok.started_at}


@pytest.mark.parametrize(("report", "status", "reason"), [
    ("Delivered", "pass", "the delivery report says delivered"),
    ("Failed", "fail", "the delivery report says Failed: Carrier rejected"),
])
def test_an_sms_is_proven_delivered_or_not_by_the_carrier_s_report_without_a_reply(
        deps: DrillDeps, report: str, status: str, reason: str) -> None:
    sms = replace(delivered("c-933", T0, acked=False), channel="sms", recipient="+12025550142",
                  delivery_status=report, delivery_detail=None if report == "Delivered" else "Carrier rejected")
    drill_id = run_drill(deps, test_cal(), sms)
    judged = {s.step_id: (s.status, s.reason) for s in drills.refresh(deps.drills.rows[drill_id], deps).steps}
    assert judged["delivered:sms:+12025550142"] == (status, reason)
