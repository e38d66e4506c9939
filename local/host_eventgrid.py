"""Event Grid triggers on the local host: the `/runtime/webhooks/EventGrid?functionName=NAME` webhook.

Speaks both schemas, detected per event (a CloudEvent has `specversion`): an Event Grid schema array, one CloudEvent
(`application/cloudevents+json`) or a CloudEvents batch array (`application/cloudevents-batch+json`). The
`aeg-event-type` header says what a POST is: `Notification` (deliver), `SubscriptionValidation` (answer the
validation code) or `Unsubscribe`. `OPTIONS` answers the CloudEvents abuse-protection handshake.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import azure.functions as func

from local.host_index import EVENT_GRID_TRIGGER, FunctionEntry, Reply, header, json_reply

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


def deliver(entry: FunctionEntry, events: list[func.EventGridEvent]) -> bool:
    """Call the function once per event; True when none raised. Failures are logged and the rest still run."""
    ok = True
    for event in events:
        try:
            entry.call(event)
        except Exception:
            logger.exception("function %s failed on event %s (%s)", entry.name, event.id, event.event_type)
            ok = False
    return ok


def parse_events(payload: Any) -> list[func.EventGridEvent]:
    """Events from a parsed body: an array of either schema or one object. Raises ValueError naming the problem."""
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ValueError("expected an event object or a non-empty array of event objects")
    return [_cloud_event(item) if "specversion" in item else _grid_event(item) for item in items]


def _grid_event(item: dict[str, Any]) -> func.EventGridEvent:
    return func.EventGridEvent(
        id=_required(item, "id"),
        data=item.get("data"),  # type: ignore[arg-type]  # the worker passes whatever JSON data holds
        topic=item.get("topic") or "",
        subject=item.get("subject") or "",
        event_type=_required(item, "eventType"),
        event_time=_timestamp(item.get("eventTime"), "eventTime"),
        data_version=item.get("dataVersion") or "",
    )


def _cloud_event(item: dict[str, Any]) -> func.EventGridEvent:
    data = item.get("data")
    if data is None and isinstance(item.get("data_base64"), str):
        data = base64.b64decode(item["data_base64"])
    return func.EventGridEvent(
        id=_required(item, "id"),
        data=data,  # type: ignore[arg-type]
        topic=_required(item, "source"),
        subject=item.get("subject") or "",
        event_type=_required(item, "type"),
        event_time=_timestamp(item.get("time"), "time"),
        data_version=item.get("dataversion") or "",
    )


def _required(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"event field {key!r} must be a non-empty string")
    return value


def _timestamp(value: Any, key: str) -> datetime | None:
    """An RFC 3339 time (Event Grid sends up to 7 fractional digits), or None when absent."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"event field {key!r} is not an RFC 3339 time") from error
