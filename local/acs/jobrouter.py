"""What the ACS stand-in answers for Job Router workers, as strictly as the service: GET and PATCH
/routing/workers/{workerId}?api-version=2023-11-01 (the requests azure-communication-jobrouter 1.0.0 makes),
JSON merge patch, ETags with If-Match (412 when stale, or when the worker does not exist), 404 for an unknown
worker. Every answer is recorded (kind "jobrouter") so tests can assert what the app asked.

Tests and the local stack create workers with the unauthenticated control PUT /_standin/routing/workers/{id}."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from local.acs.store import AcsRequest, Faults, Reply, RequestLog, acs_error
from shared.domain.worker_hold import apply_patch

API_VERSIONS = ("2023-11-01",)
WRITABLE = ("queues", "capacity", "labels", "tags", "channels", "availableForOffers")
READ_ONLY = ("id", "etag", "state", "offers", "assignedJobs", "loadRatio")
MERGE_PATCH = "application/merge-patch+json"


class JobRouterWorkers:
    """Workers in memory; thread-safe."""

    def __init__(self, log: RequestLog, faults: Faults, retry_after: int = 1) -> None:
        self._log, self._faults, self._retry_after = log, faults, retry_after
        self._lock = threading.Lock()
        self._workers: dict[str, dict[str, Any]] = {}

    def get(self, req: AcsRequest, worker_id: str) -> Reply:
        reply = self._faults.take("jobrouter", self._retry_after) or self._version(req) or self._read(worker_id)
        return self._recorded(req, worker_id, reply)

    def patch(self, req: AcsRequest, worker_id: str) -> Reply:
        reply = self._faults.take("jobrouter", self._retry_after) or self._version(req) or self._patch(req, worker_id)
        return self._recorded(req, worker_id, reply)

    def put_control(self, worker_id: str, body: Any) -> Reply:
        """Test-only: create or replace a worker with these writable fields (no ETag check), unrecorded."""
        problem = _invalid(body) if isinstance(body, Mapping) else "A JSON object is required."
        if problem:
            return acs_error(400, "BadRequest", problem)
        with self._lock:
            self._workers[worker_id] = _stored(worker_id, dict(body))
            return Reply(200, _shown(self._workers[worker_id]))

    def _read(self, worker_id: str) -> Reply:
        with self._lock:
            doc = self._workers.get(worker_id)
            if doc is None:
                return _not_found(worker_id)
            return Reply(200, _shown(doc), {"ETag": doc["etag"]})

    def _patch(self, req: AcsRequest, worker_id: str) -> Reply:
        content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != MERGE_PATCH:
            return acs_error(415, "UnsupportedMediaType", f"Content-Type must be {MERGE_PATCH}.")
        try:
            body = req.json()
        except (UnicodeDecodeError, ValueError):
            return acs_error(400, "BadRequest", "The body is not JSON.")
        problem = _invalid(body, patch=True) if isinstance(body, dict) else "The body must be an object."
        if problem:
            return acs_error(400, "BadRequest", problem)
        if_match, if_none = req.header("if-match"), req.header("if-none-match")
        with self._lock:
            doc = self._workers.get(worker_id)
            if (if_match is not None and (doc is None or if_match not in ("*", doc["etag"]))) or \
                    (if_none == "*" and doc is not None):
                return acs_error(412, "PreconditionFailed", f"Worker {worker_id} does not match the condition.")
            fields = apply_patch({k: v for k, v in (doc or {}).items() if k in WRITABLE},
                                 {k: v for k, v in body.items() if k in WRITABLE})
            self._workers[worker_id] = _stored(worker_id, fields)
            stored = self._workers[worker_id]
            return Reply(201 if doc is None else 200, _shown(stored), {"ETag": stored["etag"]})

    def _version(self, req: AcsRequest) -> Reply | None:
        version = req.query.get("api-version")
        if version not in API_VERSIONS:
            return acs_error(400, "UnsupportedApiVersion", f"api-version {version} is not supported by Job Router "
                             f"(supported: {', '.join(API_VERSIONS)}).", "api-version")
        return None

    def _recorded(self, req: AcsRequest, worker_id: str, reply: Reply) -> Reply:
        body = None
        if req.body:
            try:
                body = req.json()
            except (UnicodeDecodeError, ValueError):
                body = req.body.decode(errors="replace")
        self._log.record("jobrouter", worker_id, body, req.interesting_headers(), method=req.method,
                         ifMatch=req.header("if-match"), contentType=req.header("content-type"),
                         status=reply.status)
        return reply


def _invalid(body: Mapping[str, Any], patch: bool = False) -> str | None:
    unknown = sorted(set(body) - set(WRITABLE) - (set(READ_ONLY) if patch else set()))
    if unknown:
        return f"Unknown worker properties: {', '.join(unknown)}."
    available = body.get("availableForOffers")
    if available is not None and not isinstance(available, bool):
        return "availableForOffers must be true or false."
    for name in ("labels", "tags"):
        value = body.get(name)
        if value is not None and (not isinstance(value, dict) or not all(
                v is None or isinstance(v, str | int | float | bool) for v in value.values())):
            return f"{name} must be an object of strings, numbers and booleans."
    capacity = body.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0):
        return "capacity must be a non-negative integer."
    return None


def _stored(worker_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(fields) | {"id": worker_id, "etag": f'"{uuid.uuid4().hex}"'}


def _shown(doc: dict[str, Any]) -> dict[str, Any]:
    """The worker as the service returns it: every property, read-only ones derived."""
    available = bool(doc.get("availableForOffers", False))
    return {"id": doc["id"], "etag": doc["etag"], "state": "active" if available else "inactive",
            "queues": doc.get("queues", []), "capacity": doc.get("capacity", 0), "labels": doc.get("labels", {}),
            "tags": doc.get("tags", {}), "channels": doc.get("channels", []), "offers": [], "assignedJobs": [],
            "loadRatio": 0.0, "availableForOffers": available}


def _not_found(worker_id: str) -> Reply:
    return acs_error(404, "NotFound", f"Worker with id {worker_id} not found.", "workerId")
