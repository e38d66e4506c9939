"""The admin API through the local host: who may do what, readiness per agent, pool changes, audit, validation."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from local.stack import ADMIN_PRINCIPAL, Client

AUDITOR = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
           "roles": ["EmergencyCalling.Auditor"]}
NO_ROLE = {"userId": "00000000-0000-0000-0000-0000000000a3", "userDetails": "agent@example.com", "roles": []}
READS = ["/api/manage/agents", "/api/manage/agents/alice", "/api/manage/readiness",
         "/api/manage/agents/alice/readiness", "/api/manage/callback-numbers", "/api/manage/incidents",
         "/api/manage/audit", "/api/manage/voice-config", "/api/manage/voice-config/numbers/%2B12025550180",
         "/api/manage/me", "/api/manage/template-placeholders", "/api/manage/ui/"]
CHANGES = [("PUT", "/api/manage/agents/alice", {"displayName": "Mallory"}),
           ("PUT", "/api/manage/callback-numbers", {"numbers": []}),
           ("POST", "/api/manage/callback-numbers", {"number": "+1 202 555 0109"}),
           ("POST", "/api/manage/callback-numbers/%2B12025550100/retire", None),
           ("PUT", "/api/manage/voice-config/capacity-profiles/x", {"name": "x"}),
           ("DELETE", "/api/manage/voice-config/numbers/%2B12025550180", None)]


@pytest.fixture(scope="module")
def incident(client: Client) -> str:
    """One emergency (test) call, so that there is an incident to read."""
    status, answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933", "countryCode": "US"})
    assert status == 200
    client.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})
    return str(answer["emergencyCallId"])


@pytest.mark.parametrize("path", READS)
def test_nobody_signed_in_gets_401_even_with_a_function_key(client: Client, path: str) -> None:
    assert client.as_user(None).get(path, headers={"x-functions-key": "a-valid-looking-key"})[0] == 401


@pytest.mark.parametrize("path", READS)
def test_a_user_without_an_app_role_gets_403(client: Client, path: str) -> None:
    assert client.as_user(NO_ROLE).get(path)[0] == 403


@pytest.mark.parametrize("path", READS)
def test_admins_and_auditors_read_everything(client: Client, path: str) -> None:
    assert client.get(path)[0] == 200
    assert client.as_user(AUDITOR).get(path)[0] == 200


def test_an_auditor_reads_incidents_but_changes_nothing(client: Client, incident: str) -> None:
    auditor = client.as_user(AUDITOR)
    status, listed = auditor.get("/api/manage/incidents")
    assert status == 200 and incident in [i["emergencyCallId"] for i in listed["incidents"]]
    assert auditor.get(f"/api/manage/incidents/{incident}")[0] == 200
    before = client.get("/api/manage/agents/alice")[1]
    for method, path, body in CHANGES:
        status, answer = auditor.call(method, path, body)
        assert status == 403, (method, path, answer)
        assert "EmergencyCalling.Admin" in answer["error"]
    assert client.get("/api/manage/agents/alice")[1] == before
    assert auditor.get("/api/manage/me")[1]["can"] == {"read": True, "incidents": True, "change": False,
                                                      "board": True}


@pytest.mark.parametrize("method, path, body", CHANGES)
def test_changes_need_a_signed_in_admin(client: Client, method: str, path: str, body: object) -> None:
    assert client.as_user(None).call(method, path, body)[0] == 401
    assert client.as_user(NO_ROLE).call(method, path, body)[0] == 403


def test_a_post_not_declared_as_json_is_refused(client: Client) -> None:
    status, answer = client.post("/api/manage/callback-numbers", {"number": "+1 202 555 0109"},
                                 headers={"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in answer["error"]


def test_readiness_counts_and_explains_each_seeded_agent(client: Client) -> None:
    status, body = client.get("/api/manage/readiness")
    # Alice's only warning: no 933 drill has passed yet (a fresh stack)
    assert status == 200 and body["counts"] == {"pass": 0, "warning": 2, "fail": 1}
    by_id = {a["agentId"]: a for a in body["agents"]}
    assert (by_id["alice"]["status"], by_id["alice"]["path"]["kind"]) == ("warning", "direct_offer")
    assert [c["id"] for c in by_id["alice"]["checks"] if c["status"] != "pass"] == ["last_drill"]
    assert (by_id["bob"]["status"], by_id["bob"]["path"]["kind"]) == ("warning", "direct_offer_fallback")
    carol = {c["id"]: c for c in by_id["carol"]["checks"]}
    assert carol["recipients"]["status"] == "fail" and carol["recipients"]["fix"]
    assert carol["emergency_path"]["status"] == "pass" and "sbc-eu.example.com" in carol["emergency_path"]["reason"]
    assert carol["callback_number"]["status"] == "fail" and "+45" in carol["callback_number"]["reason"]


def test_a_rule_for_911_moves_bob_to_direct_routing_and_back(client: Client) -> None:
    rule = "/api/manage/voice-config/routing-rules/emergency-911"
    assert client.put(rule, {"numberPattern": "^\\+?911$", "trunks": ["sbc1.example.com"]})[0] == 200
    try:
        path = client.get("/api/manage/agents/bob/readiness")[1]["path"]
        assert (path["kind"], path["legs"][0]["rule"], path["legs"][0]["trunks"]) == (
            "direct_routing", "emergency-911", ["sbc1.example.com"])
    finally:
        assert client.delete(rule)[0] == 204
    assert client.get("/api/manage/agents/bob/readiness")[1]["path"]["kind"] == "direct_offer_fallback"
    assert client.get("/api/manage/agents/nobody/readiness")[0] == 404


def test_a_bad_recipient_is_named_and_nothing_is_saved(client: Client) -> None:
    before = client.get("/api/manage/agents/bob")[1]
    typed = "a@example.com; bad@; b@example.org"
    status, error = client.put("/api/manage/agents/bob", {**before, "emailRecipients": typed})
    assert status == 400 and error["field"] == "emailRecipients"
    assert [(d["item"], d["position"]) for d in error["details"]] == [("bad@", 2)]
    assert client.get("/api/manage/agents/bob")[1] == before


def test_pool_numbers_are_added_retired_and_audited(client: Client) -> None:
    number = "+12025550106"
    status, added = client.post("/api/manage/callback-numbers", {"number": "+1 (202) 555-0106"})
    assert status == 201 and (added["number"], added["state"], added["region"]) == (number, "free", "1")
    assert client.post("/api/manage/callback-numbers", {"number": number})[0] == 409
    status, retired = client.post(f"/api/manage/callback-numbers/{quote(number)}/retire")
    assert status == 200 and retired["state"] == "retired"
    assert client.post("/api/manage/callback-numbers/%2B12025550199/retire")[0] == 404
    status, error = client.post("/api/manage/callback-numbers", {"number": "12"})
    assert status == 400 and error["field"] == "number"
    entries = client.get(f"/api/manage/audit?entity=callback-number&entityId={quote(number)}")[1]["entries"]
    assert [(e["action"], e["old"], e["new"], e["actor"]["name"]) for e in entries] == [
        ("retired", "in service", "retired", ADMIN_PRINCIPAL["userDetails"]),
        ("added", None, "in service", ADMIN_PRINCIPAL["userDetails"])]


@pytest.mark.parametrize("path, body, field", [
    ("numbers/%2B12025550183", {"type": "microsoft", "country": "GB"}, "country"),
    ("numbers/%2B12025550183", {"type": "carrier", "country": "US"}, "type"),
    ("numbers/12", {"type": "microsoft", "country": "US"}, "key"),
    ("routing-rules/bad", {"numberPattern": "([", "trunks": ["sbc1.example.com"]}, "numberPattern"),
    ("routing-rules/bad", {"numberPattern": "^911$", "trunks": ["sbc1.example.com", "not a host"]}, "trunks"),
    ("outbound-profiles/p", {"channel": "fax"}, "channel"),
    ("gadgets/x", {}, "kind"),
])
def test_voice_setup_input_is_validated_naming_the_field(client: Client, path: str, body: dict, field: str) -> None:
    status, error = client.put(f"/api/manage/voice-config/{path}", body)
    assert status == 400 and error["field"] == field, error


def test_an_agent_change_is_in_the_audit_log_with_who_and_old_to_new(client: Client) -> None:
    before = client.get("/api/manage/agents/alice")[1]
    changed = {**before, "smsRecipients": "+1 202 555 0143"}
    assert client.put("/api/manage/agents/alice", changed)[0] == 200
    try:
        entries = client.as_user(AUDITOR).get("/api/manage/audit?entity=agent&entityId=alice&limit=5")[1]["entries"]
        latest = entries[0]
        assert (latest["field"], latest["old"], latest["new"]) == ("smsRecipients", "+1 202 555 0142",
                                                                   "+1 202 555 0143")
        assert latest["actor"] == {"userId": ADMIN_PRINCIPAL["userId"], "name": ADMIN_PRINCIPAL["userDetails"]}
    finally:
        client.put("/api/manage/agents/alice", before)
    assert client.get("/api/manage/audit?limit=0")[0] == 400
