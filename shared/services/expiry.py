"""Use case: the every-minute housekeeping. Safe to miss runs or run twice: every decision is from timestamps.

It is also the relay that finishes what a crash interrupted: a lease whose incident was never written becomes an
incident, an unannounced incident is announced, a lease or a presence that missed its call's recorded end is
settled, and DND held past the maximum call length is lifted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.domain.calls import Agent, EmergencyCall
from shared.domain.lease import IndexRow, LeasePolicy, PoolNumber, count_states, pool_shares, stale_index
from shared.domain.numbers import mask_phone
from shared.domain.presence import is_stuck
from shared.domain.routing import CallbackWindow
from shared.ports import Conflict, Ports
from shared.services import ending
from shared.services.dial_record import announce
from shared.services.presence import on_call_ended
from shared.services.routing_engine import RoutingReport, reconcile

log = logging.getLogger(__name__)

# A lease younger than this may belong to a dial still writing its incident.
ORPHAN_GRACE = timedelta(minutes=1)
REANNOUNCE_LIMIT = timedelta(hours=24)


@dataclass
class ExpiryReport:
    released: list[str] = field(default_factory=list)
    presence_restored: list[str] = field(default_factory=list)
    incidents_purged: int = 0
    reannounced: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    leases_settled: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)
    pool_levels: dict[str, dict[str, int]] = field(default_factory=dict)
    routing: RoutingReport = field(default_factory=RoutingReport)
    index_repaired: list[str] = field(default_factory=list)


def run_expiry(deps: Ports, policy: LeasePolicy, retention: timedelta,
               purge_related: Callable[[str], object] = lambda call_id: None) -> ExpiryReport:
    """Release expired leases into quarantine, recover and announce what a crash left behind, restore presence
    stuck in emergency DND, purge old incidents (and, through `purge_related`, what else is kept per incident,
    such as its delivery records)."""
    report = ExpiryReport()
    index = deps.pool.list_index()  # first, so that the numbers read after it are at least as new
    numbers = deps.pool.list_all()
    _repair_index(numbers, index, deps, report)
    calls = {c.call_id: c for c in deps.calls.list()}
    _release_expired(numbers, calls, deps, policy, report)
    _reconcile_leases(numbers, calls, deps, policy, report)
    _restore_stuck_presence(calls, deps, policy, report)
    report.routing = reconcile(deps)  # after the restores: a restored presence releases its worker in this run
    _end_overdue_calls(calls, deps, policy, report)
    _settle_windows(calls, deps, policy)
    _reannounce(list(calls.values()), deps, report)
    _purge_incidents(list(calls.values()), deps, retention, report, purge_related)
    return report


def _reannounce(calls: list[EmergencyCall], deps: Ports, report: ExpiryReport) -> None:
    """Publish CallStarted for every incident not yet marked announced (the dial could not publish it, or died
    before marking it): otherwise nobody would be notified. Late is better than never, up to a day (as long as
    Event Grid itself keeps an event); handlers drop repeats."""
    oldest = deps.clock.now() - REANNOUNCE_LIMIT
    for call in calls:
        if call.announced or not call.described:
            continue
        if call.dialed_at < oldest:
            log.error("emergency call %s dialed %s was never announced: given up", call.call_id, call.dialed_at)
            continue
        try:
            announce(call, deps)
        except Exception as exc:  # still unreachable: next run
            log.error("emergency call %s: CallStarted still not published: %s", call.call_id, exc)
            continue
        report.reannounced.append(call.call_id)
        log.warning("emergency call %s: CallStarted published by the timer (dialed %s)", call.call_id,
                    call.dialed_at.isoformat())


def _repair_index(numbers: list[PoolNumber], index: Sequence[IndexRow], deps: Ports, report: ExpiryReport) -> None:
    """Index drift (rows written before the index existed, or by hand): an in-service number without its free
    slot is put back, a row naming no current state (a leased or retired number's old slot, a hint of a lease
    that ended) is removed. Each repair is conditional, so a lease taken meanwhile is never undone."""
    stale, missing = stale_index(numbers, index, deps.clock.now())
    for row in stale:
        if deps.pool.drop_index(row):
            report.index_repaired.append(row.number)
            if row.kind == "free":
                log.warning("pool index: removed a free slot of %s that named no current state",
                            mask_phone(row.number))
    for n in missing:
        if deps.pool.index_number(n):
            report.index_repaired.append(n.number)
            log.warning("pool index: %s was missing from the free-number index; put back", mask_phone(n.number))


def _release_expired(numbers: list[PoolNumber], calls: dict[str, EmergencyCall], deps: Ports, policy: LeasePolicy,
                     report: ExpiryReport) -> None:
    now = deps.clock.now()
    for n in numbers:
        if n.lease is not None and n.active_lease(now) is None and deps.pool.replace(n, policy.release(n, now)):
            report.released.append(n.number)
            log.info("callback number %s released from call %s into quarantine", mask_phone(n.number),
                     n.lease.call_id)
        elif n.lease is not None and policy.unclaimed_over(n.lease, now) and \
                not _hold_became_call(n, calls.get(n.lease.call_id)) and \
                deps.pool.replace(n, policy.release_unclaimed(n)):  # conditional: a claim meanwhile wins
            report.released.append(n.number)
            log.info("callback number %s: the pre-dial hold of %s saw no dial; released", mask_phone(n.number),
                     n.lease.call_id)
    # Releasing changes no number's state (an expired lease already counts as quarantined or free when read),
    # so the levels come from the same read.
    for region in sorted({n.region for n in numbers}):
        in_region = [n for n in numbers if n.region == region]
        # With the shares that show a drain: live leases of test calls, and the most one agent holds.
        report.pool_levels[region] = count_states(in_region, now, policy.quarantine) | pool_shares(in_region, now)


def _hold_became_call(n: PoolNumber, call: EmergencyCall | None) -> bool:
    """Whether a pre-dial hold's call was placed with it: its record names this number, or was written without
    knowing one (an end, or a report, whose dial never reached the backend). A recorded call that holds another
    number leaves the hold to be released."""
    return call is not None and (call.callback_number == n.number or
                                 (call.callback_number is None and call.origin in ("end", "reported")))


def _reconcile_leases(numbers: list[PoolNumber], calls: dict[str, EmergencyCall], deps: Ports,
                      policy: LeasePolicy, report: ExpiryReport) -> None:
    """A live lease without an incident (its dial died in between) becomes one, to be announced; a live lease
    whose incident has ended (the end died before settling it) is settled."""
    now = deps.clock.now()
    for n in numbers:
        lease = n.active_lease(now)
        # A pre-dial hold is no call, unless its call was recorded without a number (an end whose dial never came).
        if lease is None or not lease.live or (lease.unclaimed and not _hold_became_call(n, calls.get(lease.call_id))):
            continue
        call = calls.get(lease.call_id)
        if call is not None and call.ended_at is not None and call.described:
            ending.settle_lease(call.call_id, n.number, call.ended_at, deps, policy)
            report.leases_settled.append(call.call_id)
        elif (call is None or not call.described) and now - lease.leased_at > ORPHAN_GRACE:
            rebuilt = _recover(n, call, deps, policy)
            if rebuilt is not None:
                calls[rebuilt.call_id] = rebuilt
                report.recovered.append(rebuilt.call_id)


def _recover(n: PoolNumber, tomb: EmergencyCall | None, deps: Ports, policy: LeasePolicy) -> EmergencyCall | None:
    """The incident of a lease whose dial died before writing it (or whose end came first: a tombstone), from the
    lease and the agent's profile, not yet announced; its identity window opened as the dial would have."""
    lease = n.lease
    assert lease is not None
    rebuilt = _from_lease(n, deps.agents.get(lease.agent_id), policy)
    if tomb is None:
        if not deps.calls.create(rebuilt):
            return None  # written meanwhile
    else:
        loaded = deps.calls.get(lease.call_id)
        if loaded is None or loaded[0].described:
            return None
        rebuilt = replace(loaded[0].filled_from(rebuilt, policy), announced=False,
                          origin="lease")
        try:
            deps.calls.save(rebuilt, loaded[1])
        except Conflict:
            return None  # CallStarted filled it meanwhile
    if rebuilt.acs_user_id:
        until = policy.live_hold(rebuilt.dialed_at) if rebuilt.in_progress else rebuilt.callback_until
        deps.windows.open(CallbackWindow(rebuilt.acs_user_id, rebuilt.agent_id, rebuilt.call_id,
                                         until or rebuilt.dialed_at + policy.window, rebuilt.test))
    ending.settle_end(rebuilt, deps, policy)
    log.warning("emergency call %s: incident rebuilt from its lease of %s (its dial died)", rebuilt.call_id,
                mask_phone(n.number))
    return rebuilt


