"""Call Automation: redirect a ringing call to a phone number, an ACS user or a Teams user, through the real SDK
client; the target's identifier is built from its raw id by the SDK (shared/identifiers.py)."""

from __future__ import annotations

import os
import time
from typing import Any

from azure.communication.callautomation import CallAutomationClient
from azure.core.exceptions import AzureError, HttpResponseError

from shared.identifiers import redirect_target
from shared.ports import CallControlError

# A call rings 30 s, and Event Grid delivers a failed IncomingCall once more 10 s later. Each try may take 2 s to
# connect and 2 s to answer; after a transient failure one more try follows, after at most MAX_WAIT (Retry-After
# is honoured up to that), only while both tries fit in BUDGET. BUDGET stays under the claim a delivery holds on
# the redirect (services/callbacks.py CLAIM_HOLD), so a live holder is never taken over by a redelivery.
TRY_LIMIT = 4.0
BUDGET = 9.0
MAX_WAIT = 1.0
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


class _Transient(CallControlError):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AcsCallControl:
    def __init__(self, connection_string: str | None = None, endpoint: str | None = None,
                 credential: Any = None) -> None:
        # The SDK's own retries (and their Retry-After waits) are off: redirect() bounds its tries itself.
        self._client = call_automation_client(connection_string, endpoint, credential, retry_total=0,
                                              connection_timeout=2, read_timeout=2)

    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        """At most two tries within BUDGET seconds; raises CallControlError (at once, sending nothing, when the
        target is not a raw id of a phone number, an ACS user or a Teams user)."""
        try:
            target = redirect_target(target_raw_id)
        except ValueError as exc:
            raise CallControlError(f"redirect target refused: {exc}") from None
        started = time.monotonic()
        try:
            self._redirect_once(incoming_call_context, target)
        except _Transient as first:
            wait = min(first.retry_after if first.retry_after is not None else 0.2, MAX_WAIT)
            if time.monotonic() - started + wait + TRY_LIMIT > BUDGET:
                raise
            time.sleep(wait)
            self._redirect_once(incoming_call_context, target)

    def _redirect_once(self, incoming_call_context: str, target: Any) -> None:
        try:
            self._client.redirect_call(incoming_call_context, target)
        except HttpResponseError as exc:
            if exc.status_code == 200:
                return  # the service answers 200 for a call already redirected; the SDK expects only 204
            message = f"redirect failed: HTTP {exc.status_code}: {str(exc).splitlines()[0][:200]}"
            if exc.status_code in TRANSIENT:
                raise _Transient(message, _retry_after(exc)) from exc
            raise CallControlError(message) from exc
        except AzureError as exc:  # no answer (refused, timed out): worth one more try
            raise _Transient(f"redirect failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                             None) from exc


def call_automation_client(connection_string: str | None, endpoint: str | None, credential: Any,
                           **options: Any) -> CallAutomationClient:
    """The SDK's client by connection string, or by endpoint and credential; trusting REQUESTS_CA_BUNDLE (the local
    stand-in's CA) when it is set."""
    options = {"connection_verify": os.environ.get("REQUESTS_CA_BUNDLE") or True} | options
    if connection_string:
        return CallAutomationClient.from_connection_string(connection_string, **options)
    if endpoint:
        return CallAutomationClient(endpoint, credential, **options)
    raise ValueError("a connection string or an endpoint is needed")


def _retry_after(exc: HttpResponseError) -> float | None:
    try:
        return float(exc.response.headers.get("Retry-After"))  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return None
