"""A missing or malformed setting in an event function is permanent (issue 10, part 6): the event is acknowledged
(no raise, so Event Grid does not redeliver it for 24 hours), the failure is recorded where one looks for the
outcome with the setting's name, logged at ERROR and emitted as SettingMissing (alert setting-missing)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest

from functions import acs_call_events, inbound_callback, notification, presence
from local.host.index import LocalContext
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.calls import Agent
from shared.domain.lease import Lease, PoolNumber
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps, user_functions, with_call

ALICE = Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice",
              email_recipients="security@example.com", sms_recipients="+12025550142")
ENV = {"EVENTGRID_TOPIC_RESOURCE_ID": "/topics/emergency", "ACS_RESOURCE_ID": "/acs/resource",
       "ACS_CONNECTION_STRING": "endpoint=https://acs.example.com/;accesskey=c2VjcmV0",
       "ACS_EMAIL_SENDER": "DoNotReply@alerts.example.com", "ACS_SMS_SENDER": "+12025550190"}


@pytest.fixture(scope="module")
def functions() -> dict[str, Callable[..., Any]]:
    return user_functions(notification.bp, inbound_callback.bp, presence.bp, acs_call_events.bp)


@pytest.fixture
def deps() -> Iterator[NotifyDeps]:
    d = with_call(NotifyDeps(), ALICE)
    yield d
    reset()

CONTEXT = LocalContext("inv-1", "inbound_callback", "")


def invoke(function: Any, **bindings: Any) -> Any:
    """As the worker calls a function: with its context when it asks for one."""
    if "context" in inspect.signature(function).parameters:
        bindings["context"] = CONTEXT
    result = function(**bindings)
    return asyncio.run(_awaited(result)) if inspect.isawaitable(result) else result


async def _awaited(result: Any) -> Any:
    return await result


def install(d: NotifyDeps, env: dict[str, str], *, real_acs: bool = True) -> None:
    """The fakes as the process container; the ACS clients (mailer, SMS, call control) are built from `env`."""
    reset()
    parts = {name: getattr(d, name) for name in ("agents", "calls", "deliveries", "templates", "telemetry", "pool",
                                                  "presence", "history", "windows", "incoming", "events")}
    if not real_acs:
        parts |= {"mailer": d.mailer, "sms": d.sms, "call_control": d.call_control}
    configure(settings=Settings.from_env(env), clock=d.clock, **parts)


def without(*names: str, **changed: str) -> dict[str, str]:
    return {k: v for k, v in ENV.items() if k not in names} | changed


def grid_event(event_type: str, data: Any) -> func.EventGridEvent:
    topic = "/acs/resource" if event_type.startswith("Microsoft.Communication.") else "/topics/emergency"
    return func.EventGridEvent(id="evt-1", data=data, topic=topic, subject="s", event_type=event_type,
                               event_time=T0, data_version="1.0")


def call_started() -> func.EventGridEvent:
    return grid_event("Emergency.CallStarted", {"emergencyCallId": "ec-1", "agentId": "alice",
                                                "dialedAt": T0.isoformat()})


def setting_events(d: NotifyDeps) -> list[dict[str, str]]:
    return [dims for name, dims in d.telemetry.events if name == "SettingMissing"]


@pytest.mark.parametrize(("env", "setting"), [
    (without("ACS_CONNECTION_STRING"), "ACS_CONNECTION_STRING"),
    (without(ACS_CONNECTION_STRING="endpoint=acs.example.com"), "ACS_CONNECTION_STRING"),
    # (no SMS sender here: nothing may try to reach ACS from a unit test)
    (without("ACS_EMAIL_SENDER", "ACS_SMS_SENDER"), "ACS_EMAIL_SENDER"),
    (without("ACS_SMS_SENDER", ACS_EMAIL_SENDER="DoNotReply"), "ACS_EMAIL_SENDER"),
], ids=["connection-missing", "connection-malformed", "sender-missing", "sender-malformed"])
def test_notification_without_a_usable_email_setting_is_recorded_and_acknowledged(
        functions: dict, deps: NotifyDeps, caplog: pytest.LogCaptureFixture, env: dict[str, str],
        setting: str) -> None:
    install(deps, env)
    with caplog.at_level(logging.ERROR):
        assert functions["emergency_notification"](event=call_started()) is None  # acknowledged: no redelivery
    email = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert email is not None and (email.status, email.final) == ("failed", True)
    assert email.reason is not None and setting in email.reason
    assert any(r.levelno == logging.ERROR and setting in r.getMessage() for r in caplog.records)
    assert {"setting": setting, "function": "emergency_notification"} in setting_events(deps)


def test_an_sms_sender_without_a_connection_string_fails_each_sms_naming_the_setting(
        functions: dict, deps: NotifyDeps) -> None:
    install(deps, without("ACS_CONNECTION_STRING"))
    assert functions["emergency_notification"](event=call_started()) is None
    sms = deps.deliveries.get("ec-1", "sms", "+12025550142")
    assert sms is not None and sms.status == "failed" and sms.final and "ACS_CONNECTION_STRING" in str(sms.reason)


def test_a_malformed_sms_sender_fails_the_sms_and_still_sends_the_email(functions: dict, deps: NotifyDeps) -> None:
    reset()  # the mailer is the fake; the container builds the SMS sender from the (malformed) setting
    configure(settings=Settings.from_env(without(ACS_SMS_SENDER="202-555-0190")), clock=deps.clock,
              **{n: getattr(deps, n) for n in ("agents", "calls", "deliveries", "templates", "telemetry",
                                               "mailer")})
    assert functions["emergency_notification"](event=call_started()) is None
    assert deps.mailer.accepted_to() == ["security@example.com"]
    sms = deps.deliveries.get("ec-1", "sms", "+12025550142")
    assert sms is not None and sms.status == "failed" and "ACS_SMS_SENDER" in str(sms.reason)
    assert {"setting": "ACS_SMS_SENDER", "function": "emergency_notification"} in setting_events(deps)


@pytest.mark.parametrize(("function", "event"), [
    ("emergency_notification", call_started()),
    ("presence_update", call_started()),
    ("email_delivery_report", grid_event("Microsoft.Communication.EmailDeliveryReportReceived",
                                         {"messageId": "m-1", "status": "Delivered"})),
    ("sms_delivery_report", grid_event("Microsoft.Communication.SMSDeliveryReportReceived",
                                       {"messageId": "m-1", "deliveryStatus": "Delivered"})),
    ("acs_call_events", grid_event("Microsoft.Communication.CallEnded", {"serverCallId": "srv-1"})),
    ("inbound_callback", grid_event("Microsoft.Communication.IncomingCall", {
        "to": {"kind": "phoneNumber", "rawId": "4:+12025550100", "phoneNumber": {"value": "+12025550100"}},
        "incomingCallContext": "ctx-1", "correlationId": "corr-1"})),
])
def test_every_event_function_acknowledges_a_missing_topic_setting(
        functions: dict, deps: NotifyDeps, caplog: pytest.LogCaptureFixture, function: str,
        event: func.EventGridEvent) -> None:
    install(deps, without("EVENTGRID_TOPIC_RESOURCE_ID", "ACS_RESOURCE_ID"), real_acs=False)
    with caplog.at_level(logging.ERROR):
        assert invoke(functions[function], event=event) is None
    missing = "ACS_RESOURCE_ID" if event.event_type.startswith("Microsoft.") else "EVENTGRID_TOPIC_RESOURCE_ID"
    assert {"setting": missing, "function": function} in setting_events(deps)
    assert any(r.levelno == logging.ERROR and missing in r.getMessage() for r in caplog.records)


def orphaned_callback() -> func.EventGridEvent:
    """A responder calling back a pool number whose lease has ended: it goes to the fallback target."""
    return grid_event("Microsoft.Communication.IncomingCall", {
        "to": {"kind": "phoneNumber", "rawId": "4:+12025550100", "phoneNumber": {"value": "+12025550100"}},
        "from": {"kind": "phoneNumber", "rawId": "4:+12025550177", "phoneNumber": {"value": "+12025550177"}},
        "incomingCallContext": "ctx-1", "correlationId": "corr-1", "serverCallId": "srv-1"})


def test_a_malformed_fallback_target_is_acknowledged_recorded_and_alerted(
        functions: dict, deps: NotifyDeps, caplog: pytest.LogCaptureFixture) -> None:
    deps.pool.add(PoolNumber("+12025550100", "US"))
    install(deps, without(CALLBACK_FALLBACK_TARGET="securitydesk"), real_acs=False)
    with caplog.at_level(logging.ERROR):
        assert invoke(functions["inbound_callback"], event=orphaned_callback()) is None
    assert deps.call_control.redirects == []
    assert {"setting": "CALLBACK_FALLBACK_TARGET", "function": "inbound_callback"} in setting_events(deps)
    assert any(r.levelno == logging.ERROR and "CALLBACK_FALLBACK_TARGET" in r.getMessage() for r in caplog.records)
    routed = [data for kind, data in deps.events.published if kind == "Emergency.CallbackRouted"]
    assert routed and "CALLBACK_FALLBACK_TARGET" in routed[0]["problem"]


def test_a_callback_without_the_acs_connection_is_recorded_on_the_incident(
        functions: dict, deps: NotifyDeps) -> None:
    deps.pool.add(PoolNumber("+12025550100", "US", Lease("ec-1", "alice", "8:acs:r_alice", T0,
                                                         T0 + timedelta(minutes=60))))
    install(deps, without("ACS_CONNECTION_STRING"))
    assert invoke(functions["inbound_callback"], event=orphaned_callback()) is None
    (entry,) = deps.calls.get("ec-1")[0].callbacks
    assert entry["outcome"] == "setting_missing" and "ACS_CONNECTION_STRING" in entry["problem"]
    assert {"setting": "ACS_CONNECTION_STRING", "function": "inbound_callback"} in setting_events(deps)
