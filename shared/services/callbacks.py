"""Use case: the emergency responder calls back. One point read, one decision, one redirect — within the ring.

Never creates a routing job or queues the call; presence, capacity and queue rules are not consulted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from shared.domain.numbers import mask_phone
from shared.domain.routing import Decision, IncomingCall, Outcome, decide_identity, decide_pool_number, is_stale
from shared.ports import CallControlError, Conflict, Ports, StoreError

log = logging.getLogger(__name__)

CALLBACK_ROUTED = "Emergency.CallbackRouted"


@dataclass(frozen=True)
class RouteResult:
    outcome: str
    decision: Decision | None = None
    redirect_ms: float | None = None


def route_callback(call: IncomingCall, deps: Any, max_age: timedelta, fallback: str | None) -> RouteResult:
    """Decide and redirect; duplicates and stale events do nothing. Raises CallControlError (retry) on failure."""
    now = deps.clock.now()
    if is_stale(call, now, max_age):
        log.warning("IncomingCall %s is %.1fs old: dropped, the call has stopped ringing", call.event_id,
                    (now - call.event_time).total_seconds())
        return RouteResult(Outcome.DROPPED_STALE.value)
    decision = _decide(call, deps, now, fallback)
    if decision.outcome is Outcome.NOT_OURS:
        return RouteResult(decision.outcome.value, decision)
    if decision.target is None:
        log.error("callback to pool number %s has no live lease and CALLBACK_FALLBACK_TARGET is not set: "
                  "left to normal routing", mask_phone(call.to_phone))
        return RouteResult("no_fallback", decision)
    claimed = _claim(call, deps)
    if claimed is False:
        log.info("IncomingCall %s is a duplicate: no second redirect", call.event_id)
        return RouteResult("duplicate", decision)
    try:
        deps.call_control.redirect(call.incoming_call_context, decision.target)
    except CallControlError:
        if claimed:
            deps.incoming.unclaim(call.dedup_key)  # let the redelivery try again
        raise
    elapsed = (deps.clock.now() - call.event_time).total_seconds() * 1000
    log.info("callback %s %s to %s (%s) for emergency call %s", call.event_id, decision.outcome.value,
             decision.agent_id or "fallback", decision.reason, decision.call_id)
    return RouteResult(decision.outcome.value, decision, elapsed)


def _claim(call: IncomingCall, deps: Any) -> bool | None:
    """True for the first delivery, False for a duplicate, None when storage cannot tell (the redirect goes ahead:
    a second redirect of the same call is harmless, a missed one is not)."""
    try:
        return bool(deps.incoming.claim(call.dedup_key, call.event_id))
    except StoreError as exc:
        log.error("IncomingCall %s: duplicate check unavailable (%s); redirecting anyway", call.event_id, exc)
        return None


def _decide(call: IncomingCall, deps: Any, now: Any, fallback: str | None) -> Decision:
    if call.to_phone is not None:
        try:
            number = deps.pool.get(call.to_phone)
        except StoreError as exc:
            # The IncomingCall subscription only sends pool numbers and agents' identities: with the lease
            # unreadable, the security desk answers rather than nobody.
            log.error("callback to %s: lease unreadable (%s); sent to the fallback target",
                      mask_phone(call.to_phone), exc)
            return Decision(Outcome.FALLBACK, fallback, reason="storage unavailable")
        return decide_pool_number(number, now, fallback)
    if call.to_raw_id.startswith("8:"):
        try:
            return decide_identity(deps.windows.by_identity(call.to_raw_id), now)
        except StoreError as exc:
            # A call to the identity rings that agent anyway; without the window there is nothing to add.
            log.error("callback to %s: window unreadable (%s); left as addressed", call.to_raw_id, exc)
            return Decision(Outcome.NOT_OURS, reason="storage unavailable")
    return Decision(Outcome.NOT_OURS, reason="neither a phone number nor an ACS identity")


def record_callback(call: IncomingCall, result: RouteResult, deps: Ports) -> None:
    """After the redirect has left: note it on the incident and announce it. Failures here are only logged."""
    decision = result.decision
    if decision is None or result.outcome not in (Outcome.REDIRECTED.value, Outcome.FALLBACK.value):
        return
    entry = {"at": deps.clock.now().isoformat(), "outcome": result.outcome, "target": decision.target,
             "agentId": decision.agent_id, "eventId": call.event_id, "serverCallId": call.server_call_id,
             # The incident is restricted (admin API only) and keeps numbers whole, like its callback number.
             "to": call.to_phone or call.to_raw_id, "from": call.from_raw_id}
    try:
        if decision.call_id:
            _append_callback(decision.call_id, entry, deps)
        deps.events.publish(CALLBACK_ROUTED, f"agents/{decision.agent_id or 'fallback'}/callbacks",
                            {"emergencyCallId": decision.call_id, "agentId": decision.agent_id,
                             "outcome": result.outcome, "target": decision.target, "at": entry["at"]},
                            f"{call.dedup_key}:routed")
    except Exception as exc:  # the callback is already on its way; the record is secondary
        log.warning("callback %s routed but not recorded: %s", call.event_id, exc)


def _append_callback(call_id: str, entry: dict[str, Any], deps: Ports) -> None:
    for _ in range(5):
        loaded = deps.calls.get(call_id)
        if loaded is None:
            return
        record, version = loaded
        try:
            deps.calls.save(replace(record, callbacks=(*record.callbacks, entry)), version)
            return
        except Conflict:
            continue
