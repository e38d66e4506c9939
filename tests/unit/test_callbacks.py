"""The responder's callback: straight to the agent, to the fallback desk, or left alone — once, and only in time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.presence import Presence
from shared.domain.routing import IncomingCall
from shared.ports import CallControlError
from shared.services.callbacks import record_callback, route_callback
from shared.services.ending import end_emergency_call
from shared.services.outbound import place_outbound_call
from shared.services.panel import emergency_state
from tests.fakes import T0, FakeDeps

ALICE_ID = "8:acs:r_alice"
DESK = "8:acs:r_securitydesk"
MAX_AGE = timedelta(seconds=20)


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice Example", acs_user_id=ALICE_ID, email_recipients="s@example.com"))
    d.add_numbers("+12025550100", "+12025550101")
    return d


def dial(deps: FakeDeps) -> dict:
    return place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)


def incoming(to: str, age: float = 1.0, corr: str = "corr-1", deps: FakeDeps | None = None) -> IncomingCall:
    now = deps.clock.now() if deps else T0
    return IncomingCall("ev-1", to, "4:+12025550177", "ctx-" + corr, "srv-" + corr, corr,
                        now - timedelta(seconds=age))


def route(deps: FakeDeps, call: IncomingCall):
    return route_callback(call, deps, MAX_AGE, DESK)


def test_callback_to_a_leased_number_goes_to_the_agent_even_in_dnd(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    deps.presence.save(Presence("alice", "DoNotDisturb", "x", "Available"), None)
    result = route(deps, incoming("4:" + number, deps=deps))
    assert result.outcome == "redirected"
    assert deps.call_control.redirects == [("ctx-corr-1", ALICE_ID)]


def test_the_same_incoming_call_three_times_redirects_once(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    outcomes = [route(deps, incoming("4:" + number, deps=deps)).outcome for _ in range(3)]
    assert outcomes == ["redirected", "duplicate", "duplicate"]
    assert len(deps.call_control.redirects) == 1


def test_an_incoming_call_25_seconds_old_is_dropped(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    assert route(deps, incoming("4:" + number, age=25, deps=deps)).outcome == "dropped_stale"
    assert deps.call_control.redirects == []


def test_a_pool_number_without_a_live_lease_goes_to_the_fallback_never_the_last_holder(deps: FakeDeps) -> None:
    answer = dial(deps)
    number = answer["callbackNumber"]
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(hours=2))
    result = route(deps, incoming("4:" + number, deps=deps))
    assert result.outcome == "fallback"
    assert deps.call_control.redirects == [("ctx-corr-1", DESK)]


def test_a_never_leased_pool_number_goes_to_the_fallback(deps: FakeDeps) -> None:
    assert route(deps, incoming("4:+12025550101", deps=deps)).outcome == "fallback"


def test_other_numbers_are_left_to_normal_routing(deps: FakeDeps) -> None:
    assert route(deps, incoming("4:+12025550150", deps=deps)).outcome == "not_ours"
    assert deps.call_control.redirects == []


def test_a_call_to_the_agent_identity_in_the_window_rings_her_and_is_never_redirected_to_itself(
        deps: FakeDeps) -> None:
    answer = dial(deps)
    call = incoming(ALICE_ID, deps=deps)
    result = route(deps, call)
    assert (result.outcome, deps.call_control.redirects) == ("ringing_direct", [])
    record_callback(call, result, deps)
    record_callback(call, result, deps)  # a redelivery records nothing twice
    record, _ = deps.calls.get(answer["emergencyCallId"])
    assert [(c["outcome"], c["to"], c["from"]) for c in record.callbacks] == [
        ("ringing_direct", ALICE_ID, "4:+12025550177")]
    state = emergency_state("alice", deps)
    assert state["callback"] == {"status": "ringing", "at": record.callbacks[0]["at"], "direct": True,
                                 "id": record.callbacks[0]["key"], "from": "+12025550177"}


def test_the_incoming_call_our_redirect_raises_for_her_identity_is_not_a_second_callback(deps: FakeDeps) -> None:
    answer = dial(deps)
    to_pool = incoming("4:" + answer["callbackNumber"], deps=deps)
    record_callback(to_pool, route(deps, to_pool), deps)
    deps.clock.advance(timedelta(seconds=2))
    echo = incoming(ALICE_ID, corr="corr-2", deps=deps)  # a new correlation id: undocumented either way
    record_callback(echo, route(deps, echo), deps)
    record, _ = deps.calls.get(answer["emergencyCallId"])
    assert [c["outcome"] for c in record.callbacks] == ["redirected"]
    assert len(deps.call_control.redirects) == 1


def test_a_colleague_s_call_to_her_identity_in_the_window_is_no_emergency_callback(deps: FakeDeps) -> None:
    dial(deps)
    colleague = IncomingCall("ev-c", ALICE_ID, "8:acs:r_bob", "ctx-c", "srv-c", "corr-c", deps.clock.now())
    assert route(deps, colleague).outcome == "not_ours"
    withheld = IncomingCall("ev-w", ALICE_ID, None, "ctx-w", "srv-w", "corr-w", deps.clock.now())
    assert route(deps, withheld).outcome == "ringing_direct"  # a responder may withhold the caller ID


@pytest.mark.parametrize("same_key", [False, True])
def test_when_the_echo_is_recorded_before_the_redirect_the_incident_keeps_the_redirect(deps: FakeDeps,
                                                                                        same_key: bool) -> None:
    answer = dial(deps)
    to_pool = incoming("4:" + answer["callbackNumber"], deps=deps)
    result = route(deps, to_pool)  # the redirect left; its record is written after the echo's
    echo = incoming(ALICE_ID, corr="corr-1" if same_key else "corr-2", deps=deps)
    record_callback(echo, route(deps, echo), deps)
    deps.clock.advance(timedelta(seconds=1))
    record_callback(to_pool, result, deps)
    record, _ = deps.calls.get(answer["emergencyCallId"])
    assert [(c["outcome"], c["to"]) for c in record.callbacks] == [("redirected", answer["callbackNumber"])]


def test_a_call_to_the_agent_identity_after_the_window_is_not_ours(deps: FakeDeps) -> None:
    answer = dial(deps)
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=61))
    assert route(deps, incoming(ALICE_ID, deps=deps)).outcome == "not_ours"


def test_the_window_follows_the_call_end(deps: FakeDeps) -> None:
    answer = dial(deps)
    deps.clock.advance(timedelta(minutes=50))
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=40))
    assert route(deps, incoming(ALICE_ID, deps=deps)).outcome == "ringing_direct"


def test_a_failed_redirect_raises_and_the_redelivery_tries_again(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    deps.call_control.fail = True
    with pytest.raises(CallControlError):
        route(deps, incoming("4:" + number, deps=deps))
    deps.call_control.fail = False
    assert route(deps, incoming("4:" + number, deps=deps)).outcome == "redirected"


def test_no_fallback_configured_leaves_the_call_and_says_so(deps: FakeDeps) -> None:
    result = route_callback(incoming("4:+12025550101", deps=deps), deps, MAX_AGE, None)
    assert result.outcome == "no_fallback" and deps.call_control.redirects == []


def test_a_routed_callback_is_recorded_announced_and_shown_on_the_panel(deps: FakeDeps) -> None:
    answer = dial(deps)
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    call = incoming("4:" + answer["callbackNumber"], deps=deps)
    record_callback(call, route(deps, call), deps)
    assert deps.calls.get(answer["emergencyCallId"])[0].callbacks[0]["outcome"] == "redirected"
    assert tuple(t for t, _ in deps.events.published if t.endswith("Routed")) == ("Emergency.CallbackRouted", )
    state = emergency_state("alice", deps)
    assert state["callback"]["status"] == "ringing"
    assert state["callbackNumber"] == answer["callbackNumber"] and state["callbackWindowOpen"] is True
    deps.clock.advance(timedelta(minutes=1))
    assert emergency_state("alice", deps)["callback"]["status"] == "routed"


def test_panel_in_emergency_mode_shows_only_device_settings_and_end_call(deps: FakeDeps) -> None:
    from shared.services.presence import on_call_started

    answer = dial(deps)
    on_call_started("alice", answer["emergencyCallId"], deps, deps.policy)
    state = emergency_state("alice", deps)
    assert state["emergency"] is True and state["controls"] == ["deviceSettings", "endCall"]
    assert state["hideConversationActions"] == ["save", "refresh"]
    assert "Emergency call in progress" in state["alert"]["text"]


def test_panel_without_any_emergency_is_normal(deps: FakeDeps) -> None:
    state = emergency_state("alice", deps)
    assert state["emergency"] is False and state["controls"] is None and state["callbackNumber"] is None


def test_with_storage_down_a_pool_number_callback_goes_to_the_fallback_not_into_silence(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    deps.pool.down = True
    deps.incoming.down = True
    result = route(deps, incoming("4:" + number, deps=deps))
    assert result.outcome == "fallback"
    assert deps.call_control.redirects == [("ctx-corr-1", DESK)]


def test_without_the_duplicate_check_the_callback_is_still_redirected(deps: FakeDeps) -> None:
    number = dial(deps)["callbackNumber"]
    deps.incoming.down = True
    assert route(deps, incoming("4:" + number, deps=deps)).outcome == "redirected"
    assert deps.call_control.redirects == [("ctx-corr-1", ALICE_ID)]
