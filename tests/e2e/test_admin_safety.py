"""Safe administration through the local host: impact answers before a deletion or a retirement, refusals that name
who uses the item, a retired number that comes back only when reinstated, pool input refused in our words, and the
audit log one row per change with server-side filters. Fictional 555-01xx numbers, example.com addresses only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest

from local.seed import POOL
from local.stack import ADMIN_PRINCIPAL, Client

SECOND_ADMIN = {"userId": "00000000-0000-0000-0000-0000000000a4", "userDetails": "second-admin@example.com",
                "roles": ["EmergencyCalling.Admin"]}
AUDITOR = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
           "roles": ["EmergencyCalling.Auditor"]}
PROFILE = "/api/manage/voice-config/capacity-profiles/voice-default"
RULE = "/api/manage/voice-config/routing-rules/emergency-911"


def readiness(client: Client) -> dict[str, str]:
    return {a["agentId"]: a["status"] for a in client.get("/api/manage/readiness")[1]["agents"]}


def test_the_impact_of_deleting_the_profile_every_agent_has_names_them_and_changes_nothing(client: Client) -> None:
    before = readiness(client)
    status, impact = client.as_user(AUDITOR).get(f"{PROFILE}/impact")
    assert status == 200, impact
    assert (impact["allowed"], impact["entity"], impact["key"]) == (False, "capacity-profile", "voice-default")
    assert [u["id"] for u in impact["usedBy"]] == ["alice", "bob", "carol", "voice-outbound-us"]
    assert impact["becomeNotReady"] == 2
    assert impact["summary"].startswith("2 agents will become not ready: Alice Example, Bob Example.")
    assert readiness(client) == before and client.get(PROFILE)[0] == 200


def test_a_profile_in_use_is_refused_with_409_naming_who_uses_it(client: Client) -> None:
    before = readiness(client)
    status, refused = client.delete(PROFILE)
    assert status == 409, refused
    assert "used by 3 agents (alice, bob, carol) and 1 outbound profile (voice-outbound-us)" in refused["error"]
    assert client.get(PROFILE)[0] == 200 and readiness(client) == before
    audit = client.get("/api/manage/audit?entity=capacity-profile&entityId=voice-default")[1]
    assert [c["action"] for c in audit["changes"]] == ["created"]


def test_an_unused_profile_is_deleted_after_an_empty_impact(client: Client) -> None:
    path = "/api/manage/voice-config/capacity-profiles/spare-e2e"
    assert client.put(path, {"name": "Spare"})[0] == 200
    status, impact = client.get(f"{path}/impact")
    assert status == 200 and impact["allowed"] is True and impact["summary"] == "No agent's readiness changes."
    assert client.delete(path)[0] == 204
    assert client.get(f"{path}/impact")[0] == 404
    status, error = client.get("/api/manage/voice-config/gadgets/x/impact")
    assert status == 400 and error["field"] == "kind"


def test_impact_answers_need_a_reader(client: Client) -> None:
    assert client.as_user(None).get(f"{PROFILE}/impact")[0] == 401
    assert client.as_user(None).get(f"/api/manage/callback-numbers/{quote(POOL[0])}/impact")[0] == 401
    assert client.as_user(AUDITOR).post(f"/api/manage/callback-numbers/{quote(POOL[0])}/reinstate")[0] == 403


@pytest.fixture
def pool_relied_on(client: Client) -> Iterator[list[str]]:
    """A rule sends every US 911 to the SBC, so the US agents' callbacks need a free +1 pool number; the pool's
    numbers are all in service again afterwards, and the rule gone."""
    assert client.put(RULE, {"numberPattern": "^\\+?911$", "trunks": ["sbc1.example.com"]})[0] == 200
    numbers = [n["number"] for n in client.get("/api/manage/callback-numbers")[1]["numbers"] if n["region"] == "1"]
    yield numbers
    for number in numbers:
        assert client.post(f"/api/manage/callback-numbers/{quote(number)}/reinstate")[0] == 200
    assert client.delete(RULE)[0] == 204


def test_the_last_free_number_of_a_region_agents_rely_on_is_not_retired(client: Client,
                                                                       pool_relied_on: list[str]) -> None:
    *others, last = pool_relied_on
    for number in others:
        status, answer = client.post(f"/api/manage/callback-numbers/{quote(number)}/retire")
        assert status == 200, answer
    status, impact = client.get(f"/api/manage/callback-numbers/{quote(last)}/impact")
    assert status == 200 and impact["lastFree"] is True and impact["allowed"] is False
    assert {a["agentId"] for a in impact["agents"]} == {"alice", "bob"}
    status, refused = client.post(f"/api/manage/callback-numbers/{quote(last)}/retire")
    assert status == 409 and "last free callback number of its region" in refused["error"], refused
    number = next(n for n in client.get("/api/manage/callback-numbers")[1]["numbers"] if n["number"] == last)
    assert number["state"] == "free"


def test_a_pool_replacement_that_empties_a_region_agents_rely_on_is_refused(client: Client,
                                                                           pool_relied_on: list[str]) -> None:
    status, refused = client.put("/api/manage/callback-numbers", {"numbers": []})
    assert status == 409, refused
    numbers = client.get("/api/manage/callback-numbers")[1]["numbers"]
    assert not any(n["retired"] for n in numbers if n["number"] in pool_relied_on)


def test_a_retired_number_comes_back_only_when_reinstated_and_both_are_audited(client: Client) -> None:
    number = "+12025550109"
    assert client.post("/api/manage/callback-numbers", {"number": "+1 202 555 0109"})[0] == 201
    assert client.post(f"/api/manage/callback-numbers/{quote(number)}/retire")[0] == 200
    # WHEN it is added again THEN 409, and it stays retired
    status, refused = client.post("/api/manage/callback-numbers", {"number": number})
    assert status == 409 and refused["error"].startswith(f"{number} is retired: a retired number is never leased")
    status, refused = client.put("/api/manage/callback-numbers", {"numbers": [*POOL, number]})
    assert status == 409 and f"{number} is retired" in refused["error"]
    assert _state(client, number) == "retired"
    # WHEN an admin reinstates it THEN it is free again, recorded as such
    status, back = client.post(f"/api/manage/callback-numbers/{quote(number)}/reinstate")
    assert status == 200 and back["state"] == "free"
    changes = client.get(f"/api/manage/audit?entity=callback-number&entityId={quote(number)}")[1]["changes"]
    assert [(c["action"], c["fields"][0]["new"]) for c in changes] == [
        ("reinstated", "in service"), ("retired", "retired"), ("added", "in service")]
    assert client.post("/api/manage/callback-numbers/%2B12025550198/reinstate")[0] == 404


def _state(client: Client, number: str) -> str:
    return str(next(n for n in client.get("/api/manage/callback-numbers")[1]["numbers"]
                    if n["number"] == number)["state"])


@pytest.mark.parametrize(("typed", "reason"), [
    ("+12025550199x", "may hold only digits, spaces and - . ( ) after the +, not “x”"),
    ("555-1234", "must start with + and the country calling code, e.g. +1 202 555 0100"),
])
def test_bad_pool_input_is_a_400_naming_the_field_in_our_words(client: Client, typed: str, reason: str) -> None:
    status, error = client.post("/api/manage/callback-numbers", {"number": typed})
    assert status == 400 and error["field"] == "number" and error["error"].startswith(reason), error
    assert "default region" not in error["error"]
    assert "+12025550199" not in [n["number"] for n in client.get("/api/manage/callback-numbers")[1]["numbers"]]


def test_the_audit_log_is_one_row_per_change_and_filters_on_the_server(client: Client) -> None:
    # GIVEN another admin changes two fields of Bob's in one save
    second = client.as_user(SECOND_ADMIN)
    bob = second.get("/api/manage/agents/bob")[1]
    changed = {**bob, "displayName": "Bob Example Jr", "timezone": "America/Chicago"}
    assert second.put("/api/manage/agents/bob", changed)[0] == 200
    # WHEN the log is read for that admin THEN it is one change with both fields, old -> new
    query = urlencode({"actor": "second-admin@example.com", "entity": "agent", "entityId": "bob"})
    status, answer = client.get(f"/api/manage/audit?{query}")
    assert status == 200, answer
    [change] = answer["changes"]
    assert (change["action"], change["actor"]["userId"]) == ("updated", SECOND_ADMIN["userId"])
    assert {(f["field"], f["old"], f["new"]) for f in change["fields"]} == {
        ("displayName", "Bob Example", "Bob Example Jr"), ("timezone", "America/New_York", "America/Chicago")}
    assert client.get(f"/api/manage/audit?actor={SECOND_ADMIN['userId']}")[1]["changes"][0]["changeId"] == \
        change["changeId"]
    # ... a date range around now holds it, one that ends before it does not
    now = client.now()
    day = now.date().isoformat()
    assert change["changeId"] in _ids(client, {"from": day, "to": day})
    before = (now - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    assert change["changeId"] not in _ids(client, {"to": before})
    assert change["changeId"] in _ids(client, {"from": before})
    # ... the admin's own seeding is there, one row per agent, never one per field
    seeded = client.get(f"/api/manage/audit?actor={quote(ADMIN_PRINCIPAL['userDetails'])}&entity=agent&limit=500")[1]
    created = [c for c in seeded["changes"] if c["action"] == "created"]
    assert sorted(c["entityId"] for c in created) == ["alice", "bob", "carol"]
    assert all(len(c["fields"]) > 5 for c in created)
    second.put("/api/manage/agents/bob", bob)


def _ids(client: Client, params: dict[str, str]) -> list[str]:
    status, answer = client.get(f"/api/manage/audit?{urlencode(params)}")
    assert status == 200, answer
    return [c["changeId"] for c in answer["changes"]]


@pytest.mark.parametrize(("query", "field"), [
    ("from=yesterday", "from"), ("to=2026-02-30", "to"), ("from=2026-03-02&to=2026-03-01", "to"),
    ("limit=501", "limit"), ("entity=gadget", "entity"), ("who=admin", "who"),
    ("from=2026-03-01T12:00:00", "from"),
])
def test_a_bad_audit_filter_is_a_400_naming_it(client: Client, query: str, field: str) -> None:
    status, error = client.get(f"/api/manage/audit?{query}")
    assert status == 400 and error["field"] == field, error
