"""Use case: the security desk's live emergency board (issue 21) — every emergency call in progress and every open
callback window, never a normal call (only emergency calls have incident records).

One read of the board's index (CallStore.board_rows: the calls going on, not the history, each with the board's kept
summary of it); only the calls changed since their summary was kept are read in full (record, delivery records,
escalation steps, all at once), and their new summaries kept after the answer (adapters/table_board.py). A call
whose window has closed is dropped from the index after the answer.
The answer holds no clock but a callback's ringing state (the minutes since each dial are counted
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
from shared.ports import BoardRow, CallStore, Clock, Concurrency, DeliveryStore, EscalationStore, StoreError
from shared.services.acknowledge import acknowledgements, board_member, links_until
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


Loaded = tuple[EmergencyCall | None, list[Delivery], list[Step], bool]
# A kept summary is read again once it is this old, a few per poll: what a writer that died between its write and
# its change mark left behind shows at most this late (plus a poll per REFRESH_PER_POLL calls).
REFRESH_AFTER = timedelta(seconds=10)
REFRESH_PER_POLL = 5


def minutes_since_dial(call: dict[str, Any], now: datetime) -> int:
    """What the page shows beside a call: whole minutes from its dial to the server's now."""
    return max(0, int((now - datetime.fromisoformat(call["dialedAt"])) / timedelta(minutes=1)))


def board(deps: BoardPorts) -> dict[str, Any]:
    """The board now: calls in progress first, then open windows, newest dial first. StoreError when the index
    cannot be read; a call whose records cannot be read is shown from what was read, never dropped.

    One query of the index; a call whose kept summary is current is shown from it; the others (new, changed) are
    read in full, and so are at most REFRESH_PER_POLL summaries older than REFRESH_AFTER (a writer that died
    between its write and its change mark): the board's reads follow the changes, not the calls on it."""
    now = deps.clock.now()
    rows = deps.calls.board_rows()
    changed = [r for r in rows if r.summary is None or not r.current]
    aged = sorted((r for r in rows if r.summary is not None and r.current
                   and (r.summarized_at is None or now - r.summarized_at >= REFRESH_AFTER)),
                  key=lambda r: r.summarized_at or now)[:REFRESH_PER_POLL]
    loaded = deps.concurrency.all(*(partial(_load, r.call_id, deps) for r in changed + aged))
    summaries = {r.call_id: r.summary for r in rows if r.summary is not None}
    kept, closed = [], []
    for row, (call, records, steps, complete) in zip(changed + aged, loaded, strict=True):
        if call is None or not call.described:
            summaries.pop(row.call_id, None)
            closed.append(row.call_id)
            continue
        summaries[row.call_id] = summary(call, records, steps)
        if complete:
            kept.append((row, summaries[row.call_id]))
    shown = []
    for call_id, kept_summary in summaries.items():
        if _on_board(kept_summary, now):
            shown.append(_view(kept_summary, now))
        elif not _within_window(kept_summary, now):
            closed.append(call_id)
    if kept or closed:
        deps.concurrency.later(partial(_keep, kept, closed, now, deps))
    shown.sort(key=lambda r: r["dialedAt"], reverse=True)
    shown.sort(key=lambda r: not r["inProgress"])  # stable: newest first within each group
    return {"calls": shown, "inProgress": sum(1 for r in shown if r["inProgress"]),
            "windowsOpen": sum(1 for r in shown if not r["inProgress"])}


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
    """One call as the board shows it at `now`."""
    return _view(summary(call, records, steps), now)


def summary(call: EmergencyCall, records: list[Delivery], steps: list[Step]) -> dict[str, Any]:
    """What the board keeps of a call: everything it shows but what depends on the time it is shown (no contact
    address: acknowledgements masked, desk members by name)."""
    where = call.location or {}
    acks = acknowledgements(call, records)
    sent = [d for d in records if d.channel in NOTIFYING]
    routed = [c for c in call.callbacks if c.get("outcome") in RINGING_OUTCOMES]
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
        "callback": routed[-1]["at"] if routed else None,
    }


def _view(kept: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A summary as shown at `now`: a responder's latest callback routed to the agent rings for RING_TIME after it
    came, then shows as routed."""
    at = kept.get("callback")
    ringing = None
    if at:
        ringing = {"status": "ringing" if now - datetime.fromisoformat(at) < RING_TIME else "routed", "at": at}
    return kept | {"callback": ringing}


def _on_board(kept: dict[str, Any], now: datetime) -> bool:
    until = kept.get("callbackWindowEndsAt")
    return bool(kept.get("inProgress")) or (until is not None and datetime.fromisoformat(until) > now)


def _within_window(kept: dict[str, Any], now: datetime) -> bool:
    until = kept.get("callbackWindowEndsAt")
    ends = datetime.fromisoformat(until) if until else None
    return now <= links_until(datetime.fromisoformat(kept["dialedAt"]), ends)


def _next_step(steps: list[Step], records: list[Delivery]) -> dict[str, Any] | None:
    """The soonest step still to run, unless the acknowledgements so far make it unnecessary (it will be skipped)."""
    waiting = sorted((s for s in steps if s.status in ("pending", "running")), key=lambda s: s.due_at)
    if not waiting or acknowledged_enough(waiting[0], records):
        return None
    step = waiting[0]
    return {"tier": step.index, "name": step.tier.name, "dueAt": step.due_at.isoformat(), "status": step.status,
            "audiences": list(step.tier.audiences), "channels": list(step.tier.channels)}


def _load(call_id: str, deps: BoardPorts) -> Loaded:
    """The record, then its deliveries and steps; a failed secondary read is logged and shown as nothing rather than
    losing the call from the board (and not kept as its summary: `complete` is False)."""
    loaded = deps.calls.get(call_id)
    if loaded is None:
        return None, [], [], True
    try:
        return loaded[0], deps.deliveries.list(call_id), deps.escalations.of_call(call_id), True
    except StoreError as exc:
        log.warning("emergency call %s: notification state not readable for the board: %s", call_id, exc)
    return loaded[0], [], [], False


def _keep(kept: list[tuple[BoardRow, dict[str, Any]]], closed: list[str], now: datetime, deps: BoardPorts) -> None:
    """After the answer: the summaries read for the next poll, and the calls whose window has closed dropped."""
    for row, made in kept:
        try:
            deps.calls.keep_board_summary(row, made, now)
        except StoreError as exc:  # the next poll reads it again
            log.warning("emergency call %s: the board's summary not kept: %s", row.call_id, exc)
    for call_id in closed:
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
