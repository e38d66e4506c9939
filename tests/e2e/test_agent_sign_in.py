"""Agents sign in and act only for themselves; a dialer service acts for any agent; nobody else (issue 9, item 1).
Refused requests write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import Client
from shared.agent_access import AGENT, DIALER

ALICE_USER = {"userId": "00000000-0000-0000-0000-0000000a11ce", "userDetails": "alice@example.com", "roles": [AGENT]}
BOB_USER = {"userId": "00000000-0000-0000-0000-000000000b0b", "userDetails": "bob@example.com", "roles": [AGENT]}
DIALER_SERVICE = {"userId": "00000000-0000-0000-0000-0000000d1a1e", "userDetails": "dialer", "roles": [DIALER]}
ADMIN_ONLY = {"userId": "00000000-0000-0000-0000-00000000ad02", "userDetails": "admin2@example.com",
              "roles": ["EmergencyCalling.Admin"]}


@pytest.fixture(scope="module")
def signed_in(client: Client) -> dict[str, Client]:
    """Alice's and Bob's profiles name their users (as an admin sets them on the admin page)."""
    for agent, user in (("alice", ALICE_USER), ("bob", BOB_USER)):
        profile = client.get(f"/api/manage/agents/{agent}")[1]
        profile["signInId"] = user["userId"]
        assert client.put(f"/api/manage/agents/{agent}", profile)[0] == 200
    return {"alice": client.as_user(ALICE_USER), "bob": client.as_user(BOB_USER),
            "dialer": client.as_user(DIALER_SERVICE), "nobody": client.as_user(None),
            "admin": client.as_user(ADMIN_ONLY)}


def counts(client: Client) -> tuple[int, int]:
    incidents = client.get("/api/manage/incidents")[1]["incidents"]
    leased = [n for n in client.get("/api/manage/callback-numbers")[1]["numbers"] if n["lease"]]
    return len(incidents), len(leased)


def dial(as_: Client, agent: str) -> tuple[int, Any]:
    return as_.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": "933", "countryCode": "US"})


def test_an_agent_reads_and_sets_only_her_own_presence(signed_in: dict[str, Client]) -> None:
    alice = signed_in["alice"]
    assert alice.get("/api/agents/alice/presence")[0] == 200
    assert alice.get("/api/agents/bob/presence")[0] == 403
    assert alice.put("/api/agents/bob/presence", {"status": "Away"})[0] == 403
    assert signed_in["nobody"].get("/api/agents/alice/presence")[0] == 401
    assert signed_in["admin"].get("/api/agents/alice/emergency-state")[0] == 403  # admins do not act as agents
    assert signed_in["bob"].get("/api/agents/bob/call-history")[0] == 200
    assert signed_in["bob"].get("/api/agents/alice/call-history")[0] == 403


def test_a_dial_for_someone_else_is_refused_and_writes_nothing(client: Client,
                                                                signed_in: dict[str, Client]) -> None:
    before = counts(client)
    assert dial(signed_in["alice"], "bob")[0] == 403
    assert dial(signed_in["alice"], "mallory-1")[0] == 403
    assert dial(signed_in["nobody"], "alice")[0] == 401
    assert counts(client) == before


def test_only_the_caller_ends_her_call_and_a_dialer_service_acts_for_anyone(client: Client,
                                                                             signed_in: dict[str, Client]) -> None:
    status, answer = dial(signed_in["alice"], "alice")
    assert status == 200 and answer["emergency"] is True
    call_id = answer["emergencyCallId"]
    assert signed_in["bob"].post(f"/api/outbound-calls/{call_id}/end", {})[0] == 403
    assert signed_in["bob"].post(f"/api/outbound-calls/{call_id}/call-ids", {"serverCallId": "srv-x"})[0] == 403
    assert signed_in["bob"].post(f"/api/outbound-calls/{call_id}/end", {"agentId": "bob"})[0] == 403
    assert client.get(f"/api/manage/incidents/{call_id}")[1]["endedAt"] is None  # nothing written
    assert signed_in["alice"].post(f"/api/outbound-calls/{call_id}/end", {})[0] == 200
    status, other = dial(signed_in["dialer"], "bob")
    assert status == 200 and other["emergency"] is True
    # a dialer service naming the wrong agent still ends the call: the record says whose it is
    end_path = f"/api/outbound-calls/{other['emergencyCallId']}/end"
    status, ended = signed_in["dialer"].post(end_path, {"agentId": "alice"})
    assert status == 200 and ended["endedAt"]


def test_the_signed_in_api_answers_the_agent_for_herself_only(client: Client, signed_in: dict[str, Client]) -> None:
    """/api/agent/…: the handlers of the function-key routes behind sign-in, for a browser that holds no key."""
    alice, bob, nobody = signed_in["alice"], signed_in["bob"], signed_in["nobody"]
    before = counts(client)
    assert nobody.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "933",
                                                    "countryCode": "US"})[0] == 401
    assert alice.post("/api/agent/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                   "countryCode": "US"})[0] == 403
    assert counts(client) == before
    status, answer = alice.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "933",
                                                             "countryCode": "US"})
    assert status == 200 and answer["emergency"] is True, answer
    call = answer["emergencyCallId"]
    assert bob.get("/api/agent/agents/alice/emergency-state")[0] == 403
    assert alice.get("/api/agent/agents/alice/emergency-state")[1]["emergencyCallId"] == call
    assert bob.post(f"/api/agent/outbound-calls/{call}/end", {"agentId": "bob"})[0] == 403
    assert alice.post(f"/api/agent/outbound-calls/{call}/call-ids", {"agentId": "alice",
                                                                      "serverCallId": "srv-twin"})[0] == 200
    status, ended = alice.post(f"/api/agent/outbound-calls/{call}/end", {"agentId": "alice"})
    assert status == 200 and ended["endSource"] == "dialer"
    assert alice.get("/api/agent/agents/alice/presence")[0] == 200
    assert alice.put("/api/agent/agents/bob/presence", {"status": "Away"})[0] == 403
    assert alice.get("/api/agent/agents/alice/call-history")[0] == 200
    assert bob.put("/api/agent/agents/alice/location", {"countryCode": "US", "address": "1 Example Plaza"})[0] == 403
