"""The security desk's live board (issue 21, item 1), through the local stack from outside: a desk member (role
EmergencyCalling.SecurityDesk) sees Alice's 911 call and Bob's 933 test within a second or two of the dials, never a
normal call; her poll with the board's ETag answers 304 with no body until something changes; she acknowledges from
the board (once, with her name, on the incident and in the escalation's eyes); someone without a board role is told
which role is missing; after the window the call leaves the board and can no longer be acknowledged."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from local.stack import Client, LocalStack, as_principal, wait_for

DESK = {"userId": "00000000-0000-0000-0000-00000000de51", "userDetails": "Dana Desk",
        "roles": ["EmergencyCalling.SecurityDesk"]}
AGENT_ONLY = {"userId": "00000000-0000-0000-0000-0000000a11ce", "userDetails": "alice@example.com", "roles": []}


def poll(client: Client, tag: str | None = None, who: dict[str, Any] = DESK) -> tuple[int, bytes, str | None]:
    """GET the board as `who`, with If-None-Match when a tag is given: (status, raw body, ETag)."""
    headers = as_principal(who) | ({"If-None-Match": tag} if tag else {})
    request = urllib.request.Request(client.base_url + "/api/manage/board", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("ETag")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("ETag")


def board(client: Client) -> dict[str, dict[str, Any]]:
    status, raw, _ = poll(client)
    assert status == 200, raw
    return {c["emergencyCallId"]: c for c in json.loads(raw)["calls"]}


def test_the_desk_sees_emergency_calls_only_polls_with_its_tag_and_acknowledges_from_the_board(
        client: Client, stack: LocalStack) -> None:
    status, normal = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "+1 202 555 0123",
                                                         "countryCode": "US"})
    assert status == 200 and normal["dial"] is True
    _, real = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"})
    _, test = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933", "countryCode": "US"})
    real_id, test_id = real["emergencyCallId"], test["emergencyCallId"]

    shown = wait_for(lambda: (b := board(client)) and real_id in b and test_id in b and b, timeout=5)
    assert shown, board(client)
    assert len(shown) == 2  # the customer call is not on it
    alice = shown[real_id]
    assert (alice["agentName"], alice["dialedNumber"], alice["test"], alice["inProgress"]) == (
        "Alice Example", "911", False, True)
    assert alice["floor"] == "3" and alice["room"] == "301" and "1 Example Plaza" in (alice["location"] or "")
    assert shown[test_id]["test"] is True
    wait_for(lambda: board(client)[real_id]["notification"]["notified"] >= 2, timeout=30)

    status, raw, tag = poll(client)
    assert status == 200 and tag
    status, raw, again = poll(client, tag)
    assert (status, raw, again) == (304, b"", tag)

    status, answer = client.as_user(DESK).post(f"/api/manage/board/{real_id}/acknowledge", {})
    assert status == 200 and answer["by"] == "Dana Desk", answer
    assert client.as_user(DESK).post(f"/api/manage/board/{real_id}/acknowledge", {})[1]["acknowledgedAt"] == \
        answer["acknowledgedAt"]  # pressed twice: the first one stands
    changed = wait_for(lambda: poll(client, tag)[0] == 200, timeout=3)
    assert changed
    acks = board(client)[real_id]["notification"]["acknowledgements"]
    assert [(a["by"], a["channel"]) for a in acks] == [("Dana Desk", "board")]
    status, incident = client.get(f"/api/manage/incidents/{real_id}/deliveries")
    [desk] = [d for d in incident["deliveries"] if d["channel"] == "board"]
    assert desk["acknowledgedVia"] == "board" and desk["recipient"].startswith("Dana Desk <")


def test_without_a_board_role_the_answer_names_the_role_and_a_form_post_is_refused(client: Client) -> None:
    status, raw, tag = poll(client, who=AGENT_ONLY)
    assert status == 403 and "EmergencyCalling.SecurityDesk" in json.loads(raw)["error"] and tag is None
    status, _ = client.as_user(AGENT_ONLY).post("/api/manage/board/ec-x/acknowledge", {})
    assert status == 403
    status, _ = client.as_user(DESK).post("/api/manage/board/ec-x/acknowledge", None,
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    status, _ = client.as_user(DESK).get("/api/manage/incidents")
    assert status == 403  # the desk sees the board, not the incident records


def test_after_its_window_a_call_leaves_the_board_and_cannot_be_acknowledged(client: Client) -> None:
    _, dial = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "911", "countryCode": "US"})
    call_id = dial["emergencyCallId"]
    assert wait_for(lambda: call_id in board(client), timeout=5)
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "bob"})[0] == 200
    assert wait_for(lambda: board(client).get(call_id, {}).get("inProgress") is False, timeout=10)
    client.advance(2 * 3600)
    assert wait_for(lambda: call_id not in board(client), timeout=5)
    status, body = client.as_user(DESK).post(f"/api/manage/board/{call_id}/acknowledge", {})
    assert status == 404, body
