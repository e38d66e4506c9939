"""Acknowledgements under faults (issue 20), from outside only: the guard presses the button while storage is down
(told to try again, nothing half-recorded), presses it again once storage is back, and twice more; the SMS reply
"1" arrives three times (Event Grid redelivers) and once more late. Each recipient is acknowledged once, at the
first press that storage took, and each acknowledgement is one event on the custom topic."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from typing import Any

from local.stack import LocalStack
from shared.services.acknowledge import _NAMESPACE  # the event id's namespace: what a consumer de-duplicates on
from tests.faults import harness as h

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/api/ack/[A-Za-z0-9_-]+)")


def press(url: str) -> int:
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def link_for(stack: LocalStack, to: str) -> str:
    for r in stack.acs.requests("email"):
        if any(x["address"] == to for x in r["body"]["recipients"]["to"]):
            found = LINK.search(r["body"]["content"]["plainText"])
            assert found, r["body"]["content"]["plainText"]
            return found[1]
    raise AssertionError(f"no email to {to}")


def reply(sender: str, text: str, event_id: str) -> dict[str, Any]:
    return {"id": event_id, "subject": "/phonenumber/x", "eventType": "Microsoft.Communication.SMSReceived",
            "dataVersion": "1.0", "metadataVersion": "1", "eventTime": "2026-12-07T12:00:00Z",
            "data": {"MessageId": event_id, "From": sender.lstrip("+"), "To": "12025550190", "Message": text,
                     "ReceivedTimestamp": "2026-12-07T12:00:00Z", "SegmentCount": 1}}


def acknowledged(stack: LocalStack, call_id: str) -> dict[str, Any]:
    status, body = stack.client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return {d["recipient"]: d["acknowledgedAt"] for d in body["deliveries"] if d["acknowledgedAt"]}


def test_presses_during_an_outage_and_repeated_replies_acknowledge_each_recipient_once(stack: LocalStack) -> None:
    c = stack.client
    agent = h.agent_id(0)
    dial = h.dial(c, agent, "911", f"ack-{uuid.uuid4().hex[:6]}")
    call_id = str(dial.call_id)
    assert h.wait_notified(stack, {call_id: agent}, timeout=60) == (0, 0)
    url = link_for(stack, "desk@example.com")

    stack.stop_storage()
    try:
        during = press(url)
    finally:
        stack.start_storage()
    assert during == 503, during  # "try again": never a 200 for an acknowledgement storage did not take
    assert acknowledged(stack, call_id) == {}
    presses = [press(url) for _ in range(3)]
    first = acknowledged(stack, call_id)
    assert presses == [200, 200, 200] and list(first) == ["desk@example.com"], (presses, first)

    event_id = f"Incoming_{uuid.uuid4().hex}"
    assert h.publish_acs(stack, [reply(h.SMS, "1", event_id)] * 3) == 200  # Event Grid delivering it three times
    assert h.publish_acs(stack, [reply(h.SMS, "1", f"Incoming_{uuid.uuid4().hex}")]) == 200  # she sent it twice
    after = acknowledged(stack, call_id)
    assert after == first | {h.SMS: after.get(h.SMS)} and after[h.SMS], after

    ids = {r: str(uuid.uuid5(_NAMESPACE, f"{call_id}\x1f{ch}\x1f{r.casefold()}"))
           for ch, r in (("email", "desk@example.com"), ("sms", h.SMS))}
    stored = {r: stack.custom_topic.store().events(i) for r, i in ids.items()}
    figures = h.Figures("acknowledgements: a press during a storage outage, repeats, a redelivered SMS reply",
                        calls=1)
    figures.notes = {"press_during_outage": during, "presses_after": presses,
                     "ack_events_per_recipient": {r: len(e) for r, e in stored.items()}}
    figures.report()
    assert all(len(e) >= 1 for e in stored.values()), stored  # said at least once, always with the one id
    assert {e[0]["data"]["acknowledgedAt"] for e in stored.values()} <= set(after.values())
    assert h.quiet(stack, timeout=60)
    assert h.end(c, call_id, agent, retries=10) == 200
