"""The dialer's request: classify, lease, record and announce — and never stop the dial."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.services.ending import end_emergency_call
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeDeps

ALICE = Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice", outbound_number="+12025550199",
              email_recipients="security@example.com")


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(ALICE)
    d.add_numbers("+12025550100", "+12025550101")
    return d


def dial(deps: FakeDeps, number: str = "911", country: str | None = "US", agent: str = "alice",
         call_id: str | None = None) -> dict:
    return place_outbound_call(OutboundCall(agent, number, country, None, call_id), deps, deps.policy)


def codes(answer: dict) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


def test_emergency_call_gets_a_pool_number_panel_and_announcement(deps: FakeDeps) -> None:
    answer = dial(deps)
    assert answer["dial"] is True and answer["emergency"] is True and answer["test"] is False
    assert answer["callbackNumber"] in ("+12025550100", "+12025550101")
    assert answer["callbackWindowEndsAt"] == (T0 + timedelta(minutes=60)).isoformat()
    assert answer["panel"]["controls"] == ["deviceSettings", "endCall"]
    assert "Emergency call in progress" in answer["panel"]["alert"]["text"]
    assert answer["warnings"] == []
    [(event_type, data)] = deps.events.published
    assert event_type == "Emergency.CallStarted"
    assert {k: data[k] for k in ("emergencyCallId", "agentId", "test", "dialedAt", "callbackNumber")} == {
        "emergencyCallId": answer["emergencyCallId"], "agentId": "alice", "test": False, "dialedAt": T0.isoformat(),
        "callbackNumber": answer["callbackNumber"]}
    assert deps.calls.get(answer["emergencyCallId"])[0].callback_number == answer["callbackNumber"]


def test_test_number_runs_the_whole_flow_marked_as_test(deps: FakeDeps) -> None:
    answer = dial(deps, "933")
    assert answer["emergency"] is True and answer["test"] is True
    assert "TEST" in answer["panel"]["alert"]["text"]
    assert deps.pool.get(answer["callbackNumber"]).lease.test is True


def test_normal_call_goes_to_history_and_leases_nothing(deps: FakeDeps) -> None:
    answer = dial(deps, "+1 202 555 0150")
    assert answer == {"dial": True, "emergency": False, "warnings": []}
    assert [e["number"] for e in deps.history.list("alice")] == ["+1 202 555 0150"]
    assert all(n.lease is None for n in deps.pool.list_all())


def test_same_emergency_call_id_twice_returns_the_same_number(deps: FakeDeps) -> None:
    first = dial(deps, call_id="call-1")
    second = dial(deps, call_id="call-1")
    assert second["callbackNumber"] == first["callbackNumber"]
    assert sum(1 for n in deps.pool.list_all() if n.lease) == 1


def test_two_agents_get_different_numbers(deps: FakeDeps) -> None:
    deps.agents.put(Agent("dave", "Dave", email_recipients="s@example.com"))
    assert dial(deps)["callbackNumber"] != dial(deps, agent="dave")["callbackNumber"]


def test_a_redial_after_the_end_keeps_her_number_and_never_shortens_its_hold(deps: FakeDeps) -> None:
    # GIVEN Alice's 911 call ended 50 minutes ago: its number is held until 10 minutes from now
    first = dial(deps)
    end_emergency_call(first["emergencyCallId"], "dialer", deps, deps.policy)
    held = deps.pool.get(first["callbackNumber"]).lease.expires_at
    deps.clock.advance(timedelta(minutes=50))
    # WHEN she dials 911 again, and that call ends at once
    again = dial(deps)
    end_emergency_call(again["emergencyCallId"], "dialer", deps, deps.policy)
    # THEN the new call keeps the number, held a window after its own end (never less than the first call's)
    assert again["callbackNumber"] == first["callbackNumber"] and again["callbackNumberSource"] == "pool"
    lease = deps.pool.get(first["callbackNumber"]).lease
    assert lease.call_id == again["emergencyCallId"] and lease.expires_at == deps.clock.now() + timedelta(hours=1)
    assert lease.expires_at > held and sum(1 for n in deps.pool.list_all() if n.lease) == 1


def test_a_test_call_after_a_real_call_gets_its_own_number_and_leaves_the_real_hold(deps: FakeDeps) -> None:
    # GIVEN Alice's 911 call ended: its number is held for an hour
    first = dial(deps)
    end_emergency_call(first["emergencyCallId"], "dialer", deps, deps.policy)
    held = deps.pool.get(first["callbackNumber"]).lease
    # WHEN she dials 933 and ends it
    drill = dial(deps, number="933")
    end_emergency_call(drill["emergencyCallId"], "dialer", deps, deps.policy)
    # THEN the drill has a number of its own; the 911 call's lease is as it was
    assert drill["callbackNumberSource"] == "pool" and drill["callbackNumber"] != first["callbackNumber"]
    assert deps.pool.get(first["callbackNumber"]).lease == held


def test_a_redial_while_her_call_is_live_gets_a_number_of_its_own(deps: FakeDeps) -> None:
    # GIVEN Alice's 911 call has no end yet (its end may be on its way): its window is not known
    first = dial(deps)
    # WHEN she dials 911 again
    again = dial(deps)
    # THEN the first call keeps its number; the second has another
    assert again["callbackNumber"] != first["callbackNumber"] and again["callbackNumberSource"] == "pool"
    assert deps.pool.get(first["callbackNumber"]).lease.call_id == first["emergencyCallId"]


def test_exhausted_pool_falls_back_to_the_agent_number_and_says_why(deps: FakeDeps) -> None:
    for other in ("dave", "erin"):
        deps.agents.put(Agent(other, other.title(), email_recipients="s@example.com"))
        dial(deps, agent=other)
    answer = dial(deps)
    assert answer["dial"] is True and answer["callbackNumber"] == "+12025550199"
    assert answer["callbackNumberSource"] == "agent_outbound"
    assert {"pool_exhausted", "callback_is_agent_number"} <= set(codes(answer))


def test_unknown_agent_still_dials_with_a_warning_and_no_pool_number(deps: FakeDeps) -> None:
    answer = dial(deps, agent="bob")
    assert answer["dial"] is True and answer["emergency"] is True and "unknown_agent" in codes(answer)
    # made-up agent ids must not drain the pool
    assert answer["callbackNumber"] is None and all(n.lease is None for n in deps.pool.rows.values())


def test_a_test_call_gives_its_number_back_soon_after_it_ends(deps: FakeDeps) -> None:
    from shared.services.ending import end_emergency_call

    answer = dial(deps, "933")
    ended = end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    lease = deps.pool.get(answer["callbackNumber"]).lease
    assert lease.test and lease.expires_at == ended.ended_at + deps.policy.test_window


def test_agent_without_recipients_is_warned(deps: FakeDeps) -> None:
    deps.agents.put(Agent("carol", "Carol"))
    assert "no_recipients" in codes(dial(deps, agent="carol"))


def test_unsupported_country_still_dials_with_a_warning(deps: FakeDeps) -> None:
    answer = dial(deps, "112", "FR")
    assert answer["emergency"] is True and "country_not_supported" in codes(answer)


def test_storage_down_still_dials(deps: FakeDeps) -> None:
    deps.agents.down = True
    deps.pool.down = True
    answer = dial(deps)
    assert answer["dial"] is True and answer["emergency"] is True
    assert "storage_unavailable" in codes(answer)
    assert answer["emergencyCallId"]


def test_event_bus_down_still_dials(deps: FakeDeps) -> None:
    deps.events.fail = True
    answer = dial(deps)
    assert answer["emergency"] is True and "event_not_published" in codes(answer)


def test_call_end_extends_the_lease_and_is_idempotent(deps: FakeDeps) -> None:
    answer = dial(deps)
    deps.clock.advance(timedelta(minutes=30))
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=5))
    again = end_emergency_call(answer["emergencyCallId"], "acs", deps, deps.policy)
    assert again.end_source == "dialer" and again.ended_at == T0 + timedelta(minutes=30)
    lease = deps.pool.get(answer["callbackNumber"]).lease
    assert lease.expires_at == T0 + timedelta(minutes=90)
    assert [e for e, _ in deps.events.published].count("Emergency.CallEnded") == 2


def test_call_started_describes_the_call_for_a_notification_without_record(deps: FakeDeps) -> None:
    from shared.events import call_from_started

    answer = dial(deps)
    recorded = deps.calls.get(answer["emergencyCallId"])[0]
    described = call_from_started(deps.events.published[0][1])
    assert recorded.announced is True
    assert described == replace(recorded, warnings=(), announced=False)


def test_without_a_browser_country_the_agents_last_known_country_picks_the_pool(deps: FakeDeps) -> None:
    deps.agents.put(Agent("dave", "Dave", last_location={"countryCode": "US"}))
    answer = dial(deps, country=None, agent="dave")
    assert answer["emergency"] is True and answer["callbackNumberSource"] == "pool"


def test_without_any_country_the_agents_own_number_picks_the_pool(deps: FakeDeps) -> None:
    answer = dial(deps, country=None)  # Alice: no last location, outbound number +1 202 555 0199
    assert answer["callbackNumberSource"] == "pool"
    assert "country_not_supported" in codes(answer)


def test_an_unknown_agent_without_a_country_gets_no_pool(deps: FakeDeps) -> None:
    answer = dial(deps, country=None, agent="nobody")
    assert answer["dial"] is True and answer["callbackNumber"] is None
    assert {"unknown_agent", "no_callback_number"} <= set(codes(answer))
