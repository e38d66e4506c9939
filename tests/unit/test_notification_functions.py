"""The trigger adapters: ack or retry for emergency_notification, delivery reports, and the HTTP routes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from functions import notification, templates
from local.host.principal import principal_headers
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.calls import Agent
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps, user_functions, with_call

EVENTS = Path(__file__).resolve().parents[1] / "events"
ALICE = Agent("alice", "Alice Example", email_recipients="security@example.com; desk@example.org")


@pytest.fixture(scope="module")
def functions() -> dict[str, Callable[..., Any]]:
    return user_functions(notification.bp, templates.bp)


@pytest.fixture
def deps() -> Iterator[NotifyDeps]:
    """The fakes installed as the process container through its seam (reset after the test)."""
    d = with_call(NotifyDeps(), ALICE)
    reset()
    settings = Settings.from_env({"EVENTGRID_TOPIC_RESOURCE_ID": "/topics/emergency",
                                  "ACS_RESOURCE_ID": "/acs/resource",
                                  "PRINCIPAL_HEADERS_TRUSTED": "local-host"})  # headers as the local host's
    configure(settings=settings, clock=d.clock, agents=d.agents, calls=d.calls, mailer=d.mailer,
              sms=d.sms, deliveries=d.deliveries, templates=d.templates, telemetry=d.telemetry,
              escalations=d.escalations, sites=d.sites)
    yield d
    reset()


def grid_event(event_type: str, data: Any, event_id: str = "evt-1") -> func.EventGridEvent:
    """As Event Grid delivers it: stamped with the app's own topic, or ACS's resource for ACS's events."""
    topic = "/acs/resource" if event_type.startswith("Microsoft.Communication.") else "/topics/emergency"
    return func.EventGridEvent(id=event_id, data=data, topic=topic, subject="s", event_type=event_type,
                               event_time=T0, data_version="1.0")


def call_started(call_id: str = "ec-1") -> func.EventGridEvent:
    return grid_event("Emergency.CallStarted", {"emergencyCallId": call_id, "agentId": "alice", "test": False,
                                                "dialedAt": T0.isoformat()})


def test_call_started_twice_sends_each_email_once(functions: dict, deps: NotifyDeps) -> None:
    functions["emergency_notification"](event=call_started())
    functions["emergency_notification"](event=call_started())
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]


def test_a_transient_failure_raises_so_event_grid_delivers_again(functions: dict, deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", "transient")
    with pytest.raises(notification.RetryLater):
        functions["emergency_notification"](event=call_started())
    functions["emergency_notification"](event=call_started())
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]


@pytest.mark.parametrize("event", [
    grid_event("Emergency.CallStarted", {"agentId": "alice"}),
    grid_event("Emergency.CallStarted", "not an object"),
    grid_event("Emergency.CallEnded", {"emergencyCallId": "ec-1", "agentId": "alice"}),
])
def test_malformed_or_other_events_are_acknowledged(functions: dict, deps: NotifyDeps,
                                                    event: func.EventGridEvent) -> None:
    assert functions["emergency_notification"](event=event) is None
    assert deps.mailer.sent == []


def test_a_call_without_record_or_description_is_acknowledged_with_an_error(
        functions: dict, deps: NotifyDeps, caplog: pytest.LogCaptureFixture) -> None:
    event = grid_event("Emergency.CallStarted", {"emergencyCallId": "ec-unknown", "agentId": "alice"})
    assert functions["emergency_notification"](event=event) is None
    assert "ec-unknown has no record" in caplog.text and deps.mailer.sent == []


def test_a_call_without_record_is_notified_from_the_event(functions: dict, deps: NotifyDeps) -> None:
    event = grid_event("Emergency.CallStarted", {
        "emergencyCallId": "ec-unknown", "agentId": "alice", "test": False, "dialedAt": T0.isoformat(),
        "agentName": "Alice Example", "dialedNumber": "911", "countryCode": "US",
        "callbackNumber": "+12025550100", "callbackSource": "pool", "location": {"address": "1 Example Plaza"}})
    functions["emergency_notification"](event=event)
    assert deps.mailer.accepted_to() == ["desk@example.org", "security@example.com"]


def test_a_delivery_report_is_recorded_on_the_email_it_names(functions: dict, deps: NotifyDeps) -> None:
    functions["emergency_notification"](event=call_started())
    record = deps.deliveries.get("ec-1", "email", "security@example.com")
    raw = json.loads((EVENTS / "email_delivery_report_received.json").read_text())
    raw["data"]["messageId"] = record.operation_id
    functions["email_delivery_report"](event=grid_event(raw["eventType"], raw["data"]))
    updated = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert (updated.status, updated.delivery_status, updated.delivery_detail) == ("accepted", "Delivered",
                                                                                  "No error.")


def test_an_older_delivery_report_does_not_overwrite_a_newer_one(functions: dict, deps: NotifyDeps) -> None:
    functions["emergency_notification"](event=call_started())
    op_id = deps.deliveries.get("ec-1", "email", "security@example.com").operation_id
    report = functions["email_delivery_report"]
    report(event=grid_event(notification.deliveries.EMAIL_DELIVERY_REPORT, {
        "messageId": op_id, "status": "Failed", "deliveryAttemptTimeStamp": "2026-11-23T15:05:00Z"}))
    report(event=grid_event(notification.deliveries.EMAIL_DELIVERY_REPORT, {
        "messageId": op_id, "status": "Delivered", "deliveryAttemptTimeStamp": "2026-11-23T15:01:00Z"}))
    assert deps.deliveries.get("ec-1", "email", "security@example.com").delivery_status == "Failed"


