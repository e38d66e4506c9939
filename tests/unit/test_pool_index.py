"""The free-number index (issue 11): what the timer repairs, and the lease's cost-free lookups, on the fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.lease import FreeSlot, IndexRow, Lease, PoolNumber, stale_index
from shared.ports import Take
from shared.services.ending import end_emergency_call
from shared.services.expiry import run_expiry
from shared.services.leasing import PAGE
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeDeps, FakePool

RETENTION = timedelta(days=30)


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", email_recipients="s@example.com"))
    d.agents.put(Agent("bob", "Bob", acs_user_id="8:acs:r_bob", email_recipients="s@example.com"))
    d.add_numbers("+12025550100", "+12025550101")
    return d


def dial(deps: FakeDeps, agent: str = "alice") -> dict:
    return place_outbound_call(OutboundCall(agent, "911", "US"), deps, deps.policy)


def test_the_timer_puts_back_a_number_the_index_lost(deps: FakeDeps) -> None:
    # GIVEN a number whose free slot is gone (drift)
    del deps.pool.slots["+12025550100"]
    # WHEN the timer runs
    report = run_expiry(deps, deps.policy, RETENTION)
    # THEN the number is in the index again, and leased from it
    assert report.index_repaired == ["+12025550100"]
    del deps.pool.slots["+12025550101"]
    assert dial(deps)["callbackNumber"] == "+12025550100"


def test_the_timer_removes_the_hints_of_a_lease_that_ended_and_keeps_a_live_one(deps: FakeDeps) -> None:
    ended = dial(deps, "alice")["emergencyCallId"]
    dial(deps, "bob")
    end_emergency_call(ended, "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=61))  # alice's lease expired; bob's call is live
    run_expiry(deps, deps.policy, RETENTION)
    assert {owner for kind, owner in deps.pool.hints} == {"bob", bob_call(deps)}


def bob_call(deps: FakeDeps) -> str:
    return next(n.lease.call_id for n in deps.pool.rows.values() if n.lease and n.lease.agent_id == "bob")


def test_a_slot_of_a_retired_or_leased_number_is_stale_and_a_fitting_one_is_not() -> None:
    free = PoolNumber("+12025550100", "1", released_at=T0)
    retired = PoolNumber("+12025550101", "1", retired=True)
    rows = [IndexRow("1", "a", "free", free.number, since=T0),
            IndexRow("1", "b", "free", retired.number, since=None),
            IndexRow("1", "c", "free", "+12025550199", since=None)]  # a number no longer in the pool
    stale, missing = stale_index([free, retired], rows, T0)
    assert [r.key for r in stale] == ["b", "c"] and missing == []
    moved = replace(free, released_at=T0 + timedelta(minutes=1))  # its slot is at another instant now
    assert stale_index([moved], rows[:1], T0) == (rows[:1], [moved])


def test_a_redial_within_the_window_keeps_the_number_through_the_agent_s_hint(deps: FakeDeps) -> None:
    first = dial(deps)
    end_emergency_call(first["emergencyCallId"], "dialer", deps, deps.policy)
    deps.clock.advance(timedelta(minutes=30))
    again = dial(deps)
    assert again["callbackNumber"] == first["callbackNumber"]
    assert deps.pool.get(first["callbackNumber"]).lease.call_id == again["emergencyCallId"]
    assert sum(1 for n in deps.pool.list_all() if n.lease) == 1


@pytest.mark.parametrize("seed", range(8))
def test_an_uncontended_lease_takes_one_of_the_numbers_that_rested_longest(seed: int) -> None:
    """Dialers at the same moment are spread over the page of numbers that rested longest (all past their
    quarantine), never handed one that was released a moment ago while older ones are free (each seed: another
    call id)."""
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice"))
    rested = {f"+120255501{10 + k:02d}": timedelta(minutes=20 + 10 * k) for k in range(PAGE + 8)}
    for number, ago in rested.items():
        d.pool.add(PoolNumber(number, "1", released_at=T0 - ago))
    longest = sorted(rested, key=rested.__getitem__, reverse=True)[:PAGE]
    answer = place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id=f"ec-{seed}"), d, d.policy)
    assert answer["callbackNumber"] in longest


def test_a_caller_who_keeps_losing_races_still_gets_a_free_number() -> None:
    """A burst: every try loses to another dialer for longer than the 16 rounds of 4 tries (64 races); numbers are
    still free, so the lease goes on (within its time budget) instead of leaving the caller without one."""
    class Contended(FakePool):
        lost = 0

        def take(self, slot: FreeSlot, lease: Lease, agent_hint: str | None = None,
                 holds: tuple[str, ...] = ()) -> Take:
            if self.lost < 80:
                self.lost += 1
                return Take.LOST
            return super().take(slot, lease, agent_hint, holds)

    d = FakeDeps()
    d.pool = Contended()
    d.agents.put(Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice"))
    d.add_numbers("+12025550101", "+12025550102")
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), d, d.policy)
    assert d.pool.lost == 80 and answer["callbackNumber"] in ("+12025550101", "+12025550102")
