"""Hostile input through the local host (the whole stack, one per module): each finding of issue 9's items 5 and 7
first, then a fuzz corpus of bad bodies over every JSON endpoint, with 0 5xx and 0 writes despite a refusal."""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections import Counter
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from tests.security.conftest import rows, send
from tests.security.corpus import CLASSIC, corpus

CALL = "sec-fuzz-call"
JSON_ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [  # method, path, a valid body
    ("POST", "/api/outbound-calls", {"agentId": "alice", "dialedNumber": "+1 202 555 0123", "countryCode": "US"}),
    ("POST", f"/api/outbound-calls/{CALL}/pre-dial", {"agentId": "alice", "dialedNumber": "933", "countryCode": "US"}),
    ("POST", f"/api/outbound-calls/{CALL}/call-ids", {"serverCallId": "srv-fuzz", "correlationId": "corr-fuzz"}),
    ("POST", f"/api/outbound-calls/{CALL}/end", {"agentId": "carol", "dialedNumber": "933", "countryCode": "US"}),
    ("PUT", "/api/agents/carol/presence", {"status": "Busy"}),
    ("PUT", "/api/manage/agents/fuzz-agent", {
        "displayName": "Fuzz Agent", "timezone": "America/Chicago", "emailRecipients": "desk@example.com",
        "smsRecipients": "+1 202 555 0142", "mailboxEnabled": True, "outboundNumber": "+1 202 555 0183",
        "lastLocation": {"countryCode": "US", "address": "1 Example Plaza", "floor": "3"}}),
    ("PUT", "/api/manage/callback-numbers", {"numbers": ["+1 202 555 0100", "+1 202 555 0101", "+1 202 555 0102",
                                                         "+1 202 555 0103", "+1 202 555 0104"]}),
    ("POST", "/api/manage/callback-numbers", {"number": "+1 202 555 0109"}),
    ("PUT", "/api/manage/voice-config/capacity-profiles/fuzz-profile", {"name": "Fuzz profile"}),
    ("PUT", "/api/manage/voice-config/routing-rules/fuzz-rule", {
        "numberPattern": "^\\+?999$", "trunks": ["sbc.example.com"]}),
    ("PUT", "/api/manage/templates/emergency-call-notification", {
        "subject": "Emergency call by {{ agent_name }}", "html": "<p>{{ agent_name }} called</p>",
        "text": "{{ agent_name }} called"}),
    ("POST", "/api/manage/templates/emergency-call-notification/preview", {
        "subject": "Emergency call by {{ agent_name }}", "html": "", "text": "{{ agent_name }} called"}),
]
EVENT_FUNCTIONS = ["presence_update", "emergency_notification", "acs_call_events", "inbound_callback",
                   "email_delivery_report"]


def _settled(stack: LocalStack) -> None:
    assert wait_for(lambda: stack.pending_events() == 0, timeout=15), "events still pending"


def _body(raw: bytes) -> dict[str, Any]:
    return json.loads(raw) if raw else {}


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in JSON_ENDPOINTS])
@pytest.mark.parametrize("raw", [b"[" * 100_000, b"[" * 60_000, b'{"x": ' + b"9" * 5_000 + b"}", b'"\\ud800"',
                                 b'{"status": "\\ud800"}', b"{", b'{"x": NaN}'],
                         ids=["deep-100k", "deep-60k", "5000-digits", "surrogate", "surrogate-field", "truncated",
                              "nan"])
def test_bad_json_is_a_4xx_naming_the_problem_on_every_endpoint(stack: LocalStack, method: str, path: str,
                                                                raw: bytes) -> None:
    status, _, body = send(stack, method, path, raw)
    answer = _body(body)
    assert status in (400, 413), (status, answer)
    assert answer["error"] and answer["field"], answer


def test_an_oversized_body_is_413(stack: LocalStack) -> None:
    body = json.dumps({"agentId": "alice", "dialedNumber": "911", "pad": "x" * 70_000}).encode()
    status, _, answer = send(stack, "POST", "/api/outbound-calls", body)
    assert status == 413 and _body(answer)["field"] == "body"


