"""Escalation through the local stack (issue 20): an admin sets who is told when nobody acknowledges; a real call
nobody acknowledges reaches the on-call recipients when its step is due, once; a call acknowledged in time does not;
a bad policy is refused naming the field."""

from __future__ import annotations

from typing import Any

from local.stack import Client, LocalStack, wait_for
from shared.domain.delivery import operation_id

POLICY = {"tiers": [{"name": "On call", "afterSeconds": 60, "audiences": ["onCall"], "channels": ["email", "sms"]}],
          "mode": "any", "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}


def sent_ids(stack: LocalStack) -> list[str]:
    return [r["id"] for kind in ("email", "sms") for r in stack.acs.requests(kind)]


def incident(client: Client, call_id: str) -> dict[str, Any]:
    status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return body


def notified(stack: LocalStack, call_id: str, to: str, channel: str = "email") -> bool:
    return operation_id(call_id, channel, to) in sent_ids(stack)  # type: ignore[arg-type]


def test_an_admin_sets_the_policy_and_a_bad_one_is_refused(client: Client) -> None:
    status, answer = client.put("/api/manage/escalation-policy", {**POLICY, "tiers": [{**POLICY["tiers"][0],
                                                                                      "afterSeconds": 5}]})
    assert status == 400 and answer["field"] == "tiers[0].afterSeconds", answer
    status, answer = client.put("/api/manage/escalation-policy", POLICY)
    assert status == 200 and answer["policy"]["onCall"]["sms"] == ["+12025550166"], answer
    assert client.get("/api/manage/audit?entity=escalation-policy")[1]["entries"]


def test_a_call_nobody_acknowledges_reaches_the_on_call_recipients_once_when_due(client: Client,
                                                                                 stack: LocalStack) -> None:
    status, dial = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "911", "countryCode": "US"})
    assert status == 200, dial
    call_id = dial["emergencyCallId"]
    assert wait_for(lambda: notified(stack, call_id, "security-desk@example.com"), timeout=30)
    assert wait_for(lambda: incident(client, call_id)["escalations"], timeout=30)
    assert client.run_function("escalation_steps") == 202
    assert not notified(stack, call_id, "oncall@example.com")  # not due yet
    client.advance(61)
    assert client.run_function("escalation_steps") == 202
    assert wait_for(lambda: notified(stack, call_id, "oncall@example.com"), timeout=30)
    assert wait_for(lambda: notified(stack, call_id, "+12025550166", "sms"), timeout=30)
    [step] = incident(client, call_id)["escalations"]
    assert (step["status"], step["outcome"]) == ("done", "told 2"), step
    assert client.run_function("escalation_steps") == 202  # again: nobody is told twice
    ids = sent_ids(stack)
    assert ids.count(operation_id(call_id, "email", "oncall@example.com")) == 1
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "bob"})[0] == 200


def test_a_call_acknowledged_in_time_is_not_escalated(client: Client, stack: LocalStack) -> None:
    status, dial = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                       "countryCode": "US"})
    assert status == 200, dial
    call_id = dial["emergencyCallId"]
    assert wait_for(lambda: notified(stack, call_id, "+12025550142", "sms"), timeout=30)
    assert wait_for(lambda: incident(client, call_id)["escalations"], timeout=30)
    reply = {"id": f"Incoming_{call_id}", "topic": stack.system_topic.topic, "subject": "/phonenumber/x",
             "eventType": "Microsoft.Communication.SMSReceived", "dataVersion": "1.0", "metadataVersion": "1",
             "eventTime": "2026-12-07T12:00:00Z",
             "data": {"MessageId": f"Incoming_{call_id}", "From": "12025550142", "To": "12025550190",
                      "Message": "1", "ReceivedTimestamp": "2026-12-07T12:00:00Z", "SegmentCount": 1}}
    assert stack.publish_acs([reply]) == 200
    wait_for(lambda: stack.acs_settled([reply]), timeout=30)
    client.advance(61)
    assert client.run_function("escalation_steps") == 202
    [step] = wait_for(lambda: [s for s in incident(client, call_id)["escalations"] if s["status"] != "pending"],
                      timeout=30)
    assert (step["status"], step["outcome"]) == ("skipped", "acknowledged"), step
    assert not notified(stack, call_id, "oncall@example.com")
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "alice"})[0] == 200