def test_a_report_on_someone_else_s_email_or_a_malformed_one_is_acknowledged(functions: dict,
                                                                            deps: NotifyDeps) -> None:
    report = functions["email_delivery_report"]
    assert report(event=grid_event(notification.deliveries.EMAIL_DELIVERY_REPORT,
                                   {"messageId": "other-app", "status": "Delivered"})) is None
    assert report(event=grid_event(notification.deliveries.EMAIL_DELIVERY_REPORT, {"status": "x"})) is None


ADMIN = {"userId": "u-admin", "userDetails": "alice.admin@example.com", "roles": ["EmergencyCalling.Admin"]}
AUDITOR = {"userId": "u-audit", "userDetails": "audit@example.com", "roles": ["EmergencyCalling.Auditor"]}


def http(method: str, route_params: dict | None = None, body: Any = None,
         user: dict | None = ADMIN) -> func.HttpRequest:
    """A request as App Service Authentication hands it over for `user` (None: nobody signed in)."""
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(principal_headers(user) if user else {})}
    return func.HttpRequest(method, "http://127.0.0.1/api/manage/x", headers=headers,
                            route_params=route_params or {}, body=raw)


def answer(response: func.HttpResponse) -> tuple[int, Any]:
    return response.status_code, json.loads(response.get_body())


def test_deliveries_of_an_incident_are_listed_for_admins(functions: dict, deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", "refused")
    functions["emergency_notification"](event=call_started())
    status, body = answer(functions["manage_incident_deliveries"](req=http("GET", {"emergencyCallId": "ec-1"})))
    assert status == 200
    assert [(d["recipient"], d["status"]) for d in body["deliveries"]] == [
        ("desk@example.org", "failed"), ("security@example.com", "accepted")]
    assert answer(functions["manage_incident_deliveries"](req=http("GET", {"emergencyCallId": "nope"})))[0] == 404


def test_put_saves_a_version_authored_by_the_signed_in_user(functions: dict, deps: NotifyDeps) -> None:
    body = {"subject": "Emergency: {{ dialed_number }}", "html": "", "text": "{{ agent_name }} dialed."}
    status, saved = answer(functions["manage_notification_template"](req=http("PUT", body=body)))
    assert status == 200
    assert (saved["version"], saved["author"], saved["savedAt"]) == (1, "alice.admin@example.com", T0.isoformat())


def test_put_of_a_bad_template_answers_400_with_where(functions: dict, deps: NotifyDeps) -> None:
    body = {"subject": "x", "html": "", "text": "ok\n{{ ''.__class__ }}"}
    status, error = answer(functions["manage_notification_template"](req=http("PUT", body=body)))
    assert status == 400 and error["field"] == "text" and error["details"][0]["line"] == 2


def test_preview_versions_and_restore_routes(functions: dict, deps: NotifyDeps) -> None:
    status, shown = answer(functions["manage_notification_template_preview"](req=http("POST")))
    assert status == 200 and "911" in shown["subject"]
    functions["manage_notification_template"](req=http("PUT", body={"subject": "S {{ dialed_number }}",
                                                                    "text": "T"}))
    restore = functions["manage_notification_template_restore"]
    assert answer(restore(req=http("POST", {"version": "1"})))[1]["version"] == 2
    assert answer(restore(req=http("POST", {"version": "x"})))[0] == 400
    assert answer(restore(req=http("POST", {"version": "9"})))[0] == 404
    status, listed = answer(functions["manage_notification_template_versions"](req=http("GET")))
    assert [(v["version"], v["author"], v["restoredFrom"]) for v in listed["versions"]] == [
        (2, "alice.admin@example.com", 1), (1, "alice.admin@example.com", None)]


def test_template_and_deliveries_need_a_signed_in_user_with_the_right_role(functions: dict,
                                                                           deps: NotifyDeps) -> None:
    template, deliveries = functions["manage_notification_template"], functions["manage_incident_deliveries"]
    body = {"subject": "S {{ dialed_number }}", "text": "T"}
    assert template(req=http("GET", user=None)).status_code == 401
    assert template(req=http("GET", user=AUDITOR)).status_code == 200
    assert template(req=http("PUT", body=body, user=AUDITOR)).status_code == 403
    assert functions["manage_notification_template_restore"](
        req=http("POST", {"version": "1"}, user=AUDITOR)).status_code == 403
    assert deliveries(req=http("GET", {"emergencyCallId": "ec-1"}, user=None)).status_code == 401
    assert deliveries(req=http("GET", {"emergencyCallId": "ec-1"}, user=AUDITOR)).status_code == 200


def test_each_delivery_is_reported_to_operations(functions: dict, deps: NotifyDeps) -> None:
    deps.mailer.fail("desk@example.org", "refused")
    functions["emergency_notification"](event=call_started())
    events = sorted((e["channel"], e["status"], e["final"]) for name, e in deps.telemetry.events
                    if name == "NotificationDelivery")
    assert events == [("email", "accepted", "true"), ("email", "failed", "true")]
    assert [name for name, _, _ in deps.telemetry.durations] == ["emergency.dial_to_notification_ms"]


def test_an_internal_event_from_another_topic_is_ignored(functions: dict, deps: NotifyDeps) -> None:
    genuine = call_started()
    forged = func.EventGridEvent(id="evt-f", data=genuine.get_json(), topic="/subscriptions/evil", subject="s",
                                 event_type="Emergency.CallStarted", event_time=T0, data_version="1.0")
    functions["emergency_notification"](event=forged)
    assert deps.mailer.sent == []
    functions["emergency_notification"](event=genuine)
    assert len(deps.mailer.sent) == 2
