"""The dial's last step: record the emergency call, open its callback window and publish CallStarted, at once.

Each follows from the lease (or, on the direct-offer path, stands alone), so any of them may land first. A crash
leaves one of: nothing (the dialer dials anyway), the record (the timer publishes it, CallStarted opens the window),
the event (its handlers rebuild the record and open the window), or more. The record is marked announced after the
dialer has its answer: a mark lost with the process makes the timer publish once more, with the same event id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from shared.domain.calls import EmergencyCall
from shared.domain.lease import LeasePolicy
from shared.domain.routing import CallbackWindow
from shared.ports import Conflict, Ports, StoreError
from shared.services.ending import settle_end

log = logging.getLogger(__name__)

CALL_STARTED = "Emergency.CallStarted"


@dataclass
class Warnings:
    """Warnings for the dialer's answer, each logged for operations as it is added."""

    call_id: str
    items: list[dict[str, str]]

    def add(self, code: str, message: str, detail: object = None) -> None:
        """`detail` (an exception: host names, errno) goes to the log only, never to the caller."""
        log.warning("emergency call %s: %s: %s%s", self.call_id, code, message, f" ({detail!r})" if detail else "")
        self.items.append({"code": code, "message": message})


def keep(call: EmergencyCall, deps: Ports, policy: LeasePolicy, warnings: Warnings) -> EmergencyCall:
    """Record the call, open its window and publish CallStarted at once: each follows from the lease (or, on the
    direct-offer path, stands alone), so any of them may land first. A crash leaves one of: nothing (the dialer
    dials anyway), the record (the timer publishes it), the event (its handlers rebuild the record), or both."""
    kept, window_error, publish_error = deps.concurrency.all(
        partial(_record, call, deps, policy), partial(_open_window, call, deps, policy),
        partial(_publish, call, deps))
    recorded: EmergencyCall = kept[0]
    written, record_error = kept[1:]
    if record_error is not None:
        warnings.add("storage_unavailable", "emergency call record not written", record_error)
    if window_error is None and _window_until(recorded, policy) != _window_until(call, policy):
        window_error = _open_window(recorded, deps, policy)  # an end came first: the window follows it
    if window_error is not None:
        warnings.add("storage_unavailable", "callback window not opened for the agent's identity", window_error)
    if publish_error is not None:
        warnings.add("event_not_published", "CallStarted not published", publish_error)
        if not written:
            warnings.add("not_recorded", "nothing of this emergency call could be recorded or announced (storage "
                         "and event bus unavailable): the backend cannot notify your contacts about it; tell your "
                         "supervisor or security desk yourself")
    elif written and not recorded.announced:
        deps.concurrency.later(partial(_mark_announced, recorded.call_id, deps))
    return recorded


def _record(call: EmergencyCall, deps: Ports,
            policy: LeasePolicy) -> tuple[EmergencyCall, bool, StoreError | None]:
    """Insert the incident, not yet announced (the outbox: the timer publishes what the dial could not); a
    retried request with the same id answers from the existing record, and an end that came first (a tombstone)
    is filled in with this dial's account of the call. (call as recorded, written, what failed)"""
    try:
        for _ in range(3):
            if deps.calls.create(call):
                return call, True, None
            loaded = deps.calls.get(call.call_id)
            if loaded is None:
                continue
            existing, version = loaded
            if existing.origin == "event" and call.warnings and not existing.warnings:
                # CallStarted (published at once with this insert) was handled first and wrote the record from
                # the event, which carries no warnings: the incident keeps the dial's own account of them.
                try:
                    deps.calls.save(replace(existing, warnings=call.warnings, origin="dial"), version)
                except Conflict:
                    continue
                return replace(existing, warnings=call.warnings, origin="dial"), True, None
            if existing.origin not in ("end", "reported"):
                return existing, True, None
            filled = replace(existing.filled_from(call, policy), announced=False,
                             origin="dial")
            try:
                deps.calls.save(filled, version)
            except Conflict:
                continue
            settle_end(filled, deps, policy)
            return filled, True, None
    except StoreError as exc:
        return call, False, exc
    return call, False, None


def _window_until(call: EmergencyCall, policy: LeasePolicy) -> datetime:
    return policy.window_until(call.dialed_at, call.ended_at, call.test)


def _open_window(call: EmergencyCall, deps: Ports, policy: LeasePolicy) -> StoreError | None:
    """Direct offer: ACS routes the responder's callback to the agent's identity; recognise it for the window."""
    if not call.acs_user_id:
        return None
    try:
        deps.windows.open(CallbackWindow(call.acs_user_id, call.agent_id, call.call_id,
                                         _window_until(call, policy), call.test))
    except StoreError as exc:
        return exc
    return None


def announce(call: EmergencyCall, deps: Ports) -> None:
    """Publish Emergency.CallStarted, then mark the record announced (the timer's repeat, after a crash between
    the dial's two steps). The same event id each time, so a repeat is a duplicate downstream handlers drop."""
    publish_started(call, deps)
    deps.calls.mark_announced(call.call_id)


def publish_started(call: EmergencyCall, deps: Ports) -> None:
    """Emergency.CallStarted (presence, notification). The event describes the call, so the contacts are told
    even if the incident record was not written."""
    data = {"emergencyCallId": call.call_id, "agentId": call.agent_id, "test": call.test,
            "dialedAt": call.dialed_at.isoformat(), "agentName": call.agent_name,
            "dialedNumber": call.dialed_number, "countryCode": call.country,
            "callbackNumber": call.callback_number, "callbackSource": call.callback_source,
            "callbackUntil": call.callback_until.isoformat() if call.callback_until else None,
            "path": call.path, "callerId": call.caller_id,
            "location": call.location, "acsUserId": call.acs_user_id}
    deps.events.publish(CALL_STARTED, f"agents/{call.agent_id}/emergency-calls/{call.call_id}", data,
                        f"{call.call_id}:started")


def _publish(call: EmergencyCall, deps: Ports) -> Exception | None:
    try:
        publish_started(call, deps)
    except Exception as exc:  # the dial goes ahead; the record says pending and the timer publishes it
        return exc
    return None


def _mark_announced(call_id: str, deps: Ports) -> None:
    try:
        deps.calls.mark_announced(call_id)
    except StoreError as exc:  # published; the record still says pending, so the timer publishes once more
        log.warning("emergency call %s: CallStarted published, not marked as such: %s", call_id, exc)
