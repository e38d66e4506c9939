"""The pre-dial hold (issue 18): the panel saw an emergency number typed, before Call; the callback number its dial
will claim is held then, so the dial answers without the lease's transaction. Never a call, never two numbers for
one call, released when no dial claims it, and never able to keep a dial from its number."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.lease import pool_shares
from shared.domain.routing import IncomingCall
from shared.domain.voice_config import NumberType, ResourceNumber
from shared.ports import StoreError
from shared.services.callbacks import route_callback
from shared.services.ending import end_emergency_call
from shared.services.expiry import run_expiry
from shared.services.outbound import place_outbound_call, pre_dial
from tests.fakes import T0, FakeDeps

ALICE = Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice", outbound_number="+12025550199",
              email_recipients="security@example.com")
POOL = ("+12025550100", "+12025550101", "+12025550102")
DESK = "8:acs:r_desk"


class CountingPool:
    """Counts the pool's writes by kind, around the fake."""

    def __init__(self, deps: FakeDeps) -> None:
        self.writes: list[str] = []
        for name in ("take", "replace", "claim"):
            original = getattr(deps.pool, name)
            setattr(deps.pool, name, self._counted(name, original))

    def _counted(self, name: str, original):  # type: ignore[no-untyped-def]
        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.writes.append(name)
            return original(*args, **kwargs)
        return counted


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(ALICE)
    d.add_numbers(*POOL)
    return d


def hold(deps: FakeDeps, call_id: str = "call-1", number: str = "911", agent: str = "alice") -> dict:
    return pre_dial(OutboundCall(agent, number, "US", None, call_id), deps, deps.policy)


def dial(deps: FakeDeps, call_id: str = "call-1", number: str = "911", pre_dialed: bool = True) -> dict:
    return place_outbound_call(OutboundCall("alice", number, "US", None, call_id, pre_dialed), deps, deps.policy)


def held(deps: FakeDeps) -> dict[str, tuple[str, bool]]:
    """Number -> (call id, still unclaimed) of every active lease."""
    now = deps.clock.now()
    return {n.number: (n.lease.call_id, n.lease.unclaimed) for n in deps.pool.list_all()
            if n.lease is not None and n.active_lease(now) is not None}


def test_a_hold_is_no_call_and_its_dial_claims_it_with_one_write_of_the_number(deps: FakeDeps) -> None:
    answer = hold(deps)
    assert answer["preDial"] is True and answer["emergencyCallId"] == "call-1"
    assert answer["heldUntil"] == (T0 + deps.policy.pre_dial_hold).isoformat()
    assert "callbackNumber" not in answer  # the dial tells the number
    [(number, (call_id, unclaimed))] = held(deps).items()
    assert (call_id, unclaimed) == ("call-1", True)
    # Nothing of a call: no incident, no event, no window, no presence change, no history.
    assert deps.calls.get("call-1") is None and deps.events.published == [] and deps.windows.rows == {}
    assert not deps.presence.get("alice")[0].in_emergency and deps.history.rows == {}

    counting = CountingPool(deps)
    deps.clock.advance(timedelta(seconds=5))
    answer = dial(deps)
    assert answer["callbackNumber"] == number and answer["callbackNumberSource"] == "pool"
    assert counting.writes == ["claim"]  # no transaction
    assert held(deps) == {number: ("call-1", False)}
    lease = deps.pool.get(number).lease
    assert lease.leased_at == T0 + timedelta(seconds=5)  # dialed when the dial came
    assert lease.expires_at >= deps.policy.live_hold(T0 + timedelta(seconds=5))
    assert answer["callbackWindowEndsAt"] == (T0 + timedelta(seconds=5, minutes=60)).isoformat()
    assert deps.calls.get("call-1")[0].callback_number == number


def test_holding_again_and_dialing_again_keep_one_number(deps: FakeDeps) -> None:
    hold(deps)
    assert hold(deps, number="933")["preDial"] is True  # she typed another emergency number: the same hold
    first = dial(deps)
    assert dial(deps)["callbackNumber"] == first["callbackNumber"]
    assert hold(deps) == {"preDial": False, "reason": "dialed"}
    assert len(held(deps)) == 1


