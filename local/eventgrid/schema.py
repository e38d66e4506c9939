"""What an Event Grid topic accepts, and the subscriptions it delivers to (shared/event_subscriptions.json).

Publish rules, as the service documents them (learn.microsoft.com/azure/event-grid/post-to-custom-topic and the
Event Grid schema): a JSON array of events, at most 1 MB in all; `id`, `subject`, `eventType` and `eventTime` are
required strings; `dataVersion` is optional (stamped empty); `metadataVersion`, when sent, must be "1"; `topic`,
when sent, must be the topic's own resource id (otherwise the service stamps it). A topic created with the
CloudEvents 1.0 input schema takes `application/cloudevents-batch+json` (or one `application/cloudevents+json`)
with `id`, `source`, `type` and `specversion` "1.0". Errors answer `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SUBSCRIPTIONS_FILE = Path(__file__).resolve().parents[2] / "shared" / "event_subscriptions.json"
EVENT_GRID_SCHEMA = "EventGridSchema"
CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0"
MAX_BODY = 1024 * 1024  # "the array can have a total size of up to 1 MB"
# Event Grid's defaults when a subscription sets no retry policy.
DEFAULT_MAX_ATTEMPTS = 30
DEFAULT_TTL_MINUTES = 1440


@dataclass(frozen=True)
class Subscription:
    """One event subscription: which event types go to which function, with its retry policy."""

    name: str
    function: str
    event_types: tuple[str, ...]
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ttl_minutes: int = DEFAULT_TTL_MINUTES

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Subscription:
        """An entry of shared/event_subscriptions.json; limits as Event Grid enforces them (1-30, 1-1440)."""
        max_attempts = int(entry.get("maxDeliveryAttempts", DEFAULT_MAX_ATTEMPTS))
        ttl = int(entry.get("eventTimeToLiveInMinutes", DEFAULT_TTL_MINUTES))
        if not 1 <= max_attempts <= 30 or not 1 <= ttl <= 1440:
            raise ValueError(f"subscription {entry.get('name')!r}: maxDeliveryAttempts 1-30, time to live 1-1440")
        return cls(str(entry["name"]), str(entry["function"]), tuple(entry["eventTypes"]), max_attempts, ttl)

    def wants(self, event_type: str) -> bool:
        """Event Grid's includedEventTypes filter is case-insensitive."""
        return event_type.lower() in (t.lower() for t in self.event_types)


def load_subscriptions(section: str | Sequence[Mapping[str, Any]]) -> list[Subscription]:
    """A section of the shared file by name ("internal", "acs"), or entries given as they are (tests)."""
    entries = json.loads(SUBSCRIPTIONS_FILE.read_text())[section] if isinstance(section, str) else list(section)
    subscriptions = [Subscription.from_entry(entry) for entry in entries]
    names = [s.name.lower() for s in subscriptions]
    if len(set(names)) != len(names):
        raise ValueError(f"subscription names must be unique: {names}")
    return subscriptions


class PublishError(Exception):
    """A refused publish: the HTTP status and the service's error body."""

    def __init__(self, status: int, code: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(code, message, detail or code)


def error_body(code: str, message: str, detail: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": [{"code": detail, "message": message}]}}


def _bad(message: str) -> PublishError:
    return PublishError(400, "BadRequest", message, "InputJsonInvalid")


def parse_publish(body: bytes, content_type: str, input_schema: str, topic: str) -> list[dict[str, Any]]:
    """The events of one publish request, stamped as the service stamps them; raises PublishError."""
    if len(body) > MAX_BODY:
        raise PublishError(413, "RequestEntityTooLarge",
                           f"The maximum size ({MAX_BODY}) has been exceeded.", "PayloadTooLarge")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad(f"The request body is not valid JSON: {error}.") from None
    media = content_type.split(";")[0].strip().lower()
    if input_schema == CLOUD_EVENT_SCHEMA:
        return _cloud_events(payload, media)
    if media.startswith("application/cloudevents"):
        raise _bad(f"This topic's input schema is {EVENT_GRID_SCHEMA}: CloudEvents are not accepted.")
    if not isinstance(payload, list):
        raise _bad("The request body must be a JSON array of events.")
    return [_grid_event(item, index, topic) for index, item in enumerate(payload)]


def _grid_event(item: Any, index: int, topic: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _bad(f"Event {index} is not a JSON object.")
    for key in ("id", "subject", "eventType", "eventTime"):
        _required(item, key, index)
    _time(item["eventTime"], "eventTime", index)
    if not isinstance(item.get("dataVersion", ""), str):
        raise _bad(f"Event {index}: property 'dataVersion' must be a string.")
    if item.get("metadataVersion", "1") != "1":
        raise _bad(f"Event {index}: property 'metadataVersion' must be '1' when it is set.")
    if item.get("topic", topic).lower() != topic.lower():
        raise _bad(f"Event {index}: property 'topic' must be this topic's resource id ({topic}) when it is set.")
    return {**item, "topic": topic, "dataVersion": item.get("dataVersion", ""), "metadataVersion": "1"}


def _cloud_events(payload: Any, media: str) -> list[dict[str, Any]]:
    if media == "application/cloudevents+json" and isinstance(payload, dict):
        payload = [payload]
    elif media != "application/cloudevents-batch+json" or not isinstance(payload, list):
        raise _bad(f"This topic's input schema is {CLOUD_EVENT_SCHEMA}: send application/cloudevents-batch+json.")
    events = []
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            raise _bad(f"Event {index} is not a JSON object.")
        for key in ("id", "source", "type", "specversion"):
            _required(item, key, index)
        if item["specversion"] != "1.0":
            raise _bad(f"Event {index}: specversion must be '1.0'.")
        if "time" in item:
            _time(item["time"], "time", index)
        events.append(dict(item))
    return events


def _required(item: Mapping[str, Any], key: str, index: int) -> None:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(f"Event {index}: required property '{key}' was not set (a non-empty string).")


def _time(value: Any, key: str, index: int) -> None:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _bad(f"Event {index}: property '{key}' is not an RFC 3339 date-time: {value!r}.") from None
    if "T" not in value.upper():
        raise _bad(f"Event {index}: property '{key}' has no time of day: {value!r}.")


def event_identity(event: Mapping[str, Any]) -> tuple[str, str]:
    """(id, type) of an event in either schema."""
    if "specversion" in event:
        return str(event["id"]), str(event["type"])
    return str(event["id"]), str(event["eventType"])