def _from_lease(n: PoolNumber, agent: Agent | None, policy: LeasePolicy) -> EmergencyCall:
    lease = n.lease
    assert lease is not None
    return EmergencyCall(call_id=lease.call_id, agent_id=lease.agent_id,
                         dialed_number=lease.dialed_number or ("933" if lease.test else "emergency number"),
                         country=lease.country, test=lease.test, dialed_at=lease.leased_at,
                         agent_name=agent.display_name if agent else lease.agent_id,
                         acs_user_id=lease.acs_user_id, callback_number=n.number, callback_source="pool",
                         callback_until=lease.leased_at + policy.window_for(lease.test),
                         location=agent.last_location if agent else None,
                         warnings=({"code": "recovered", "message": "rebuilt from the callback lease; the location "
                                    "is the agent's last known one"},), origin="lease")


def _settle_windows(calls: dict[str, EmergencyCall], deps: Ports, policy: LeasePolicy) -> None:
    """The identity window of a recent call with a recorded end, in case the end died before settling it."""
    horizon = deps.clock.now() - policy.max_call - policy.window
    for call in calls.values():
        if call.ended_at is not None and call.described and call.acs_user_id and call.dialed_at > horizon:
            ending.settle_window(call, call.ended_at, deps, policy)


def _restore_stuck_presence(calls: dict[str, EmergencyCall], deps: Ports, policy: LeasePolicy,
                            report: ExpiryReport) -> None:
    """DND whose call has a recorded end (its CallEnded was lost), or held past the maximum call length."""
    now = deps.clock.now()
    for p in deps.presence.in_emergency():
        if p.emergency_call_id is None:
            continue
        call = calls.get(p.emergency_call_id)
        ended = call is not None and call.ended_at is not None
        if not ended and not is_stuck(p, now, policy.max_call):
            continue
        if not ended:
            log.warning("agent %s held in emergency DND since %s without an end signal: ending call %s",
                        p.agent_id, p.emergency_since, p.emergency_call_id)
            started = call.dialed_at if call is not None else p.emergency_since
            try:
                calls[p.emergency_call_id] = ending.end_emergency_call(
                    p.emergency_call_id, "timeout", deps, policy, agent_id=p.agent_id,
                    at=safety_net_end(started, now, policy))
            except Exception as exc:  # storage flaky or the bus down: still restore the presence
                log.warning("could not record the end of %s: %s", p.emergency_call_id, exc)
        try:
            on_call_ended(p.agent_id, p.emergency_call_id, deps)
            report.presence_restored.append(p.agent_id)
        except Conflict:
            log.warning("presence of %s changed meanwhile; next run retries", p.agent_id)


