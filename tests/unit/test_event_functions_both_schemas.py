"""Every Event Grid function under both delivery schemas, with the binding types the Python worker hands over.

The worker decodes each delivered event with azure-functions' `EventGridEventInConverter`: a CloudEvents-schema
subscription gives the function a `func.CloudEvent`, an Event Grid-schema one a `func.EventGridEvent`. Each test
builds both from the same event exactly that way and checks that the function does the same with either.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

from functions import acs_call_events, inbound_callback, notification, presence
from local.host.index import LocalContext
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.calls import Agent, EmergencyCall
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps

ACS = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Communication/" \
      "communicationServices/acs-example"
TOPIC = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.EventGrid/" \
        "topics/emergency"
AGENT_IDENTITY = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002"
ALICE = Agent("alice", "Alice Example", email_recipients="security@example.com")
ALICE_S_CALL = EmergencyCall("ec-1", "alice", "911", "US", False, T0, agent_name="Alice Example",
                             callback_number="+12025550100", callback_until=T0 + timedelta(minutes=60))
SCHEMAS = ("eventgrid", "cloudevents")


@pytest.fixture(scope="module")
def functions() -> dict[str, Callable[..., Any]]:
    app = func.FunctionApp()
    for bp in (acs_call_events.bp, inbound_callback.bp, notification.bp, presence.bp):
        app.register_functions(bp)
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}


PORTS = ("clock", "agents", "pool", "presence", "calls", "history", "events", "windows", "incoming", "call_control",
         "telemetry", "mailer", "sms", "deliveries", "templates", "sites")


@pytest.fixture
def deps() -> Iterator[NotifyDeps]:
    """Every port in memory, Alice with one emergency call on record, installed through the container's seam."""
    d = NotifyDeps()
    d.agents.put(ALICE)
    d.calls.create(ALICE_S_CALL)
    reset()
    configure(settings=Settings.from_env({"EVENTGRID_TOPIC_RESOURCE_ID": TOPIC, "ACS_RESOURCE_ID": ACS}),
              **{port: getattr(d, port) for port in PORTS})
    yield d
    reset()


def delivered(schema: str, event_type: str, data: Any, source: str, event_id: str = "evt-1") -> Any:
    """The event as the worker hands it to the function for a subscription with this delivery schema. For the
    CloudEvents schema Event Grid maps `topic` to `source` (for an ACS system topic: the ACS resource's id)."""
    if schema == "cloudevents":
        body: dict[str, Any] = {"specversion": "1.0", "id": event_id, "source": source, "type": event_type,
                                "subject": "s", "time": "2026-11-23T15:00:12.3255749Z", "data": data}
    else:
        body = {"id": event_id, "topic": source, "subject": "s", "eventType": event_type,
                "eventTime": "2026-11-23T15:00:12.3255749Z", "data": data, "dataVersion": "1.0"}
    return EventGridEventInConverter.decode(meta.Datum(json.dumps(body), "json"), trigger_metadata={})


def test_the_worker_hands_over_a_cloud_event_for_the_cloudevents_schema() -> None:
    assert isinstance(delivered("cloudevents", "t", {}, TOPIC), func.CloudEvent)
    assert isinstance(delivered("eventgrid", "t", {}, TOPIC), func.EventGridEvent)


def app_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("functions")]


CALL_STARTED = {"emergencyCallId": "ec-1", "agentId": "alice", "test": False, "dialedAt": T0.isoformat()}


@pytest.mark.parametrize("schema", SCHEMAS)
def test_presence_update_sets_do_not_disturb(functions: dict, deps: NotifyDeps, schema: str) -> None:
    functions["presence_update"](event=delivered(schema, "Emergency.CallStarted", CALL_STARTED, TOPIC))
    state = deps.presence.get("alice")[0]
    assert (state.in_emergency, state.emergency_call_id) == (True, "ec-1")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_emergency_notification_sends_the_email(functions: dict, deps: NotifyDeps, schema: str) -> None:
    functions["emergency_notification"](event=delivered(schema, "Emergency.CallStarted", CALL_STARTED, TOPIC))
    assert deps.mailer.accepted_to() == ["security@example.com"]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_email_delivery_report_is_recorded(functions: dict, deps: NotifyDeps, schema: str) -> None:
    functions["emergency_notification"](event=delivered("eventgrid", "Emergency.CallStarted", CALL_STARTED, TOPIC))
    op_id = deps.deliveries.get("ec-1", "email", "security@example.com").operation_id
    report = {"messageId": op_id, "status": "Delivered", "deliveryAttemptTimeStamp": "2026-11-23T15:05:00Z",
              "deliveryStatusDetails": {"statusMessage": "No error."}}
    functions["email_delivery_report"](event=delivered(
        schema, notification.deliveries.EMAIL_DELIVERY_REPORT, report, ACS, "evt-2"))
    assert deps.deliveries.get("ec-1", "email", "security@example.com").delivery_status == "Delivered"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_inbound_callback_routes_the_incoming_call(functions: dict, deps: NotifyDeps, schema: str) -> None:
    data = {"to": {"kind": "communicationUser", "rawId": AGENT_IDENTITY,
                   "communicationUser": {"id": AGENT_IDENTITY}},
            "from": {"kind": "phoneNumber", "rawId": "4:+12025550123", "phoneNumber": {"value": "+12025550123"}},
            "serverCallId": "server-1", "callerDisplayName": "", "incomingCallContext": "ctx-1",
            "correlationId": "corr-1"}
    # as the worker runs it: on its event loop (the function is async)
    asyncio.run(functions["inbound_callback"](
        event=delivered(schema, "Microsoft.Communication.IncomingCall", data, ACS),
        context=LocalContext("inv-1", "inbound_callback", "")))
    assert [name for name, _ in deps.telemetry.events] == ["CallbackRouted"]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_acs_call_events_takes_the_call_end(functions: dict, deps: NotifyDeps, schema: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    data = {"startedBy": {"communicationIdentifier": {"rawId": AGENT_IDENTITY,
                                                      "communicationUser": {"id": AGENT_IDENTITY}}},
            "serverCallId": "server-1", "correlationId": "corr-1", "callDurationInSeconds": 12.5}
    with caplog.at_level(logging.INFO):
        functions["acs_call_events"](event=delivered(schema, "Microsoft.Communication.CallEnded", data, ACS))
    assert any(m.startswith("CallEnded evt-1") for m in app_logs(caplog)), app_logs(caplog)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_an_event_from_another_source_is_ignored_in_either_schema(functions: dict, deps: NotifyDeps,
                                                                  schema: str) -> None:
    functions["emergency_notification"](event=delivered(schema, "Emergency.CallStarted", CALL_STARTED,
                                                        "/subscriptions/evil/topics/forged"))
    assert deps.mailer.accepted_to() == []
