"""ACS Email and SMS behind the Mailer and SmsSender ports, translating SDK errors into SendError or a refusal.

TLS: the SDKs send through `requests`, which reads REQUESTS_CA_BUNDLE itself (trust_env) whenever the client keeps
its default `connection_verify=True`; that is how the local stand-in's certificate is trusted. Nothing to do here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, cast

from azure.communication.email import EmailClient
from azure.communication.sms import SmsClient
from azure.communication.sms._generated.models import SendMessageRequest, SmsRecipient, SmsSendOptions
from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError

from shared.adapters import lanes
from shared.domain.delivery import SendResult
from shared.domain.template import RenderedNotification
from shared.ports import SendError

log = logging.getLogger(__name__)

# An emergency notification must not wait behind a long SDK retry loop: Event Grid redelivers the event instead.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 2, "retry_backoff_factor": 0.5, "connection_timeout": 5,
                                  "read_timeout": 15}
POLL_INTERVAL_SECONDS = 0.2  # the SDK's default is 30 s; the service's Retry-After still wins when it sends one
POLL_TIMEOUT_SECONDS = 20.0  # Event Grid waits 30 s for an answer


def email_client(connection_string: str | None = None, endpoint: str | None = None,
                 credential: Any = None) -> EmailClient:
    """From a connection string, or from an endpoint and a token credential (managed identity)."""
    if connection_string:
        return EmailClient.from_connection_string(connection_string, **CLIENT_OPTIONS)
    return EmailClient(str(endpoint), credential, **CLIENT_OPTIONS)


def sms_client(connection_string: str | None = None, endpoint: str | None = None, credential: Any = None) -> SmsClient:
    """From a connection string, or from an endpoint and a token credential (managed identity)."""
    if connection_string:
        # cast: the SDK's type comments on this classmethod confuse mypy
        return cast(SmsClient, cast(Any, SmsClient).from_connection_string(connection_string, **CLIENT_OPTIONS))
    return SmsClient(str(endpoint), credential, **CLIENT_OPTIONS)


class AcsMailer:
    """One email per call of `send`, with our operation id; waits until the service accepted it (Succeeded)."""

    def __init__(self, client: EmailClient, sender: str) -> None:
        self._client = client
        self._sender = sender

    def send(self, to: str, message: RenderedNotification, operation_id: str) -> SendResult:
        """Succeeded -> accepted (id = operation id); 4xx or Failed -> refused; 429/5xx/network -> SendError."""
        lanes.yield_to_emergency()  # notifications follow the dial: an emergency dial in flight goes first
        content = {"subject": message.subject, "plainText": message.text}
        if message.html.strip():
            content["html"] = message.html
        body = {"senderAddress": self._sender, "recipients": {"to": [{"address": to}]}, "content": content,
                "userEngagementTrackingDisabled": True}  # no tracking pixels or rewritten links in an alert
        try:
            poller = self._client.begin_send(body, operation_id=operation_id, polling_interval=POLL_INTERVAL_SECONDS)
            result = poller.result(timeout=POLL_TIMEOUT_SECONDS)
        except AzureError as exc:
            return refusal_or_raise(exc)
        if not poller.done():
            raise SendError(f"email operation {operation_id} still running after {POLL_TIMEOUT_SECONDS:.0f} s", True)
        status = (result or {}).get("status")
        if status != "Succeeded":
            return SendResult(False, operation_id, f"email operation ended {status}: {_result_error(result)}")
        return SendResult(True, operation_id)


class AcsSmsSender:
    """One SMS per call of `send`, with our own repeatability id so a retry is never sent twice by the service."""

    def __init__(self, client: SmsClient, sender: str) -> None:
        self._client = client
        self._sender = sender

    def send(self, to: str, text: str, repeatability_id: str, first_sent: datetime) -> SendResult:
        """Accepted with the ACS message id; a refused recipient -> refusal; 429/5xx/network -> SendError."""
        lanes.yield_to_emergency()
        # SmsClient.send() draws a random Repeatability-Request-ID (uuid4) and stamps "now" as first sent on every
        # call, so a retry after a lost answer or a redelivered event would be a new message. We build the same
        # request through the SDK's generated client (same auth, pipeline and serialisation) with an id derived
        # from the call and recipient and the time of our first attempt, kept in the delivery record.
        recipient = SmsRecipient(to=to, repeatability_request_id=repeatability_id,
                                 repeatability_first_sent=format_datetime(first_sent.astimezone(UTC), usegmt=True))
        request = SendMessageRequest(from_property=self._sender, sms_recipients=[recipient], message=text,
                                     sms_send_options=SmsSendOptions(enable_delivery_report=True))
        try:
            response = self._client._sms_service_client.sms.send(request)
        except AzureError as exc:
            return refusal_or_raise(exc)
        item = response.value[0]
        if item.successful:
            return SendResult(True, item.message_id)
        status = int(item.http_status_code or 0)
        reason = f"SMS refused ({status}): {item.error_message or 'no reason given'}"
        if _transient_status(status):
            raise SendError(reason, True)
        return SendResult(False, item.message_id, reason)


def refusal_or_raise(exc: AzureError) -> SendResult:
    """4xx (and a Failed operation) -> a refusal with the service's message; the rest raises SendError(transient)."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        raise SendError(f"service unreachable: {type(exc).__name__}: {_first_line(str(exc))}", True) from exc
    if not isinstance(exc, HttpResponseError):
        raise SendError(f"{type(exc).__name__}: {_first_line(str(exc))}", True) from exc
    status = int(exc.status_code or 0)
    reason = f"{status} {service_message(exc)}" if status != 200 else f"operation failed: {service_message(exc)}"
    if _transient_status(status):
        raise SendError(reason, True) from exc
    return SendResult(False, reason=reason)


def service_message(exc: HttpResponseError) -> str:
    """The service's own error message (code: message) when it sent one, else the first line of the error."""
    error = getattr(exc, "error", None)
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    if message:
        return f"{code}: {message}" if code else str(message)
    return _first_line(exc.message or str(exc))


def _transient_status(status: int) -> bool:
    """Throttling, timeouts and server errors may pass; other refusals will not."""
    return status in (0, 408, 429) or status >= 500


def _result_error(result: Any) -> str:
    """The error message of a finished email operation, if any."""
    error = (result or {}).get("error") or {}
    return str(error.get("message") or error.get("code") or "no reason given")


def _first_line(text: str) -> str:
    """First line, at most 300 characters: enough for a delivery record."""
    return (text.splitlines() or [""])[0][:300]
