"""Event Grid triggers on the local host: the `/runtime/webhooks/EventGrid?functionName=NAME` webhook.

Speaks both schemas, detected per event (a CloudEvent has `specversion`): an Event Grid schema array, one CloudEvent
(`application/cloudevents+json`) or a CloudEvents batch array (`application/cloudevents-batch+json`). The
`aeg-event-type` header says what a POST is: `Notification` (deliver), `SubscriptionValidation` (answer the
validation code) or `Unsubscribe`. `OPTIONS` answers the CloudEvents abuse-protection handshake.

Each event reaches the function as the Python worker hands it over: the host passes every event of the array to the
worker as its own JSON, and the worker decodes it with azure-functions' `EventGridEventInConverter.decode`
(`azure/functions/eventgrid.py`), which the local host calls itself: a body with `specversion` becomes a
`func.CloudEvent` (`data_base64` and other unknown attributes land in `extension_attrs`, `get_json()` is `data`),
any other a `func.EventGridEvent`. A time the converter cannot parse fails that invocation (500, so Event Grid
retries), as in the worker, where a failed input conversion fails the invocation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

from local.host.index import EVENT_GRID_TRIGGER, FunctionEntry, Reply, header, json_reply

logger = logging.getLogger(__name__)

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"


def handle_webhook(entry: FunctionEntry | None, method: str, headers: Mapping[str, str], body: bytes) -> Reply:
    """Answer one webhook request for `entry`; 200 when every event was handled, 500 (Event Grid retries) if not."""
    if entry is None or entry.trigger_type != EVENT_GRID_TRIGGER:
        return json_reply(404, {"error": "no Event Grid function by that functionName"})
    if method == "OPTIONS":
        return _abuse_protection(headers)
    if method != "POST":
        return json_reply(405, {"error": "method not allowed"}, (("Allow", "OPTIONS, POST"),))
    kind = (header(headers, "aeg-event-type") or "").lower()
    if kind == "unsubscribe":
        return Reply(202)
    if kind not in ("notification", "subscriptionvalidation"):
        return json_reply(400, {"error": "aeg-event-type must be Notification, SubscriptionValidation or Unsubscribe"})
    try:
        payload = json.loads(body)
        if kind == "subscriptionvalidation":
            return json_reply(200, {"validationResponse": _validation_code(payload)})
        events = parse_events(payload)
    except ValueError as error:  # JSONDecodeError is a ValueError
        return json_reply(400, {"error": f"bad request: {error}"})
    return json_reply(200, {}) if deliver(entry, events) else json_reply(500, {"error": "function failed"})


def _abuse_protection(headers: Mapping[str, str]) -> Reply:
    """CloudEvents webhook validation: allow the origin that asks."""
    origin = header(headers, "WebHook-Request-Origin")
    if not origin:
        return json_reply(400, {"error": "missing WebHook-Request-Origin header"})
    return Reply(200, b"", (("WebHook-Allowed-Origin", origin), ("WebHook-Allowed-Rate", "*")))


def _validation_code(payload: Any) -> str:
    """The validation code of the subscription validation event in the payload."""
    for item in payload if isinstance(payload, list) else [payload]:
        if isinstance(item, dict) and item.get("eventType") == VALIDATION_EVENT:
            code = (item.get("data") or {}).get("validationCode")
            if isinstance(code, str):
                return code
    raise ValueError(f"no {VALIDATION_EVENT} with data.validationCode")


Event = func.EventGridEvent | func.CloudEvent


def deliver(entry: FunctionEntry, events: list[dict[str, Any]]) -> bool:
    """Decode each event as the worker does and call the function once per event; True when none failed. Failures
    are logged and the rest still run."""
    ok = True
    for item in events:
        try:
            entry.call(decode_event(item))
        except Exception:
            logger.exception("function %s failed on event %s (%s)", entry.name, item.get("id"),
                             item.get("type") or item.get("eventType"))
            ok = False
    return ok


def decode_event(item: dict[str, Any]) -> Event:
    """One event as the worker hands it to the function: azure-functions' own converter on the event's JSON."""
    datum = meta.Datum(json.dumps(item), "json")
    return EventGridEventInConverter.decode(datum, trigger_metadata={})


def parse_events(payload: Any) -> list[dict[str, Any]]:
    """The events of a parsed body: an array of either schema or one object, each with the attributes Event Grid
    never delivers without. Raises ValueError naming the problem."""
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ValueError("expected an event object or a non-empty array of event objects")
    for item in items:
        for key in ("id", "source", "type") if "specversion" in item else ("id", "eventType"):
            _required(item, key)
    return items


def _required(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"event field {key!r} must be a non-empty string")
    return value
