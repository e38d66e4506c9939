"""The local host's control endpoints: on-demand invocation (`/admin/functions/NAME`) and the clock (`/local/clock`).

Only this machine's own tools may drive them: the Host header must name the loopback address and the host's port
(403 otherwise: a page reached through DNS rebinding sends its own name), and a POST must declare JSON
(415 otherwise: a cross-site form or `fetch` without a CORS preflight can only send text/plain or form bodies).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from local.host.eventgrid import decode_event, parse_events
from local.host.index import (
    EVENT_GRID_TRIGGER,
    HTTP_TRIGGER,
    TIMER_TRIGGER,
    FunctionEntry,
    Reply,
    header,
    json_reply,
)
from local.host.timers import TimerScheduler

logger = logging.getLogger(__name__)


class Clock(Protocol):
    """What the host needs of a clock: read it, move it forward."""

    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> datetime: ...


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def control_refusal(method: str, headers: Mapping[str, str], port: int) -> Reply | None:
    """403 unless Host is a loopback name with this host's port, 415 for a POST whose body is not declared JSON;
    None when the request may go on to the endpoint."""
    host = (header(headers, "Host") or "").strip().lower()
    if host not in {f"{name}:{port}" for name in LOOPBACK_NAMES}:
        return json_reply(403, {"error": f"control endpoints answer only Host 127.0.0.1:{port}, localhost:{port} "
                                         f"or [::1]:{port}"})
    content_type = (header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if method == "POST" and content_type != "application/json":
        return json_reply(415, {"error": "send the body as JSON with the header Content-Type: application/json"})
    return None


def invoke_endpoint(entry: FunctionEntry | None, scheduler: TimerScheduler, method: str, body: bytes) -> Reply:
    """Run a non-HTTP function now and answer 202 once it returned (the real host answers 202 before it runs)."""
    if entry is None:
        return json_reply(404, {"error": "no function by that name"})
    if method != "POST":
        return json_reply(405, {"error": "method not allowed"}, (("Allow", "POST"),))
    if entry.trigger_type == HTTP_TRIGGER:
        return json_reply(400, {"error": f"{entry.name} is an HTTP function: call it under /api/"})
    try:
        value = _input(body)
        events = _events(value) if entry.trigger_type == EVENT_GRID_TRIGGER else []
    except ValueError as error:
        return json_reply(400, {"error": f"bad input: {error}"})
    try:
        if entry.trigger_type == TIMER_TRIGGER:
            scheduler.run(entry)
        elif entry.trigger_type == EVENT_GRID_TRIGGER:
            for event in events:
                entry.call(decode_event(event))
        else:
            entry.call(value)  # other triggers get the input as it came
    except Exception as error:
        logger.exception("function %s failed on admin invocation", entry.name)
        return json_reply(500, {"error": f"{type(error).__name__}: {error}"})
    return Reply(202)


def _input(body: bytes) -> Any:
    """The `input` of an admin body `{"input": ...}`; an empty body means no input."""
    if not body.strip():
        return ""
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError('expected a JSON object {"input": ...}')
    return payload.get("input", "")


def _events(value: Any) -> list[dict[str, Any]]:
    """Events from the input: a JSON string (as the real host takes it) or, for convenience, the parsed JSON."""
    if isinstance(value, dict | list):
        return parse_events(value)
    if not isinstance(value, str):
        raise ValueError("input must be an event as a JSON string")
    return parse_events(json.loads(value))


def clock_endpoint(clock: Clock, method: str, body: bytes) -> Reply:
    """GET answers the clock's now; POST `{"advanceSeconds": n}` (n >= 0) moves it on and answers the new now."""
    if method == "GET":
        return json_reply(200, {"now": clock.now().isoformat()})
    if method != "POST":
        return json_reply(405, {"error": "method not allowed"}, (("Allow", "GET, POST"),))
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    seconds = payload.get("advanceSeconds") if isinstance(payload, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        return json_reply(400, {"error": "advanceSeconds must be a non-negative number of seconds"})
    return json_reply(200, {"now": clock.advance(timedelta(seconds=seconds)).isoformat()})
