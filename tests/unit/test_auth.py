"""The principal from App Service Authentication's headers, and who may do what."""

from __future__ import annotations

import base64
import json

import pytest

from local.host.principal import principal_headers
from shared.auth import (
    ADMIN,
    AUDITOR,
    Access,
    InvalidPrincipal,
    Principal,
    acting_as,
    authorize,
    current_principal,
    headers_trusted,
    principal_from_headers,
)
from shared.errors import Forbidden, Unauthorized

ADMIN_USER = {"userId": "u-1", "userDetails": "admin@example.com", "roles": [ADMIN]}


def encoded(payload: object) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_the_local_hosts_headers_parse_into_the_principal() -> None:
    p = principal_from_headers(principal_headers(ADMIN_USER))
    assert p == Principal("u-1", "admin@example.com", frozenset({ADMIN}), "aad")


def test_roles_follow_role_typ_and_the_name_comes_from_the_claims_without_the_name_header() -> None:
    role_uri = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    payload = {"auth_typ": "aad", "name_typ": "preferred_username", "role_typ": role_uri, "claims": [
        {"typ": "preferred_username", "val": "auditor@example.org"},
        {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "oid-7"},
        {"typ": role_uri, "val": AUDITOR}, {"typ": "groups", "val": ADMIN}]}
    p = principal_from_headers({"x-ms-client-principal": encoded(payload)})
    assert p is not None and (p.user_id, p.name, p.roles) == ("oid-7", "auditor@example.org", frozenset({AUDITOR}))


def test_no_header_is_nobody() -> None:
    assert principal_from_headers({}) is None
    assert principal_from_headers({"X-MS-CLIENT-PRINCIPAL": "  "}) is None


@pytest.mark.parametrize("raw", ["%%%not-base64", encoded([1, 2]), encoded({"claims": "x"}),
                                 encoded({"claims": []}), "A" * 40_000])
def test_a_malformed_principal_is_401(raw: str) -> None:
    with pytest.raises(InvalidPrincipal) as err:
        principal_from_headers({"X-MS-CLIENT-PRINCIPAL": raw})
    assert err.value.status == 401


@pytest.mark.parametrize("roles, access, allowed", [
    ([ADMIN], Access.CHANGE, True), ([ADMIN], Access.READ, True), ([ADMIN], Access.INCIDENTS, True),
    ([AUDITOR], Access.INCIDENTS, True), ([AUDITOR], Access.READ, True), ([AUDITOR], Access.CHANGE, False),
    ([], Access.READ, False), (["EmergencyCalling.Agent"], Access.INCIDENTS, False),
])
def test_roles_grant_access(roles: list[str], access: Access, allowed: bool) -> None:
    who = Principal("u", "someone@example.com", frozenset(roles))
    if allowed:
        assert authorize(who, access) is who
    else:
        with pytest.raises(Forbidden) as err:
            authorize(who, access)
        assert err.value.status == 403 and "EmergencyCalling.Admin" in str(err.value)


def test_nobody_is_401() -> None:
    with pytest.raises(Unauthorized) as err:
        authorize(None, Access.READ)
    assert err.value.status == 401


@pytest.mark.parametrize("env, trusted", [
    ({"PRINCIPAL_HEADERS_TRUSTED": "local-host"}, True),  # the local host set the headers
    ({"PRINCIPAL_HEADERS_TRUSTED": "app-service-authentication", "WEBSITE_SITE_NAME": "app",
      "WEBSITE_AUTH_ENABLED": "True"}, True),
    ({"WEBSITE_SITE_NAME": "app", "WEBSITE_AUTH_ENABLED": "True"}, False),  # the deployment did not say so
    ({"PRINCIPAL_HEADERS_TRUSTED": "app-service-authentication", "WEBSITE_SITE_NAME": "app"}, False),
])
def test_principal_headers_are_trusted_only_on_the_deployment_s_word(env: dict, trusted: bool) -> None:
    assert headers_trusted(env) is trusted


def test_acting_as_is_scoped_to_the_block() -> None:
    who = Principal("u", "admin@example.com", frozenset({ADMIN}))
    with acting_as(who):
        assert current_principal() is who
    assert current_principal() is None
