"""The lease policy: windows, expiry-means-free, quarantine and least-recently-used order."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.lease import LeasePolicy, NumberState, PoolNumber, count_states, held_by, pool_shares
from tests.fakes import T0

POLICY = LeasePolicy(window=timedelta(minutes=60), quarantine=timedelta(minutes=10), max_call=timedelta(hours=4))


def leased(number: str, call_id: str = "c1", at=T0, ended_after: timedelta | None = timedelta(0)) -> PoolNumber:
    """A number leased at `at`; its call ended `ended_after` later (None: still live)."""
    lease = POLICY.new_lease(call_id, "alice", None, at, test=False)
    if ended_after is not None:
        lease = POLICY.on_call_end(lease, at + ended_after)
    return PoolNumber(number, "1", lease=lease)


def test_a_live_call_holds_its_number_until_the_safety_net_ends_it_plus_the_window() -> None:
    lease = POLICY.new_lease("c1", "alice", "8:acs:a", T0, test=False, dialed_number="911", country="US")
    assert lease.live and lease.expires_at == T0 + timedelta(hours=5)
    assert (lease.dialed_number, lease.country) == ("911", "US")


def test_a_live_call_longer_than_the_window_keeps_its_number() -> None:
    n = leased("+12025550100", ended_after=None)
    assert n.state(T0 + timedelta(minutes=61), POLICY.quarantine) is NumberState.LEASED
    assert n.state(T0 + timedelta(hours=4, minutes=59), POLICY.quarantine) is NumberState.LEASED
    assert n.state(T0 + timedelta(hours=5, minutes=1), POLICY.quarantine) is NumberState.QUARANTINED


def test_the_end_of_a_long_call_holds_the_number_for_the_window_after_it() -> None:
    lease = POLICY.new_lease("c1", "alice", None, T0, test=False)
    assert POLICY.on_call_end(lease, T0 + timedelta(minutes=70)).expires_at == T0 + timedelta(minutes=130)


def test_the_call_end_holds_the_number_for_the_window_after_it() -> None:
    lease = POLICY.new_lease("c1", "alice", None, T0, test=False)
    ended = POLICY.on_call_end(lease, T0 + timedelta(minutes=25))
    assert ended.expires_at == T0 + timedelta(minutes=85)


def test_a_short_call_keeps_at_least_the_window_from_the_dial() -> None:
    lease = POLICY.new_lease("c1", "alice", None, T0, test=False)
    assert POLICY.on_call_end(lease, T0 - timedelta(minutes=5)).expires_at == T0 + timedelta(minutes=60)


def test_only_the_first_end_counts() -> None:
    lease = POLICY.new_lease("c1", "alice", None, T0, test=False)
    first = POLICY.on_call_end(lease, T0 + timedelta(minutes=5))
    assert POLICY.on_call_end(first, T0 + timedelta(minutes=50)) == first


def test_an_expired_lease_counts_as_free_after_quarantine_without_the_timer() -> None:
    n = leased("+12025550100")
    assert n.state(T0 + timedelta(minutes=59), POLICY.quarantine) is NumberState.LEASED
    assert n.state(T0 + timedelta(minutes=65), POLICY.quarantine) is NumberState.QUARANTINED
    assert n.state(T0 + timedelta(minutes=70), POLICY.quarantine) is NumberState.FREE


def test_candidates_skip_leased_quarantined_and_retired_numbers() -> None:
    numbers = [leased("+12025550100"), PoolNumber("+12025550101", "1", released_at=T0 - timedelta(minutes=5)),
               PoolNumber("+12025550102", "1", retired=True), PoolNumber("+12025550103", "1")]
    assert [n.number for n in POLICY.candidates(numbers, T0)] == ["+12025550103"]


def test_candidates_are_least_recently_used_first_and_never_used_before_all() -> None:
    numbers = [PoolNumber("+12025550101", "1", released_at=T0 - timedelta(hours=1)),
               PoolNumber("+12025550102", "1", released_at=T0 - timedelta(hours=3)),
               PoolNumber("+12025550103", "1")]
    assert [n.number for n in POLICY.candidates(numbers, T0)] == ["+12025550103", "+12025550102", "+12025550101"]


def test_release_keeps_when_the_lease_ended_so_quarantine_counts_from_there() -> None:
    n = leased("+12025550100")
    released = POLICY.release(n, T0 + timedelta(hours=2))
    assert released.lease is None
    assert released.released_at == T0 + timedelta(minutes=60)


def test_held_by_finds_only_live_leases_of_the_call() -> None:
    numbers = [leased("+12025550100", "c1"), leased("+12025550101", "c2", ended_after=timedelta(minutes=1))]
    assert held_by(numbers, "c2", T0).number == "+12025550101"
    assert held_by(numbers, "c2", T0 + timedelta(hours=2)) is None
    assert held_by(numbers, "c3", T0) is None


def test_a_retired_number_keeps_its_live_lease() -> None:
    n = PoolNumber("+12025550100", "1", lease=leased("+12025550100", ended_after=None).lease, retired=True)
    assert n.state(T0 + timedelta(hours=3), POLICY.quarantine) is NumberState.LEASED
    n = PoolNumber("+12025550100", "1", lease=leased("+12025550100").lease, retired=True)
    assert n.state(T0, POLICY.quarantine) is NumberState.LEASED
    assert n.state(T0 + timedelta(hours=3), POLICY.quarantine) is NumberState.RETIRED


def test_count_states() -> None:
    numbers = [leased("+12025550100"), PoolNumber("+12025550101", "1")]
    assert count_states(numbers, T0, POLICY.quarantine) == {"leased": 1, "quarantined": 0, "free": 1, "retired": 0}


def test_pool_shares_count_live_test_leases_and_the_most_one_agent_holds() -> None:
    test_lease = POLICY.new_lease("t1", "bob", None, T0, test=True)
    numbers = [leased("+12025550100", "c1", ended_after=None), leased("+12025550101", "c2"),
               PoolNumber("+12025550102", "1", lease=test_lease), PoolNumber("+12025550103", "1")]
    assert pool_shares(numbers, T0) == {"testLeases": 1, "maxLeasesOneAgent": 2}
    assert pool_shares(numbers, T0 + timedelta(hours=6)) == {"testLeases": 0, "maxLeasesOneAgent": 0}


def test_a_test_call_holds_its_number_only_the_test_window_after_its_end() -> None:
    lease = POLICY.new_lease("t1", "bob", None, T0, test=True)
    assert POLICY.on_call_end(lease, T0 + timedelta(minutes=2)).expires_at == T0 + timedelta(minutes=7)


# --- a redial never shortens another call's hold (issue 17) -------------------------------------------------------

def test_a_redial_may_keep_the_number_of_an_ended_call_but_not_of_a_live_one() -> None:
    ended = POLICY.on_call_end(POLICY.new_lease("c1", "alice", None, T0, test=False), T0)
    live = POLICY.new_lease("c1", "alice", None, T0, test=False)
    redial = POLICY.new_lease("c2", "alice", None, T0 + timedelta(minutes=5), test=False)
    assert POLICY.may_take_over(ended, redial) and not POLICY.may_take_over(live, redial)
    other_agent = POLICY.new_lease("c3", "bob", None, T0 + timedelta(minutes=5), test=False)
    assert not POLICY.may_take_over(ended, other_agent)


def test_a_test_call_never_takes_a_real_call_s_number_and_a_real_call_may_take_a_test_call_s() -> None:
    real = POLICY.on_call_end(POLICY.new_lease("c1", "alice", None, T0, test=False), T0)
    drill = POLICY.on_call_end(POLICY.new_lease("c2", "alice", None, T0, test=True), T0)
    at = T0 + timedelta(minutes=1)
    assert not POLICY.may_take_over(real, POLICY.new_lease("c3", "alice", None, at, test=True))
    assert POLICY.may_take_over(drill, POLICY.new_lease("c4", "alice", None, at, test=False))
    assert POLICY.may_take_over(drill, POLICY.new_lease("c5", "alice", None, at, test=True))


def test_a_taken_over_lease_keeps_the_earlier_hold_even_when_its_own_end_comes_first() -> None:
    # GIVEN a 933 whose window runs to T0 + 5 min, taken over by another 933 dialed at once
    first = POLICY.on_call_end(POLICY.new_lease("c1", "alice", None, T0, test=True), T0)
    second = POLICY.taken_over(first, POLICY.new_lease("c2", "alice", None, T0, test=True))
    # WHEN the second ends with an end signal stamped before the first's (clocks differ)
    settled = POLICY.on_call_end(second, T0 - timedelta(minutes=2))
    # THEN the number is held at least as long as the first call's window
    assert second.kept_until == first.expires_at and settled.expires_at == T0 + timedelta(minutes=5)


def test_an_end_while_the_hold_runs_extends_it_and_one_after_counts_from_the_maximum_call_length() -> None:
    lease = POLICY.new_lease("c1", "alice", None, T0, test=False)  # held while live until T0 + 5 h
    # An end at 4 h 30 (past the maximum call length, the hold still running): the window after it.
    assert POLICY.on_call_end(lease, T0 + timedelta(hours=4, minutes=30)).expires_at == T0 + timedelta(hours=5.5)
    # An end at 6 h (the hold ran out at 5 h; the number may be another's): what was held, no more.
    late = POLICY.on_call_end(lease, T0 + timedelta(hours=6))
    assert late.expires_at == lease.expires_at == T0 + timedelta(hours=5)
    assert POLICY.window_until(T0, T0 + timedelta(hours=6), False) == late.expires_at
    assert POLICY.window_until(T0, T0 + timedelta(minutes=30), False) == T0 + timedelta(minutes=90)


def test_an_end_at_the_very_instant_the_hold_ran_out_does_not_bring_the_lease_back() -> None:
    """The lease is free from `live_hold` on (`active_lease` holds it until then, not at that instant); an end signal
    at that instant counts from the maximum call length, like any later one: a lease brought back then would hold
    a number her index row no longer names, past her share (found by the model-based test, seed 1169322149)."""
    policy = LeasePolicy()
    lease = policy.new_lease("c1", "alice", "8:acs:r_alice", T0, False)
    at = policy.live_hold(T0)
    assert PoolNumber("+12025550100", "1", lease).active_lease(at) is None
    assert policy.on_call_end(lease, at).expires_at == at
    assert policy.on_call_end(lease, at - timedelta(seconds=1)).expires_at > at
