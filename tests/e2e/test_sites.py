"""Sites and their networks through the local host (issue 19, parts 1 and 2): an admin defines the buildings with
validated civic addresses and maps networks to them; the agent's panel is told the site of the network she connects
from, as the platform reports it (the local host appends the peer to X-Forwarded-For, as App Service's front end
does), and what a client writes in that header itself is never believed."""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import Client
from tests.e2e.test_admin_api import AUDITOR
from tests.e2e.test_agent_sign_in import ALICE_USER

PLAZA = {"name": "Springfield contact center",
         "address": {"country": "US", "A1": "il", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1",
                     "PC": "62701"},
         "places": [{"floor": "3", "room": "301"}, {"floor": "3", "wing": "North"}],
         "deskEmails": ["guard@example.com", "Guard@example.com", "security-desk@example.org"]}
HARBOUR = {"name": "Aarhus office", "address": {"country": "DK", "A3": "Aarhus", "RD": "Eksempelvej", "HNO": "12",
                                                 "PC": "8000"}}


@pytest.fixture(scope="module")
def alice(client: Client) -> Client:
    profile = client.get("/api/manage/agents/alice")[1]
    profile["signInId"] = ALICE_USER["userId"]
    assert client.put("/api/manage/agents/alice", profile)[0] == 200
    return client.as_user(ALICE_USER)


def test_an_admin_defines_a_site_with_a_validated_address_and_the_audit_says_so(client: Client) -> None:
    status, site = client.put("/api/manage/sites/springfield", PLAZA)
    assert status == 200, site
    assert site["address"]["A1"] == "IL"  # normalised
    assert site["readout"] == "1 Example Plaza, Springfield IL 62701"
    assert site["places"] == [{"floor": "3", "room": "301"}, {"floor": "3", "wing": "North"}]
    assert site["deskEmails"] == ["guard@example.com", "security-desk@example.org"]  # normalised, once each
    assert [w["code"] for w in site["warnings"]] == ["no_network"]
    assert client.as_user(AUDITOR).get("/api/manage/sites")[1]["sites"][0]["siteId"] == "springfield"
    audit = client.get("/api/manage/audit?entity=site&entityId=springfield")[1]
    assert audit["entries"], audit


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({**PLAZA, "address": {**PLAZA["address"], "PC": "6270"}}, "address.PC", "is not a ZIP code of the United States"),
    ({**PLAZA, "address": {**PLAZA["address"], "HNO": None}}, "address.HNO", "is required"),
    ({**PLAZA, "address": {**PLAZA["address"], "country": "FR"}}, "address.country", "supported: US"),
    ({**PLAZA, "colour": "blue"}, "colour", "is not a field of a site"),
    ({**PLAZA, "places": [{"desk": "14"}]}, "places[0]", "floor, wing and/or room"),
    ({**PLAZA, "address": "1 Example Plaza"}, "address", "must be an object"),
    ({**PLAZA, "deskEmails": ["guard@example"]}, "deskEmails", "#1"),
])
def test_a_bad_site_is_refused_naming_the_field_and_nothing_changes(client: Client, body: dict[str, Any],
                                                                   field: str, reason: str) -> None:
    before = client.get("/api/manage/sites")[1]
    status, answer = client.put("/api/manage/sites/bad-site", body)
    assert status == 400 and answer["field"] == field and reason in answer["error"], answer
    assert client.get("/api/manage/sites")[1] == before


def test_networks_most_specific_wins_and_an_overlap_must_be_more_specific(client: Client) -> None:
    assert client.put("/api/manage/sites/aarhus", HARBOUR)[0] == 200
    status, answer = client.put("/api/manage/sites/aarhus/networks", {"networks": ["10.20.0.0/16"]})
    assert status == 200 and answer["networks"] == ["10.20.0.0/16"], answer
    status, answer = client.put("/api/manage/sites/springfield/networks", {"networks": ["10.0.0.0/8"]})
    assert status == 400 and answer["field"] == "networks[0]" and "overlaps 10.20.0.0/16" in answer["error"]
    status, answer = client.put("/api/manage/sites/springfield/networks",
                                {"networks": ["10.20.30.0/24", "2001:db8:1::/48"]})
    assert status == 200 and answer["networks"] == ["10.20.30.0/24", "2001:db8:1::/48"], answer
    status, answer = client.put("/api/manage/sites/springfield/networks", {"networks": ["10.20.30.7"]})
    assert status == 400 and answer["field"] == "networks[0]", answer
    assert client.put("/api/manage/sites/nowhere/networks", {"networks": []})[0] == 404