def safety_net_end(started: datetime | None, now: datetime, policy: LeasePolicy) -> datetime:
    """When the safety net ends a call that never sent an end: at the maximum call length, however late the timer
    runs, so its window is the one its lease and identity were held for while it was live (dial + max_call +
    window), and the incident never promises a longer hold than is in force."""
    return min(now, started + policy.max_call) if started is not None else now


def _end_overdue_calls(calls: dict[str, EmergencyCall], deps: Ports, policy: LeasePolicy,
                       report: ExpiryReport) -> None:
    """The safety net for calls no presence held (an unknown agent): ended at the maximum call length, so their
    lease and window run out a window later."""
    now = deps.clock.now()
    for call in list(calls.values()):
        if call.in_progress and call.described and now - call.dialed_at > policy.max_call:
            try:
                calls[call.call_id] = ending.end_emergency_call(call.call_id, "timeout", deps, policy,
                                                                at=safety_net_end(call.dialed_at, now, policy))
                report.timed_out.append(call.call_id)
            except Exception as exc:  # next run
                log.warning("could not end overdue emergency call %s: %s", call.call_id, exc)


def _purge_incidents(calls: list[EmergencyCall], deps: Ports, retention: timedelta, report: ExpiryReport,
                     purge_related: Callable[[str], object]) -> None:
    cutoff = deps.clock.now() - retention
    for call in calls:
        last = call.ended_at or call.dialed_at
        if last < cutoff and (call.callback_until is None or call.callback_until < cutoff):
            purge_related(call.call_id)  # first: a failure here leaves the incident to be purged next run
            if call.acs_user_id:
                deps.windows.forget(call.acs_user_id, call.agent_id, call.call_id)
            deps.calls.delete(call.call_id)
            report.incidents_purged += 1
