"""The agent panel's assets and endpoints: only for a signed-in agent whose profile names her, for herself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import azure.functions as func
import pytest

from functions import agent_page
from functions.agent_page import ASSETS
from local.host.principal import principal_headers
from shared.agent_access import AGENT
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.calls import Agent
from tests.fakes import FakeDeps

ALICE = principal_headers({"userId": "u-alice", "userDetails": "alice@example.com", "roles": [AGENT]})
UNMAPPED = principal_headers({"userId": "u-nobody", "userDetails": "mallory@example.com", "roles": [AGENT]})
ADMIN = principal_headers({"userId": "u-admin", "userDetails": "admin@example.com",
                           "roles": ["EmergencyCalling.Admin"]})


@pytest.fixture
def deps() -> Iterator[FakeDeps]:
    d = FakeDeps()
    for agent_id in ("alice", "bob"):
        d.agents.put(Agent(agent_id=agent_id, display_name=f"{agent_id.title()} Example",
                           sign_in_id=f"u-{agent_id}", last_location={"countryCode": "US", "address": "1 Example"}))
    configure(settings=Settings.from_env({"PRINCIPAL_HEADERS_TRUSTED": "local-host"}), clock=d.clock, agents=d.agents)
    yield d
    reset()


def call(name: str, method: str, url: str, headers: dict[str, str], body: object = None,
         **route: str) -> func.HttpResponse:
    app = func.FunctionApp()
    app.register_functions(agent_page.bp)
    function = next(f for f in app.get_functions() if f.get_function_name() == name).get_user_function()
    data = json.dumps(body).encode() if body is not None else b""
    return function(req=func.HttpRequest(method, f"http://127.0.0.1/api/{url}", headers=headers,
                                         route_params=route, body=data))


def test_the_signed_in_agent_gets_her_panel_with_a_strict_policy(deps: FakeDeps) -> None:
    response = call("agent_ui", "GET", "agent/ui/", ALICE, path="")
    assert response.status_code == 200
    assert response.get_body() == (ASSETS / "index.html").read_bytes()
    assert "connect-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("headers, status", [({}, 401), (ADMIN, 403), (UNMAPPED, 403)])
def test_nobody_else_gets_the_panel(deps: FakeDeps, headers: dict[str, str], status: int) -> None:
    response = call("agent_ui", "GET", "agent/ui/", headers, path="")
    assert response.status_code == status and b"<h1>" in response.get_body()


def test_the_panel_is_told_who_is_signed_in(deps: FakeDeps) -> None:
    response = call("agent_me", "GET", "agent/me", ALICE)
    me = json.loads(response.get_body())
    assert response.status_code == 200 and me["agentId"] == "alice" and me["displayName"] == "Alice Example"
    assert me["location"]["countryCode"] == "US" and me["user"] == "alice@example.com"


@pytest.mark.parametrize("headers, status", [({}, 401), (ADMIN, 403), (UNMAPPED, 403)])
def test_me_answers_only_a_mapped_agent(deps: FakeDeps, headers: dict[str, str], status: int) -> None:
    assert call("agent_me", "GET", "agent/me", headers).status_code == status


def test_she_saves_her_location_and_bad_input_names_the_field(deps: FakeDeps) -> None:
    body = {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301", "city": "Springfield",
            "state": "Illinois", "postalCode": "62701"}
    saved = call("agent_location", "PUT", "agents/alice/location", ALICE, body, agentId="alice")
    assert saved.status_code == 200 and json.loads(saved.get_body())["location"]["room"] == "301"
    agent = deps.agents.get("alice")
    assert agent is not None and agent.last_location is not None and agent.last_location["floor"] == "3"
    # off every site, what she typed is validated as a site's address is, and kept in its civic form
    assert agent.last_location["civic"] == {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example Plaza",
                                            "HNO": "1", "PC": "62701", "FLR": "3", "ROOM": "301"}
    for change, field, words in (({"address": ""}, "address", "is required"),
                                 ({"address": "Example Plaza"}, "address", "house number"),
                                 ({"state": None}, "state", "is required in the United States"),
                                 ({"postalCode": "6270"}, "postalCode", "is not a ZIP code"),
                                 ({"countryCode": "DK", "address": "Eksempelvej 12", "state": None,
                                   "postalCode": "80"}, "postalCode", "four")):
        bad = call("agent_location", "PUT", "agents/alice/location", ALICE, {**body, **change}, agentId="alice")
        answer = json.loads(bad.get_body())
        assert bad.status_code == 400 and answer["field"] == field and words in answer["error"], (change, answer)
    assert deps.agents.get("alice").last_location["civic"]["PC"] == "62701"  # type: ignore[union-attr]


def test_she_cannot_save_another_agent_s_location(deps: FakeDeps) -> None:
    body = {"countryCode": "US", "address": "somewhere else"}
    response = call("agent_location", "PUT", "agents/bob/location", ALICE, body, agentId="bob")
    bob = deps.agents.get("bob")
    assert response.status_code == 403 and bob is not None and bob.last_location == {"countryCode": "US",
                                                                                      "address": "1 Example"}


def test_the_page_and_its_dialer_load_while_her_profile_cannot_be_read(deps: FakeDeps) -> None:
    deps.agents.down = True
    response = call("agent_ui", "GET", "agent/ui/", ALICE, path="")
    assert response.status_code == 200 and response.get_body() == (ASSETS / "index.html").read_bytes()
    assert call("agent_ui", "GET", "agent/ui/", ADMIN, path="").status_code == 403  # the role is still checked


def test_me_says_her_locale_her_profile_s_else_her_country_s(deps: FakeDeps) -> None:
    from dataclasses import replace

    def locale() -> str:
        return str(json.loads(call("agent_me", "GET", "agent/me", ALICE).get_body())["locale"])

    alice = deps.agents.get("alice")
    assert alice is not None and locale() == "en-US"  # her confirmed location is in the US
    deps.agents.put(replace(alice, last_location={"countryCode": "DK"}))
    assert locale() == "da-DK"
    deps.agents.put(replace(alice, locale="fr-CA"))
    assert locale() == "fr-CA"
