"""Call Automation: redirect a ringing call to an ACS identity, through the real SDK client."""

from __future__ import annotations

import os
from typing import Any

from azure.communication.callautomation import CallAutomationClient, CommunicationUserIdentifier
from azure.core.exceptions import AzureError, HttpResponseError

from shared.ports import CallControlError


class AcsCallControl:
    def __init__(self, connection_string: str | None = None, endpoint: str | None = None,
                 credential: Any = None) -> None:
        # A call rings 30 s: fail fast rather than retry into silence (Event Grid delivers the IncomingCall again
        # 10 s after a failure). One try of at most 5 s, never a Retry-After wait, stays within the claim a
        # delivery holds on the redirect (services/callbacks.py CLAIM_HOLD), so a live holder is never taken over.
        options: dict[str, Any] = {"connection_verify": os.environ.get("REQUESTS_CA_BUNDLE") or True,
                                   "retry_total": 0, "connection_timeout": 2, "read_timeout": 3}
        if connection_string:
            self._client = CallAutomationClient.from_connection_string(connection_string, **options)
        elif endpoint:
            self._client = CallAutomationClient(endpoint, credential, **options)
        else:
            raise ValueError("a connection string or an endpoint is needed")

    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        try:
            self._client.redirect_call(incoming_call_context, CommunicationUserIdentifier(target_raw_id))
        except HttpResponseError as exc:
            if exc.status_code == 200:
                return  # the service answers 200 for a call already redirected; the SDK expects only 204
            raise CallControlError(f"redirect failed: HTTP {exc.status_code}: {str(exc).splitlines()[0][:200]}") \
                from exc
        except AzureError as exc:
            raise CallControlError(f"redirect failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") \
                from exc
