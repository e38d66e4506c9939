"""The notification use case through the real ACS SDKs against the local HTTPS stand-in, with records in Azurite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from local.acs.standin import AcsStandIn
from shared.adapters.acs_messaging import AcsMailer, AcsSmsSender, email_client, sms_client
from shared.adapters.table_notifications import TableDeliveryStore, TableTemplateStore
from shared.adapters.table_stores import TableAgentStore, TableCallStore
from shared.adapters.tables import Tables
from shared.clock import SystemClock
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.delivery import operation_id
from shared.services.notify import notify_emergency

SENDER = "DoNotReply@alerts.example.com"
SMS_FROM = "+14255550100"
LOCATION = {"address": "1 Example Plaza", "floor": "3", "city": "Springfield", "state": "IL"}


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notify-certs")


@pytest.fixture
def standin(certs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AcsStandIn]:
    """The stand-in, trusted the way the app trusts it: REQUESTS_CA_BUNDLE, no connection_verify in our code."""
    with AcsStandIn(port=0, certs_dir=certs_dir, retry_after=0) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running


@dataclass
class Deps:
    clock: Any
    agents: TableAgentStore
    calls: TableCallStore
    mailer: AcsMailer
    sms: AcsSmsSender | None
    deliveries: TableDeliveryStore
    templates: TableTemplateStore


@pytest.fixture
def deps(tables: Tables, standin: AcsStandIn) -> Deps:
    conn = standin.connection_string
    return Deps(SystemClock(), TableAgentStore(tables), TableCallStore(tables),
                AcsMailer(email_client(conn), SENDER), AcsSmsSender(sms_client(conn), SMS_FROM),
                TableDeliveryStore(tables), TableTemplateStore(tables))


def start_call(deps: Deps, emails: str, sms: str = "", call_id: str = "ec-1") -> str:
    deps.agents.put(Agent("alice", "Alice Example", timezone="America/Chicago", email_recipients=emails,
                          sms_recipients=sms))
    now = deps.clock.now()
    deps.calls.create(EmergencyCall(call_id, "alice", "911", "US", False, now, agent_name="Alice Example",
                                    callback_number="+12025550100", callback_source="pool",
                                    callback_until=now + timedelta(minutes=60), location=LOCATION))
    return call_id


def test_the_same_event_twice_sends_one_email_and_one_sms_per_recipient(deps: Deps, standin: AcsStandIn) -> None:
    # GIVEN an emergency call of an agent with two email recipients and one SMS recipient
    call_id = start_call(deps, "security@example.com; desk@example.org", "+12025550142")
    # WHEN CallStarted is handled twice
    notify_emergency(call_id, deps)
    second = notify_emergency(call_id, deps)
    # THEN the service received one message per recipient, sent with our ids, and every record is accepted
    emails = standin.requests("email")
    assert sorted(e["body"]["recipients"]["to"][0]["address"] for e in emails) == [
        "desk@example.org", "security@example.com"]
    assert {e["headers"]["operation-id"] for e in emails} == {
        operation_id(call_id, "email", "security@example.com"), operation_id(call_id, "email", "desk@example.org")}
    [sms] = standin.requests("sms")
    assert sms["id"] == operation_id(call_id, "sms", "+12025550142")
    assert {(d.channel, d.status) for d in deps.deliveries.list(call_id)} == {("email", "accepted"),
                                                                              ("sms", "accepted")}
    assert {o.note for o in second.outcomes} == {"already accepted"}


def test_the_email_carries_the_notification_content(deps: Deps, standin: AcsStandIn) -> None:
    notify_emergency(start_call(deps, "security@example.com"), deps)
    [email] = standin.requests("email")
    content = email["body"]["content"]
    assert email["body"]["senderAddress"] == SENDER
    assert content["subject"] == "Emergency call by Alice Example: 911 dialed"
    assert "Callback number: +12025550100" in content["plainText"]
    assert "1 Example Plaza, Floor 3, Springfield, IL" in content["html"]


def test_a_refused_recipient_is_recorded_with_the_service_s_reason(deps: Deps, standin: AcsStandIn) -> None:
    call_id = start_call(deps, "fail-send@example.com; security@example.com")
    report = notify_emergency(call_id, deps)
    assert not report.retry
    failed = deps.deliveries.get(call_id, "email", "fail-send@example.com")
    assert (failed.status, failed.final, failed.attempts) == ("failed", True, 1)
    assert "400" in failed.reason and "Stand-in fault: a recipient contains 'fail-send'." in failed.reason
    assert deps.deliveries.get(call_id, "email", "security@example.com").status == "accepted"


def test_a_failed_email_operation_is_recorded_as_failed(deps: Deps, standin: AcsStandIn) -> None:
    call_id = start_call(deps, "fail-status@example.com")
    notify_emergency(call_id, deps)
    failed = deps.deliveries.get(call_id, "email", "fail-status@example.com")
    assert failed.status == "failed" and failed.final
    assert "operation failed" in failed.reason and "fail-status" in failed.reason


def test_throttling_asks_for_a_retry_that_then_sends_once(deps: Deps, standin: AcsStandIn) -> None:
    call_id = start_call(deps, "security@example.com")
    standin.set_faults({"email": "throttle"})
    assert notify_emergency(call_id, deps).retry
    record = deps.deliveries.get(call_id, "email", "security@example.com")
    assert (record.status, record.final, record.attempts) == ("failed", False, 1) and "429" in record.reason
    standin.set_faults({})
    assert not notify_emergency(call_id, deps).retry
    assert len(standin.requests("email")) == 1
    assert deps.deliveries.get(call_id, "email", "security@example.com").attempts == 2


def test_an_sms_sent_twice_with_the_same_repeatability_id_is_recorded_once(deps: Deps, standin: AcsStandIn) -> None:
    assert deps.sms is not None
    first_sent = deps.clock.now()
    rid = operation_id("ec-1", "sms", "+12025550142")
    first = deps.sms.send("+12025550142", "Emergency call: 911 dialed.", rid, first_sent)
    again = deps.sms.send("+12025550142", "Emergency call: 911 dialed.", rid, first_sent)
    assert first.accepted and again.accepted and first.message_id == again.message_id
    [recorded] = standin.requests("sms")
    assert recorded["id"] == rid and recorded["body"]["to"] == "+12025550142"
    # asked for the carrier's delivery report (SMSDeliveryReportReceived), recorded on the delivery when it comes
    assert recorded["body"]["smsSendOptions"] == {"enableDeliveryReport": True}


def test_a_refused_sms_recipient_is_recorded_with_the_reason(deps: Deps, standin: AcsStandIn) -> None:
    call_id = start_call(deps, "", "+12025550199; +12025550142")
    notify_emergency(call_id, deps)
    failed = deps.deliveries.get(call_id, "sms", "+12025550199")
    assert (failed.status, failed.final) == ("failed", True) and "5550199" in failed.reason
    assert deps.deliveries.get(call_id, "sms", "+12025550142").status == "accepted"


def test_the_container_wires_the_notification_ports_from_settings(azurite: Any, standin: AcsStandIn) -> None:
    from shared.config import Settings
    from shared.wiring import Container

    settings = Settings.from_env({"AzureWebJobsStorage": azurite.connection_string,
                                  "ACS_CONNECTION_STRING": standin.connection_string, "ACS_EMAIL_SENDER": SENDER})
    c = Container(settings, SystemClock())
    assert c.sms is None  # no ACS_SMS_SENDER: SMS recipients get a recorded warning instead
    call_id = start_call(c, "security@example.com", "+12025550142", call_id=f"ec-{uuid.uuid4().hex}")
    report = notify_emergency(call_id, c)
    assert report.warnings == ("sms_disabled",) and not report.retry
    assert [e["body"]["recipients"]["to"][0]["address"] for e in standin.requests("email")] == [
        "security@example.com"]
