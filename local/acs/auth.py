"""Checks the HMAC-SHA256 request signature that the ACS SDKs compute from the connection string's access key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

SCHEME = "HMAC-SHA256"
# The SDKs sign exactly these, in this order (azure/communication/*/_shared/policy.py).
REQUIRED_SIGNED_HEADERS = {"x-ms-date", "host", "x-ms-content-sha256"}
# The service refuses requests whose x-ms-date is too far from its own clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)


class AuthError(Exception):
    """The request is not signed with the expected access key; the message says why (for logs only)."""


def content_hash(body: bytes) -> str:
    """Base64 SHA-256 of the raw body, as sent in x-ms-content-sha256."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def verify_request(
    access_key: str,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> None:
    """Raise AuthError unless the request carries a valid, fresh HMAC-SHA256 signature over its body."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signed_headers, signature = _parse_authorization(lowered.get("authorization", ""))
    missing = [name for name in signed_headers if not lowered.get(name)]
    if missing:
        raise AuthError(f"signed headers missing from the request: {missing}")
    if lowered["x-ms-content-sha256"] != content_hash(body):
        raise AuthError("x-ms-content-sha256 does not match the body")
    _check_date(lowered["x-ms-date"], now or datetime.now(UTC))
    # Values are joined in the order the client listed them, as the service does.
    string_to_sign = f"{method.upper()}\n{path_and_query}\n" + ";".join(lowered[name] for name in signed_headers)
    expected = hmac.new(_decode_key(access_key), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _decode_signature(signature)):
        raise AuthError("signature mismatch (wrong access key, host or path?)")


def _parse_authorization(value: str) -> tuple[list[str], str]:
    """Split 'HMAC-SHA256 SignedHeaders=a;b;c&Signature=xyz' into its header list and signature."""
    scheme, _, params = value.partition(" ")
    if scheme != SCHEME or not params:
        raise AuthError("Authorization header is missing or not HMAC-SHA256")
    # Split on the first '=' only: a base64 signature ends in '='.
    fields = dict(part.split("=", 1) for part in params.strip().split("&") if "=" in part)
    signed = [name.strip().lower() for name in fields.get("SignedHeaders", "").split(";") if name.strip()]
    if not REQUIRED_SIGNED_HEADERS.issubset(signed):
        raise AuthError(f"SignedHeaders must include {sorted(REQUIRED_SIGNED_HEADERS)}, got {signed}")
    if not fields.get("Signature"):
        raise AuthError("Authorization header has no Signature")
    return signed, fields["Signature"]


def _check_date(value: str, now: datetime) -> None:
    """Refuse unparseable or stale x-ms-date values (replay protection)."""
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError) as err:
        raise AuthError(f"x-ms-date is not an RFC 1123 date: {value!r}") from err
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(now - sent) > MAX_CLOCK_SKEW:
        raise AuthError(f"x-ms-date {value!r} is more than {MAX_CLOCK_SKEW} away from now")


def _decode_key(access_key: str) -> bytes:
    """Decode the base64 access key the stand-in was started with."""
    return base64.b64decode(access_key, validate=True)


def _decode_signature(signature: str) -> bytes:
    """Decode the client's base64 signature; garbage is an auth failure, not a crash."""
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as err:
        raise AuthError("Signature is not base64") from err
