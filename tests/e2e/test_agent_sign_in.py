"""Agents sign in and act only for themselves; a dialer service acts for any agent; nobody else (issue 9, item 1).
Refused requests write nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from local.stack import FALLBACK_RECIPIENTS, FALLBACK_TARGET, Client, LocalStack, wait_for
from shared.agent_access import AGENT, DIALER
from tests.e2e.test_callback_flow import incoming, phone, publish_and_settle, redirects_of

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


def test_a_normal_dial_for_someone_else_is_refused_and_writes_nothing(client: Client,
                                                                       signed_in: dict[str, Client]) -> None:
    before = counts(client)
    for agent in ("bob", "mallory-1"):
        assert signed_in["alice"].post("/api/outbound-calls", {"agentId": agent, "dialedNumber": "+1 202 555 0150",
                                                               "countryCode": "US"})[0] == 403
    assert dial(signed_in["nobody"], "alice")[0] == 401
    assert counts(client) == before


def test_an_emergency_dial_naming_someone_else_is_the_callers_own_call(client: Client,
                                                                       signed_in: dict[str, Client]) -> None:
    # GIVEN Alice signed in, her dialer naming Bob (a shared desk, say)
    # WHEN she dials 933
    status, answer = dial(signed_in["alice"], "bob")
    # THEN the call is hers, with a warning; Bob's presence and calls are untouched
    assert status == 200 and codes(answer) == ["agent_id_mismatch"], answer
    assert client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]["agentId"] == "alice"
    assert client.get("/api/agents/bob/presence")[1]["emergency"] is False
    assert signed_in["bob"].post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})[0] == 403
    assert signed_in["alice"].post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})[0] == 200


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
    assert alice.post("/api/agent/outbound-calls", {"agentId": "bob", "dialedNumber": "+1 202 555 0150",
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


def test_a_panel_dial_that_names_no_agent_is_the_signed_in_agent_s_own(client: Client,
                                                                     signed_in: dict[str, Client]) -> None:
    """The panel dials before it learned who she is (her profile still loading): the call is hers, handled."""
    status, answer = signed_in["bob"].post("/api/agent/outbound-calls", {"dialedNumber": "933", "countryCode": "US"})
    assert status == 200 and answer["emergency"] is True and answer["warnings"] == [], answer
    incident = client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]
    assert incident["agentId"] == "bob"
    # a dialer service must still name the agent; nobody signed in is refused, as before
    assert signed_in["dialer"].post("/api/agent/outbound-calls", {"dialedNumber": "933",
                                                                  "countryCode": "US"})[1]["field"] == "agentId"
    assert signed_in["nobody"].post("/api/agent/outbound-calls", {"dialedNumber": "933", "countryCode": "US"})[0] \
        in (400, 401)
    assert signed_in["bob"].post(f"/api/agent/outbound-calls/{answer['emergencyCallId']}/end", {})[0] == 200


# --- issue 17, defect 2: a signed-in agent whose profile names nobody still gets her emergency call handled -------

CAROL_USER = {"userId": "00000000-0000-0000-0000-0000000ca401", "userDetails": "carol@example.com", "roles": [AGENT]}
MALLORY_USER = {"userId": "00000000-0000-0000-0000-0000000ba11e", "userDetails": "mallory@example.com",
                "roles": [AGENT]}
AUDITOR_USER = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
                "roles": ["EmergencyCalling.Auditor"]}
CAROL_DIAL = {"agentId": "carol", "dialedNumber": "911", "countryCode": "US",
              "location": {"countryCode": "US", "address": "2 Example Plaza", "floor": "5"}}


def codes(answer: dict[str, Any]) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


@pytest.mark.parametrize("path", ["/api/agent/outbound-calls", "/api/outbound-calls"])
def test_a_signed_in_agent_no_profile_names_gets_her_emergency_call_handled(
        stack: LocalStack, client: Client, signed_in: dict[str, Client], path: str) -> None:
    # GIVEN Carol's profile has no signInId (nobody set it yet), and she signs in with the Agent role
    assert client.get("/api/manage/agents/carol")[1]["signInId"] is None
    carol = client.as_user(CAROL_USER)
    # WHEN she dials 911
    status, answer = carol.post(path, CAROL_DIAL)
    # THEN the dial is answered, with a warning that says what is missing and who can fix it
    assert status == 200 and answer["dial"] is True and answer["emergency"] is True, answer
    warning = next(w for w in answer["warnings"] if w["code"] == "agent_not_mapped")
    assert "signInId" in warning["message"] and "carol@example.com" in warning["message"]
    # ... a callback number is leased, and a callback to it reaches the fallback desk
    assert answer["callbackNumberSource"] == "pool" and answer["callerId"] == answer["callbackNumber"]
    corr = f"unmapped-{path.count('/')}"
    publish_and_settle(stack, incoming(client, phone(answer["callbackNumber"]), corr))
    assert [r["body"]["target"]["rawId"] for r in redirects_of(stack, corr)] == [FALLBACK_TARGET]
    # ... the incident is recorded against what is known of her
    call_id = answer["emergencyCallId"]
    incident = client.get(f"/api/manage/incidents/{call_id}")[1]
    assert incident["agentId"] == f"principal:{CAROL_USER['userId']}"
    assert incident["agentName"] == "carol@example.com" and incident["dialedNumber"] == "911"
    assert incident["location"]["address"] == "2 Example Plaza"
    # ... and the fallback recipients are told
    assert wait_for(lambda: FALLBACK_RECIPIENTS in [
        d["recipient"] for d in client.get(f"/api/manage/incidents/{call_id}/deliveries")[1]["deliveries"]])
    # ... nobody else may end her call; she may
    for other in (signed_in["bob"], client.as_user(MALLORY_USER)):
        assert other.post(f"{path}/{call_id}/end", {"agentId": "carol"})[0] == 403
    assert carol.post(f"{path}/{call_id}/call-ids", {"agentId": "carol", "serverCallId": f"srv-{corr}"})[0] == 200
    status, ended = carol.post(f"{path}/{call_id}/end", {"agentId": "carol"})
    assert status == 200 and ended["endedAt"], ended
    assert client.get(f"/api/manage/incidents/{call_id}")[1]["endedAt"]


def test_an_unmapped_agent_touches_no_one_elses_call(client: Client, signed_in: dict[str, Client]) -> None:
    # GIVEN Alice's call in progress
    status, alices = dial(signed_in["alice"], "alice")
    assert status == 200
    carol = client.as_user(CAROL_USER)
    # WHEN Carol, whose profile names nobody, tries to end it or report its ids, or reads Alice's state
    # THEN she is refused and the call goes on
    assert carol.post(f"/api/outbound-calls/{alices['emergencyCallId']}/end", {"agentId": "alice"})[0] == 403
    assert carol.post(f"/api/agent/outbound-calls/{alices['emergencyCallId']}/call-ids",
                      {"agentId": "carol", "serverCallId": "srv-stolen"})[0] == 403
    assert carol.get("/api/agent/agents/alice/emergency-state")[0] == 403
    assert client.get(f"/api/manage/incidents/{alices['emergencyCallId']}")[1]["endedAt"] is None
    # ... and her own emergency dial naming Alice is hers, not Alice's
    status, answer = carol.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "933",
                                                             "countryCode": "US"})
    assert status == 200 and "agent_not_mapped" in codes(answer)
    incident = client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]
    assert incident["agentId"] == f"principal:{CAROL_USER['userId']}"
    assert client.get("/api/agents/alice/presence")[1]["emergencyCallId"] == alices["emergencyCallId"]
    for call in (answer, alices):
        client.post(f"/api/outbound-calls/{call['emergencyCallId']}/end", {})


def test_without_a_principal_or_a_role_the_emergency_dial_is_refused_and_writes_nothing(
        client: Client) -> None:
    before = counts(client)
    forged = {"X-MS-CLIENT-PRINCIPAL": "not-a-principal"}
    for who, expected in ((client.as_user(None), 401), (client.as_user(AUDITOR_USER), 403),
                          (client.as_user(ADMIN_ONLY), 403), (Client(client.base_url, forged), 401)):
        for path in ("/api/agent/outbound-calls", "/api/outbound-calls"):
            assert who.post(path, CAROL_DIAL)[0] == expected, (who.headers, path)
    assert counts(client) == before


# --- issue 18: the pre-dial hold is checked as the dial is, and a refused hint holds nothing ------------------------

PRE_DIAL_PATHS = ("/api/agent/outbound-calls/{id}/pre-dial", "/api/outbound-calls/{id}/pre-dial")


def pool_holds(client: Client) -> dict[str, str]:
    """Number -> the call id it is held for, as the admin's pool view shows it."""
    return {n["number"]: n["lease"]["emergencyCallId"]
            for n in client.get("/api/manage/callback-numbers")[1]["numbers"] if n["lease"]}


