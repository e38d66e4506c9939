"""Each event the app publishes on its custom topic matches its JSON Schema (openapi/events/), as published by the
app itself through the local stack: an emergency call's whole life publishes all six kinds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from local.seed import seeded_stack
from local.stack import Client, LocalStack, wait_for
from tests.contract.conftest import event_schemas, published


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # ROUTING_ENGINE=event: the routing engine's holds are events too (Emergency.PresenceChanged).
    with seeded_stack(extra_env={"ROUTING_ENGINE": "event"}, eventgrid_time_scale=100) as s:
        yield s


def incoming_call(client: Client, number: str) -> dict[str, Any]:
    """ACS's IncomingCall of a responder calling `number` back (Event Grid schema)."""
    corr = uuid.uuid4().hex
    phone = {"kind": "phoneNumber", "rawId": "4:" + number, "phoneNumber": {"value": number}}
    caller = {"kind": "phoneNumber", "rawId": "4:+12025550177", "phoneNumber": {"value": "+12025550177"}}
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
            "subject": "/caller/x/recipient/y", "eventTime": client.now().isoformat(),
            "data": {"to": phone, "from": caller, "serverCallId": "srv-" + corr, "incomingCallContext": "ctx-" + corr,
                     "correlationId": corr, "callerDisplayName": "PSAP"}}


def kinds(stack: LocalStack) -> set[str]:
    return {event["eventType"] for event in published(stack.custom_topic.database_path)}


def test_every_kind_of_event_the_app_publishes_matches_its_schema(stack: LocalStack) -> None:
    client = stack.client
    # GIVEN an emergency call by Alice (started, her routing worker held, her contacts notified)
    status, dial = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"})
    assert status == 200 and dial["callbackNumber"], dial
    call_id = dial["emergencyCallId"]
    assert wait_for(lambda: "Emergency.PresenceChanged" in kinds(stack), timeout=30)
    assert wait_for(lambda: client.get(f"/api/manage/incidents/{call_id}/deliveries")[1].get("escalations"),
                    timeout=30)
    # WHEN the desk acknowledges it, the responder calls back, its first escalation step comes due, and it ends
    assert client.post(f"/api/manage/board/{call_id}/acknowledge", {})[0] == 200
    callback = incoming_call(client, dial["callbackNumber"])
    assert stack.publish_acs([callback]) == 200
    assert wait_for(lambda: stack.acs_settled([callback]), timeout=30)
    client.advance(125)
    assert client.run_function("escalation_steps") == 202
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "alice"})[0] == 200
    schemas = event_schemas()
    assert wait_for(lambda: kinds(stack) >= set(schemas), timeout=30), kinds(stack)
    # THEN every event published matches the schema of its kind
    events = published(stack.custom_topic.database_path)
    problems = [f"{event['eventType']} {event['id']}: {error.message} at {list(error.absolute_path)}"
                for event in events
                for error in Draft202012Validator(schemas[event["eventType"]],
                                                  format_checker=FormatChecker()).iter_errors(event)]
    assert problems == []


def test_a_schema_refuses_an_event_that_breaks_it() -> None:
    # GIVEN the schema of CallEnded, and a CallEnded whose time is no RFC 3339 time and whose agent is missing
    schema = event_schemas()["Emergency.CallEnded"]
    event = {"id": "c1:ended", "subject": "agents/alice/emergency-calls/c1", "eventType": "Emergency.CallEnded",
             "dataVersion": "1.0", "eventTime": "2026-12-07T13:02:44Z",
             "data": {"emergencyCallId": "c1", "test": False, "endedAt": "2026-12-07 13:02:44", "source": "dialer"}}
    # THEN the schema says both (the check above can fail)
    errors = sorted(e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(event))
    assert errors == ["'2026-12-07 13:02:44' is not a 'date-time'", "'agentId' is a required property"]
