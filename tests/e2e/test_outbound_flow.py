"""Part 1 end to end through the local host's HTTP interface and the Event Grid stand-ins (the app publishes to the
custom topic; ACS's events are published to the system topic). Malformed events are posted to the webhook itself."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from local.stack import Client, LocalStack, wait_for


def presence(client: Client, agent: str) -> dict:
    return client.get(f"/api/agents/{agent}/presence")[1]


def dial(client: Client, agent: str, number: str = "911", country: str = "US", **extra) -> dict:
    status, body = client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": number,
                                                        "countryCode": country, **extra})
    assert status == 200, body
    return body


def test_emergency_call_sets_dnd_leases_and_restores(client: Client) -> None:
    assert client.put("/api/agents/alice/presence", {"status": "Busy"})[0] == 200
    answer = dial(client, "alice")
    assert answer["emergency"] is True and answer["dial"] is True and answer["test"] is False
    assert answer["callbackNumber"].startswith("+1202555010")
    assert answer["panel"]["controls"] == ["deviceSettings", "endCall"]
    assert wait_for(lambda: presence(client, "alice")["status"] == "DoNotDisturb")
    status, refused = client.put("/api/agents/alice/presence", {"status": "Available"})
    assert status == 409 and "emergency call" in refused["error"]
    ended = client.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})
    assert ended[0] == 200
    assert wait_for(lambda: presence(client, "alice")["status"] == "Busy")
    assert presence(client, "alice")["emergency"] is False


def test_concurrent_emergency_calls_get_different_numbers(client: Client) -> None:
    with ThreadPoolExecutor(2) as ex:
        a, b = ex.map(lambda agent: dial(client, agent), ["alice", "bob"])
    assert a["callbackNumber"] != b["callbackNumber"]
    for answer in (a, b):
        client.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})


def test_normal_call_is_not_an_emergency(client: Client) -> None:
    answer = dial(client, "bob", "+1 202 555 0150")
    assert answer == {"dial": True, "emergency": False, "warnings": []}


def test_unknown_agent_still_dials(client: Client) -> None:
    answer = dial(client, "nobody", "933")
    assert answer["emergency"] is True and answer["test"] is True
    assert "unknown_agent" in [w["code"] for w in answer["warnings"]]
    client.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})


def test_bad_bodies_get_400_naming_the_field(client: Client) -> None:
    assert client.post("/api/outbound-calls", {"dialedNumber": "911"}) == (400, {
        "error": "is required", "field": "agentId"})
    status, body = client.call("POST", "/api/outbound-calls", None)
    assert status == 400 and body["field"] == "body"
    status, body = client.post("/api/outbound-calls", {"agentId": "a", "dialedNumber": 911})
    assert status == 400 and body["field"] == "dialedNumber"
    status, body = client.put("/api/agents/alice/presence", {"status": "Sleeping"})
    assert status == 400 and body["field"] == "status"
    status, body = client.put("/api/manage/callback-numbers", {"numbers": ["+1 202 555 0100", "12"]})
    assert status == 400 and body["details"][0]["item"] == "12"


def test_ending_a_call_not_recorded_yet_keeps_its_end_for_the_call_started_to_come(client: Client) -> None:
    status, body = client.post("/api/outbound-calls/not-recorded-1/end", {"agentId": "carol"})
    assert status == 200 and body["endSource"] == "dialer" and body["callbackNumber"] is None
    status, incident = client.get("/api/manage/incidents/not-recorded-1")
    assert status == 200 and incident["origin"] == "end" and incident["agentId"] == "carol"
    assert client.post("/api/outbound-calls/bad%20id/end", {})[0] == 400


def test_end_is_idempotent_and_acs_call_ended_is_the_same_fact(stack: LocalStack, client: Client) -> None:
    answer = dial(client, "bob")
    call_id = answer["emergencyCallId"]
    assert client.post(f"/api/outbound-calls/{call_id}/call-ids", {"serverCallId": "srv-e2e-1",
                                                                   "correlationId": "corr-e2e-1"})[0] == 200
    event = {"id": "ev-1", "eventType": "Microsoft.Communication.CallEnded", "subject": "x", "dataVersion": "1.0",
             "eventTime": client.now().isoformat(), "data": {"serverCallId": "srv-e2e-1",
                                                             "correlationId": "corr-e2e-1", "durationOfCall": 12}}
    assert stack.publish_acs([event]) == 200
    assert wait_for(lambda: stack.acs_settled([event]))
    first = client.post(f"/api/outbound-calls/{call_id}/end", {})[1]
    second = client.post(f"/api/outbound-calls/{call_id}/end", {})[1]
    assert first["endSource"] == second["endSource"] == "acs" and first["endedAt"] == second["endedAt"]
    assert wait_for(lambda: presence(client, "bob")["emergency"] is False)


def test_malformed_events_are_acknowledged(client: Client) -> None:
    # Events no topic would accept (no eventTime), posted to the webhook itself: acknowledged, not retried.
    assert client.event_grid("presence_update", [{"id": "x", "eventType": "Emergency.CallStarted", "subject": "s",
                                                  "dataVersion": "1", "data": {"nothing": 1}}]) == 200
    assert client.event_grid("acs_call_events", [{"id": "y", "eventType": "Microsoft.Communication.CallEnded",
                                                  "subject": "s", "dataVersion": "1", "data": "garbage"}]) == 200


def test_timer_releases_expired_leases_into_quarantine(stack: LocalStack, client: Client) -> None:
    answer = dial(client, "alice")
    client.post(f"/api/outbound-calls/{answer['emergencyCallId']}/end", {})
    number = answer["callbackNumber"].replace("+", "")
    state = lambda: next(n for n in client.get("/api/manage/callback-numbers")[1]["numbers"]  # noqa: E731
                         if n["number"].endswith(number[-4:]))
    assert state()["state"] == "leased"
    client.advance(61 * 60)
    assert client.run_function("callback_lease_expiry") == 202
    released = state()
    assert released["state"] == "quarantined" and released["lease"] is None
    client.advance(11 * 60)
    assert state()["state"] == "free"
