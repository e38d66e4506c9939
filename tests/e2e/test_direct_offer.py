"""The direct-offer path end to end, with the product's default (no pool number leased on it): Alice calls from a
Microsoft number, so the responder sees the emergency service's temporary number and a callback on it reaches her
ACS identity. The answer, the incident, the panel and the email say so; the callback is recorded, never redirected
to the identity it already rings; the pool stays free for the calls that need it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.seed import AGENTS, seeded_stack
from local.stack import Client, LocalStack, wait_for

ALICE = AGENTS["alice"]["acsUserId"]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack(extra_env={"LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "false"}) as s:
        yield s


@pytest.fixture(scope="module")
def answer(stack: LocalStack) -> dict[str, Any]:
    status, body = stack.client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                             "countryCode": "US"})
    assert status == 200, body
    return dict(body)


def test_the_answer_says_the_path_and_presents_her_own_number(answer: dict[str, Any]) -> None:
    assert (answer["emergencyPath"], answer["callerId"], answer["callbackNumber"],
            answer["callbackNumberSource"]) == ("direct_offer", "+12025550180", None, "emergency_service")
    assert "temporary number assigned by the emergency service" in answer["responderCallback"]


def test_no_pool_number_is_leased(stack: LocalStack, answer: dict[str, Any]) -> None:
    numbers = stack.client.get("/api/manage/callback-numbers")[1]["numbers"]
    assert numbers and {n["state"] for n in numbers} == {"free"}


def test_the_email_tells_how_the_responder_reaches_her(stack: LocalStack, answer: dict[str, Any]) -> None:
    assert wait_for(lambda: len(stack.acs.requests("email")) >= 2)
    for email in stack.acs.requests("email"):
        text = email["body"]["content"]["plainText"]
        assert "Callback number: a temporary number assigned by the emergency service" in text
        assert "rings Alice Example directly" in text


def test_a_callback_to_her_identity_is_recorded_and_shown_ringing_never_redirected(
        stack: LocalStack, answer: dict[str, Any]) -> None:
    client: Client = stack.client
    to = {"kind": "communicationUser", "rawId": ALICE, "communicationUser": {"id": ALICE}}
    caller = {"kind": "phoneNumber", "rawId": "4:+12025550177", "phoneNumber": {"value": "+12025550177"}}
    event = {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
             "subject": "/caller/x/recipient/y", "eventTime": client.now().isoformat(),
             "data": {"to": to, "from": caller, "serverCallId": "srv-psap", "incomingCallContext": "ctx-psap",
                      "correlationId": "corr-psap", "callerDisplayName": "PSAP"}}
    assert stack.publish_acs([event]) == 200
    assert wait_for(lambda: stack.acs_settled([event]))
    assert stack.acs.requests("redirect") == []
    incident = client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]
    assert [(c["outcome"], c["from"]) for c in incident["callbacks"]] == [("ringing_direct", "4:+12025550177")]
    state = client.get("/api/agents/alice/emergency-state")[1]
    assert state["callback"]["status"] == "ringing" and state["callback"]["direct"] is True
    assert state["emergencyPath"] == "direct_offer"
