"""Use case: lease a callback number for an emergency call, race-free, at a cost independent of the pool's size."""

from __future__ import annotations

import itertools
import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.calls import Agent
from shared.domain.lease import FreeSlot, Lease, LeasePolicy, PoolNumber, held_by, held_by_agent
from shared.domain.numbers import mask_phone
from shared.ports import PoolStore, StoreError, Take

log = logging.getLogger(__name__)

MAX_ROUNDS = 16
# Under a burst every round can lose its races while numbers are still free: rounds go on past MAX_ROUNDS until
# this long after the first, so a caller is left without a number only when the pool is really empty (or storage
# fails), not because others were quicker.
CONTENDED_BUDGET_SECONDS = 2.0
# One page of the free-number index: the first try is drawn among all of its numbers (the least recently used
# ones, all past their quarantine), so dialers at the same moment seldom race for the same one. With 8 dialers at
# once, a page of 16 and the 8 oldest cost 1.7 transactions a lease; 32 and all of them 1.1 (bench/README.md).
PAGE = 32
# A dialer that lost races reads a bigger page: under a burst the oldest numbers are what everyone is taking.
CONTENDED_PAGE = 100
SPREAD = PAGE
# Lost races on one page before it is read again (a fresh page shows what the others took).
TRIES_PER_PAGE = 4
# A dial's claim of its pre-dial hold, tried again on the row as read back while the hold is still the call's.
CLAIM_TRIES = 3


def lease_number(region: str, call_id: str, agent: Agent | None, agent_id: str, now: datetime, test: bool,
                 pool: PoolStore, policy: LeasePolicy, dialed: tuple[str, str | None] = ("", None),
                 first_page: list[FreeSlot] | None = None,
                 hers_read: tuple[list[PoolNumber], str | None] | None = None,
                 pre_dial: bool = False) -> PoolNumber | None:
    """The number leased to `call_id` (the same one when asked again), or None when the region has no free number.
    A new call of an agent keeps the number of her earlier call when that never shortens the earlier call's hold
    (`LeasePolicy.may_take_over`); otherwise it gets a number of its own.

    Two round trips when uncontended, whatever the pool's size: one page of the free-number index (`first_page`)
    and the agent's row with the numbers it names (`hers_read`: her holds, a point read each), both read already
    at the same time as the dial's other reads, then one transaction. Without them (or when her row changed since)
    a repeat of the call or a redial is found when the transaction says her row exists or changed, and read then.
    `pre_dial`: a pre-dial hold for the call (`LeasePolicy.pre_dial_lease`), which its dial then claims with one
    conditional write of the number's row instead of a transaction.
    """
    make = policy.pre_dial_lease if pre_dial else policy.new_lease
    lease = make(call_id, agent_id, agent.acs_user_id if agent else None, now, test, *dialed)
    hers = Hers()
    if hers_read is not None and hers_read[1] is not None:  # her row, read at once with the page
        settled = _settle_with_hers(hers_read[0], lease, now, pool, policy)
        if settled is not None:
            return settled
        hers = _hers(hers_read, agent_id, now)
    deadline = time.monotonic() + CONTENDED_BUDGET_SECONDS
    for rounds in itertools.count(1):
        if rounds > MAX_ROUNDS and time.monotonic() > deadline:
            break
        slots = first_page if rounds == 1 and first_page is not None else \
            pool.free_numbers(region, policy.free_until(now), PAGE if rounds == 1 else CONTENDED_PAGE)
        if not slots:
            return _lease_unindexed(region, lease, now, pool, policy)
        outcome, won = _try_slots(slots, lease, hers, pool, policy)
        if won is not None:
            log.info("leased %s to emergency call %s", mask_phone(won.number), call_id)
            return won
        if outcome is None:  # a write that failed may have landed: it was maybe me
            mine = pool.leased_to_call(region, call_id)
            if mine is not None and held_by([mine], call_id, now) is not None:
                settled = _as_mine(mine, lease, now, pool, policy)  # or its pre-dial hold, to claim
                if settled is not None:
                    return settled
        elif outcome is Take.AGENT:  # a repeat of this call, a redial, or a stale row
            read = pool.agent_holds(region, agent_id)
            settled = _settle_with_hers(read[0], lease, now, pool, policy)
            if settled is not None:
                return settled
            hers = _hers(read, agent_id, now)
    log.error("no callback number could be leased for %s after %d contended rounds", call_id, rounds - 1)
    return None


