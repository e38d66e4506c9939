"""Use case: the security desk's live emergency board (issue 21) — every emergency call in progress and every open
callback window, never a normal call (only emergency calls have incident records).

One read of the board's index (CallStore.on_board: the calls going on, not the history), then per call its record,
its delivery records and its escalation steps, all at once. A call whose window has closed is dropped from the index
after the answer. The answer holds no clock but a callback's ringing state (the minutes since each dial are counted
by the page from `dialedAt` and the server's now, sent beside it as NOW_HEADER), so its tag (`etag`) stays the same
between polls until something on the board changes: 50 calls dialed at different seconds would otherwise change the
board's minutes, and its tag, nearly every second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.escalation import Step, acknowledged_enough
from shared.ports import CallStore, Clock, Concurrency, DeliveryStore, EscalationStore, StoreError
from shared.services.acknowledge import acknowledgements, board_member, within_window
from shared.services.panel import RING_TIME, RINGING_OUTCOMES

log = logging.getLogger(__name__)
NOW_HEADER = "X-Server-Now"
NOTIFYING = ("email", "sms", "voice")  # the channels that tell someone (board records are desk members' answers)


class BoardPorts(Protocol):
    clock: Clock
    calls: CallStore
    deliveries: DeliveryStore
    escalations: EscalationStore
    concurrency: Concurrency


Loaded = tuple[EmergencyCall | None, list[Delivery], list[Step]]


def minutes_since_dial(call: dict[str, Any], now: datetime) -> int:
    """What the page shows beside a call: whole minutes from its dial to the server's now."""
    return max(0, int((now - datetime.fromisoformat(call["dialedAt"])) / timedelta(minutes=1)))


def board(deps: BoardPorts) -> dict[str, Any]:
    """The board now: calls in progress first, then open windows, newest dial first. StoreError when the index
    cannot be read; a call whose records cannot be read is shown from what was read, never dropped."""
    now = deps.clock.now()
    ids = deps.calls.on_board()
    loaded = deps.concurrency.all(*(partial(_load, call_id, deps) for call_id in ids))
    rows, closed = [], []
    for call_id, (call, records, steps) in zip(ids, loaded, strict=True):
        if call is None or not call.described or not _on_board(call, now):
            if call is None or not within_window(call, now) or not call.described:
                closed.append(call_id)
            continue
        rows.append(entry(call, records, steps, now))
    if closed:
        deps.concurrency.later(partial(_drop, closed, deps))
    rows.sort(key=lambda r: r["dialedAt"], reverse=True)
    rows.sort(key=lambda r: not r["inProgress"])  # stable: newest first within each group
    return {"calls": rows, "inProgress": sum(1 for r in rows if r["inProgress"]),
            "windowsOpen": sum(1 for r in rows if not r["inProgress"])}


def etag(view: dict[str, Any]) -> str:
    """A strong tag of the board's content (the same board, the same tag, on every instance)."""
    digest = hashlib.sha256(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f'"board-{digest}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (a list, weak forms and * included: RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in wanted or tag in wanted


def entry(call: EmergencyCall, records: list[Delivery], steps: list[Step], now: datetime) -> dict[str, Any]:
    """One call as the board shows it (no contact address: acknowledgements masked, desk members by name)."""
    where = call.location or {}
    acks = acknowledgements(call, records)
    sent = [d for d in records if d.channel in NOTIFYING]
    return {
        "emergencyCallId": call.call_id, "agentId": call.agent_id, "agentName": call.agent_name or call.agent_id,
        "dialedNumber": call.dialed_number, "test": call.test, "inProgress": call.in_progress,
        "dialedAt": call.dialed_at.isoformat(), "endedAt": call.ended_at.isoformat() if call.ended_at else None,
        "site": where.get("siteName"), "floor": where.get("floor"), "room": where.get("room"),
        "location": where.get("readout") or where.get("address"),
        "callbackNumber": call.callback_number,
        "callbackWindowEndsAt": call.callback_until.isoformat() if call.callback_until else None,
        "notification": {
            "notified": len({d.recipient.casefold() for d in sent if d.status == "accepted"}),
            "failed": len({d.recipient.casefold() for d in sent if d.status == "failed" and d.final}),
            "pending": len({d.recipient.casefold() for d in sent if not d.settled}),
            "warnings": [d.reason or d.recipient for d in records if d.channel == "none"],
            "acknowledgements": acks,
            "deskMembers": sorted(board_member(d.recipient)[1] for d in records
                                  if d.channel == "board" and d.acknowledged),
        },
        "escalation": _next_step(steps, records),
        "callback": _ringing(call, now),
    }


def _on_board(call: EmergencyCall, now: datetime) -> bool:
    return call.in_progress or (call.callback_until is not None and call.callback_until > now)


def _next_step(steps: list[Step], records: list[Delivery]) -> dict[str, Any] | None:
    """The soonest step still to run, unless the acknowledgements so far make it unnecessary (it will be skipped)."""
    waiting = sorted((s for s in steps if s.status in ("pending", "running")), key=lambda s: s.due_at)
    if not waiting or acknowledged_enough(waiting[0], records):
        return None
    step = waiting[0]
    return {"tier": step.index, "name": step.tier.name, "dueAt": step.due_at.isoformat(), "status": step.status,
            "audiences": list(step.tier.audiences), "channels": list(step.tier.channels)}


def _ringing(call: EmergencyCall, now: datetime) -> dict[str, Any] | None:
    """The responder's latest callback routed to the agent: ringing for RING_TIME after it came, then routed."""
    routed = [c for c in call.callbacks if c.get("outcome") in RINGING_OUTCOMES]
    if not routed:
        return None
    at = datetime.fromisoformat(routed[-1]["at"])
    return {"status": "ringing" if now - at < RING_TIME else "routed", "at": routed[-1]["at"]}


def _load(call_id: str, deps: BoardPorts) -> Loaded:
    """The record, then (for a call still on the board) its deliveries and steps; a failed secondary read is
    logged and shown as nothing rather than losing the call from the board."""
    loaded = deps.calls.get(call_id)
    if loaded is None:
        return None, [], []
    records: list[Delivery] = []
    steps: list[Step] = []
    try:
        records = deps.deliveries.list(call_id)
        steps = deps.escalations.of_call(call_id)
    except StoreError as exc:
        log.warning("emergency call %s: notification state not readable for the board: %s", call_id, exc)
    return loaded[0], records, steps


def _drop(call_ids: list[str], deps: BoardPorts) -> None:
    for call_id in call_ids:
        try:
            deps.calls.off_board(call_id)
        except StoreError as exc:  # the next poll drops it
            log.warning("emergency call %s: not dropped from the board's index: %s", call_id, exc)


class Snapshots:
    """The board computed at most once per `fresh_for` seconds per process, whatever the number of screens polling:
    N screens cost one board's reads, not N. `clear` after a change made here (an acknowledgement)."""

    def __init__(self, fresh_for: float = 0.5, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fresh_for, self._monotonic = fresh_for, monotonic
        self._lock = threading.Lock()
        self._kept: tuple[float, dict[str, Any], str] | None = None

    def get(self, compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], str]:
        with self._lock:
            kept = self._kept
            if kept is not None and self._monotonic() - kept[0] < self._fresh_for:
                return kept[1], kept[2]
            started = self._monotonic()
            view = compute()
            self._kept = (started, view, etag(view))
            return view, self._kept[2]

    def clear(self) -> None:
        with self._lock:
            self._kept = None
