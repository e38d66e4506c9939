"""Part 2 end to end: the responder's callback through the local host and the ACS stand-in; privacy of history.

ACS's events reach the functions as in Azure: published to the system topic (the Event Grid stand-in), which
delivers them to the subscribed functions. Only the tests of the webhook itself post to it directly."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from local.eventgrid.standin import TOPICS
from local.seed import AGENTS
from local.stack import FALLBACK_TARGET, Client, LocalStack, wait_for

ALICE = AGENTS["alice"]["acsUserId"]


def phone(number: str) -> dict[str, Any]:
    return {"kind": "phoneNumber", "rawId": "4:" + number, "phoneNumber": {"value": number}}


def incoming(client: Client, to: dict[str, Any], corr: str, age: float = 0.0, cloud: bool = False) -> dict[str, Any]:
    when = (client.now() - timedelta(seconds=age)).isoformat()
    data = {"to": to, "from": phone("+12025550177"), "serverCallId": "srv-" + corr,
            "incomingCallContext": "ctx-" + corr, "correlationId": corr, "callerDisplayName": "PSAP"}
    if cloud:
        return {"id": str(uuid.uuid4()), "source": TOPICS["acs"], "type": "Microsoft.Communication.IncomingCall",
                "specversion": "1.0", "time": when, "subject": "/caller/x/recipient/y", "data": data}
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
            "subject": "/caller/x/recipient/y", "eventTime": when, "data": data}


def test_an_incoming_call_from_another_source_is_ignored(client: Client, emergency: dict[str, Any],
                                                        stack: LocalStack) -> None:
    # Straight to the webhook, as a forger with the function's URL would: stamped with another resource.
    forged = dict(incoming(client, phone(emergency["callbackNumber"]), "forged"), topic="/subscriptions/evil")
    assert client.event_grid("inbound_callback", [forged]) == 200
    assert redirects_of(stack, "forged") == []


def redirects_of(stack: LocalStack, corr: str) -> list[dict[str, Any]]:
    return [r for r in stack.acs.requests("redirect") if r["body"]["incomingCallContext"] == "ctx-" + corr]


def publish_and_settle(stack: LocalStack, *events: dict[str, Any]) -> None:
    """Publish ACS's events to the system topic and wait (bounded) until each delivery is done."""
    assert stack.publish_acs(list(events)) == 200
    assert wait_for(lambda: stack.acs_settled(list(events))), stack.system_topic.deliveries()


@pytest.fixture(scope="module")
def emergency(client: Client) -> dict[str, Any]:
    answer = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                 "countryCode": "US"})[1]
    assert answer["callbackNumberSource"] == "pool"
    return answer


def test_the_same_incoming_call_three_times_redirects_once(stack: LocalStack, client: Client,
                                                           emergency: dict[str, Any]) -> None:
    event = incoming(client, phone(emergency["callbackNumber"]), "three-times")
    for _ in range(3):  # ACS publishing the same event three times: Event Grid delivers each
        publish_and_settle(stack, event)
    assert [d["status"] for d in stack.system_topic.deliveries(event_ids=[event["id"]])["deliveries"]] == [
        "delivered"] * 3
    sent = redirects_of(stack, "three-times")
    assert len(sent) == 1 and sent[0]["body"]["target"]["rawId"] == ALICE


def test_a_cloudevents_incoming_call_to_the_agent_identity_rings_her_and_is_recorded_not_redirected(
        stack: LocalStack, client: Client, emergency: dict[str, Any]) -> None:
    # The webhook's CloudEvents schema: the system topic here delivers the Event Grid schema, so post directly.
    to = {"kind": "communicationUser", "rawId": ALICE, "communicationUser": {"id": ALICE}}
    client.advance(31)  # not the IncomingCall that the redirect of the same caller's call raised a moment ago
    assert client.event_grid("inbound_callback", incoming(client, to, "cloud", cloud=True)) == 200
    assert redirects_of(stack, "cloud") == []  # it rings her identity already: never redirected to itself
    incident = client.get(f"/api/manage/incidents/{emergency['emergencyCallId']}")[1]
    assert [c["outcome"] for c in incident["callbacks"] if c.get("key") == "cloud"] == ["ringing_direct"]


def test_an_incoming_call_25_seconds_old_is_not_redirected(stack: LocalStack, client: Client,
                                                           emergency: dict[str, Any]) -> None:
    publish_and_settle(stack, incoming(client, phone(emergency["callbackNumber"]), "old", age=25))
    assert redirects_of(stack, "old") == []


def test_a_pool_number_nobody_holds_goes_to_the_fallback(stack: LocalStack, client: Client,
                                                        emergency: dict[str, Any]) -> None:
    pool = client.get("/api/manage/callback-numbers")[1]["numbers"]
    spare = next(n["number"] for n in pool if n["state"] == "free")
    publish_and_settle(stack, incoming(client, phone(spare), "spare"))
    assert [r["body"]["target"]["rawId"] for r in redirects_of(stack, "spare")] == [FALLBACK_TARGET]


def test_other_calls_are_left_alone(stack: LocalStack, client: Client) -> None:
    publish_and_settle(stack, incoming(client, phone("+12025550150"), "stranger"))
    assert redirects_of(stack, "stranger") == []


def test_a_malformed_incoming_call_is_acknowledged(client: Client) -> None:
    # About the webhook itself: a payload ACS would never publish, posted straight to it.
    bad = {"id": "b", "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1", "subject": "s",
           "eventTime": client.now().isoformat(), "data": {"to": {}}}
    assert client.event_grid("inbound_callback", [bad]) == 200


def test_the_panel_shows_the_routed_callback(client: Client, emergency: dict[str, Any]) -> None:
    state = client.get("/api/agents/alice/emergency-state")[1]
    assert state["callbackNumber"] == emergency["callbackNumber"]
    assert state["callback"]["status"] in ("ringing", "routed")


def test_emergency_calls_never_reach_history_by_either_path(stack: LocalStack, client: Client) -> None:
    client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "+1 202 555 0151", "countryCode": "US"})
    answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "911", "countryCode": "US"})[1]
    call_id = answer["emergencyCallId"]
    client.post(f"/api/outbound-calls/{call_id}/call-ids", {"serverCallId": "srv-priv", "correlationId": "c-priv"})
    started_by = {"communicationIdentifier": {"kind": "communicationUser", "rawId": AGENTS["bob"]["acsUserId"],
                                              "communicationUser": {"id": AGENTS["bob"]["acsUserId"]}}}
    ended = {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.CallEnded", "dataVersion": "1.0",
             "subject": "s", "eventTime": client.now().isoformat(),
             "data": {"serverCallId": "srv-priv", "correlationId": "c-priv", "startedBy": started_by,
                      "callDurationInSeconds": 30}}
    publish_and_settle(stack, ended)
    client.post(f"/api/outbound-calls/{call_id}/end", {})
    assert wait_for(lambda: client.get("/api/agents/bob/presence")[1]["emergency"] is False)
    # a normal call Bob makes after the emergency call (a call overlapping it could be that call: withheld)
    client.advance(120)
    normal = dict(ended, id=str(uuid.uuid4()), eventTime=client.now().isoformat(),
                  data=dict(ended["data"], serverCallId="srv-n", correlationId="c-n"))
    publish_and_settle(stack, normal)
    history = client.get("/api/agents/bob/call-history")[1]["calls"]
    assert sorted(e.get("number") or e["id"] for e in history) == ["+1 202 555 0151", "c-n"]
    incidents = client.get("/api/manage/incidents")[1]["incidents"]
    assert call_id in [i["emergencyCallId"] for i in incidents]
