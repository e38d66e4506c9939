"""The carrier's SMS delivery report (Microsoft.Communication.SMSDeliveryReportReceived) through the ACS system
topic: the emergency SMS asks for it, and the report lands on the delivery record the admin sees; a report for
another app's message, or a malformed one, is acknowledged and changes nothing."""

from __future__ import annotations

from typing import Any

from local.stack import Client, LocalStack, wait_for
from tests.faults.harness import SMS, sms_report


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