@dataclass(frozen=True)
class Hers:
    """What the agent's index row said when read: its version (None: no row, so the take creates it) and the
    numbers she holds now, which the take keeps in the row beside the new one."""

    version: str | None = None
    holds: tuple[str, ...] = ()


def _hers(read: tuple[list[PoolNumber], str | None], agent_id: str, now: datetime) -> Hers:
    numbers, version = read
    return Hers(version, tuple(n.number for n in numbers if held_by_agent([n], agent_id, now)))


class AgentHoldsEnough(Exception):
    """The agent holds as many numbers as one agent may (LeasePolicy.numbers_per_agent): this call gets none."""


class RedialKeepsNumber(Exception):
    """A pre-dial hold is of no use: her dial will keep the number of an earlier call of hers (a redial)."""


def _settle_with_hers(numbers: list[PoolNumber], lease: Lease, now: datetime, pool: PoolStore,
                      policy: LeasePolicy) -> PoolNumber | None:
    """Among the agent's numbers: this call's own (a repeat), or an ended call's she may keep (a redial). None: a
    number of its own is to be taken (AgentHoldsEnough when she holds her share already)."""
    mine = held_by(numbers, lease.call_id, now)
    if mine is not None:
        return _as_mine(mine, lease, now, pool, policy)
    active = [n for n in numbers if held_by_agent([n], lease.agent_id, now) is not None]
    if lease.unclaimed and any(n.lease is not None and not n.lease.unclaimed and
                               policy.may_take_over(n.lease, replace(lease, claim_by=None)) for n in active):
        raise RedialKeepsNumber(f"agent {lease.agent_id}: the dial keeps an earlier call's number")
    # An ended call's number first (the responder may have it), her unclaimed pre-dial holds after.
    for earlier in sorted(active, key=lambda n: n.lease is not None and n.lease.unclaimed):
        if _may_take_over(earlier, lease, policy):
            return _take_over(earlier, lease, pool, policy)  # None: it changed meanwhile, next round
    if len(active) >= policy.numbers_per_agent:
        raise AgentHoldsEnough(f"agent {lease.agent_id} holds {len(active)} callback numbers")
    return None


def _as_mine(mine: PoolNumber, lease: Lease, now: datetime, pool: PoolStore,
             policy: LeasePolicy) -> PoolNumber | None:
    """The number this call holds already: a repeat of the dial (or of the pre-dial hold) as it is; the dial
    claims its pre-dial hold in time, else takes it over like any unclaimed hold of the agent's. None: it changed
    meanwhile (the caller reads again)."""
    held = mine.lease
    assert held is not None
    if lease.unclaimed or not held.unclaimed:
        return mine
    if policy.may_claim(held, lease, now):
        return _claim(mine, lease, now, pool, policy)
    log.info("emergency call %s: its pre-dial hold of %s came too late to claim", lease.call_id,
             mask_phone(mine.number))
    return _take_over(mine, lease, pool, policy) if policy.may_take_over(held, lease) else None


def _claim(mine: PoolNumber, lease: Lease, now: datetime, pool: PoolStore, policy: LeasePolicy) -> PoolNumber | None:
    """The dial claims its hold: one conditional write of the number's row. Whatever its answer says (refused, or
    lost: it may have landed), the number read back decides: claimed by this call (another try of the same dial,
    or the lost answer's write), this call's hold still (its row changed under it, e.g. the timer's index repair:
    claimed again on the row as read), or neither (released, taken over: None, the caller leases another). Never
    raises: a claim that storage keeps refusing leaves the dial to lease as it would without a hold."""
    for _ in range(CLAIM_TRIES):
        assert mine.lease is not None
        claimed = replace(mine, lease=policy.claimed(mine.lease, lease))
        try:
            if pool.claim(mine, claimed):
                return claimed
        except StoreError as exc:
            log.warning("claim of %s for %s failed, reading it back: %s", mask_phone(mine.number), lease.call_id,
                        exc)
        try:
            again = pool.get(mine.number)
        except StoreError:
            return None
        now_held = again.lease if again is not None else None
        if again is None or now_held is None or now_held.call_id != lease.call_id:
            return None
        if not now_held.unclaimed:
            return again
        if not policy.may_claim(now_held, lease, now):
            return None
        mine = again
    return None


