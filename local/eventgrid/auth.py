"""Who may publish to an Event Grid topic: the access key (header or query parameter `aeg-sas-key`, what
azure-eventgrid's AzureKeyCredential sends), or a SAS token (`aeg-sas-token`, or `Authorization:
SharedAccessSignature r=…&e=…&s=…`, what its generate_sas/AzureSasCredential make) signed with that key and not
expired. learn.microsoft.com/azure/event-grid/authenticate-with-access-keys-shared-access-signatures
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import unquote

# The service's wording, quoted in azure-eventgrid's _signature_credential_policy.py.
MISSING = "Request must contain one of the following authorization signature: aeg-sas-token, aeg-sas-key."


def unauthorized(headers: Mapping[str, str], query: Mapping[str, str], key: str, endpoint: str,
                 now: datetime) -> str | None:
    """None when the request may publish; otherwise why not. `headers` have lower-case names."""
    given = headers.get("aeg-sas-key") or query.get("aeg-sas-key")
    if given is not None:
        return None if hmac.compare_digest(given.encode(), key.encode()) else "The specified key is not valid."
    token = headers.get("aeg-sas-token")
    authorization = headers.get("authorization", "")
    if token is None and authorization.startswith("SharedAccessSignature "):
        token = authorization.removeprefix("SharedAccessSignature ").strip()
    if token is None:
        return MISSING
    return _bad_token(token, key, endpoint, now)


def _bad_token(token: str, key: str, endpoint: str, now: datetime) -> str | None:
    unsigned, separator, signature = token.rpartition("&s=")
    fields = dict(part.split("=", 1) for part in unsigned.split("&") if "=" in part)
    if not separator or "r" not in fields or "e" not in fields:
        return "The SAS token is malformed (r=…&e=…&s=…)."
    try:
        secret = base64.b64decode(key)
        expected = base64.b64encode(hmac.new(secret, unsigned.encode("ascii"), hashlib.sha256).digest())
    except (ValueError, UnicodeEncodeError):  # a key that is not base64, a token that is not ASCII
        return "The SAS token signature is not valid."
    if not hmac.compare_digest(unquote(signature).encode(), expected):
        return "The SAS token signature is not valid."
    if not unquote(fields["r"]).lower().startswith(endpoint.lower()):
        return "The SAS token is for another resource."
    try:
        expiry = datetime.fromisoformat(unquote(fields["e"]))
    except ValueError:
        return "The SAS token expiry is not a date."
    if (expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)) <= now:
        return "The SAS token has expired."
    return None
