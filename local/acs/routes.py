"""Routing of the ACS stand-in: authenticated ACS REST paths, and the unauthenticated /_standin/ inspection API."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from local.acs.auth import AuthError, verify_request
from local.acs.handlers import AcsBehaviour
from local.acs.jobrouter import JobRouterWorkers
from local.acs.store import KINDS, AcsRequest, Faults, Reply, RequestLog, acs_error

logger = logging.getLogger(__name__)

EMAIL_STATUS = re.compile(r"^/emails/operations/(?P<id>[^/]+)$")
WORKER = re.compile(r"^/routing/workers/(?P<id>[^/]+)$")
INSPECTION_PREFIX = "/_standin/"
RECORDED_KINDS = (*KINDS, "duplicateRedirect", "duplicateReject")


class AcsRoutes:
    """Maps a request to its handler after checking the HMAC signature and api-version, as ACS does."""

    def __init__(self, access_key: str, behaviour: AcsBehaviour, log: RequestLog, faults: Faults,
                 workers: JobRouterWorkers | None = None) -> None:
        self._access_key = access_key
        self._workers = workers or JobRouterWorkers(log, faults)
        self._behaviour, self._log, self._faults = behaviour, log, faults
        self._static: dict[tuple[str, str], Callable[[AcsRequest], Reply]] = {
            ("POST", "/emails:send"): behaviour.send_email,
            ("POST", "/sms"): behaviour.send_sms,
            ("POST", "/calling/callConnections:redirect"): lambda req: behaviour.call_action(req, "redirect"),
            ("POST", "/calling/callConnections:reject"): lambda req: behaviour.call_action(req, "reject"),
        }

    def handle(self, req: AcsRequest, raw_target: str) -> Reply:
        """Answer one request; `raw_target` is the path and query exactly as sent (it is part of the signature)."""
        if req.path.startswith(INSPECTION_PREFIX):
            return self._inspect(req)
        handler = self._find(req)
        if handler is None:
            return acs_error(404, "NotFound", f"{req.method} {req.path} is not an ACS operation the stand-in knows.")
        try:
            verify_request(self._access_key, req.method, raw_target, req.headers, req.body)
        except AuthError as err:
            # The service does not say why; the log does, for whoever is debugging the app.
            logger.warning("401 for %s %s: %s", req.method, req.path, err)
            return acs_error(401, "Denied", "Denied by the resource provider.")
        if not req.query.get("api-version"):
            message = "The api-version query parameter (?api-version=) is required for all requests."
            return acs_error(400, "MissingApiVersionParameter", message, "api-version")
        return handler(req)

    def put_worker(self, worker_id: str, fields: dict[str, Any]) -> Reply:
        return self._workers.put_control(worker_id, fields)

    def _find(self, req: AcsRequest) -> Callable[[AcsRequest], Reply] | None:
        """The handler for this method and path, or None."""
        path = unquote(req.path)
        handler = self._static.get((req.method, path))
        if handler is None and req.method == "GET" and (match := EMAIL_STATUS.match(path)):
            op_id = match["id"]
            return lambda r: self._behaviour.email_status(r, op_id)
        if handler is None and req.method in ("GET", "PATCH") and (match := WORKER.match(path)):
            worker_id = match["id"]
            return lambda r: (self._workers.get if r.method == "GET" else self._workers.patch)(r, worker_id)
        return handler

    def _inspect(self, req: AcsRequest) -> Reply:
        """GET/DELETE /_standin/requests, GET/POST /_standin/faults, GET /_standin/health,
        PUT /_standin/routing/workers/{id} (create or replace a Job Router worker)."""
        name = req.path[len(INSPECTION_PREFIX) :].rstrip("/")
        if (req.method, name) == ("GET", "health"):
            return Reply(200, {"status": "ok", "recorded": len(self._log.list())})
        if (req.method, name) == ("GET", "requests"):
            kind = req.query.get("kind")
            if kind is not None and kind not in RECORDED_KINDS:
                return acs_error(400, "BadRequest", f"kind must be one of {RECORDED_KINDS}.", "kind")
            return Reply(200, self._log.list(kind))
        if (req.method, name) == ("DELETE", "requests"):
            self._log.clear()
            return Reply(204)
        if (req.method, name) == ("GET", "faults"):
            return Reply(200, self._faults.snapshot())
        if (req.method, name) == ("POST", "faults"):
            return self._set_faults(req)
        if req.method == "PUT" and (match := WORKER.match("/" + unquote(name))):
            try:
                return self._workers.put_control(match["id"], req.json())
            except (UnicodeDecodeError, ValueError):
                return acs_error(400, "BadRequest", "The body is not JSON.")
        return acs_error(404, "NotFound", f"{req.method} {req.path} is not a stand-in endpoint.")

    def _set_faults(self, req: AcsRequest) -> Reply:
        """Replace the runtime fault settings with the JSON object in the body."""
        try:
            settings = req.json() if req.body else {}
            if not isinstance(settings, dict):
                raise ValueError("the body must be a JSON object")
            self._faults.replace(settings)
        except (UnicodeDecodeError, ValueError) as err:
            return acs_error(400, "BadRequest", str(err))
        logger.info("faults set to %s", self._faults.snapshot())
        return Reply(200, self._faults.snapshot())
