"""The description is valid OpenAPI 3.1, describes exactly the routes the app registers, says who may call each one,
and is what the app serves at /api/openapi.json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import azure.functions as func
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from functions import openapi
from tests.contract.conftest import DESCRIPTION, ROOT, description, event_schemas

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ROLES = {"EmergencyCalling.Admin", "EmergencyCalling.Auditor", "EmergencyCalling.SecurityDesk",
         "EmergencyCalling.Agent", "EmergencyCalling.Dialer"}
# Every HTTP route the app registers, as the worker indexes function_app (in a process of its own: an app's
# functions can be listed once).
PROBE = """
import json, function_app
routes = []
for function in function_app.app.get_functions():
    trigger = function.get_trigger().get_dict_repr()
    if trigger.get("type") == "httpTrigger":
        routes.append([trigger["route"], [str(getattr(m, "value", m)) for m in trigger.get("methods") or ()]])
print(json.dumps(routes))
"""


def registered_routes() -> set[tuple[str, str]]:
    """(METHOD, /api/path) of every HTTP function, route parameters as OpenAPI writes them (`{*path}` -> `{path}`)."""
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    routes = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(methods for _, methods in routes), "an HTTP function without methods answers every method"
    return {(method.upper(), "/api/" + re.sub(r"\{\*?([A-Za-z0-9_]+)[^}]*\}", r"{\1}", route))
            for route, methods in routes for method in methods}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): item[method] for path, item in document["paths"].items()
            for method in METHODS if method in item}


def test_the_description_is_valid_openapi_3_1_as_kept_and_as_served() -> None:
    validate(description(), base_uri=DESCRIPTION.as_uri())  # the events' schemas are files beside it
    served = openapi.bundled()
    validate(served)
    assert not [name for name, schema in served["components"]["schemas"].items() if "$ref" in schema
                and not schema["$ref"].startswith("#")], "the served description refers to files it does not carry"


def test_every_registered_route_is_described_and_every_described_one_is_registered() -> None:
    registered, described = registered_routes(), set(operations(description()))
    assert sorted(registered - described) == [], "routes the description leaves out"
    assert sorted(described - registered) == [], "operations the app does not serve"


def test_each_operation_says_who_may_call_it_and_how_it_refuses() -> None:
    for (method, path), operation in operations(description()).items():
        where = f"{method} {path}"
        assert "security" in operation and isinstance(operation.get("x-roles"), list), where
        assert set(operation["x-roles"]) <= ROLES, where
        granted = {role for requirement in operation["security"] for roles in requirement.values() for role in roles}
        assert granted == set(operation["x-roles"]), f"{where}: security and x-roles disagree"
        answers = operation["responses"]
        if operation["x-roles"]:
            assert {"401", "403"} <= set(answers), f"{where}: no 401/403 for a caller who may not act"
        if "requestBody" in operation and path.startswith("/api/manage/") and method == "POST":
            assert "415" in answers, f"{where}: a POST not declared JSON is refused with 415"
        if operation.get("requestBody", {}).get("content", {}).get("application/json") and "400" in answers:
            assert answers["400"] == {"$ref": "#/components/responses/BadRequest"} or path.startswith("/api/voice/"), \
                f"{where}: a refused body names its field"


def test_function_key_routes_ask_for_the_key_and_signed_in_routes_for_a_principal() -> None:
    for (method, path), operation in operations(description()).items():
        schemes = {name for requirement in operation["security"] for name in requirement}
        keyed = path.startswith(("/api/outbound-calls", "/api/agents/"))
        assert ("functionKey" in schemes) == keyed, f"{method} {path}"
        if operation["x-roles"]:
            assert all("appServiceAuthentication" in r for r in operation["security"]), f"{method} {path}"


def time_fields(schema: Any, path: str = "") -> list[str]:
    """Properties named like a time (…At, …Until, from/to of a period) whose schema is no RFC 3339 date-time."""
    found = []
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            timed = re.search(r"(At|Until)$", name) and name not in ("callbackWindowOpen",)
            if timed and not _is_date_time(sub):
                found.append(f"{path}.{name}")
        for key, sub in schema.items():
            found += time_fields(sub, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            found += time_fields(sub, f"{path}[{i}]")
    return found


def _is_date_time(schema: dict[str, Any]) -> bool:
    ref = schema.get("$ref", "")
    return schema.get("format") == "date-time" or ref.endswith(("/DateTime", "/NullableDateTime"))


def test_every_time_in_answers_and_events_is_an_rfc_3339_date_time() -> None:
    assert time_fields(description()) == []
    assert time_fields(event_schemas()) == []


@pytest.mark.parametrize("name", sorted(event_schemas()))
def test_each_event_schema_is_json_schema_2020_12_and_part_of_the_description(name: str) -> None:
    schema = event_schemas()[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    document = description()
    assert document["components"]["schemas"][name] == {"$ref": f"events/{name}.schema.json"}
    assert name in document["webhooks"]


def test_the_app_serves_the_description_with_the_event_schemas_in_it() -> None:
    # GIVEN the description's function, as the worker calls it (nobody signed in, no key)
    request = func.HttpRequest("GET", "/api/openapi.json", body=b"", headers={})
    # WHEN it is asked twice
    first, second = openapi.openapi_description(request), openapi.openapi_description(request)
    # THEN it answers the bundled description, JSON, the same bytes each time
    assert first.status_code == 200 and first.mimetype == "application/json"
    served = json.loads(first.get_body())
    assert served["paths"] == description()["paths"]
    assert served["components"]["schemas"]["Emergency.CallStarted"] == event_schemas()["Emergency.CallStarted"]
    assert second.get_body() == first.get_body()