def test_a_hold_no_dial_claims_is_released_by_the_timer_without_quarantine(deps: FakeDeps) -> None:
    hold(deps)
    [number] = held(deps)
    run_expiry(deps, deps.policy, timedelta(days=30))
    assert number in held(deps)  # not yet overdue
    deps.clock.advance(deps.policy.pre_dial_hold)
    report = run_expiry(deps, deps.policy, timedelta(days=30))
    assert report.released == [number] and report.recovered == []  # never turned into an incident
    n = deps.pool.get(number)
    assert n.lease is None and n.state(deps.clock.now(), deps.policy.quarantine).value == "free"
    assert deps.calls.get("call-1") is None and deps.events.published == []


def test_a_dial_after_its_hold_ran_out_still_gets_a_number(deps: FakeDeps) -> None:
    hold(deps)
    [number] = held(deps)
    deps.clock.advance(deps.policy.pre_dial_hold + timedelta(seconds=1))  # the timer did not run
    answer = dial(deps)
    assert answer["callbackNumber"] == number and answer["warnings"] == []
    assert held(deps) == {number: ("call-1", False)}
    run_expiry(deps, deps.policy, timedelta(days=30))
    assert held(deps) == {number: ("call-1", False)}  # the timer never releases a claimed hold


def test_the_timer_s_release_and_the_claim_race_on_the_number_s_version(deps: FakeDeps) -> None:
    """The timer read the hold just before its deadline passed; the dial claims first: the release fails."""
    hold(deps)
    [read] = [n for n in deps.pool.list_all() if n.lease is not None]
    deps.clock.advance(deps.policy.pre_dial_hold - timedelta(seconds=1))
    answer = dial(deps)
    deps.clock.advance(timedelta(seconds=2))
    assert deps.pool.replace(read, deps.policy.release_unclaimed(read)) is False
    assert held(deps) == {answer["callbackNumber"]: ("call-1", False)}


def test_her_new_hold_or_dial_takes_over_her_unclaimed_hold_so_hints_never_drain_her_share(deps: FakeDeps) -> None:
    for i in range(6):  # she types 911, clears it, types it again… each time with a new panel call id
        assert hold(deps, f"call-{i}")["preDial"] is True
    assert len(held(deps)) == 1
    answer = dial(deps, "call-9", pre_dialed=False)  # a dial with another id still gets a number
    assert answer["callbackNumberSource"] == "pool" and answer["warnings"] == []
    assert list(held(deps).values()) == [("call-9", False)]


def test_a_hold_never_takes_over_an_ended_call_s_number_the_dial_does(deps: FakeDeps) -> None:
    first = dial(deps, "real-1", pre_dialed=False)
    end_emergency_call("real-1", "dialer", deps, deps.policy, agent_id="alice")
    assert hold(deps, "call-2", "911") == {"preDial": False, "reason": "redial_keeps_number"}
    assert hold(deps, "call-2", "933")["preDial"] is True  # a test dial may not keep a real call's number
    assert held(deps)[first["callbackNumber"]] == ("real-1", False)  # the real call's hold untouched by a test hold
    again = dial(deps, "call-3", "911", pre_dialed=False)  # a real redial keeps the real call's number
    assert again["callbackNumber"] == first["callbackNumber"]


def test_a_callback_to_an_unclaimed_hold_is_not_a_responder_s(deps: FakeDeps) -> None:
    hold(deps)
    [number] = held(deps)
    result = route_callback(IncomingCall("e1", "4:" + number, "4:+12025550177", "ctx-1", "srv-1", "c1", T0),
                            deps, timedelta(seconds=30), DESK)
    assert result.outcome == "fallback" and deps.call_control.redirects == [("ctx-1", DESK)]