def test_the_panel_is_told_the_site_of_the_network_the_platform_saw_never_the_one_the_client_claims(
        client: Client, alice: Client) -> None:
    assert client.put("/api/manage/sites/springfield/networks",
                      {"networks": ["10.20.30.0/24", "127.0.0.1/32"]})[0] == 200
    path = "/api/agent/agents/alice/location-suggestion"
    # She connects from 127.0.0.1 (the local host appends it); a header she forges names Aarhus's network
    status, answer = alice.get(path, headers={"X-Forwarded-For": "10.20.1.1"})
    assert status == 200 and answer["source"] == "network", answer
    assert answer["network"]["site"]["siteId"] == "springfield" and answer["network"]["cidr"] == "127.0.0.1/32"
    assert client.put("/api/manage/sites/springfield/networks", {"networks": ["10.20.30.0/24"]})[0] == 200
    status, answer = alice.get(path, headers={"X-Forwarded-For": "10.20.30.5"})
    assert status == 200 and answer["source"] == "none" and answer["network"] is None, answer
    assert alice.get("/api/agent/agents/bob/location-suggestion")[0] == 403


def test_a_site_an_agent_confirmed_is_not_deleted_and_the_answer_names_her(client: Client, alice: Client) -> None:
    status, answer = alice.put("/api/agent/agents/alice/location", {
        "countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301", "siteId": "springfield"})
    assert status == 200 and answer["location"]["siteId"] == "springfield", answer
    # what she confirmed from is remembered as a network (the local host's peer), not as her address
    assert client.get("/api/manage/agents/alice")[1]["lastLocation"]["fromNetwork"] == "127.0.0.0/24"
    status, dialed = alice.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "933",
                                                              "countryCode": "US"})
    assert status == 200 and dialed["location"]["source"] == "confirmed", dialed  # from the same network
    alice.post(f"/api/agent/outbound-calls/{dialed['emergencyCallId']}/end", {"agentId": "alice"})
    status, answer = alice.put("/api/agent/agents/alice/location", {
        "countryCode": "US", "address": "1 Example Plaza", "siteId": "atlantis"})
    assert status == 400 and answer["field"] == "siteId", answer
    status, answer = client.delete("/api/manage/sites/springfield")
    assert status == 409 and "alice" in answer["error"], answer
    assert client.get("/api/manage/sites/springfield")[0] == 200
    assert client.delete("/api/manage/sites/aarhus")[0] == 204
    assert client.get("/api/manage/sites/aarhus")[0] == 404
    assert all(s["siteId"] != "aarhus" for s in client.get("/api/manage/sites")[1]["sites"])


def test_a_site_is_created_with_its_networks_in_one_request_and_create_only_never_overwrites(
        client: Client) -> None:
    body = {**HARBOUR, "name": "Odense office", "networks": ["192.0.2.0/24"], "deskSms": ["+4570100100"]}
    status, site = client.put("/api/manage/sites/odense", body, headers={"If-None-Match": "*"})
    assert status == 200 and site["networks"] == ["192.0.2.0/24"] and site["deskSms"] == ["+4570100100"], site
    assert [w["code"] for w in site["warnings"]] == []  # a desk by SMS is a desk
    status, answer = client.put("/api/manage/sites/odense", {**body, "name": "Someone else's"},
                                headers={"If-None-Match": "*"})
    assert status == 409 and "already exists" in answer["error"], answer
    assert client.get("/api/manage/sites/odense")[1]["name"] == "Odense office"
    status, answer = client.put("/api/manage/sites/odense", body, headers={"If-None-Match": '"an-etag"'})
    assert status == 400 and answer["field"] == "If-None-Match", answer  # never taken for an unconditional write
    # a refused network leaves a new site unwritten
    status, answer = client.put("/api/manage/sites/vejle", {**HARBOUR, "networks": ["192.0.2.0/25", "bad"]})
    assert status == 400 and answer["field"] == "networks[1]", answer
    assert client.get("/api/manage/sites/vejle")[0] == 404
    status, answer = client.put("/api/manage/sites/vejle", {**HARBOUR, "deskSms": ["+4570100100", "555-0123"]})
    assert status == 400 and answer["field"] == "deskSms" and answer["details"][0]["position"] == 2, answer
    assert client.delete("/api/manage/sites/odense")[0] == 204


