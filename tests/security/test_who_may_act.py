"""Issue 9's high and medium findings on who may act, reproduced through the local host: the function key is no
identity, the pool cannot be drained with made-up agents, and events are believed only from their own topics."""

from __future__ import annotations

import uuid
from typing import Any

from local.eventgrid.standin import TOPICS
from local.stack import Client, LocalStack, wait_for
from shared.agent_access import AGENT

MALLORY = {"userId": "00000000-0000-0000-0000-0000000ba11e", "userDetails": "mallory@example.com", "roles": [AGENT]}


def leased(client: Client) -> int:
    return sum(1 for n in client.get("/api/manage/callback-numbers")[1]["numbers"] if n["lease"])


def dial(client: Client, agent: str, number: str = "933") -> tuple[int, Any]:
    return client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": number, "countryCode": "US"})


def test_the_function_key_alone_acts_for_nobody(stack: LocalStack) -> None:
    nobody = stack.client.as_user(None)
    assert nobody.get("/api/agents/alice/emergency-state")[0] == 401
    assert nobody.put("/api/agents/alice/presence", {"status": "Away"})[0] == 401
    assert dial(nobody, "alice")[0] == 401
    mallory = stack.client.as_user(MALLORY)  # signed in, but no profile names her
    assert mallory.get("/api/agents/alice/emergency-state")[0] == 403
    assert dial(mallory, "alice", "+1 202 555 0150")[0] == 403
    # an emergency dial is hers, never Alice's: recorded against her user (issue 17)
    status, answer = dial(mallory, "alice")
    assert status == 200 and "agent_not_mapped" in [w["code"] for w in answer["warnings"]]
    incident = stack.client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]
    assert incident["agentId"] == f"principal:{MALLORY['userId']}"
    assert stack.client.get("/api/agents/alice/presence")[1]["emergency"] is False
    assert mallory.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})[0] == 200


def test_made_up_agents_cannot_drain_the_pool(stack: LocalStack) -> None:
    c = stack.client  # even a dialer service, which may act for anyone
    before = leased(c)
    for i in range(4):
        status, answer = dial(c, f"mallory-{i}")
        assert status == 200 and answer["dial"] is True and answer["callbackNumberSource"] != "pool"
    assert leased(c) == before
    # One agent: a few numbers at most (calls without an end each keep theirs), however often she is dialed for.
    answers = [dial(c, "alice")[1] for _ in range(5)]
    assert all(a["dial"] is True for a in answers)
    assert len({a["callbackNumber"] for a in answers if a["callbackNumberSource"] == "pool"}) == 3
    assert leased(c) == before + 3
    assert {w["code"] for w in answers[-1]["warnings"]} >= {"agent_holds_numbers"}


def call_ended(call_id: str, agent: str, topic: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "eventType": "Emergency.CallEnded", "subject": "s", "dataVersion": "1.0",
            "eventTime": "2026-12-01T00:00:00+00:00", "topic": topic,
            "data": {"emergencyCallId": call_id, "agentId": agent, "endedAt": "2026-12-01T00:00:00+00:00"}}


def test_forged_events_change_nothing(stack: LocalStack) -> None:
    c = stack.client
    status, answer = dial(c, "bob", "911")
    assert status == 200
    call_id = answer["emergencyCallId"]
    assert wait_for(lambda: c.get("/api/agents/bob/presence")[1]["emergency"] is True)
    # a forged Emergency.CallEnded straight to the webhook, and an ACS CallEnded from another resource
    assert c.event_grid("presence_update", [call_ended(call_id, "bob", "/subscriptions/evil")]) == 200
    c.post(f"/api/outbound-calls/{call_id}/call-ids", {"serverCallId": "srv-forged", "correlationId": "c-forged"})
    acs_end = {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.CallEnded", "subject": "s",
               "dataVersion": "1.0", "eventTime": c.now().isoformat(), "topic": "/subscriptions/evil",
               "data": {"serverCallId": "srv-forged", "correlationId": "c-forged", "callDurationInSeconds": 5}}
    assert c.event_grid("acs_call_events", [acs_end]) == 200
    assert c.get("/api/agents/bob/presence")[1]["emergency"] is True
    assert c.get(f"/api/manage/incidents/{call_id}")[1]["endedAt"] is None
    # the same events from where they come from do take effect
    assert c.event_grid("acs_call_events", [dict(acs_end, topic=TOPICS["acs"])]) == 200
    assert wait_for(lambda: c.get("/api/agents/bob/presence")[1]["emergency"] is False)
