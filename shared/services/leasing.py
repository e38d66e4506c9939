"""Use case: lease a callback number for an emergency call, race-free through conditional writes."""

from __future__ import annotations

import logging
import zlib
from dataclasses import replace
from datetime import datetime

from shared.domain.calls import Agent
from shared.domain.lease import Lease, LeasePolicy, PoolNumber, held_by
from shared.domain.numbers import mask_phone
from shared.ports import PoolStore, StoreError

log = logging.getLogger(__name__)

MAX_ROUNDS = 4
# Concurrent calls start at different places among the least recently used numbers, so a burst does not
# queue on the same row; LRU order is kept within this spread.
SPREAD = 8


def lease_number(region: str, call_id: str, agent: Agent | None, agent_id: str, now: datetime, test: bool,
                 pool: PoolStore, policy: LeasePolicy) -> PoolNumber | None:
    """The number leased to `call_id` (the same one when asked again), or None when the region has no free number.

    Two round trips when uncontended: one partition query, one ETag-conditional replace.
    """
    acs_user_id = agent.acs_user_id if agent else None
    for _ in range(MAX_ROUNDS):
        numbers = pool.list_region(region)
        mine = held_by(numbers, call_id, now)
        if mine is not None:
            return mine
        candidates = policy.candidates(numbers, now)
        if not candidates:
            return None
        lease = policy.new_lease(call_id, agent_id, acs_user_id, now, test)
        won = _try_candidates(_spread(candidates, call_id), lease, pool, call_id)
        if won is not None:
            log.info("leased %s to emergency call %s", mask_phone(won.number), call_id)
            return won
    log.error("no callback number could be leased for %s after %d contended rounds", call_id, MAX_ROUNDS)
    return None


def _spread(candidates: list[PoolNumber], call_id: str) -> list[PoolNumber]:
    width = min(len(candidates), SPREAD)
    start = zlib.crc32(call_id.encode()) % width
    return candidates[start:] + candidates[:start]


def _try_candidates(candidates: list[PoolNumber], lease: Lease, pool: PoolStore, call_id: str) -> PoolNumber | None:
    """Take the first candidate still unchanged since it was read; None when every one was taken meanwhile.

    Conditional writes are sent without SDK retries, so a conflict always means another call won. A failed
    write ends the round: the next partition read shows whether it landed (held_by) before anything else is taken.
    """
    for candidate in candidates:
        taken = replace(candidate, lease=lease, released_at=candidate.free_since())
        try:
            if pool.replace(candidate, taken):
                return taken
        except StoreError as exc:
            log.warning("lease write for %s failed, re-reading the pool: %s", call_id, exc)
            return None
    return None