def test_who_is_told_per_dialed_number_defaults_changes_and_refusals(client: Client) -> None:
    status, rules = client.get("/api/manage/notification-rules")
    assert status == 200 and rules["rules"]["911"] == ["agent", "siteDesk"] and rules["rules"]["933"] == ["agent"]
    status, answer = client.put("/api/manage/notification-rules", {"rules": {"911": []}})
    assert status == 400 and answer["field"] == "rules.911" and "at least one" in answer["error"], answer
    assert client.as_user(AUDITOR).put("/api/manage/notification-rules", {"rules": {"933": ["agent"]}})[0] == 403
    status, rules = client.put("/api/manage/notification-rules", {"rules": {"933": ["agent", "siteDesk"]}})
    assert status == 200 and rules["rules"]["933"] == ["agent", "siteDesk"], rules
    assert client.get("/api/manage/notification-rules")[1]["rules"]["933"] == ["agent", "siteDesk"]
    audit = client.get("/api/manage/audit?entity=notification-rules")[1]["entries"]
    assert [(e["field"], e["old"], e["new"]) for e in audit] == [("933", "agent", "agent, siteDesk")]
    assert client.put("/api/manage/notification-rules", {"rules": {"933": ["agent"]}})[0] == 200


def test_off_every_network_the_browser_s_position_suggests_the_site_at_that_point(client: Client,
                                                                                   alice: Client) -> None:
    assert client.put("/api/manage/sites/springfield/networks", {"networks": ["10.20.30.0/24"]})[0] == 200
    capitol = {**PLAZA, "name": "Capitol annex", "places": [], "latitude": 39.7983, "longitude": -89.6544}
    status, site = client.put("/api/manage/sites/capitol", capitol)
    assert status == 200 and (site["latitude"], site["longitude"]) == (39.7983, -89.6544), site
    status, answer = client.put("/api/manage/sites/capitol", {**capitol, "longitude": None})
    assert status == 400 and answer["field"] == "longitude", answer
    path = "/api/agent/agents/alice/location-suggestion"
    status, near = alice.get(f"{path}?latitude=39.7985&longitude=-89.6544&accuracy=30")
    assert status == 200 and near["source"] == "geolocation" and near["network"] is None, near
    assert near["nearby"]["site"]["siteId"] == "capitol" and near["nearby"]["distanceMeters"] == 22, near
    status, far = alice.get(f"{path}?latitude=39.9&longitude=-89.6544&accuracy=30")
    assert status == 200 and far["source"] == "none" and far["nearby"] is None, far
    for query, field in (("latitude=91&longitude=0&accuracy=5", "latitude"), ("latitude=1&longitude=x&accuracy=5",
                                                                              "longitude"),
                         ("latitude=1&longitude=1", "accuracy")):
        status, answer = alice.get(f"{path}?{query}")
        assert status == 400 and answer["field"] == field, (query, answer)
    status, answer = alice.put("/api/agent/agents/alice/location", {
        "countryCode": "US", "address": "1 Example Plaza", "floor": "2", "wing": "East", "siteId": "capitol"})
    assert status == 200, answer
    kept = answer["location"]
    assert (kept["latitude"], kept["siteName"], kept["civic"]["LOC"]) == (39.7983, "Capitol annex", "East wing")