def test_an_end_for_a_held_call_whose_dial_never_arrived_keeps_the_number_for_its_window(deps: FakeDeps) -> None:
    hold(deps)
    [number] = held(deps)
    deps.clock.advance(timedelta(minutes=1))
    end_emergency_call("call-1", "dialer", deps, deps.policy, agent_id="alice", dialed=("911", "US"))
    deps.clock.advance(deps.policy.pre_dial_hold)
    report = run_expiry(deps, deps.policy, timedelta(days=30))
    assert report.released == [] and "call-1" in report.recovered + report.leases_settled  # a call after all
    lease = deps.pool.get(number).lease
    assert not lease.unclaimed and lease.expires_at >= T0 + timedelta(minutes=61)


def test_a_lost_answer_to_the_claim_that_landed_is_read_back(deps: FakeDeps) -> None:
    hold(deps)
    [number] = held(deps)
    claim = deps.pool.claim

    def landed_then_lost(h, c):  # type: ignore[no-untyped-def]
        claim(h, c)
        raise StoreError("timeout after the write landed")
    deps.pool.claim = landed_then_lost  # type: ignore[method-assign]
    answer = dial(deps)
    assert answer["callbackNumber"] == number and answer["warnings"] == []
    assert held(deps) == {number: ("call-1", False)}


def test_a_try_of_the_dial_that_loses_the_claim_to_another_try_keeps_the_claimed_number(deps: FakeDeps) -> None:
    """The dial twice at once (a dialer retrying): the claim leaves her index row as it was, so the losing try
    must read the number back instead of taking a second number for the same call (found on the local stack)."""
    hold(deps)
    [number] = held(deps)
    claim = deps.pool.claim

    def the_other_try_first(h, c):  # type: ignore[no-untyped-def]
        deps.pool.claim = claim  # type: ignore[method-assign]
        assert dial(deps)["callbackNumber"] == number  # the other try, read at the same time, claims first
        return claim(h, c)
    deps.pool.claim = the_other_try_first  # type: ignore[method-assign]
    answer = dial(deps)
    assert answer["callbackNumber"] == number and answer["warnings"] == []
    assert held(deps) == {number: ("call-1", False)}


@pytest.mark.parametrize(("number", "reason"), [("2025550123", "not_emergency"), ("911", "unknown_agent")])
def test_no_hold_for_a_normal_number_or_an_unknown_agent(deps: FakeDeps, number: str, reason: str) -> None:
    agent = "alice" if reason != "unknown_agent" else "nobody"
    assert hold(deps, number=number, agent=agent) == {"preDial": False, "reason": reason}
    assert held(deps) == {}


def test_no_hold_on_the_direct_offer_path_where_the_dial_leases_nothing(deps: FakeDeps) -> None:
    deps.voice_setup.put(ResourceNumber("+12025550199", NumberType.MICROSOFT, "US"))
    assert hold(deps) == {"preDial": False, "reason": "direct_offer"}
    assert held(deps) == {}


def test_storage_down_fails_the_hold_and_the_dial_still_answers(deps: FakeDeps) -> None:
    deps.pool.down = True
    with pytest.raises(StoreError):
        hold(deps)
    deps.pool.down = False
    assert dial(deps)["callbackNumberSource"] == "pool"  # pre_dialed with no hold: it leases as ever


def test_a_dial_whose_take_failed_finds_its_own_hold_and_claims_it(deps: FakeDeps) -> None:
    """Her row could not be read at the dial and its take failed without landing: the call's hint row then names
    its pre-dial hold, which the dial must claim (an unclaimed hold is released under a live call)."""
    hold(deps)
    [number] = held(deps)
    deps.pool.agent_holds = lambda region, agent: (_ for _ in ()).throw(StoreError("timeout"))  # type: ignore
    take = deps.pool.take
    failures = iter([StoreError("the take's answer lost, and it had not landed")])

    def failing_take(*args, **kwargs):  # type: ignore[no-untyped-def]
        error = next(failures, None)
        if error is not None:
            raise error
        return take(*args, **kwargs)
    deps.pool.take = failing_take  # type: ignore[method-assign]
    answer = dial(deps)
    assert answer["callbackNumber"] == number, answer
    assert held(deps) == {number: ("call-1", False)}  # claimed, not left to the timer


