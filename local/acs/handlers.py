"""What the ACS stand-in answers for email, SMS and call actions: validation, de-duplication, faults, recording."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.acs.store import AcsRequest, Faults, Reply, RequestLog, acs_error
from local.acs.validation import (
    E164,
    Invalid,
    Repeatability,
    parse_repeatability,
    validate_email,
    validate_redirect,
    validate_reject,
    validate_sms,
)

logger = logging.getLogger(__name__)

# Failure injection by address, so a test or a demo can provoke each error path without runtime settings.
FAIL_SEND, FAIL_STATUS, FAIL_SMS = "fail-send", "fail-status", "5550199"


@dataclass
class _EmailOperation:
    """One accepted email send and how far its polling has gone."""

    fingerprint: str
    accepted: Reply
    seq: int
    fail: bool
    at: datetime
    polls: int = 0


class AcsBehaviour:
    """The stand-in's answers to ACS operations; thread-safe; remembers repeatability ids for its lifetime."""

    def __init__(
        self,
        log: RequestLog,
        faults: Faults,
        *,
        email_polls: int = 1,
        retry_after: int = 1,
        clock: Callable[[], datetime] | None = None,
        email_dedup_window: timedelta = timedelta(minutes=5),
    ) -> None:
        self._log, self._faults = log, faults
        self._email_polls, self._retry_after = max(1, email_polls), retry_after
        self._clock = clock or (lambda: datetime.now(UTC))
        # The service drops a repeated operation id for a few minutes only; after that the same id sends again.
        self._email_window = email_dedup_window
        self._lock = threading.Lock()
        self._emails: dict[str, _EmailOperation] = {}
        self._sms: dict[str, tuple[str, dict[str, Any]]] = {}
        self._calls: dict[str, tuple[str, Reply]] = {}
        self._contexts: set[str] = set()

    def send_email(self, req: AcsRequest) -> Reply:
        """POST /emails:send -> 202 + Operation-Location; a repeated operation id replays the first answer."""
        fault = self._faults.take("email", self._retry_after)
        if fault:
            return fault
        try:
            repeat = self._repeatability(req)
            body = _json(req)
            validate_email(body)
        except Invalid as err:
            return err.reply()
        addresses = [r["address"] for f in ("to", "cc", "bcc") for r in body["recipients"].get(f) or []]
        if any(FAIL_SEND in a for a in addresses):
            return acs_error(400, "BadRequest", f"Stand-in fault: a recipient contains '{FAIL_SEND}'.", "recipients")
        op_id = req.header("operation-id") or (repeat.request_id if repeat else str(uuid.uuid4()))
        fail = any(FAIL_STATUS in a for a in addresses)
        with self._lock:
            existing = self._emails.get(op_id)
            now = self._clock()
            if existing and now - existing.at <= self._email_window:
                return self._replay(existing.fingerprint, existing.accepted, req, f"email operation {op_id}")
            accepted = Reply(202, {"id": op_id, "status": "Running"}, self._email_headers(req, op_id))
            seq = self._log.record("email", op_id, body, req.interesting_headers(), status="Running")
            self._emails[op_id] = _EmailOperation(_digest(req.body), accepted, seq, fail, now)
        logger.info("email %s accepted for %s", op_id, ", ".join(_mask(a) for a in addresses))
        return accepted

    def email_status(self, req: AcsRequest, op_id: str) -> Reply:
        """GET /emails/operations/{id} -> Running until the configured poll, then Succeeded or Failed."""
        with self._lock:
            op = self._emails.get(op_id)
            if op is None:
                return acs_error(404, "NotFound", f"Operation {op_id} was not found.", "operationId")
            op.polls += 1
            status = "Running" if op.polls < self._email_polls else ("Failed" if op.fail else "Succeeded")
        self._log.update(op.seq, status=status)
        body: dict[str, Any] = {"id": op_id, "status": status}
        if status == "Failed":
            body["error"] = {"code": "StandInInjectedFailure", "message": f"A recipient contains '{FAIL_STATUS}'."}
        # The service sends Retry-After only while the operation is not finished.
        return Reply(200, body, {"Retry-After": str(self._retry_after)} if status == "Running" else {})

    def send_sms(self, req: AcsRequest) -> Reply:
        """POST /sms -> 202 with one result per recipient; a repeated repeatabilityRequestId is not sent twice."""
        fault = self._faults.take("sms", self._retry_after)
        if fault:
            return fault
        try:
            body = _json(req)
            validate_sms(body)
        except Invalid as err:
            return err.reply()
        return Reply(202, {"value": [self._sms_recipient(body, r, req) for r in body["smsRecipients"]]})

    def call_action(self, req: AcsRequest, action: str) -> Reply:
        """POST /calling/callConnections:{redirect|reject} -> 204; acting again on a handled call -> 200."""
        fault = self._faults.take(action, self._retry_after)
        if fault:
            return fault
        validate = validate_redirect if action == "redirect" else validate_reject
        try:
            repeat = self._repeatability(req)
            body = _json(req)
            validate(body)
        except Invalid as err:
            return err.reply()
        context = body["incomingCallContext"]
        with self._lock:
            if repeat and repeat.request_id in self._calls:
                return self._replay(*self._calls[repeat.request_id], req, f"{action} {repeat.request_id}")
            duplicate = context in self._contexts
            kind = f"duplicate{action.capitalize()}" if duplicate else action
            self._contexts.add(context)
            self._log.record(kind, repeat.request_id if repeat else None, body, req.interesting_headers())
            reply = Reply(200 if duplicate else 204, None, {"Repeatability-Result": "accepted"} if repeat else {})
            if repeat:
                self._calls[repeat.request_id] = (_digest(req.body), reply)
        logger.info("%s recorded (status %d)", kind, reply.status)
        return reply

    def _sms_recipient(self, body: dict[str, Any], recipient: dict[str, Any], req: AcsRequest) -> dict[str, Any]:
        """The per-recipient result, recording the message once per repeatabilityRequestId."""
        to, rid = recipient["to"], recipient.get("repeatabilityRequestId")
        try:
            repeat = parse_repeatability(rid, recipient.get("repeatabilityFirstSent"), self._clock())
        except Invalid as err:
            return _sms_failure(to, err.status, str(err), "rejected")
        if not E164.match(to):
            return _sms_failure(to, 400, "Invalid To phone number format.", None)
        if FAIL_SMS in to:
            return _sms_failure(to, 400, f"Stand-in fault: recipient contains '{FAIL_SMS}'.", None)
        fingerprint = _digest("\x1f".join((body["from"], to, body["message"])).encode("utf-8"))
        with self._lock:
            if repeat and repeat.request_id in self._sms:
                first_fingerprint, first_item = self._sms[repeat.request_id]
                if first_fingerprint != fingerprint:
                    return _sms_failure(to, 400, "Repeatability-Request-ID reused for another message.", "rejected")
                return dict(first_item)
            message_id = f"Outgoing_{self._clock():%Y%m%d%H%M%S}{uuid.uuid4().hex[:16]}_standin"
            item = {"to": to, "messageId": message_id, "httpStatusCode": 202, "successful": True}
            if repeat:
                item["repeatabilityResult"] = "accepted"
                self._sms[repeat.request_id] = (fingerprint, item)
            recorded = {k: v for k, v in body.items() if k != "smsRecipients"} | {"to": to, "messageId": message_id}
            self._log.record("sms", rid, recorded, req.interesting_headers())
        logger.info("sms %s accepted for %s", message_id, _mask(to))
        return dict(item)

    def _repeatability(self, req: AcsRequest) -> Repeatability | None:
        """The request's validated repeatability headers, if it sent them."""
        return parse_repeatability(
            req.header("repeatability-request-id"), req.header("repeatability-first-sent"), self._clock()
        )

    def _replay(self, fingerprint: str, first: Reply, req: AcsRequest, what: str) -> Reply:
        """Answer a repeat like the first request, or 400 when the id is reused for a different body."""
        if fingerprint != _digest(req.body):
            return acs_error(400, "BadRequest", f"The id of {what} was already used for a different request.")
        logger.info("%s repeated: replaying the first answer, not recording", what)
        return first

    def _email_headers(self, req: AcsRequest, op_id: str) -> dict[str, str]:
        """Headers of the 202: where to poll, the operation id, and how long to wait."""
        api_version = req.query.get("api-version", "")
        location = f"{req.base_url}/emails/operations/{op_id}?api-version={api_version}"
        return {"Operation-Location": location, "operation-id": op_id, "Retry-After": str(self._retry_after)}


def _sms_failure(to: str, status: int, message: str, repeatability: str | None) -> dict[str, Any]:
    """A failed per-recipient SMS result."""
    item: dict[str, Any] = {"to": to, "httpStatusCode": status, "successful": False, "errorMessage": message}
    if repeatability:
        item["repeatabilityResult"] = repeatability
    return item


def _json(req: AcsRequest) -> Any:
    """The request body as JSON, or a 400 the way the service refuses unreadable bodies."""
    try:
        return req.json()
    except (UnicodeDecodeError, ValueError) as err:
        raise Invalid("The request body is not valid JSON.") from err


def _digest(data: bytes) -> str:
    """Identity of a request, to tell a true repeat from an id reused for something else."""
    return hashlib.sha256(data).hexdigest()


def _mask(value: str) -> str:
    """Mask an email address or phone number for logs."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:2]}***{value[-2:]}" if len(value) > 4 else "***"