def post_raw(as_: Client, path: str, raw: bytes) -> tuple[int, Any]:
    """A body as sent, not JSON-encoded by the client (a truncated or non-object body)."""
    request = urllib.request.Request(as_.base_url + path, data=raw, method="POST",
                                     headers={"Content-Type": "application/json", **as_.headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.mark.parametrize("path", PRE_DIAL_PATHS)
def test_a_pre_dial_without_a_principal_or_a_role_or_for_someone_else_is_refused_and_holds_nothing(
        client: Client, signed_in: dict[str, Client], path: str) -> None:
    before = pool_holds(client)
    forged = Client(client.base_url, {"X-MS-CLIENT-PRINCIPAL": "not-a-principal"})
    hint = {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"}
    for n, (who, body, expected) in enumerate((
            (signed_in["nobody"], hint, 401), (forged, hint, 401),
            (client.as_user(AUDITOR_USER), hint, 403), (signed_in["admin"], hint, 403),
            # a signed-in agent for another agent: a normal number is refused (an emergency one would be hers)
            (signed_in["alice"], {"agentId": "bob", "dialedNumber": "+1 202 555 0150", "countryCode": "US"}, 403),
            (signed_in["bob"], {"agentId": "alice", "dialedNumber": "+1 202 555 0150", "countryCode": "US"}, 403))):
        status, answer = who.post(path.format(id=f"pre-refused-{n}"), body)
        assert status == expected, (n, status, answer)
    assert pool_holds(client) == before


@pytest.mark.parametrize("path", PRE_DIAL_PATHS)
def test_a_malformed_pre_dial_is_400_naming_the_field_and_holds_nothing(
        client: Client, signed_in: dict[str, Client], path: str) -> None:
    alice = signed_in["alice"]
    before = pool_holds(client)
    valid = {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"}
    for call_id, body, field in (
            ("pre-bad-1", {"dialedNumber": "911", "countryCode": "US"}, "agentId"),
            ("pre-bad-2", {"agentId": "alice", "dialedNumber": 911, "countryCode": "US"}, "dialedNumber"),
            ("pre-bad-3", {**valid, "countryCode": "U\nS"}, "countryCode"),
            ("pre-bad-4", {**valid, "location": "1 Example Plaza"}, "location"),
            ("bad%0A", valid, "emergencyCallId"), ("bad%20id", valid, "emergencyCallId"),
            ("-leading-dash", valid, "emergencyCallId"), ("x" * 129, valid, "emergencyCallId")):
        status, answer = alice.post(path.format(id=call_id), body)
        assert status == 400 and answer["field"] == field, (call_id, body, status, answer)
    for raw in (b"{", b"[]", b'"911"', b""):
        status, answer = post_raw(alice, path.format(id="pre-bad-raw"), raw)
        assert status == 400 and answer["field"] == "body", (raw, status, answer)
    assert pool_holds(client) == before


def test_her_own_pre_dial_holds_a_number_her_signed_in_dial_then_claims(client: Client,
                                                                         signed_in: dict[str, Client]) -> None:
    """What the refusals above are measured against: the same hint, by her, for herself."""
    alice = signed_in["alice"]
    client.advance(2 * 3600)  # past the windows of her earlier calls in this module: a hint then is no redial
    before = pool_holds(client)
    status, answer = alice.post("/api/agent/outbound-calls/pre-own-1/pre-dial",
                                {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"})
    assert status == 200 and answer["preDial"] is True, answer
    [number] = [n for n, call in pool_holds(client).items() if call == "pre-own-1"]
    assert number not in before
    status, answer = alice.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                             "countryCode": "US", "emergencyCallId": "pre-own-1",
                                                             "preDialed": True})
    assert status == 200 and answer["callbackNumber"] == number and answer["warnings"] == [], answer
    assert alice.post("/api/agent/outbound-calls/pre-own-1/end", {"agentId": "alice"})[0] == 200
    # ... while her hint naming Bob is refused (a hint is no dial: she acts for herself only) and holds nothing
    before = pool_holds(client)
    status, answer = alice.post("/api/agent/outbound-calls/pre-own-2/pre-dial",
                                {"agentId": "bob", "dialedNumber": "933", "countryCode": "US"})
    assert status == 403, answer
    assert pool_holds(client) == before
