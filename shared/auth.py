"""Who calls the admin API and what they may do: the App Service Authentication principal and its app roles.

In Azure, App Service Authentication (Entra ID) signs the user in and passes the principal in `X-MS-CLIENT-PRINCIPAL`
(base64 of `{"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}`); external requests cannot set that
header while the feature is on. Locally the local host injects the same headers (local/host/principal.py).
The headers are believed only where the setting PRINCIPAL_HEADERS_TRUSTED says who strips forged ones (infra/ sets
`app-service-authentication`, the local host `local-host`); anywhere else nobody is signed in.

Roles (app roles of the Entra app registration):
- `EmergencyCalling.Admin`: reads everything and changes settings (agents, template, pool, voice setup).
- `EmergencyCalling.Auditor`: reads everything (incidents, settings, readiness, pool, template, audit log), changes
  nothing.
- `EmergencyCalling.SecurityDesk`: the live emergency board only (calls in progress, open callback windows) and its
  Acknowledge button; no settings, incidents or audit log. Admins and auditors see the board too.
Function keys are not an identity and grant none of these rights. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain.audit import Actor
from shared.errors import Forbidden, Unauthorized

ADMIN = "EmergencyCalling.Admin"
AUDITOR = "EmergencyCalling.Auditor"
SECURITY_DESK = "EmergencyCalling.SecurityDesk"

PRINCIPAL_HEADER = "x-ms-client-principal"
# Who removes forged principal headers before they reach the app (shared/config.py SETTINGS; README "Admin sign-in").
PRINCIPAL_HEADERS_TRUSTED = "PRINCIPAL_HEADERS_TRUSTED"
TRUST_APP_SERVICE_AUTHENTICATION = "app-service-authentication"
TRUST_LOCAL_HOST = "local-host"
TRUSTED_SOURCES = (TRUST_APP_SERVICE_AUTHENTICATION, TRUST_LOCAL_HOST)
ROLE_CLAIM_TYPES = frozenset({"roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"})
NAME_CLAIM_TYPES = ("name", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
ID_CLAIM_TYPES = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid",
                  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier")
_MAX_HEADER = 32_000  # Easy Auth principals are a few KB; refuse anything absurd before decoding


class Access(StrEnum):
    """What a request needs."""

    READ = "read"  # settings, readiness, pool, template, audit log
    INCIDENTS = "incidents"  # emergency incident records and their deliveries
    CHANGE = "change"  # any write
    BOARD = "board"  # the live emergency board and acknowledging a call from it


ROLES_FOR: dict[Access, frozenset[str]] = {
    Access.READ: frozenset({ADMIN, AUDITOR}),
    Access.INCIDENTS: frozenset({ADMIN, AUDITOR}),
    Access.CHANGE: frozenset({ADMIN}),
    Access.BOARD: frozenset({SECURITY_DESK, ADMIN, AUDITOR}),
}


class InvalidPrincipal(Unauthorized):
    """The principal header is present but not a principal (401: nobody is signed in as far as we can tell)."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user: stable id, display name, app roles."""

    user_id: str
    name: str
    roles: frozenset[str]
    identity_provider: str | None = None

    def can(self, access: Access) -> bool:
        return bool(self.roles & ROLES_FOR[access])

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.name)

    def view(self) -> dict[str, Any]:
        """What the page shows about the signed-in user and what it may do."""
        return {"userId": self.user_id, "name": self.name, "roles": sorted(self.roles),
                "identityProvider": self.identity_provider,
                "can": {access.value: self.can(access) for access in Access}}


