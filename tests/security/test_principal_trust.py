"""Issue 9, finding 3: a forged `X-MS-CLIENT-PRINCIPAL` must grant nothing unless the deployment says who strips
forged headers (PRINCIPAL_HEADERS_TRUSTED). Reproduced first: before the fix, an empty environment (Container Apps,
AKS, a VM, an exposed `func start`) believed the header and made the forger an Admin."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

import functions
from local.host.principal import principal_headers
from shared.auth import headers_trust_problem, headers_trusted
from shared.config import SETTINGS, Settings
from shared.container import configure, reset

FORGED_ADMIN = principal_headers({"userId": "mallory", "userDetails": "mallory@evil.example",
                                  "roles": ["EmergencyCalling.Admin", "EmergencyCalling.Auditor"]})
APP_SERVICE = {"WEBSITE_SITE_NAME": "func-emcall", "WEBSITE_INSTANCE_ID": "abc"}

UNTRUSTED: dict[str, dict[str, str]] = {
    "a VM or an exposed func start": {},
    "Container Apps": {"CONTAINER_APP_NAME": "emcall", "CONTAINER_APP_REVISION": "emcall--1"},
    "AKS": {"KUBERNETES_SERVICE_HOST": "10.0.0.1"},
    "App Service Authentication on, but the deployment did not say so": {**APP_SERVICE, "WEBSITE_AUTH_ENABLED": "true"},
    "the Azure value off App Service": {"PRINCIPAL_HEADERS_TRUSTED": "app-service-authentication"},
    "the Azure value with App Service Authentication off": {**APP_SERVICE, "WEBSITE_AUTH_ENABLED": "false",
                                                            "PRINCIPAL_HEADERS_TRUSTED": "app-service-authentication"},
    "the local value on App Service": {**APP_SERVICE, "PRINCIPAL_HEADERS_TRUSTED": "local-host"},
    "a value nobody defined": {"PRINCIPAL_HEADERS_TRUSTED": "true"},
}
TRUSTED: dict[str, dict[str, str]] = {
    "Azure with App Service Authentication": {**APP_SERVICE, "WEBSITE_AUTH_ENABLED": "True",
                                              "PRINCIPAL_HEADERS_TRUSTED": "app-service-authentication"},
    "the local host": {"PRINCIPAL_HEADERS_TRUSTED": "local-host"},
}


def manage_functions() -> list[tuple[str, list[str], Any]]:
    """(route, methods, user function) of every /api/manage route of every blueprint in functions/."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    for info in pkgutil.iter_modules(functions.__path__):
        blueprint = getattr(importlib.import_module(f"functions.{info.name}"), "bp", None)
        if blueprint is not None:
            app.register_functions(blueprint)
    found = []
    for function in app.get_functions():
        trigger = function.get_trigger().get_dict_repr()
        route = str(trigger.get("route") or "")
        if trigger.get("type") == "httpTrigger" and route.startswith("manage"):
            found.append((route, [str(m).upper() for m in trigger.get("methods") or ["GET"]],
                          function.get_user_function()))
    return found


MANAGE = manage_functions()


@pytest.fixture
def environment() -> Iterator[Any]:
    def install(env: dict[str, str]) -> None:
        configure(settings=Settings.from_env(env))
    yield install
    reset()


def call(user_function: Any, route: str, method: str) -> func.HttpResponse:
    params = {name: "x" for name in re.findall(r"\{\*?(\w+)[^}]*\}", route)}
    url = "http://127.0.0.1/api/" + re.sub(r"\{[^}]*\}", "x", route)
    request = func.HttpRequest(method, url, headers={**FORGED_ADMIN, "Content-Type": "application/json"},
                               route_params=params, body=b"{}")
    return user_function(req=request)  # type: ignore[no-any-return]


def test_every_manage_route_is_found() -> None:
    assert len(MANAGE) >= 10 and any(route == "manage/me" for route, _, _ in MANAGE)


@pytest.mark.parametrize("env", UNTRUSTED.values(), ids=UNTRUSTED.keys())
def test_principal_headers_are_not_believed_unless_the_deployment_says_so(env: dict[str, str]) -> None:
    assert headers_trusted(env) is False
    assert "PRINCIPAL_HEADERS_TRUSTED" in (headers_trust_problem(env) or "")


@pytest.mark.parametrize("env", TRUSTED.values(), ids=TRUSTED.keys())
def test_principal_headers_are_believed_where_the_deployment_says_who_strips_forged_ones(env: dict[str, str]) -> None:
    assert headers_trusted(env) is True and headers_trust_problem(env) is None


@pytest.mark.parametrize("env", UNTRUSTED.values(), ids=UNTRUSTED.keys())
def test_a_forged_admin_is_nobody_on_every_manage_route(environment: Any, env: dict[str, str]) -> None:
    environment(env)
    answers = {f"{method} {route}": call(fn, route, method).status_code
               for route, methods, fn in MANAGE for method in methods}
    assert answers and set(answers.values()) == {401}, answers


@pytest.mark.parametrize("env", TRUSTED.values(), ids=TRUSTED.keys())
def test_the_signed_in_admin_is_known_where_headers_are_trusted(environment: Any, env: dict[str, str]) -> None:
    environment(env)
    me = next(fn for route, _, fn in MANAGE if route == "manage/me")
    answer = call(me, "manage/me", "GET")
    assert answer.status_code == 200 and b"mallory" in answer.get_body()


def test_the_setting_is_a_documented_setting() -> None:
    assert "PRINCIPAL_HEADERS_TRUSTED" in SETTINGS
    assert Settings.from_env({"PRINCIPAL_HEADERS_TRUSTED": " local-host "}).principal_headers_trusted == "local-host"
    assert Settings.from_env({}).principal_headers_trusted is None
