"""The HTTP face of the Event Grid stand-in (a WSGI app served by cheroot): the publish API and the inspection API.

`POST /api/events?api-version=2018-01-01`: 401 without the key or a valid SAS token, 400 for an unknown
api-version or a body the service refuses, 413 above 1 MB, else every event (and one delivery per matching
subscription) is committed to disk and the answer is 200 with an empty body, as the service answers.
`GET /_standin/deliveries[?subscription=NAME][&eventId=ID]`: the stand-in's own view, for tests and operators.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from local.eventgrid.auth import unauthorized
from local.eventgrid.delivery import iso
from local.eventgrid.schema import MAX_BODY, PublishError, error_body, event_identity, parse_publish
from local.eventgrid.store import PENDING, Accepted, Delivery

if TYPE_CHECKING:
    from local.eventgrid.standin import EventGridStandIn

logger = logging.getLogger(__name__)

API_PATH, INSPECTION_PATH, API_VERSIONS = "/api/events", "/_standin/deliveries", ("2018-01-01",)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class TopicApi:
    """WSGI callable for one topic."""

    def __init__(self, topic: EventGridStandIn) -> None:
        self._topic = topic

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if path == INSPECTION_PATH and method == "GET":
            event_id = query.get("eventId")
            status, body = 200, self._topic.deliveries(query.get("subscription"), [event_id] if event_id else None)
        elif path.rstrip("/").lower() == API_PATH:
            status, body = self._publish(environ, method, query)
        else:
            status, body = 404, error_body("NotFound", f"{method} {path} is not an Event Grid topic API.", "NotFound")
        payload = b"" if body is None else json.dumps(body).encode()
        headers = [("Content-Length", str(len(payload))), ("x-ms-request-id", secrets.token_hex(16))]
        if payload:
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]

    def _publish(self, environ: dict[str, Any], method: str, query: dict[str, str]) -> tuple[int, Any]:
        topic = self._topic
        if method != "POST":
            return 405, error_body("MethodNotAllowed", f"{method} is not allowed; POST events.", "MethodNotAllowed")
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        reason = unauthorized(headers, query, topic.access_key, topic.endpoint, datetime.now(UTC))
        if reason is not None:
            logger.warning("401 for a publish to %s: %s", topic.topic, reason)
            host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
            message = f"The request authorization key is not authorized for {host}. This is due to the reason: {reason}"
            return 401, error_body("Unauthorized", message, "Unauthorized")
        if query.get("api-version") not in API_VERSIONS:
            message = f"The api-version {query.get('api-version')!r} is not supported; use {API_VERSIONS[0]}."
            return 400, error_body("BadRequest", message, "InvalidApiVersion")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length if 0 < length <= MAX_BODY else MAX_BODY + 1)
        try:
            events = parse_publish(body, environ.get("CONTENT_TYPE", ""), topic.input_schema, topic.topic)
        except PublishError as refused:
            logger.warning("%d for a publish to %s: %s", refused.status, topic.topic, refused)
            return refused.status, refused.body
        self._accept(events)
        return 200, None

    def _accept(self, events: list[dict[str, Any]]) -> None:
        """Persist the events and one delivery per matching subscription, then wake the deliveries."""
        topic, now = self._topic, time.time()
        accepted = []
        for event in events:
            event_id, event_type = event_identity(event)
            targets = [(s.name, s.max_attempts, now + s.ttl_minutes * 60 / topic.time_scale)
                       for s in topic.subscriptions if s.wants(event_type)]
            accepted.append(Accepted(event, event_id, event_type, targets))
        topic.store().accept(accepted, now)
        topic.wake()


def deliveries_view(standin: EventGridStandIn, rows: list[Delivery], validated: Mapping[str, bool],
                    subscription: str | None = None) -> dict[str, Any]:
    """The inspection API's answer: counts per subscription, then each delivery in publish order."""
    counts: dict[str, dict[str, Any]] = {
        s.name: {"pending": 0, "delivered": 0, "deadLettered": 0, "validated": validated.get(s.name, False)}
        for s in standin.subscriptions if subscription in (None, s.name)}
    for row in rows:
        counts.setdefault(row.subscription, {"pending": 0, "delivered": 0, "deadLettered": 0})[row.status] += 1
    return {"topic": standin.topic, "endpoint": standin.endpoint, "deadLetterDir": str(standin.dead_letter_dir),
            "subscriptions": counts,
            "deliveries": [{"id": r.id, "subscription": r.subscription, "eventId": r.event_id,
                            "eventType": r.event_type, "status": r.status, "attempts": r.attempts,
                            "lastHttpStatus": r.last_status, "lastOutcome": r.last_outcome,
                            "deadLetterReason": r.dead_letter_reason, "publishTime": iso(r.publish_time),
                            "lastAttemptTime": iso(r.last_attempt_at),
                            "nextAttemptTime": iso(r.next_attempt_at) if r.status == PENDING else None}
                           for r in rows]}
