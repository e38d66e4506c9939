"""emergency_notification's use case: who is told what, once per call and recipient, and what is recorded."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.calls import Agent, EmergencyCall
from shared.domain.civic import CivicAddress
from shared.domain.delivery import MAX_ATTEMPTS, operation_id
from shared.domain.notification_sms import sms_size
from shared.domain.notify_rules import parse_rules
from shared.domain.sites import Site
from shared.domain.template import NotificationTemplate
from shared.errors import NotFound
from shared.ports import StoreError
from shared.services.notify import notify_emergency
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps

LOCATION = {"address": "1 Example Plaza", "floor": "3", "room": "301", "city": "Springfield", "state": "IL"}
ALICE = Agent("alice", "Alice Example", timezone="America/Chicago",
              email_recipients="security@example.com; desk@example.org", sms_recipients="+12025550142")


def emergency_call(call_id: str = "ec-1", number: str = "911", **changes: object) -> EmergencyCall:
    call = EmergencyCall(call_id, "alice", number, "US", number == "933", T0, agent_name="Alice Example",
                         callback_number="+12025550100", callback_source="pool",
                         callback_until=T0 + timedelta(minutes=60), location=LOCATION)
    return replace(call, **changes)  # type: ignore[arg-type]


@pytest.fixture
def deps() -> NotifyDeps:
    d = NotifyDeps()
    d.agents.put(ALICE)
    d.calls.create(emergency_call())
    return d


def test_call_started_delivered_twice_sends_one_email_per_recipient(deps: NotifyDeps) -> None:
    # GIVEN an emergency call of an agent with two email recipients and one SMS recipient
    # WHEN the CallStarted event is handled twice
    first = notify_emergency("ec-1", deps)
    second = notify_emergency("ec-1", deps)
    # THEN each recipient got exactly one message, and both records say accepted
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]
    assert deps.sms.accepted_to() == ["+12025550142"]
    assert [d.status for d in deps.deliveries.of("email")] == ["accepted", "accepted"]
    assert not first.retry and not second.retry
    assert {o.note for o in second.outcomes} == {"already accepted"}


def test_the_issue_s_recipient_string_gives_two_emails(deps: NotifyDeps) -> None:
    deps.agents.put(replace(ALICE, email_recipients=" a@x.com; ;b@y.org;", sms_recipients=""))
    notify_emergency("ec-1", deps)
    assert deps.mailer.accepted_to() == ["a@x.com", "b@y.org"]


def test_each_recipient_has_its_own_deterministic_operation_id(deps: NotifyDeps) -> None:
    notify_emergency("ec-1", deps)
    ids = {s.to: s.id for s in deps.mailer.sent}
    assert ids["security@example.com"] == operation_id("ec-1", "email", "Security@Example.com")
    assert ids["security@example.com"] != ids["desk@example.org"]
    assert ids["security@example.com"] != operation_id("ec-2", "email", "security@example.com")


def test_transient_failure_is_recorded_and_asks_for_a_retry(deps: NotifyDeps) -> None:
    # GIVEN the email service throttles one recipient once
    deps.mailer.fail("desk@example.org", "transient")
    # WHEN the event is handled
    report = notify_emergency("ec-1", deps)
    # THEN the run asks for a redelivery and the record shows the failure and the attempt
    assert report.retry
    failed = deps.deliveries.get("ec-1", "email", "desk@example.org")
    assert (failed.status, failed.attempts, failed.final) == ("failed", 1, False)
    assert "429" in failed.reason


def test_redelivery_after_a_transient_failure_sends_only_what_is_missing(deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", "transient")
    notify_emergency("ec-1", deps)
    report = notify_emergency("ec-1", deps)
    assert not report.retry
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]  # no second to security@
    retried = deps.deliveries.get("ec-1", "email", "desk@example.org")
    assert (retried.status, retried.attempts, retried.reason) == ("accepted", 2, None)


def test_permanent_failure_is_recorded_once_and_not_retried(deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", "refused", "ok")
    report = notify_emergency("ec-1", deps)
    notify_emergency("ec-1", deps)
    assert not report.retry
    refused = deps.deliveries.get("ec-1", "email", "desk@example.org")
    assert (refused.status, refused.final, refused.attempts) == ("failed", True, 1)
    assert "400" in refused.reason
    assert deps.mailer.accepted_to() == ["security@example.com"]


def test_after_max_attempts_the_record_is_final_and_retries_stop(deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", *["transient"] * MAX_ATTEMPTS, "ok")
    reports = [notify_emergency("ec-1", deps) for _ in range(MAX_ATTEMPTS + 1)]
    assert [r.retry for r in reports] == [True] * (MAX_ATTEMPTS - 1) + [False, False]
    gave_up = deps.deliveries.get("ec-1", "email", "desk@example.org")
    assert (gave_up.status, gave_up.final, gave_up.attempts) == ("failed", True, MAX_ATTEMPTS)
    assert "desk@example.org" not in deps.mailer.accepted_to()


def crash(to: str) -> None:
    raise SystemExit("the worker died mid-send")


def test_a_record_left_queued_by_a_crashed_run_is_sent_again_with_the_same_id(deps: NotifyDeps) -> None:
    # GIVEN a run that died after claiming the record (queued, attempt 1)
    deps.agents.put(replace(ALICE, email_recipients="security@example.com", sms_recipients=""))
    deps.mailer.before_send = crash
    with pytest.raises(SystemExit):
        notify_emergency("ec-1", deps)
    assert deps.deliveries.get("ec-1", "email", "security@example.com").status == "queued"
    # WHEN the event is redelivered  THEN the message goes out with the same operation id, on attempt 2
    deps.mailer.before_send = None
    notify_emergency("ec-1", deps)
    record = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert (record.status, record.attempts) == ("accepted", 2)
    assert [s.id for s in deps.mailer.calls] == [record.operation_id]


def test_a_concurrent_duplicate_that_loses_the_claim_backs_off_without_sending(deps: NotifyDeps) -> None:
    # GIVEN another delivery of the same event claims the record between our read and our write
    deps.agents.put(replace(ALICE, email_recipients="security@example.com", sms_recipients=""))
    deps.deliveries.before_create = lambda d: deps.deliveries.create(d)
    # WHEN this run tries to claim it
    report = notify_emergency("ec-1", deps)
    # THEN it backs off: nothing sent by this run, no retry asked, the other run's claim stands
    assert [o.note for o in report.outcomes] == ["backed off"]
    assert not report.retry and deps.mailer.sent == []
    assert deps.deliveries.get("ec-1", "email", "security@example.com").status == "queued"


@pytest.mark.parametrize(("agent", "code"), [
    (replace(ALICE, email_recipients="", sms_recipients=""), "no_recipients"),
    (replace(ALICE, mailbox_enabled=False, sms_recipients=""), "mailbox_disabled"),
    (None, "unknown_agent"),
])
def test_nobody_to_notify_is_a_recorded_warning_not_an_exception(deps: NotifyDeps, agent: Agent | None,
                                                                 code: str) -> None:
    deps.agents.rows.clear()
    if agent is not None:
        deps.agents.put(agent)
    report = notify_emergency("ec-1", deps)
    notify_emergency("ec-1", deps)
    assert report.warnings == (code,) and report.outcomes == ()
    [warning] = deps.deliveries.of("none")
    assert (warning.recipient, warning.status) == (code, "warning") and warning.reason
    assert deps.mailer.sent == []


def test_a_disabled_mailbox_still_lets_the_sms_go(deps: NotifyDeps) -> None:
    deps.agents.put(replace(ALICE, mailbox_enabled=False))
    report = notify_emergency("ec-1", deps)
    assert report.warnings == ("mailbox_disabled",)
    assert deps.mailer.sent == [] and deps.sms.accepted_to() == ["+12025550142"]


def test_sms_recipients_without_a_configured_sender_are_a_warning(deps: NotifyDeps) -> None:
    deps.sms = None
    report = notify_emergency("ec-1", deps)
    assert report.warnings == ("sms_disabled",)
    assert len(deps.mailer.sent) == 2


def test_a_stored_list_with_a_bad_item_still_notifies_the_valid_ones(deps: NotifyDeps) -> None:
    deps.agents.put(replace(ALICE, email_recipients="security@example.com; not-an-address", sms_recipients=""))
    report = notify_emergency("ec-1", deps)
    assert report.warnings == ("invalid_email_recipients",)
    assert deps.mailer.accepted_to() == ["security@example.com"]
    assert "not-an-address" not in deps.deliveries.of("none")[0].reason


def test_a_test_call_carries_the_test_marker(deps: NotifyDeps) -> None:
    deps.calls.create(emergency_call("ec-933", "933"))
    notify_emergency("ec-933", deps)
    assert all(s.subject.startswith("[TEST] ") for s in deps.mailer.sent)
    assert deps.sms.sent[0].body.startswith("TEST CALL")


def test_the_email_says_what_kari_s_law_asks(deps: NotifyDeps) -> None:
    notify_emergency("ec-1", deps)
    email = deps.mailer.sent[0]
    assert "911" in email.subject and "Alice Example" in email.subject
    assert email.body.startswith("EMERGENCY: Alice Example dialed 911 at 9:00 AM CST. Go to 1 Example Plaza, Floor 3, "
                                 "Room 301, Springfield, IL (not confirmed: check it). Callback number: +12025550100.")
    assert "Callback number: +12025550100" in email.body
    assert "Location: 1 Example Plaza, Floor 3, Room 301, Springfield, IL\n" in email.body
    assert "[TEST]" not in email.subject


def test_the_sms_says_the_essentials(deps: NotifyDeps) -> None:
    notify_emergency("ec-1", deps)
    text = deps.sms.sent[0].body
    assert sms_size(text).segments <= 2
    assert "911" in text and "1 Example Plaza" in text and "+12025550100" in text


def test_an_sms_retry_keeps_its_repeatability_id_and_first_sent_time_inside_the_window(deps: NotifyDeps) -> None:
    deps.sms.fail("+12025550142", "transient", "transient")
    notify_emergency("ec-1", deps)
    deps.clock.advance(timedelta(minutes=1))
    notify_emergency("ec-1", deps)
    deps.clock.advance(timedelta(minutes=10))
    notify_emergency("ec-1", deps)
    record = deps.deliveries.get("ec-1", "sms", "+12025550142")
    assert record.status == "accepted" and record.message_id == f"Outgoing_{record.operation_id}"
    assert record.first_attempt_at == T0
    # inside the service's window the first attempt's time is sent again; past it, a fresh one
    assert [s.first_sent for s in deps.sms.calls] == [T0, T0, T0 + timedelta(minutes=11)]
    assert {s.id for s in deps.sms.calls} == {record.operation_id}


def test_the_admin_s_current_template_is_used(deps: NotifyDeps) -> None:
    deps.templates.save(NotificationTemplate("ALERT {{ dialed_number }} by {{ agent_name }}", "",
                                             "Call {{ callback_number }}"), "admin@example.com", T0)
    notify_emergency("ec-1", deps)
    assert deps.mailer.sent[0].subject == "ALERT 911 by Alice Example"


def test_a_template_that_fails_at_send_time_falls_back_to_the_default(deps: NotifyDeps) -> None:
    deps.templates.save(NotificationTemplate("{{ nonexistent }}", "", "x"), "admin@example.com", T0)
    notify_emergency("ec-1", deps)
    assert deps.mailer.sent[0].subject == "Emergency call by Alice Example: 911 dialed"


def test_no_call_record_is_not_found(deps: NotifyDeps) -> None:
    with pytest.raises(NotFound):
        notify_emergency("ec-missing", deps)


def test_without_a_record_the_event_description_still_notifies(deps: NotifyDeps) -> None:
    # GIVEN storage failed at dial time, so only the CallStarted event describes the call
    notify_emergency("ec-missing", deps, described=emergency_call("ec-missing"))
    # THEN the contacts are told anyway, with the callback number
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]
    assert "+12025550100" in deps.mailer.sent[0].body


def test_logs_never_hold_a_full_recipient(deps: NotifyDeps, caplog: pytest.LogCaptureFixture) -> None:
    deps.mailer.fail("desk@example.org", "refused")
    with caplog.at_level(logging.INFO):
        notify_emergency("ec-1", deps)
    assert "s***@example.com" in caplog.text and "***0142" in caplog.text
    for secret in ("security@example.com", "desk@example.org", "+12025550142"):
        assert secret not in caplog.text


# --- the site's security desk (issue 19, part 4) ------------------------------------------------------------------


def at_site(deps: NotifyDeps, call_id: str, number: str, desk: tuple[str, ...], sms: tuple[str, ...] = ()) -> None:
    deps.sites.put_site(Site("springfield", "Springfield", CivicAddress("US", a1="IL", a3="Springfield",
                                                                        rd="Example Plaza", hno="1", pc="62701"),
                             desk_emails=desk, desk_sms=sms))
    deps.calls.create(emergency_call(call_id, number, location=LOCATION | {"siteId": "springfield"}))


def test_a_real_call_at_a_site_tells_its_security_desk_too_once_per_address(deps: NotifyDeps) -> None:
    at_site(deps, "ec-site", "911", ("guard@example.com", "Security@Example.com"))
    report = notify_emergency("ec-site", deps)
    assert deps.mailer.accepted_to() == ["desk@example.org", "guard@example.com", "security@example.com"]
    assert not report.retry


def test_a_933_test_tells_only_her_own_list(deps: NotifyDeps) -> None:
    at_site(deps, "ec-test", "933", ("guard@example.com",))
    notify_emergency("ec-test", deps)
    assert "guard@example.com" not in deps.mailer.accepted_to()


def test_the_desk_is_told_when_she_has_no_recipients_and_an_unreadable_site_tells_her_own(
        deps: NotifyDeps) -> None:
    deps.agents.put(replace(ALICE, email_recipients="", sms_recipients=""))
    at_site(deps, "ec-desk", "911", ("guard@example.com",))
    report = notify_emergency("ec-desk", deps)
    assert deps.mailer.accepted_to() == ["guard@example.com"] and "no_recipients" not in report.warnings
    deps.agents.put(ALICE)
    deps.sites.get_site = lambda site_id: (_ for _ in ()).throw(StoreError("down"))  # type: ignore[method-assign]
    deps.calls.create(emergency_call("ec-down", "911", location=LOCATION | {"siteId": "springfield"}))
    notify_emergency("ec-down", deps)
    assert deps.mailer.accepted_to().count("security@example.com") == 1  # her own list, from this call


def test_the_desk_mobile_is_texted_once_even_when_she_has_it_too(deps: NotifyDeps) -> None:
    at_site(deps, "ec-sms", "911", ("guard@example.com",), ("+12025550142", "+12025550177"))
    notify_emergency("ec-sms", deps)
    assert sorted(deps.sms.accepted_to()) == ["+12025550142", "+12025550177"]  # +1…0142 is on both lists


def test_without_an_sms_sender_the_desk_mobiles_are_a_warning_not_a_failure(deps: NotifyDeps) -> None:
    deps.sms = None  # type: ignore[assignment]
    at_site(deps, "ec-nosms", "911", ("guard@example.com",), ("+12025550177",))
    report = notify_emergency("ec-nosms", deps)
    assert "desk_sms_disabled" in report.warnings and "guard@example.com" in deps.mailer.accepted_to()


def test_the_admin_rule_decides_who_hears_of_a_933_test(deps: NotifyDeps) -> None:
    deps.sites.put_notify_rules(parse_rules({"rules": {"933": ["agent", "siteDesk"]}}))
    at_site(deps, "ec-drill", "933", ("guard@example.com",))
    notify_emergency("ec-drill", deps)
    assert "guard@example.com" in deps.mailer.accepted_to()


def test_a_rule_for_the_desk_alone_tells_only_the_desk(deps: NotifyDeps) -> None:
    deps.sites.put_notify_rules(parse_rules({"rules": {"911": ["siteDesk"]}}))
    at_site(deps, "ec-deskonly", "911", ("guard@example.com",))
    notify_emergency("ec-deskonly", deps)
    assert deps.mailer.accepted_to() == ["guard@example.com"] and deps.sms.accepted_to() == []


def test_a_rule_for_the_desk_alone_with_no_desk_tells_her_own_contacts_and_says_why(deps: NotifyDeps) -> None:
    deps.sites.put_notify_rules(parse_rules({"rules": {"911": ["siteDesk"]}}))
    report = notify_emergency("ec-1", deps)  # her location names no site
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]
    assert "no_desk_for_rule" in report.warnings


def test_unreadable_rules_fall_back_to_the_default_rule(deps: NotifyDeps) -> None:
    deps.sites.put_notify_rules(parse_rules({"rules": {"911": ["agent"]}}))
    deps.sites.get_notify_rules = lambda: (_ for _ in ()).throw(StoreError("down"))  # type: ignore[method-assign]
    at_site(deps, "ec-rules-down", "911", ("guard@example.com",))
    notify_emergency("ec-rules-down", deps)
    assert "guard@example.com" in deps.mailer.accepted_to()  # the default: a real call tells the desk


def test_the_email_carries_her_confirmed_site_floor_room_its_age_and_a_map(deps: NotifyDeps) -> None:
    confirmed = {"siteId": "springfield", "siteName": "Springfield Plaza", "floor": "3", "room": "301",
                 "latitude": 39.7817, "longitude": -89.6501, "source": "confirmed",
                 "readout": "1 Example Plaza, Springfield IL 62701, floor 3, room 301",
                 "confirmedAt": (T0 - timedelta(minutes=95)).isoformat()}
    deps.calls.create(emergency_call("ec-confirmed", location=confirmed))
    notify_emergency("ec-confirmed", deps)
    body = deps.mailer.sent[0].body
    assert "Go to 1 Example Plaza, Springfield IL 62701, floor 3, room 301 (confirmed 1 h 35 min earlier)." in body
    assert "Location: 1 Example Plaza, Springfield IL 62701, floor 3, room 301\n" in body
    assert "Location source: confirmed by the agent 1 h 35 min before the call" in body
    assert "Site: Springfield Plaza" in body and "Map: https://www.openstreetmap.org/?mlat=39.78170" in body


def test_a_desk_email_left_to_retry_is_retried_after_the_admin_narrowed_the_rule(deps: NotifyDeps) -> None:
    at_site(deps, "ec-narrowed", "911", ("guard@example.com",))
    deps.mailer.fail("guard@example.com", "transient")
    first = notify_emergency("ec-narrowed", deps)
    assert first.retry and "guard@example.com" not in deps.mailer.accepted_to()
    deps.sites.put_notify_rules(parse_rules({"rules": {"911": ["agent"]}}))  # before Event Grid's redelivery
    second = notify_emergency("ec-narrowed", deps)
    assert "guard@example.com" in deps.mailer.accepted_to() and not second.retry  # told in full, not dropped
    assert deps.mailer.accepted_to().count("security@example.com") == 1


def test_an_unreadable_site_tells_her_contacts_now_and_the_desk_on_the_redelivery(deps: NotifyDeps) -> None:
    at_site(deps, "ec-flaky", "911", ("guard@example.com",))
    real = deps.sites.get_site
    deps.sites.get_site = lambda site_id: (_ for _ in ()).throw(StoreError("503"))  # type: ignore[method-assign]
    first = notify_emergency("ec-flaky", deps)
    assert first.retry and first.unread == ("site",)
    assert "security@example.com" in deps.mailer.accepted_to() and "guard@example.com" not in deps.mailer.accepted_to()
    deps.sites.get_site = real  # type: ignore[method-assign]
    second = notify_emergency("ec-flaky", deps)
    assert not second.retry and "guard@example.com" in deps.mailer.accepted_to()
    assert deps.mailer.accepted_to().count("security@example.com") == 1


def test_coordinates_vaguer_than_a_kilometre_get_no_map_link(deps: NotifyDeps) -> None:
    vague = LOCATION | {"latitude": 39.78, "longitude": -89.65, "accuracyMeters": 5000}
    deps.calls.create(emergency_call("ec-vague", location=vague))
    deps.calls.create(emergency_call("ec-sharp", location=vague | {"accuracyMeters": 30}))
    notify_emergency("ec-vague", deps)
    notify_emergency("ec-sharp", deps)
    bodies = {s.id: s.body for s in deps.mailer.sent if s.to == "security@example.com"}
    assert sum("openstreetmap" in b for b in bodies.values()) == 1
