"""Every official ACS example file posted to its function's webhook on the local host, in the schema the file is
in (a CloudEvent as application/cloudevents+json): acknowledged, with the effect ACS's meaning calls for.

Schema-agnostic: nothing here depends on whether the host hands a CloudEvent to the function as func.CloudEvent or
converted to func.EventGridEvent."""

from __future__ import annotations

from typing import Any

import pytest

from local.eventgrid.standin import TOPICS
from local.seed import AGENTS
from local.stack import Client, LocalStack, wait_for
from tests.acs_examples import CALL_ENDED, EMAIL_REPORTS, IGNORED, INCOMING_CALLS, SMS_RECEIVED, Example, examples
from tests.faults.harness import SMS, sms_report

FUNCTION = {"Microsoft.Communication.CallEnded": "acs_call_events",
            "Microsoft.Communication.CallStarted": "acs_call_events",
            "Microsoft.Communication.EmailDeliveryReportReceived": "email_delivery_report",
            "Microsoft.Communication.IncomingCall": "inbound_callback",
            # A reply to an emergency SMS (issue 20): the examples' numbers were never notified, so nothing is acked.
            "Microsoft.Communication.SMSReceived": "sms_reply"}
# One agent per caller of the CallEnded examples, so each call lands in someone's history.
CALLERS = {name: f"caller{i}" for i, name in enumerate(sorted(CALL_ENDED))}


@pytest.fixture(scope="module")
def callers(client: Client) -> dict[str, str]:
    for name, agent in CALLERS.items():
        body = {**AGENTS["bob"], "displayName": f"Caller {agent}", "acsUserId": CALL_ENDED[name][0]}
        assert client.put(f"/api/manage/agents/{agent}", body)[0] == 200
    return CALLERS


def post(client: Client, example: Example) -> int:
    stamped = example.stamped(TOPICS["acs"])
    content_type = "application/cloudevents+json" if example.cloud_event else "application/json"
    status, _ = client.post(f"/runtime/webhooks/EventGrid?functionName={FUNCTION[example.event_type]}",
                            stamped if example.cloud_event else [stamped],
                            headers={"aeg-event-type": "Notification", "Content-Type": content_type})
    return status


@pytest.mark.parametrize("example", [e for e in examples() if e.name in CALL_ENDED], ids=lambda e: e.name)
def test_a_call_ended_example_lands_in_the_callers_history(client: Client, callers: dict[str, str],
                                                           example: Example) -> None:
    assert post(client, example) == 200
    agent, duration = callers[example.name], CALL_ENDED[example.name][1]
    calls = wait_for(lambda: client.get(f"/api/agents/{agent}/call-history")[1]["calls"])
    assert [c["durationSeconds"] for c in calls] == [duration]


@pytest.mark.parametrize("example", [e for e in examples() if e.name not in CALL_ENDED], ids=lambda e: e.name)
def test_the_other_examples_are_acknowledged_without_effect(stack: LocalStack, client: Client,
                                                            example: Example) -> None:
    # Email reports name a message that is not ours; the IncomingCalls ring an id that is no pool number nor agent
    # (and rang in 2023); ACS's CallStarted is not a type any function acts on.
    before = len(stack.acs.requests("redirect"))
    assert post(client, example) == 200
    assert len(stack.acs.requests("redirect")) == before
    assert example.name in {**EMAIL_REPORTS, **INCOMING_CALLS, **SMS_RECEIVED} or example.name in IGNORED


def test_readiness_lists_no_malformed_setting_on_the_local_stack(client: Client) -> None:
    answer: dict[str, Any] = client.get("/api/manage/readiness")[1]
    assert answer["settings"] == []


# ---- the carrier's SMS delivery report (Microsoft.Communication.SMSDeliveryReportReceived) through the ACS system
# topic: the emergency SMS asks for it, and the report lands on the delivery record the admin sees; a report for
# another app's message, or a malformed one, is acknowledged and changes nothing.

def sms_delivery(client: Client, call_id: str) -> dict[str, Any] | None:
    status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    found = [d for d in body["deliveries"] if d["channel"] == "sms"]
    return found[0] if found and found[0]["status"] == "accepted" else None


def test_the_carrier_s_report_lands_on_the_emergency_sms(stack: LocalStack, client: Client) -> None:
    status, answer = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "933",
                                                         "countryCode": "US"})
    assert status == 200, answer
    call_id = answer["emergencyCallId"]
    sent = wait_for(lambda: sms_delivery(client, call_id), timeout=30)
    assert sent is not None and sent["recipient"] == SMS and sent["messageId"]
    [request] = [r for r in stack.acs.requests("sms") if r["body"]["to"] == SMS][-1:]
    assert request["body"]["smsSendOptions"] == {"enableDeliveryReport": True}

    others = [sms_report(client, "Outgoing_another_app"), sms_report(client, sent["messageId"]) | {"data": {}}]
    assert stack.publish_acs(others) == 200
    report = sms_report(client, sent["messageId"])
    assert stack.publish_acs(report) == 200
    assert wait_for(lambda: stack.acs_settled(others + [report]), timeout=30)
    shown = sms_delivery(client, call_id)
    assert shown is not None
    assert (shown["deliveryStatus"], shown["delivered"], shown["deliveryDetail"]) == ("Delivered", True, "No error.")
    deliveries = stack.system_topic.deliveries("sms-delivery-report")["deliveries"]
    assert {d["status"] for d in deliveries} == {"delivered"}  # all three acknowledged (2xx), none retried
