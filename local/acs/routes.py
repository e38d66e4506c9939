"""Routing of the ACS stand-in: authenticated ACS REST paths, the unauthenticated publication of the callback signing
keys (as ACS publishes them), and the unauthenticated /_standin/ inspection API."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from local.acs.auth import AuthError, verify_request
from local.acs.calling import CallingService
from local.acs.handlers import AcsBehaviour
from local.acs.jobrouter import JobRouterWorkers
from local.acs.jwt_signer import KEYS_PATH, OPENID_CONFIGURATION_PATH, CallbackSigner
from local.acs.store import KINDS, AcsRequest, Faults, Reply, RequestLog, acs_error

logger = logging.getLogger(__name__)

EMAIL_STATUS = re.compile(r"^/emails/operations/(?P<id>[^/]+)$")
WORKER = re.compile(r"^/routing/workers/(?P<id>[^/]+)$")
CALL = re.compile(r"^/calling/callConnections/(?P<id>[^/:]+)(?::(?P<action>[A-Za-z]+))?$")
CALLEE = re.compile(r"^callees/(?P<number>[^/]+)$")
# What the SDKs send for one call connection: method and ":action" -> (handler name, recorded kind).
CALL_OPERATIONS = {
    ("GET", None): ("get", None),
    ("DELETE", None): ("end", "hangUp"),
    ("POST", "terminate"): ("end", "terminate"),
    ("POST", "play"): ("media", "play"),
    ("POST", "recognize"): ("media", "recognize"),
}
INSPECTION_PREFIX = "/_standin/"
RECORDED_KINDS = (*KINDS, "duplicateRedirect", "duplicateReject")


class AcsRoutes:
    """Maps a request to its handler after checking the HMAC signature and api-version, as ACS does."""

    def __init__(self, access_key: str, behaviour: AcsBehaviour, log: RequestLog, faults: Faults,
                 workers: JobRouterWorkers | None = None, *, calling: CallingService, signer: CallbackSigner) -> None:
        self._access_key = access_key
        self._workers = workers or JobRouterWorkers(log, faults)
        self._behaviour, self._log, self._faults = behaviour, log, faults
        self._calling, self._signer = calling, signer
        self._static: dict[tuple[str, str], Callable[[AcsRequest], Reply]] = {
            ("POST", "/emails:send"): behaviour.send_email,
            ("POST", "/sms"): behaviour.send_sms,
            ("POST", "/calling/callConnections"): calling.create_call,
            ("POST", "/calling/callConnections:redirect"): lambda req: behaviour.call_action(req, "redirect"),
            ("POST", "/calling/callConnections:reject"): lambda req: behaviour.call_action(req, "reject"),
        }
        # Published without authentication, as ACS publishes its callback signing keys.
        self._public: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", OPENID_CONFIGURATION_PATH): signer.openid_configuration,
            ("GET", KEYS_PATH): signer.jwks,
        }

    def handle(self, req: AcsRequest, raw_target: str) -> Reply:
        """Answer one request; `raw_target` is the path and query exactly as sent (it is part of the signature)."""
        if req.path.startswith(INSPECTION_PREFIX):
            return self._inspect(req)
        public = self._public.get((req.method, req.path))
        if public is not None:
            return Reply(200, public())
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

    def put_callee(self, number: str, req: AcsRequest) -> Reply:
        """PUT /_standin/callees/{e164}: create or replace the scripted person at that number."""
        try:
            body = req.json() if req.body else {}
            callee = self._calling.callees.put(number, body)
        except (UnicodeDecodeError, ValueError) as err:
            return acs_error(400, "BadRequest", str(err))
        return Reply(200, callee.shown())

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
        if handler is None and (match := CALL.match(path)):
            return self._call_operation(req.method, match["id"], match["action"])
        return handler

    def _call_operation(self, method: str, call_id: str, action: str | None) -> Callable[[AcsRequest], Reply] | None:
        """The handler of one call connection operation (get, hang up, terminate, play, recognize), or None."""
        operation = CALL_OPERATIONS.get((method, action))
        if operation is None:
            return None
        name, kind = operation
        if name == "get":
            return lambda r: self._calling.get_call(r, call_id)
        handler = self._calling.end if name == "end" else self._calling.media
        return lambda r: handler(r, call_id, str(kind))

    def _inspect(self, req: AcsRequest) -> Reply:
        """GET/DELETE /_standin/requests, GET/POST /_standin/faults, GET /_standin/health,
        PUT /_standin/routing/workers/{id} (create or replace a Job Router worker), GET /_standin/calls (each call
        with the callbacks delivered and how the app answered), GET /_standin/callees,
        PUT /_standin/callees/{e164} (script the person at that number)."""
        name = unquote(req.path[len(INSPECTION_PREFIX) :].rstrip("/"))
        if (req.method, name) == ("GET", "calls"):
            return Reply(200, self._calling.calls())
        if (req.method, name) == ("GET", "callees"):
            return Reply(200, self._calling.callees.shown())
        if req.method == "PUT" and (match := CALLEE.match(name)):
            return self.put_callee(match["number"], req)
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
        if req.method == "PUT" and (match := WORKER.match("/" + name)):
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
