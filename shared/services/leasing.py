"""Use case: lease a callback number for an emergency call, race-free through conditional writes."""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import datetime

from shared.domain.calls import Agent
from shared.domain.lease import Lease, LeasePolicy, PoolNumber, held_by, held_by_agent
from shared.domain.numbers import mask_phone
from shared.ports import PoolStore, StoreError

log = logging.getLogger(__name__)

MAX_ROUNDS = 8
TRIES_PER_ROUND = 6
# After a lost race the next try is drawn among this many least recently used numbers, doubling each time.
SPREAD = 4


def lease_number(region: str, call_id: str, agent: Agent | None, agent_id: str, now: datetime, test: bool,
                 pool: PoolStore, policy: LeasePolicy,
                 dialed: tuple[str, str | None] = ("", None)) -> PoolNumber | None:
    """The number leased to `call_id` (the same one when asked again), or None when the region has no free number.
    An agent holds one number at most: a new call of hers takes over the live lease of her earlier one.

    Two round trips when uncontended: one partition query, one ETag-conditional replace.
    """
    acs_user_id = agent.acs_user_id if agent else None
    for _ in range(MAX_ROUNDS):
        numbers = pool.list_region(region)
        mine = held_by(numbers, call_id, now)
        if mine is not None:
            return mine
        lease = policy.new_lease(call_id, agent_id, acs_user_id, now, test, *dialed)
        earlier = held_by_agent(numbers, agent_id, now)
        if earlier is not None:  # a redial within the window: the same number, now this call's
            moved = replace(earlier, lease=lease)
            if pool.replace(earlier, moved):
                log.info("emergency call %s keeps %s of the agent's earlier call", call_id, mask_phone(earlier.number))
                return moved
            continue
        candidates = policy.candidates(numbers, now)
        if not candidates:
            return None
        won = _try_candidates(candidates, lease, pool, call_id)
        if won is not None:
            log.info("leased %s to emergency call %s", mask_phone(won.number), call_id)
            return won
    log.error("no callback number could be leased for %s after %d contended rounds", call_id, MAX_ROUNDS)
    return None


def _try_candidates(candidates: list[PoolNumber], lease: Lease, pool: PoolStore, call_id: str) -> PoolNumber | None:
    """Take a candidate still unchanged since it was read; None when the tries of this round all lost.

    The first try is the least recently used number. Each lost race widens the window the next try is drawn
    from at random, so a burst of calls fans out over the pool instead of queueing on the same rows.
    Conditional writes are sent without SDK retries, so a conflict always means another call won; a failed
    write ends the round, and the next partition read shows whether it landed (held_by).
    """
    rng = random.Random(call_id)
    untried = list(range(len(candidates)))
    width = SPREAD
    for _ in range(TRIES_PER_ROUND):
        if not untried:
            break
        index = 0 if len(untried) == len(candidates) else rng.choice([i for i in untried if i < width] or untried)
        untried.remove(index)
        candidate = candidates[index]
        taken = replace(candidate, lease=lease, released_at=candidate.free_since())
        try:
            if pool.replace(candidate, taken):
                return taken
        except StoreError as exc:
            log.warning("lease write for %s failed, re-reading the pool: %s", call_id, exc)
            return None
        width *= 2
    return None
