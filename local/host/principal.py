"""The signed-in user on the local host, passed to functions the way App Service Authentication passes it.

A principal is JSON like `{"userId": "…", "userDetails": "admin@example.com", "roles": ["EmergencyCalling.Admin"]}`
(optionally `"claims": [{"typ": "…", "val": "…"}]` for extra claims). It becomes the headers `X-MS-CLIENT-PRINCIPAL`
(base64 of `{"auth_typ": "aad", "claims": [...], "name_typ": "name", "role_typ": "roles"}`),
`X-MS-CLIENT-PRINCIPAL-NAME`, `X-MS-CLIENT-PRINCIPAL-ID` and `X-MS-CLIENT-PRINCIPAL-IDP`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
LOCAL_PRINCIPAL_HEADER = "X-Local-Principal"
OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def parse_principal(text: str, source: str) -> dict[str, Any] | None:
    """Parse and check a principal; JSON `null` means nobody. Raises ValueError naming `source` when malformed."""
    try:
        principal = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not JSON ({error.msg})") from error
    if principal is None:
        return None
    if not isinstance(principal, dict):
        raise ValueError(f"{source}: expected a JSON object")
    for key in ("userId", "userDetails"):
        if not isinstance(principal.get(key), str) or not principal[key]:
            raise ValueError(f"{source}: {key} must be a non-empty string")
    roles = principal.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise ValueError(f"{source}: roles must be a list of strings")
    return principal


def principal_from_env(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The default principal from `LOCAL_PRINCIPAL_FILE` (a JSON file) or else `LOCAL_PRINCIPAL` (JSON); may be None."""
    path = environ.get("LOCAL_PRINCIPAL_FILE")
    if path:
        return parse_principal(Path(path).read_text(encoding="utf-8"), f"LOCAL_PRINCIPAL_FILE ({path})")
    text = environ.get("LOCAL_PRINCIPAL")
    return parse_principal(text, "LOCAL_PRINCIPAL") if text else None


def principal_headers(principal: Mapping[str, Any]) -> dict[str, str]:
    """The App Service Authentication headers for this principal (Entra ID shape)."""
    claims = [
        {"typ": "name", "val": principal["userDetails"]},
        {"typ": "preferred_username", "val": principal["userDetails"]},
        {"typ": OBJECT_ID_CLAIM, "val": principal["userId"]},
        *({"typ": "roles", "val": role} for role in principal.get("roles", [])),
        *principal.get("claims", []),
    ]
    payload = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return {
        PRINCIPAL_HEADER: base64.b64encode(json.dumps(payload).encode()).decode(),
        f"{PRINCIPAL_HEADER}-NAME": principal["userDetails"],
        f"{PRINCIPAL_HEADER}-ID": principal["userId"],
        f"{PRINCIPAL_HEADER}-IDP": "aad",
    }


def with_principal(headers: Mapping[str, str], default: Mapping[str, Any] | None) -> dict[str, str]:
    """Request headers as a function sees them: a sent `X-MS-CLIENT-PRINCIPAL` wins, then `X-Local-Principal`
    (consumed here), then the default principal. Raises ValueError when `X-Local-Principal` is malformed."""
    result = {k: v for k, v in headers.items() if k.lower() != LOCAL_PRINCIPAL_HEADER.lower()}
    if any(k.lower() == PRINCIPAL_HEADER.lower() for k in result):
        return result
    override = next((v for k, v in headers.items() if k.lower() == LOCAL_PRINCIPAL_HEADER.lower()), None)
    principal = parse_principal(override, LOCAL_PRINCIPAL_HEADER) if override is not None else default
    if principal is not None:
        result.update(principal_headers(principal))
    return result