def _may_take_over(earlier: PoolNumber, lease: Lease, policy: LeasePolicy) -> bool:
    if earlier.lease is not None and policy.may_take_over(earlier.lease, lease):
        return True
    log.info("emergency call %s: %s holds the agent's call %s, not to be taken over", lease.call_id,
             mask_phone(earlier.number), earlier.lease.call_id if earlier.lease else "")
    return False


def _take_over(earlier: PoolNumber, lease: Lease, pool: PoolStore, policy: LeasePolicy) -> PoolNumber | None:
    """A redial within the window: the same number, now this call's, held at least as long as the earlier call's
    (None: it changed meanwhile, next round)."""
    assert earlier.lease is not None
    moved = replace(earlier, lease=policy.taken_over(earlier.lease, lease))
    if pool.replace(earlier, moved):
        log.info("emergency call %s keeps %s of the agent's earlier call", lease.call_id, mask_phone(earlier.number))
        return moved
    return None


def _try_slots(slots: list[FreeSlot], lease: Lease, hers: Hers, pool: PoolStore,
               policy: LeasePolicy) -> tuple[Take | None, PoolNumber | None]:
    """Take one of a page of free numbers; what stopped the round otherwise (None: a write failed).

    Each try is drawn at random among the least recently used numbers of the page, in a window that doubles with
    each lost race, so a burst of calls fans out over the page instead of queueing on the same rows.
    Transactions are sent without SDK retries, so a lost race means another call won.
    """
    rng = random.Random(lease.call_id)
    untried = list(range(len(slots)))
    width = SPREAD
    for _ in range(TRIES_PER_PAGE):
        if not untried:
            break
        index = rng.choice([i for i in untried if i < width] or untried)
        untried.remove(index)
        try:
            outcome = pool.take(slots[index], lease, hers.version, hers.holds)
        except StoreError as exc:
            log.warning("lease write for %s failed, re-reading: %s", lease.call_id, exc)
            return None, None
        if outcome is Take.TAKEN:
            return outcome, policy.take(slots[index], lease)
        if outcome is not Take.LOST:
            return outcome, None
        width *= 2
    return Take.LOST, None


def _lease_unindexed(region: str, lease: Lease, now: datetime, pool: PoolStore,
                     policy: LeasePolicy) -> PoolNumber | None:
    """The index shows no free number: read the region (an exhausted pool, or numbers the index lost, which the
    timer puts back) and take one still unchanged since read. Rare, so its cost may grow with the pool."""
    numbers = pool.list_region(region)
    settled = _settle_with_hers(numbers, lease, now, pool, policy)
    if settled is not None:
        return settled
    for candidate in policy.candidates(numbers, now)[:SPREAD]:
        taken = replace(candidate, lease=lease, released_at=candidate.free_since())
        if pool.replace(candidate, taken):
            log.warning("leased %s to emergency call %s outside the free-number index", mask_phone(taken.number),
                        lease.call_id)
            return taken
    if lease.unclaimed:
        return None
    # No free number: a dial goes before a number typed elsewhere and not dialed (nobody was told a held number);
    # the hold's own dial then leases as it would without it.
    for hold in policy.holds_to_yield(numbers, lease.agent_id)[:SPREAD]:
        if pool.replace(hold, replace(hold, lease=lease)):
            assert hold.lease is not None
            log.warning("emergency call %s: no free number; took %s from the pre-dial hold of %s", lease.call_id,
                        mask_phone(hold.number), hold.lease.call_id)
            return replace(hold, lease=lease)
    return None
