"""Use case: the emergency responder calls back. One point read, one decision, one redirect — within the ring.

Never creates a routing job or queues the call; presence, capacity and queue rules are not consulted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from shared.config import SettingError
from shared.domain.numbers import mask_phone
from shared.domain.routing import (
    Decision,
    IncomingCall,
    Outcome,
    decide_identity,
    decide_pool_number,
    in_force,
    is_stale,
)
from shared.ports import CallControlError, ClaimState, Conflict, Ports, StoreError

log = logging.getLogger(__name__)

# How long a delivery holds a ringing call's redirect before another delivery may take it over: longer than the
# redirect's own time limit (adapters/acs_calls.py), shorter than Event Grid's first retry (10 s after a failure).
CLAIM_HOLD = timedelta(seconds=10)
CLAIM_POLL = 0.1
CALLBACK_ROUTED = "Emergency.CallbackRouted"
# What the incident records: the redirects, and the calls that already ring the agent's identity.
RECORDED = (Outcome.REDIRECTED.value, Outcome.FALLBACK.value, Outcome.RINGING_DIRECT.value)
# A redirect raises a new IncomingCall for its target (FACTS.md): within a ring, it is the same callback.
REDIRECT_ECHO = timedelta(seconds=30)


@dataclass(frozen=True)
class RouteResult:
    outcome: str
    decision: Decision | None = None
    redirect_ms: float | None = None
    setting_error: SettingError | None = None  # a missing/malformed setting stopped the redirect (permanent)


def route_callback(call: IncomingCall, deps: Any, max_age: timedelta, fallback: str | None) -> RouteResult:
    """Decide and redirect; duplicates and stale events do nothing. Raises CallControlError (retry) on failure."""
    now = deps.clock.now()
    if is_stale(call, now, max_age):
        log.warning("IncomingCall %s is %.1fs old: dropped, the call has stopped ringing", call.event_id,
                    (now - call.event_time).total_seconds())
        return RouteResult(Outcome.DROPPED_STALE.value)
    decision, claimed = _decide_and_claim(call, deps, now, fallback)
    if decision.outcome in (Outcome.NOT_OURS, Outcome.RINGING_DIRECT) or decision.target is None:
        if claimed is ClaimState.WON:
            _release(call, deps)  # not a call to redirect after all: a later delivery decides afresh
        if decision.outcome is Outcome.RINGING_DIRECT:
            log.info("callback %s rings agent %s directly (emergency call %s): not redirected", call.event_id,
                     decision.agent_id, decision.call_id)
        if decision.target is None and decision.outcome is Outcome.FALLBACK:
            log.error("callback to pool number %s has no live lease and CALLBACK_FALLBACK_TARGET is not set: "
                      "left to normal routing", mask_phone(call.to_phone))
            return RouteResult("no_fallback", decision)
        return RouteResult(decision.outcome.value, decision)
    if claimed is not ClaimState.WON and claimed is not None:
        log.info("IncomingCall %s is a duplicate (%s): no second redirect", call.event_id, claimed.value)
        return RouteResult("duplicate", decision)
    try:
        deps.call_control.redirect(call.incoming_call_context, decision.target)
    except (CallControlError, SettingError) as exc:
        if claimed is ClaimState.WON:
            _release(call, deps)  # let the redelivery try again
        if isinstance(exc, SettingError):  # no redelivery can help: recorded and acknowledged instead
            return RouteResult("setting_missing", decision, setting_error=exc)
        raise
    _complete(call, deps)
    elapsed = (deps.clock.now() - call.event_time).total_seconds() * 1000
    log.info("callback %s %s to %s (%s) for emergency call %s", call.event_id, decision.outcome.value,
             decision.agent_id or "fallback", decision.reason, decision.call_id)
    return RouteResult(decision.outcome.value, decision, elapsed)


def _decide_and_claim(call: IncomingCall, deps: Any, now: datetime,
                      fallback: str | None) -> tuple[Decision, ClaimState | None]:
    """A call to a phone number is a pool number's (the IncomingCall subscription sends no other numbers) and is
    redirected, to its agent or the fallback: the lease is read and the call claimed at once, so the redirect
    waits for one round trip, not two. A call to an identity rings her where it is: never claimed."""
    if call.to_phone is None:
        return _decide(call, deps, now, fallback), None
    decision, claimed = deps.concurrency.all(partial(_decide, call, deps, now, fallback),
                                             partial(_claim, call, deps, now))
    return decision, claimed


def _claim(call: IncomingCall, deps: Any, now: datetime) -> ClaimState | None:
    """WON for the first delivery, DONE for a duplicate of a redirected call, None when storage cannot tell (the
    redirect goes ahead: a second redirect of the same call is harmless, a missed one is not).

    A claim held by another delivery (BUSY) is waited on while it lasts: its holder either completes it (DONE) or
    died, and then its claim expires and is taken over here (WON). Backing off at once would lose the callback
    whenever the holder died, as Event Grid does not deliver again an event that was answered 200.
    """
    deadline = time.monotonic() + CLAIM_HOLD.total_seconds() + 1
    try:
        while True:
            state = deps.incoming.claim(call.dedup_key, call.event_id, now, now + CLAIM_HOLD)
            if state is not ClaimState.BUSY or time.monotonic() > deadline:
                return cast(ClaimState, state)
            time.sleep(CLAIM_POLL)
            now = deps.clock.now()
    except StoreError as exc:
        log.error("IncomingCall %s: duplicate check unavailable (%s); redirecting anyway", call.event_id, exc)
        return None


def _complete(call: IncomingCall, deps: Any) -> None:
    try:
        deps.incoming.complete(call.dedup_key)
    except StoreError as exc:  # the redirect has left; a redelivery may redirect once more, harmlessly
        log.warning("IncomingCall %s redirected, not recorded as done: %s", call.event_id, exc)


def _release(call: IncomingCall, deps: Any) -> None:
    try:
        deps.incoming.unclaim(call.dedup_key, call.event_id)
    except StoreError as exc:  # the claim expires by itself; the redelivery takes it over then
        log.warning("IncomingCall %s: claim not released: %s", call.event_id, exc)


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
        if (call.from_raw_id or "").startswith("8:"):
            # A colleague's or a Teams user's call to her identity: the responder calls from the phone network.
            return Decision(Outcome.NOT_OURS, reason="a call from another identity, not the phone network")
        try:
            return decide_identity(in_force(deps.windows.by_identity(call.to_raw_id), now), now)
        except StoreError as exc:
            # A call to the identity rings that agent anyway; without the window there is nothing to add.
            log.error("callback to %s: window unreadable (%s); left as addressed", call.to_raw_id, exc)
            return Decision(Outcome.NOT_OURS, reason="storage unavailable")
    return Decision(Outcome.NOT_OURS, reason="neither a phone number nor an ACS identity")


def record_callback(call: IncomingCall, result: RouteResult, deps: Ports) -> None:
    """After the redirect has left: note it on the incident and announce it. Failures here are only logged."""
    decision = result.decision
    if decision is None or (result.outcome not in RECORDED and result.setting_error is None):
        return
    entry = {"at": deps.clock.now().isoformat(), "outcome": result.outcome, "target": decision.target,
             "agentId": decision.agent_id, "eventId": call.event_id, "serverCallId": call.server_call_id,
             "key": call.dedup_key,
             # The incident is restricted (admin API only) and keeps numbers whole, like its callback number.
             "to": call.to_phone or call.to_raw_id, "from": call.from_raw_id}
    if result.setting_error is not None:
        entry["problem"] = str(result.setting_error)
    try:
        if decision.call_id and not _append_callback(decision.call_id, entry, deps):
            return
        deps.events.publish(CALLBACK_ROUTED, f"agents/{decision.agent_id or 'fallback'}/callbacks",
                            {"emergencyCallId": decision.call_id, "agentId": decision.agent_id,
                             "outcome": result.outcome, "target": decision.target, "at": entry["at"],
                             **({"problem": entry["problem"]} if "problem" in entry else {})},
                            f"{call.dedup_key}:routed")
    except Exception as exc:  # the callback is already on its way; the record is secondary
        log.warning("callback %s routed but not recorded: %s", call.event_id, exc)


def _append_callback(call_id: str, entry: dict[str, Any], deps: Ports) -> bool:
    """Recorded once per ringing call (a redelivery finds its entry); False when the call is the IncomingCall our
    own redirect raised for the agent's identity, which is no callback of its own. Whichever of the two is
    recorded first, the redirect is what the incident keeps (it names the number called and the target)."""
    for _ in range(5):
        loaded = deps.calls.get(call_id)
        if loaded is None:
            return True
        record, version = loaded
        if any(old.get("key") == entry["key"] and old.get("outcome") == entry["outcome"] for old in record.callbacks):
            return True  # recorded; the announcement below may not have left yet, and repeats with the same id
        if entry["outcome"] == Outcome.RINGING_DIRECT.value and any(
                _same_ring(old, entry) for old in record.callbacks if old.get("outcome") == Outcome.REDIRECTED.value):
            return False
        kept = record.callbacks
        if entry["outcome"] == Outcome.REDIRECTED.value:  # the echo came first: the redirect takes its place
            kept = tuple(old for old in kept
                         if not (old.get("outcome") == Outcome.RINGING_DIRECT.value and _same_ring(old, entry)))
        try:
            deps.calls.save(replace(record, callbacks=(*kept, entry)), version)
            return True
        except Conflict:
            continue
    return True


def _same_ring(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same responder's call: the same key, or the same caller within a ring of each other (a redirect's
    IncomingCall for its target may carry another correlation id), in either order."""
    if a.get("key") and a.get("key") == b.get("key"):
        return True
    gap = abs(datetime.fromisoformat(a["at"]) - datetime.fromisoformat(b["at"]))
    return a.get("from") == b.get("from") and gap < REDIRECT_ECHO
