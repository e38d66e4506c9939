"""Strict input at the edge (issue 9, item 5): malformed bodies are 400 naming the problem, oversized ones 413,
ids are matched whole, every field is checked before anything is written, malformed events are acknowledged and the
principal header's errors are 401. Pure: the parsers and the trigger adapters with fakes, no stack."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

from functions._common import handle_http, parse_event
from shared import commands, events
from shared.auth import InvalidPrincipal, principal_from_headers
from shared.config import Settings
from shared.container import configure, reset
from shared.errors import ValidationError
from tests.fakes import T0

BAD_JSON: dict[str, bytes] = {
    "deep array": b"[" * 60_000,  # '[' * 100,000 is over the size limit: 413 (below), 400 on the template's
    "deep object": b'{"a":' * 12_000,
    "5,000-digit integer": b'{"agentId": ' + b"9" * 5_000 + b"}",
    "huge exponent": b'{"agentId": 1e999999}',
    "NaN": b'{"agentId": NaN}',
    "lone surrogate": b'{"agentId": "\\ud800"}',
    "lone surrogate in a key": b'{"\\udfff": "x"}',
    "nested surrogate": b'{"location": {"street": ["\\ud800"]}}',
    "invalid UTF-8": b'{"agentId": "\xff\xfe"}',
    "UTF-16": '{"agentId": "alice"}'.encode("utf-16"),
    "BOM": b'\xef\xbb\xbf{"agentId": "alice"}',
    "truncated": b'{"agentId": "al',
    "duplicate key": b'{"agentId": "alice", "agentId": "mallory"}',
    "control character": b'{"agentId": "a\\u0000b"}',
    "escape control": b'{"dialedNumber": "\\u001b[2J911"}',
    "C1 control": b'{"dialedNumber": "\\u009b911"}',
    "array": b"[]",
    "string": b'"x"',
    "nesting over the limit": b'{"location": ' + b'{"a": ' * 20 + b"1" + b"}" * 21,
}


@pytest.mark.parametrize("raw", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_every_malformed_body_is_a_400_naming_the_problem(raw: bytes) -> None:
    with pytest.raises(ValidationError) as refused:
        commands.parse_json_object(raw)
    assert refused.value.status == 400 and refused.value.field and refused.value.message


def test_a_body_over_the_limit_is_413_and_the_template_endpoints_take_a_full_template() -> None:
    big = json.dumps({"text": "x" * (commands.MAX_BODY_BYTES + 1)}).encode()
    with pytest.raises(commands.BodyTooLarge) as refused:
        commands.parse_json_object(big)
    assert refused.value.status == 413
    template = {"subject": "é" * 1_000, "html": "<p>€</p>" * 3_750, "text": "€\n" * 15_000}
    assert commands.parse_template_object(json.dumps(template, ensure_ascii=False).encode())["subject"]
    with pytest.raises(ValidationError) as deep:
        commands.parse_template_object(b"[" * 100_000)
    assert deep.value.status == 400 and "nested" in deep.value.message


def test_text_and_line_breaks_where_they_belong() -> None:
    body = commands.parse_json_object(json.dumps({"emailRecipients": "a@example.com;\nb@example.com"}).encode())
    assert commands.text(body, "emailRecipients", multiline=True)
    for value in ("a\nb", "a\tb", "a\u2028b"):
        with pytest.raises(ValidationError):
            commands.text({"displayName": value}, "displayName")


@pytest.mark.parametrize("value", ["alice\n", "alice\r\n", "\nalice", "ali ce", "alice\u0000", "a" * 129, ""])
def test_route_ids_are_matched_whole(value: str) -> None:
    with pytest.raises(ValidationError):
        commands.check_id("agentId", value)


def test_call_ids_refuse_a_control_character_before_anything_is_linked() -> None:
    with pytest.raises(ValidationError) as parsed:
        commands.parse_json_object(b'{"serverCallId": "srv-new", "correlationId": "x\\u0000y"}')
    assert parsed.value.field == "correlationId"
    # a body parsed some other way still meets the command, which refuses it whole
    with pytest.raises(ValidationError) as refused:
        commands.call_end("ec-1", {"serverCallId": "srv-new", "correlationId": "x\u0000y"})
    assert refused.value.field == "correlationId"


def test_a_validation_error_is_answered_with_its_status_and_field() -> None:
    response = handle_http(lambda: commands.parse_json_object(b"[" * 60_000))
    assert response.status_code == 400
    assert set(json.loads(response.get_body())) >= {"error", "field"}
    assert handle_http(lambda: commands.parse_json_object(b" " * 70_000)).status_code == 413


def test_an_unexpected_error_is_a_500_that_tells_nothing(caplog: pytest.LogCaptureFixture) -> None:
    def fail() -> None:
        raise OSError("[Errno 111] connect to storage.internal.example:10002 refused")
    with caplog.at_level(logging.ERROR):
        response = handle_http(fail)
    assert response.status_code == 500 and b"storage.internal" not in response.get_body()
    assert "storage.internal" in caplog.text


@pytest.fixture(autouse=True)
def from_our_topics() -> Iterator[None]:
    """The events below come from where the app believes them from: only their content is bad."""
    reset()
    configure(settings=Settings.from_env({"EVENTGRID_TOPIC_RESOURCE_ID": "/topics/emergency",
                                          "ACS_RESOURCE_ID": "/topics/emergency"}))
    yield
    reset()


def grid_event(data: Any, event_id: str = "evt-1", event_type: str = "Emergency.CallStarted") -> func.EventGridEvent:
    return func.EventGridEvent(id=event_id, data=data, topic="/topics/emergency", subject="s", event_type=event_type,
                               event_time=T0, data_version="1.0")


MALFORMED_EVENTS: dict[str, func.EventGridEvent] = {
    "100 KB call id": grid_event({"emergencyCallId": "x" * 100_000, "agentId": "alice"}),
    "100 KB agent id": grid_event({"emergencyCallId": "ec-1", "agentId": "a" * 100_000}),
    "id with a newline": grid_event({"emergencyCallId": "ec-1\n", "agentId": "alice"}),
    "id of another type": grid_event({"emergencyCallId": ["ec-1"], "agentId": {"a": 1}}),
    "data too large": grid_event({"emergencyCallId": "ec-1", "agentId": "alice", "location": "x" * 70_000}),
    "data not an object": grid_event([1, 2]),
    "100 KB event id": grid_event({"emergencyCallId": "ec-1", "agentId": "alice"}, event_id="e" * 100_000),
}


@pytest.mark.parametrize("event", MALFORMED_EVENTS.values(), ids=MALFORMED_EVENTS.keys())
def test_malformed_internal_events_are_acknowledged(event: func.EventGridEvent) -> None:
    assert parse_event(event, ("Emergency.CallStarted",),
                       lambda e: events.emergency_event(e.type, e.data)) is None


@pytest.mark.parametrize("data", [
    {"serverCallId": "s" * 100_000}, {"serverCallId": 5, "correlationId": ["c"]}, {"correlationId": {"a": "b"}}])
def test_malformed_acs_call_ended_events_are_acknowledged(data: dict[str, Any]) -> None:
    event = grid_event(data, event_type="Microsoft.Communication.CallEnded")
    assert parse_event(event, ("Microsoft.Communication.CallEnded",),
                       lambda e: events.acs_call_ended(e.id, e.data, T0)) is None


def test_malformed_incoming_calls_are_acknowledged() -> None:
    event = grid_event({"to": {"rawId": "8:acs:" + "x" * 5_000}, "incomingCallContext": "c" * 100_000},
                       event_type="Microsoft.Communication.IncomingCall")
    assert parse_event(event, ("Microsoft.Communication.IncomingCall",),
                       lambda e: events.incoming_call(e.id, e.data, None, T0)) is None


def _header(text: str | bytes) -> dict[str, str]:
    raw = text if isinstance(text, bytes) else text.encode()
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(raw).decode()}


@pytest.mark.parametrize("payload", [
    "[" * 5_000, '{"claims": ' + "[" * 5_000 + "]" * 5_000 + "}", '{"claims": [], "x": ' + "9" * 5_000 + "}",
    '{"claims": [{"typ": "name", "val": "\\ud800"}]}', "not json", b"\xff\xfe\x00"])
def test_a_malformed_principal_header_is_401(payload: str | bytes) -> None:
    with pytest.raises(InvalidPrincipal) as refused:
        principal_from_headers(_header(payload))
    assert refused.value.status == 401