def test_control_characters_in_text_fields_are_refused(stack: LocalStack) -> None:
    before = rows(stack)
    for name, value in (("agentId", "ali\u0007ce"), ("dialedNumber", "911\u001b[2J"), ("countryCode", "U\nS")):
        body = {"agentId": "alice", "dialedNumber": "+1 202 555 0123", "countryCode": "US", name: value}
        status, _, answer = send(stack, "POST", "/api/outbound-calls", json.dumps(body).encode())
        assert status == 400 and _body(answer)["field"] == name, answer
    assert rows(stack) == before


@pytest.mark.parametrize("path", ["/api/agents/alice%0A/emergency-state", "/api/agents/alice%0A/presence",
                                  "/api/agents/alice%0A/call-history", "/api/manage/agents/alice%0A"])
def test_route_ids_ending_in_a_newline_are_refused(stack: LocalStack, path: str) -> None:
    status, _, answer = send(stack, "GET", path, None)
    assert status == 400 and _body(answer)["field"] == "agentId", answer


def test_call_ids_with_a_bad_field_write_nothing(stack: LocalStack) -> None:
    status, _, answer = send(stack, "POST", "/api/outbound-calls", json.dumps(
        {"agentId": "bob", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "sec-linked"}).encode())
    assert status == 200, answer
    _settled(stack)
    before = rows(stack)
    status, _, answer = send(stack, "POST", "/api/outbound-calls/sec-linked/call-ids",
                             b'{"serverCallId": "srv-new", "correlationId": "x\\u0000y"}')
    assert status == 400 and _body(answer)["field"] == "correlationId", answer
    assert rows(stack) == before
    send(stack, "POST", "/api/outbound-calls/sec-linked/end", b"{}")
    _settled(stack)


def _principal_header(payload: str) -> dict[str, str]:
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(payload.encode()).decode()}


@pytest.mark.parametrize("payload", ["[" * 5_000, '{"claims": ' + "[" * 900 + "]" * 900 + "}", "{not json",
                                     '{"claims": [], "n": ' + "9" * 5_000 + "}"])
def test_a_malformed_principal_header_is_401(stack: LocalStack, payload: str) -> None:
    status, _, answer = send(stack, "GET", "/api/manage/me", None, headers=_principal_header(payload))
    assert status == 401, answer


def test_json_answers_are_not_cached_and_pages_carry_hsts(stack: LocalStack) -> None:
    for method, path, body in (("GET", "/api/agents/alice/emergency-state", None), ("GET", "/api/manage/agents", None),
                               ("POST", "/api/outbound-calls", b"{")):
        _, headers, _ = send(stack, method, path, body)
        lowered = {k.lower(): v for k, v in headers.items()}
        assert lowered["cache-control"] == "no-store" and lowered["x-content-type-options"] == "nosniff", path
    status, headers, _ = send(stack, "GET", "/api/manage/ui/", None)
    assert status == 200 and {k.lower(): v for k, v in headers.items()}["strict-transport-security"] \
        == "max-age=31536000"


