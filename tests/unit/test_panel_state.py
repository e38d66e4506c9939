"""What the agent's panel reads in emergency-state: who is calling her back (the ring the panel answers once), the
callback number's source for the whole window, and the server's now it counts down on (X-Server-Now)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import azure.functions as func
import pytest

from functions import agent_panel
from local.host.principal import principal_headers
from shared.agent_access import AGENT
from shared.commands import OutboundCall
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.calls import Agent
from shared.domain.routing import IncomingCall
from shared.services.callbacks import record_callback, route_callback
from shared.services.ending import end_emergency_call
from shared.services.outbound import place_outbound_call
from shared.services.panel import emergency_state
from tests.fakes import FakeDeps
from tests.fakes_notify import FakeDeliveries

ALICE_ID = "8:acs:r_alice"
ALICE = principal_headers({"userId": "u-alice", "userDetails": "alice@example.com", "roles": [AGENT]})


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice Example", acs_user_id=ALICE_ID, email_recipients="s@example.com",
                       sign_in_id="u-alice"))
    d.add_numbers("+12025550100", "+12025550101")
    return d


def ring(deps: FakeDeps, to: str, caller: str = "4:+12025550177", corr: str = "corr-1") -> None:
    call = IncomingCall("ev-" + corr, to, caller, "ctx-" + corr, "srv-" + corr, corr,
                        deps.clock.now() - timedelta(seconds=1))
    record_callback(call, route_callback(call, deps, timedelta(seconds=20), "8:acs:r_desk"), deps)


def ended_call(deps: FakeDeps, number: str = "911") -> dict[str, object]:
    answer = place_outbound_call(OutboundCall("alice", number, "US"), deps, deps.policy)
    end_emergency_call(str(answer["emergencyCallId"]), "dialer", deps, deps.policy)
    return answer


def test_a_ringing_callback_names_the_number_calling_and_its_ring(deps: FakeDeps) -> None:
    # GIVEN her ended call WHEN the responder calls her callback number
    answer = ended_call(deps)
    ring(deps, "4:" + str(answer["callbackNumber"]))
    # THEN the panel is told who calls, and which ring it is (the same ring answered once is not shown again)
    callback = emergency_state("alice", deps)["callback"]
    assert (callback["status"], callback["from"], callback["id"]) == ("ringing", "+12025550177", "corr-1")
    # and a later ring is another one
    deps.clock.advance(timedelta(minutes=2))
    ring(deps, "4:" + str(answer["callbackNumber"]), corr="corr-2")
    assert emergency_state("alice", deps)["callback"]["id"] == "corr-2"


def test_a_caller_that_is_no_phone_number_is_not_named(deps: FakeDeps) -> None:
    answer = ended_call(deps)
    ring(deps, "4:" + str(answer["callbackNumber"]), caller="8:acs:someone")
    assert emergency_state("alice", deps)["callback"]["from"] is None


def test_the_callback_number_and_its_source_stay_for_the_whole_window(deps: FakeDeps) -> None:
    answer = ended_call(deps)
    deps.clock.advance(timedelta(minutes=59))
    state = emergency_state("alice", deps)
    assert (state["callbackNumber"], state["callbackNumberSource"]) == (answer["callbackNumber"], "pool")
    deps.clock.advance(timedelta(minutes=2))
    state = emergency_state("alice", deps)
    assert (state["callbackNumber"], state["callbackNumberSource"], state["callbackWindowOpen"]) == (None, None, False)


@pytest.fixture
def configured(deps: FakeDeps) -> Iterator[FakeDeps]:
    configure(settings=Settings.from_env({"PRINCIPAL_HEADERS_TRUSTED": "local-host"}), clock=deps.clock,
              agents=deps.agents, presence=deps.presence, windows=deps.windows, calls=deps.calls,
              deliveries=FakeDeliveries(), escalations=deps.escalations)
    yield deps
    reset()


def test_the_answer_carries_the_server_s_now_in_rfc_3339(configured: FakeDeps) -> None:
    app = func.FunctionApp()
    app.register_functions(agent_panel.bp)
    function = next(f for f in app.get_functions()
                    if f.get_function_name() == "agent_emergency_state").get_user_function()
    response = function(req=func.HttpRequest("GET", "http://127.0.0.1/api/agents/alice/emergency-state",
                                             headers=ALICE, route_params={"agentId": "alice"}, body=b""))
    assert response.status_code == 200 and json.loads(response.get_body())["agentId"] == "alice"
    assert response.headers["X-Server-Now"] == configured.clock.now().isoformat(timespec="milliseconds")
    assert response.headers["X-Server-Now"].endswith("+00:00") and "T" in response.headers["X-Server-Now"]


def test_a_callback_to_another_window_s_number_rings_on_the_panel(deps: FakeDeps) -> None:
    # GIVEN a real call and a drill after it, each with its own callback number and window; the panel shows the
    # real call's (the window callbacks belong to)
    real = ended_call(deps)
    drill = ended_call(deps, "933")
    assert real["callbackNumber"] != drill["callbackNumber"]
    assert emergency_state("alice", deps)["emergencyCallId"] == real["emergencyCallId"]
    # WHEN the drill's number is called
    ring(deps, "4:" + str(drill["callbackNumber"]))
    # THEN the panel still says it rings, and who calls
    callback = emergency_state("alice", deps)["callback"]
    assert (callback["status"], callback["from"]) == ("ringing", "+12025550177")
