"""The escalation policy's versions through the local stack (issue 20): each save a new version with its author,
a save based on a version another admin replaced refused with 412, an old version restored as a new one (audited),
and a call dialed after the restore escalating by the restored version."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from local.stack import Client, wait_for

BASE = "/api/manage/escalation-policy"
AUDITOR = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
           "roles": ["EmergencyCalling.Auditor"]}
OTHER_ADMIN = {"userId": "00000000-0000-0000-0000-0000000000b3", "userDetails": "bob.admin@example.com",
               "roles": ["EmergencyCalling.Admin"]}
ON_CALL = {"tiers": [{"name": "On call first", "afterSeconds": 60, "audiences": ["onCall"],
                      "channels": ["email", "sms"]}],
           "mode": "any", "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}
DESK = {"tiers": [{"name": "Desk only", "afterSeconds": 90, "audiences": ["siteDesk"], "channels": ["email"]}]}


def current(client: Client) -> dict[str, Any]:
    status, shown = client.get(BASE)
    assert status == 200, shown
    return shown


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def test_two_admins_save_the_second_on_a_stale_version_is_refused_and_both_versions_are_kept(client: Client) -> None:
    # GIVEN Alice and Bob both loaded the policy at the same version
    loaded = current(client)["version"]
    bob = client.as_user(OTHER_ADMIN)
    # WHEN Bob saves first THEN his change is a new version, with his name
    status, saved = bob.put(BASE, DESK, headers=if_match(loaded))
    assert status == 200 and saved["version"] == loaded + 1 and saved["author"] == "bob.admin@example.com", saved
    # WHEN Alice saves her change to the version she loaded THEN it is refused, and Bob's stays in force
    status, refused = client.put(BASE, ON_CALL, headers=if_match(loaded))
    assert status == 412 and f"version {loaded + 1}" in refused["error"], refused
    shown = current(client)
    assert (shown["version"], shown["policy"]["tiers"][0]["name"]) == (loaded + 1, "Desk only")
    # WHEN she saves it on the version now current THEN it is taken; nothing earlier is lost
    status, saved = client.put(BASE, ON_CALL, headers=if_match(loaded + 1))
    assert status == 200 and saved["version"] == loaded + 2, saved
    assert [v["version"] for v in saved["versions"]][:2] == [loaded + 2, loaded + 1]
    assert saved["versions"][1]["policy"]["tiers"][0]["name"] == "Desk only"


def test_the_answer_carries_the_version_as_its_etag(client: Client) -> None:
    request = urllib.request.Request(client.base_url + BASE, headers=client.headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
        assert response.headers["ETag"] == f'"{body["version"]}"'


def test_a_restored_version_is_current_as_a_new_one_audited_and_escalates_the_next_call(client: Client) -> None:
    # GIVEN the on-call policy saved, then the desk-only one over it
    assert client.put(BASE, ON_CALL)[0] == 200
    on_call = current(client)["version"]
    assert client.put(BASE, DESK, headers=if_match(on_call))[0] == 200
    # WHEN an auditor tries to restore the on-call version THEN she may not
    assert client.as_user(AUDITOR).post(f"{BASE}/restore", {"version": on_call})[0] == 403
    # WHEN the admin restores it THEN it is current again, as a new version that says where it came from
    status, restored = client.post(f"{BASE}/restore", {"version": on_call}, headers=if_match(on_call + 1))
    assert status == 200 and (restored["version"], restored["restoredFrom"]) == (on_call + 2, on_call), restored
    assert restored["policy"]["tiers"][0]["name"] == "On call first"
    entries = client.get("/api/manage/audit?entity=escalation-policy")[1]["entries"]
    assert any(e["action"] == "restored" and e["field"] == "version" and e["new"] == str(on_call + 2)
               for e in entries), entries
    # and a version that does not exist is not found
    assert client.post(f"{BASE}/restore", {"version": 999_999})[0] == 404
    # THEN a call dialed now escalates by the restored version
    status, dial = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "911", "countryCode": "US"})
    assert status == 200, dial
    call_id = dial["emergencyCallId"]
    steps = wait_for(lambda: client.get(f"/api/manage/incidents/{call_id}/deliveries")[1].get("escalations"),
                     timeout=30)
    assert [(s["name"], s["audiences"], s["status"]) for s in steps] == [("On call first", ["onCall"], "pending")]
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "bob"})[0] == 200
