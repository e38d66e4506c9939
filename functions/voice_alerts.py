"""Call Automation's mid-call events for escalation voice calls (issue 20).

`POST /api/voice/events/{token}/{attempt}`: ACS posts each call's events (CloudEvents, an array) to the callback URL
given when the call was placed; the token names the called recipient's delivery record, the attempt which of her
calls it is. Anonymous for the Functions host and
App Service Authentication (ACS signs in nowhere), so every request is authenticated here as ACS authenticates it: a
JWT in the Authorization header signed by ACS's published keys, for this resource (shared/adapters/
acs_callback_auth.py). Anything else answers 401 and changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from functions._common import container, json_response
from shared import config, ports
from shared.services import voice_alert

log = logging.getLogger(__name__)
bp = func.Blueprint()

PREFIX = "Microsoft.Communication."
MAX_EVENTS = 20  # ACS posts one event per request; a batch larger than this is not ACS's


@bp.function_name("voice_events")
@bp.route(route="voice/events/{token}/{attempt}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def voice_events(req: func.HttpRequest) -> func.HttpResponse:
    c = container()
    try:
        c.callback_verifier.verify(req.headers.get("Authorization"))
    except ports.CallbackRefused as exc:
        log.warning("voice callback refused (401): %s", exc)
        return json_response({"error": "unauthorized"}, 401)
    except ports.CallbackUnverifiable as exc:  # our outage: nothing unverified is believed
        log.error("voice callback not verifiable now (503): %s", exc)
        return json_response({"error": "ACS's signing keys are not readable now"}, 503)
    except config.SettingError as exc:
        log.error("voice callbacks cannot be authenticated: %s", exc)
        return json_response({"error": "not configured"}, 500)
    events = _events(req.get_body())
    if events is None:
        return json_response({"error": "the body must be a JSON array of CloudEvents"}, 400)
    token, attempt = req.route_params.get("token", ""), req.route_params.get("attempt", "")
    if not attempt.isdigit() or len(attempt) > 2:
        return json_response({"error": "unknown call"}, 404)
    try:
        for kind, data in events:
            outcome = voice_alert.on_event(token, int(attempt), kind, data, c)
            log.info("voice call event %s: %s", kind, outcome)
            c.telemetry.event("VoiceEscalation", event=kind, outcome=outcome)
    except ports.StoreError as exc:  # ACS does not post an event again: the call asks again or ends by itself
        log.warning("voice call event not recorded, storage failed: %s", exc)
        return json_response({"error": "storage unavailable"}, 503)
    return json_response({"ok": True})


def _events(body: bytes) -> list[tuple[str, dict[str, Any]]] | None:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        return None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or len(items) > MAX_EVENTS:
        return None
    found = []
    for e in items:
        if not isinstance(e, dict) or not isinstance(e.get("type"), str) or not isinstance(e.get("data"), dict):
            return None
        found.append((e["type"].removeprefix(PREFIX), e["data"]))
    return found