def principal_from_headers(headers: Mapping[str, str]) -> Principal | None:
    """The principal App Service Authentication passed, or None when nobody is signed in; InvalidPrincipal if
    the header is malformed. Header names are matched case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = (lowered.get(PRINCIPAL_HEADER) or "").strip()
    if not raw:
        return None
    payload = _decode(raw)
    claims = _claims(payload)
    role_types = ROLE_CLAIM_TYPES | {str(payload.get("role_typ") or "roles")}
    roles = frozenset(v for t, v in claims if t in role_types)
    name_types = (str(payload.get("name_typ") or "name"), *NAME_CLAIM_TYPES)
    name = lowered.get(f"{PRINCIPAL_HEADER}-name") or _first(claims, name_types)
    user_id = lowered.get(f"{PRINCIPAL_HEADER}-id") or _first(claims, ID_CLAIM_TYPES) or name
    if not name or not user_id:
        raise InvalidPrincipal("the signed-in principal has no name or id")
    return Principal(user_id=user_id.strip()[:256], name=" ".join(name.split())[:256], roles=roles,
                     identity_provider=lowered.get(f"{PRINCIPAL_HEADER}-idp") or payload.get("auth_typ"))


def authorize(principal: Principal | None, access: Access) -> Principal:
    """The principal if it holds a role that grants `access`: Unauthorized (401) when nobody is signed in,
    Forbidden (403) when the role is missing."""
    if principal is None:
        raise Unauthorized("sign in first: the admin API needs a signed-in user (App Service Authentication)")
    if not principal.can(access):
        needed = " or ".join(sorted(ROLES_FOR[access]))
        raise Forbidden(f"{principal.name} may not do this: it needs the app role {needed}")
    return principal


def headers_trusted(environ: Mapping[str, str]) -> bool:
    """Whether principal headers can be believed. Fails closed: only when PRINCIPAL_HEADERS_TRUSTED names who
    strips forged ones, and that is where the app runs (see `headers_trust_problem`)."""
    return headers_trust_problem(environ) is None


def headers_trust_problem(environ: Mapping[str, str]) -> str | None:
    """Why principal headers cannot be believed here, or None when they can.

    - `app-service-authentication` (set by infra/ with App Service Authentication): only on App Service
      (WEBSITE_SITE_NAME / WEBSITE_INSTANCE_ID) with the feature on (WEBSITE_AUTH_ENABLED=true), because only then
      does the platform remove forged headers.
    - `local-host` (set by local/ for itself): only off App Service; the local host writes the headers.
    Anything else, unset included, means nobody is signed in (Container Apps, AKS, a VM, an exposed `func start`)."""
    source = (environ.get(PRINCIPAL_HEADERS_TRUSTED) or "").strip().lower()
    on_app_service = bool(environ.get("WEBSITE_SITE_NAME") or environ.get("WEBSITE_INSTANCE_ID"))
    if source == TRUST_APP_SERVICE_AUTHENTICATION:
        if not on_app_service:
            return f"{PRINCIPAL_HEADERS_TRUSTED}={source} but the app does not run on App Service"
        if environ.get("WEBSITE_AUTH_ENABLED", "").strip().lower() != "true":
            return f"{PRINCIPAL_HEADERS_TRUSTED}={source} but App Service Authentication is off (WEBSITE_AUTH_ENABLED)"
        return None
    if source == TRUST_LOCAL_HOST:
        return f"{PRINCIPAL_HEADERS_TRUSTED}={source} on App Service" if on_app_service else None
    if not source:
        return f"{PRINCIPAL_HEADERS_TRUSTED} is not set: nothing strips forged principal headers"
    return f"{PRINCIPAL_HEADERS_TRUSTED}={source!r} is not one of {', '.join(TRUSTED_SOURCES)}"


_acting: ContextVar[Principal | None] = ContextVar("acting_principal", default=None)


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Mark who the current request acts for (the audit of stores that are not given an actor reads it)."""
    token = _acting.set(principal)
    try:
        yield
    finally:
        _acting.reset(token)


def current_principal() -> Principal | None:
    return _acting.get()


def _decode(raw: str) -> dict[str, Any]:
    if len(raw) > _MAX_HEADER:
        raise InvalidPrincipal("the principal header is too large")
    try:
        text = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=False).decode("utf-8")
        payload = json.loads(text)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")  # a lone surrogate (\ud800) is no name or role
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON, huge ints
        raise InvalidPrincipal("the principal header is not base64 JSON") from None
    if not isinstance(payload, dict):
        raise InvalidPrincipal("the principal header is not a JSON object")
    return payload


def _claims(payload: dict[str, Any]) -> list[tuple[str, str]]:
    claims = payload.get("claims")
    if not isinstance(claims, list):
        raise InvalidPrincipal("the principal has no claims list")
    return [(str(c["typ"]), str(c["val"])) for c in claims
            if isinstance(c, dict) and isinstance(c.get("typ"), str) and isinstance(c.get("val"), str)]


def _first(claims: list[tuple[str, str]], types: tuple[str, ...]) -> str | None:
    for wanted in types:
        for typ, val in claims:
            if typ == wanted and val.strip():
                return val
    return None