def _bad_events(rng: random.Random) -> list[Any]:
    """Event Grid deliveries whose events are malformed for every function (over-long ids, wrong types)."""
    def event(event_type: str, data: Any, event_id: str | None = None) -> dict[str, Any]:
        return {"id": event_id or f"sec-evt-{rng.randrange(10**9)}", "eventType": event_type, "subject": "s",
                "topic": "/sec", "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "1", "data": data}
    long_id = "x" * 100_000
    out: list[Any] = []
    for event_type in ("Emergency.CallStarted", "Emergency.CallEnded", "Microsoft.Communication.CallEnded",
                       "Microsoft.Communication.IncomingCall",
                       "Microsoft.Communication.EmailDeliveryReportReceived"):
        for data in ({"emergencyCallId": long_id, "agentId": "alice"}, {"emergencyCallId": "c", "agentId": long_id},
                     {"emergencyCallId": ["c"], "agentId": {"a": 1}}, {"emergencyCallId": "c\n", "agentId": "a\n"},
                     {"serverCallId": long_id}, {"serverCallId": 7, "correlationId": [1]},
                     {"to": {"rawId": long_id}, "incomingCallContext": long_id}, {"to": 5},
                     {"messageId": long_id, "status": {"x": 1}}, {"messageId": 5}, [], "x", None, 5,
                     {"emergencyCallId": "\ud800", "agentId": "\ud800"}):
            out.append(event(event_type, data))
        out.append(event(event_type, {"emergencyCallId": "c", "agentId": "alice"}, event_id=long_id))
    return out


def _send_case(stack: LocalStack, method: str, path: str, raw: bytes) -> tuple[int, bytes]:
    headers = {"aeg-event-type": "Notification"} if path.startswith("/runtime/") else None
    status, _, answer = send(stack, method, path, raw, headers=headers)
    return status, answer


def _replay_refused(stack: LocalStack, refused: list[tuple[str, str, bytes]],
                    window: int = 100) -> tuple[list[Any], int]:
    """Send the refused bodies again and compare every stored row before and after each window of them; a body
    accepted this time (the state moved on) voids its window. Answers (the writes found, the refusals checked)."""
    writes: list[Any] = []
    verified = 0
    for start in range(0, len(refused), window):
        batch = refused[start:start + window]
        before = rows(stack)
        accepted = False
        for method, path, raw in batch:
            status, _ = _send_case(stack, method, path, raw)
            accepted = accepted or (200 <= status < 300 and not path.startswith("/runtime/"))
        if accepted:
            _settled(stack)
            continue
        if pending := stack.pending_events():
            writes.append(("events published despite refusal", pending))
        now = rows(stack)
        if now != before:
            changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
            writes.append((changed[:5], [(m, p, r[:100]) for m, p, r in batch][:3]))
        verified += len(batch)
    return writes, verified


def test_fuzz_every_json_endpoint(stack: LocalStack) -> None:
    """GIVEN a seeded corpus (classic bad inputs plus mutations of each endpoint's valid body) and malformed events
    WHEN each is sent through the local host THEN no answer is a 5xx and no refused request writes anything."""
    seed = int(os.environ.get("SECURITY_FUZZ_SEED", "20269"))
    per_endpoint = int(os.environ.get("SECURITY_FUZZ_MUTATIONS", "60"))
    print(f"SECURITY FUZZ seed={seed} (SECURITY_FUZZ_SEED)")
    rng = random.Random(seed)
    cases = [(m, p, raw) for i, (m, p, valid) in enumerate(JSON_ENDPOINTS)
             for raw in corpus(valid, seed + i, per_endpoint)]
    cases += [("POST", f"/runtime/webhooks/EventGrid?functionName={f}", raw) for f in EVENT_FUNCTIONS
              for raw in [json.dumps([e]).encode() for e in _bad_events(rng)] + CLASSIC[:12]]
    started = time.perf_counter()
    statuses: Counter[int] = Counter()
    five_hundreds: list[tuple[str, str, bytes, int, bytes]] = []
    refused: list[tuple[str, str, bytes]] = []
    for method, path, raw in cases:  # pass 1: every body; no 5xx
        status, answer = _send_case(stack, method, path, raw)
        statuses[status] += 1
        if status >= 500:
            five_hundreds.append((method, path, raw[:200], status, answer[:300]))
        if not 200 <= status < 300 or path.startswith("/runtime/"):
            refused.append((method, path, raw))
    _settled(stack)
    writes, verified = _replay_refused(stack, refused)  # pass 2: the refusals again, with the stored rows watched
    elapsed = time.perf_counter() - started
    endpoints = len(JSON_ENDPOINTS) + len(EVENT_FUNCTIONS)
    figures = {"seed": seed, "bodies": len(cases), "endpoints": endpoints, "statuses": dict(sorted(statuses.items())),
               "5xx": len(five_hundreds), "refusals_replayed_and_checked": verified,
               "writes_despite_refusal": len(writes), "seconds": round(elapsed, 1)}
    print(f"SECURITY FUZZ FIGURES {json.dumps(figures)}")
    assert len(cases) >= 1_000
    assert not five_hundreds, five_hundreds[:5]
    assert not writes, writes[:5]
    assert verified >= 0.95 * len(refused)
