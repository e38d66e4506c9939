"""Presence reaches the routing engine end to end: the dial's CallStarted holds the agent's Job Router worker in
the ACS stand-in (through the real SDK), the end gives it back exactly as it was; readiness asks for each worker."""

from __future__ import annotations

from typing import Any

from azure.communication.jobrouter import JobRouterClient

from local.stack import Client, LocalStack, wait_for


def worker(stack: LocalStack, worker_id: str) -> dict[str, Any]:
    """The worker as Job Router answers it, read through the SDK."""
    w = JobRouterClient.from_connection_string(stack.acs.connection_string,
                                               connection_verify=str(stack.acs.ca_bundle)).get_worker(worker_id)
    return {"available": w.available_for_offers, "tags": dict(w.tags or {})}


def dial(client: Client, agent: str) -> str:
    status, body = client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": "911", "countryCode": "US"})
    assert status == 200, body
    return str(body["emergencyCallId"])


def test_dialing_911_stops_offers_and_the_end_gives_them_back(stack: LocalStack, client: Client) -> None:
    call_id = dial(client, "alice")
    assert wait_for(lambda: worker(stack, "alice")["available"] is False)
    assert worker(stack, "alice")["tags"]["emergencyHolds"] == call_id
    assert client.post(f"/api/outbound-calls/{call_id}/end", {})[0] == 200
    assert wait_for(lambda: worker(stack, "alice") == {"available": True, "tags": {}})


def test_an_agent_unavailable_before_stays_unavailable_after(stack: LocalStack, client: Client) -> None:
    stack.acs.put_worker("bob", availableForOffers=False, capacity=1, queues=["voice"])
    call_id = dial(client, "bob")
    assert wait_for(lambda: worker(stack, "bob")["tags"].get("emergencyHolds") == call_id)
    assert client.post(f"/api/outbound-calls/{call_id}/end", {})[0] == 200
    assert wait_for(lambda: worker(stack, "bob")["tags"] == {})
    assert worker(stack, "bob")["available"] is False


def test_readiness_says_whose_worker_is_unknown(stack: LocalStack, client: Client) -> None:
    body = dict(client.get("/api/manage/agents/carol")[1])
    body["routingWorkerId"] = "nobody-registered-this"
    assert client.put("/api/manage/agents/carol", body)[0] == 200
    status, answer = client.get("/api/manage/readiness")
    assert status == 200, answer
    checks = {a["agentId"]: {c["id"]: c for c in a["checks"]} for a in answer["agents"]}
    assert checks["alice"]["routing_worker"]["status"] == "pass"
    assert checks["carol"]["routing_worker"]["status"] == "fail"
    assert "nobody-registered-this not found" in checks["carol"]["routing_worker"]["reason"]
