"""Shared plumbing of the trigger adapters: JSON answers, the mapping of errors to status codes, and the
acknowledgement of Event Grid events that are not ours or not well formed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import azure.functions as func

from shared import ports
from shared.domain import presence
from shared.errors import AppError, ValidationError

log = logging.getLogger(__name__)
T = TypeVar("T")
# Answers hold callback numbers and emergency state: no cache keeps them, no browser guesses another type.
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MAX_EVENT_ID = 256  # Event Grid ids are GUIDs or short strings; anything longer is not one of ours


def json_response(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, default=_plain), status_code=status, mimetype="application/json",
                             headers=dict(JSON_HEADERS))


def _plain(value: Any) -> str:
    """Times as RFC 3339 (`str()` of a datetime puts a space where RFC 3339 has its `T`); anything else as text."""
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def error_response(status: int, message: str, **extra: Any) -> func.HttpResponse:
    return json_response({"error": message, **extra}, status)


def handle_http(action: Callable[[], Any], status: int = 200) -> func.HttpResponse:
    """Run a use case and answer JSON; domain errors become 400/404/409/413, storage trouble 503, anything else
    a 500 that says nothing of the cause (the log has it)."""
    try:
        return json_response(action(), status)
    except ValidationError as exc:
        return error_response(exc.status, exc.message, field=exc.field,
                              **({"details": exc.details} if exc.details else {}))
    except AppError as exc:
        return error_response(exc.status, str(exc))
    except (presence.PresenceLocked, ports.Conflict) as exc:
        return error_response(409, str(exc))
    except ports.StoreError as exc:
        log.error("storage unavailable: %s", exc)
        return error_response(503, "storage is unavailable; try again")
    except Exception:
        log.exception("request failed")
        return error_response(500, "internal error")


def container() -> Any:
    from shared.container import get_container

    return get_container()


@dataclass(frozen=True)
class EventView:
    """One delivered event, whichever schema its subscription uses. `source` is where it comes from: the Event Grid
    schema's `topic`, the CloudEvents `source` (Event Grid maps the one onto the other; for an ACS system topic
    both are the ACS resource's id)."""

    id: str
    type: str
    source: str
    time: datetime | None
    data: Any


# The trigger parameters stay annotated `func.EventGridEvent`: the worker checks the annotation with
# EventGridEventInConverter.check_input_type_annotation, which accepts either class (a Union is refused at indexing
# as a non-type annotation), and hands over the class the delivery's schema calls for, whatever the annotation says.
def event_view(event: func.EventGridEvent | func.CloudEvent) -> EventView:
    """The view of what the worker handed over: a `func.CloudEvent` for a CloudEvents-schema subscription, a
    `func.EventGridEvent` for the Event Grid schema (azure-functions' EventGridEventInConverter decides by the
    event's `specversion`)."""
    if isinstance(event, func.CloudEvent):
        return EventView(event.id, event.type, event.source or "", event.time, event.get_json())
    return EventView(event.id, event.event_type, event.topic or "", event.event_time, event.get_json())


def parse_event(event: func.EventGridEvent | func.CloudEvent, types: tuple[str, ...],
                parse: Callable[[EventView], T], source: str = "acs") -> T | None:
    """The event, in either schema, as a command; None (logged) when it is of another type, malformed, or not from
    where such events come from (`source`: "acs", the ACS resource, or "internal", the app's own custom topic).
    Either way the caller returns normally, so Event Grid counts the event delivered and never redelivers it."""
    view = event_view(event)
    if view.type not in types:
        log.info("event %.64s of type %.64s ignored", view.id, view.type)
        return None
    if not isinstance(view.id, str) or len(view.id) > MAX_EVENT_ID:
        log.warning("event of type %s with an id of %d characters acknowledged without effect", view.type,
                    len(str(view.id)))
        return None
    settings = container().settings
    expected = settings.acs_resource_id if source == "acs" else settings.eventgrid_topic_resource_id
    if not isinstance(view.source, str) or view.source.strip().lower() != expected.strip().lower():
        log.error("event %s (%s) from %r ignored: %s events are believed only from %s", view.id, view.type,
                  str(view.source)[:300], source, expected)
        return None
    try:
        return parse(view)
    except (ValueError, TypeError, RecursionError) as exc:  # BadEvent, and data that is not what it should be
        log.warning("event %s (%s) acknowledged without effect: %s", view.id, view.type, exc)
        return None
