"""Use case: the every-minute housekeeping. Safe to miss runs or run twice: every decision is from timestamps."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from shared.domain.calls import EmergencyCall
from shared.domain.lease import LeasePolicy, count_states
from shared.domain.numbers import mask_phone
from shared.domain.presence import is_stuck
from shared.ports import Conflict, Ports
from shared.services import ending
from shared.services.outbound import announce
from shared.services.presence import on_call_ended

log = logging.getLogger(__name__)


@dataclass
class ExpiryReport:
    released: list[str] = field(default_factory=list)
    presence_restored: list[str] = field(default_factory=list)
    incidents_purged: int = 0
    reannounced: list[str] = field(default_factory=list)
    pool_levels: dict[str, dict[str, int]] = field(default_factory=dict)


def run_expiry(deps: Ports, policy: LeasePolicy, max_call: timedelta, retention: timedelta,
               purge_related: Callable[[str], object] = lambda call_id: None) -> ExpiryReport:
    """Release expired leases into quarantine, restore presence stuck in emergency DND, purge old incidents
    (and, through `purge_related`, what else is kept per incident, such as its delivery records)."""
    report = ExpiryReport()
    _release_expired(deps, policy, report)
    _restore_stuck_presence(deps, policy, max_call, report)
    calls = deps.calls.list()
    _reannounce(calls, deps, policy, report)
    _purge_incidents(calls, deps, retention, report, purge_related)
    return report


def _reannounce(calls: list[EmergencyCall], deps: Ports, policy: LeasePolicy, report: ExpiryReport) -> None:
    """Publish CallStarted again for calls whose dial could not publish it, while their callback window lasts:
    otherwise nobody would be notified and the agent's presence would not change."""
    now = deps.clock.now()
    for call in calls:
        if call.announced or now > (call.callback_until or call.dialed_at + policy.window):
            continue
        try:
            announce(call, deps)
        except Exception as exc:  # still unreachable: next run
            log.error("emergency call %s: CallStarted still not published: %s", call.call_id, exc)
            continue
        loaded = deps.calls.get(call.call_id)
        if loaded is not None:
            with contextlib.suppress(Conflict):  # changed meanwhile: the next run publishes once more, harmlessly
                deps.calls.save(replace(loaded[0], announced=True), loaded[1])
        report.reannounced.append(call.call_id)
        log.warning("emergency call %s: CallStarted published by the timer after the dial could not", call.call_id)


def _release_expired(deps: Ports, policy: LeasePolicy, report: ExpiryReport) -> None:
    now = deps.clock.now()
    numbers = deps.pool.list_all()
    for n in numbers:
        if n.lease is not None and n.active_lease(now) is None and deps.pool.replace(n, policy.release(n, now)):
            report.released.append(n.number)
            log.info("callback number %s released from call %s into quarantine", mask_phone(n.number),
                     n.lease.call_id)
    # Releasing changes no number's state (an expired lease already counts as quarantined or free when read),
    # so the levels come from the same read.
    for region in sorted({n.region for n in numbers}):
        report.pool_levels[region] = count_states([n for n in numbers if n.region == region], now, policy.quarantine)


def _restore_stuck_presence(deps: Ports, policy: LeasePolicy, max_call: timedelta, report: ExpiryReport) -> None:
    now = deps.clock.now()
    for p in deps.presence.in_emergency():
        if not is_stuck(p, now, max_call) or p.emergency_call_id is None:
            continue
        log.warning("agent %s held in emergency DND since %s without an end signal: ending call %s",
                    p.agent_id, p.emergency_since, p.emergency_call_id)
        try:
            ending.end_emergency_call(p.emergency_call_id, "timeout", deps, policy)
        except Exception as exc:  # the record may be gone or storage flaky: still restore the presence
            log.warning("could not record the end of %s: %s", p.emergency_call_id, exc)
        try:
            on_call_ended(p.agent_id, p.emergency_call_id, deps)
            report.presence_restored.append(p.agent_id)
        except Conflict:
            log.warning("presence of %s changed meanwhile; next run retries", p.agent_id)


def _purge_incidents(calls: list[EmergencyCall], deps: Ports, retention: timedelta, report: ExpiryReport,
                     purge_related: Callable[[str], object]) -> None:
    cutoff = deps.clock.now() - retention
    for call in calls:
        last = call.ended_at or call.dialed_at
        if last < cutoff and (call.callback_until is None or call.callback_until < cutoff):
            purge_related(call.call_id)  # first: a failure here leaves the incident to be purged next run
            deps.calls.delete(call.call_id)
            report.incidents_purged += 1