def test_a_claim_storage_refuses_never_costs_the_dial_its_number(deps: FakeDeps) -> None:
    """The claim's write fails and did not land (a 503): the dial claims again on the row as read back."""
    hold(deps)
    [number] = held(deps)
    claim = deps.pool.claim
    failures = iter([StoreError("503 and nothing written")])

    def flaky(h, c):  # type: ignore[no-untyped-def]
        error = next(failures, None)
        if error is not None:
            raise error
        return claim(h, c)
    deps.pool.claim = flaky  # type: ignore[method-assign]
    answer = dial(deps)
    assert answer["callbackNumber"] == number and answer["callbackNumberSource"] == "pool", answer
    assert held(deps) == {number: ("call-1", False)}


def test_a_claim_on_a_row_changed_under_the_hold_is_made_again_on_the_row_as_read(deps: FakeDeps) -> None:
    """The timer's index repair (or an admin) rewrote the number's row: its version changed, the hold did not."""
    hold(deps)
    [number] = held(deps)
    n = deps.pool.get(number)
    assert deps.pool.replace(n, n)  # a new version, the same hold
    counting = CountingPool(deps)
    answer = dial(deps)
    assert answer["callbackNumber"] == number and counting.writes.count("take") == 0, counting.writes
    assert held(deps) == {number: ("call-1", False)}  # one number for the call, claimed


def test_a_dial_that_finds_no_free_number_takes_another_agent_s_hold(deps: FakeDeps) -> None:
    for agent in ("bob", "carol", "dave"):
        deps.agents.put(Agent(agent, agent.title(), acs_user_id=f"8:acs:r_{agent}", email_recipients="s@example.com"))
        assert hold(deps, f"hold-{agent}", agent=agent)["preDial"] is True
    assert len(held(deps)) == len(POOL)  # every number held by a hint, none dialed
    answer = dial(deps, "real-1", pre_dialed=False)
    assert answer["callbackNumberSource"] == "pool" and answer["warnings"] == [], answer
    assert held(deps)[answer["callbackNumber"]] == ("real-1", False)
    assert pre_dial(OutboundCall("eve", "911", "US", None, "hold-eve"), deps, deps.policy)["reason"] in (
        "unknown_agent",)  # (eve is no agent: nothing held)


def test_the_timer_releases_a_hold_whose_call_was_recorded_with_another_number(deps: FakeDeps) -> None:
    """Its dial did not find the hold (her row unreadable, say) and leased another number: the hold is left over."""
    first = dial(deps, "real-1", pre_dialed=False)
    hold(deps, "call-2", "933")
    [number] = [n for n, (call_id, _) in held(deps).items() if call_id == "call-2"]
    record = deps.calls.get("real-1")[0]
    assert deps.calls.create(replace(record, call_id="call-2"))  # call-2 recorded with real-1's number
    deps.clock.advance(deps.policy.pre_dial_hold)
    report = run_expiry(deps, deps.policy, timedelta(days=30))
    assert number in report.released and first["callbackNumber"] not in report.released
    assert number not in held(deps)


def test_a_hint_for_an_id_with_a_call_holds_nothing(deps: FakeDeps) -> None:
    dial(deps, "real-1", pre_dialed=False)
    end_emergency_call("real-1", "dialer", deps, deps.policy, agent_id="alice")
    deps.clock.advance(timedelta(hours=2))  # her window is over: no redial to keep a number for
    assert hold(deps, "real-1") == {"preDial": False, "reason": "dialed"}
    assert held(deps) == {}


def test_holds_are_no_call_in_the_pool_s_drain_figures(deps: FakeDeps) -> None:
    hold(deps, number="933")
    assert pool_shares(deps.pool.list_all(), deps.clock.now()) == {"testLeases": 0, "maxLeasesOneAgent": 0}
