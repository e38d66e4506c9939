"""Someone knows (issue 20), through the local stack from outside: the security desk opens the link in the email that
reached the ACS stand-in (nothing is acknowledged), presses its button (acknowledged, once), Bob's contact replies
"1" to the SMS through ACS's system topic, and the agent's panel and the incident say who is coming and when."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from local.stack import Client, LocalStack, wait_for

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/api/ack/([A-Za-z0-9_-]+))")


def email_to(stack: LocalStack, to: str, after: int) -> dict[str, Any] | None:
    for r in stack.acs.requests("email"):
        if r["seq"] > after and any(x["address"] == to for x in r["body"]["recipients"]["to"]):
            return r
    return None


def fetch(url: str, method: str = "GET") -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def sms_reply(stack: LocalStack, sender: str, text: str) -> None:
    event = {"id": f"Incoming_{uuid.uuid4().hex}", "topic": stack.system_topic.topic, "subject": "/phonenumber/x",
             "eventType": "Microsoft.Communication.SMSReceived", "dataVersion": "1.0", "metadataVersion": "1",
             "eventTime": "2026-12-07T12:00:00Z",
             "data": {"MessageId": f"Incoming_{uuid.uuid4().hex}", "From": sender.lstrip("+"), "To": "12025550190",
                      "Message": text, "ReceivedTimestamp": "2026-12-07T12:00:00Z", "SegmentCount": 1}}
    assert stack.publish_acs([event]) == 200
    wait_for(lambda: stack.acs_settled([event]), timeout=30)


def deliveries(client: Client, call_id: str) -> dict[str, dict[str, Any]]:
    status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return {d["recipient"]: d for d in body["deliveries"]}


def test_the_desk_acknowledges_by_its_link_and_a_contact_by_sms_and_the_panel_says_who_is_coming(
        client: Client, stack: LocalStack) -> None:
    seen = max((r["seq"] for r in stack.acs.requests()), default=0)
    started = time.perf_counter()
    status, dial = client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "911", "countryCode": "US"})
    assert status == 200 and dial["dial"] is True, dial
    call_id = dial["emergencyCallId"]
    email = wait_for(lambda: email_to(stack, "security-desk@example.com", seen), timeout=30)
    assert email is not None
    found = LINK.search(email["body"]["content"]["plainText"])
    assert found, email["body"]["content"]["plainText"]
    url, token = found[1], found[2]
    assert token in email["body"]["content"]["html"] and "alice" not in url.lower() and call_id not in url

    # a mail scanner follows the link: the page shows the call and acknowledges nothing
    status, page, headers = fetch(url)
    assert status == 200 and "Alice Example" in page and "I&rsquo;m on my way" in page, page
    assert "default-src 'none'" in headers["Content-Security-Policy"] and "<script" not in page
    assert deliveries(client, call_id)["security-desk@example.com"]["acknowledgedAt"] is None

    # the guard presses the button
    status, page, _ = fetch(url, "POST")
    first_ack = time.perf_counter() - started
    assert status == 200 and "your acknowledgement is recorded" in page, page
    desk = deliveries(client, call_id)["security-desk@example.com"]
    assert desk["acknowledgedVia"] == "email" and desk["secondsToAcknowledge"] is not None
    assert fetch(url, "POST")[0] == 200  # pressed twice: the first one stands
    assert deliveries(client, call_id)["security-desk@example.com"]["acknowledgedAt"] == desk["acknowledgedAt"]

    # Alice's SMS contact replies "1"; another text and an unknown number change nothing
    sms_reply(stack, "+12025550177", "1")
    sms_reply(stack, "+12025550142", "who is this?")
    assert deliveries(client, call_id)["+12025550142"]["acknowledgedAt"] is None
    sms_reply(stack, "+12025550142", "1")
    assert deliveries(client, call_id)["+12025550142"]["acknowledgedVia"] == "sms"

    state = client.get("/api/agents/alice/emergency-state")[1]
    assert [(a["by"], a["channel"]) for a in state["acknowledgements"]] == [("s***@example.com", "email"),
                                                                             ("***0142", "sms")]
    assert state["notified"] >= 2
    for bad in (url.replace(token, token[:-2] + "xx"), url + "x", url.rsplit("/", 1)[0] + "/"):
        assert fetch(bad)[0] == 404 and fetch(bad, "POST")[0] == 404
    print(f"\nACK FIGURES dial to first acknowledgement (email link, pressed at once): {first_ack * 1000:.0f} ms")
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "alice"})[0] == 200
