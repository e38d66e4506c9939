"""Use cases of acknowledging an emergency notification (issue 20): a person says "I'm on my way / I've got it".

By email: the recipient's personal link opens a summary of the call (GET changes nothing: mail scanners follow
links) and its one button acknowledges (POST). By SMS: a reply "1" acknowledges the latest notification sent to that
number. From the live board: a security-desk member's Acknowledge, recorded with her name. Each acknowledgement is
recorded once on the recipient's delivery record (the first one stands), and goes out
as `Emergency.NotificationAcknowledged` with an id derived from the call and recipient, so a repeat is the same event.

A link that is unknown, malformed, or whose call's callback window has ended answers NotFound: the same for all,
so a guess learns nothing of which calls exist.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain import delivery as rules
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.emergency_path import responder_reach
from shared.domain.incident_context import DEFAULT_CALLBACK_WINDOW
from shared.domain.notification_context import format_utc
from shared.domain.numbers import mask_phone
from shared.domain.recipients import mask_email
from shared.errors import NotFound
from shared.ports import CallStore, Clock, Conflict, DeliveryStore, EventPublisher, StoreError

log = logging.getLogger(__name__)

ACKNOWLEDGED = "Emergency.NotificationAcknowledged"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
REPLIES = frozenset({"1", "ok", "yes", "y"})  # "Reply 1 to acknowledge"; the obvious others too
_NAMESPACE = uuid.UUID("0b6f2d1e-8c4a-4f7e-9d3b-2a5c7e1f9b40")
_TRIES = 3


class AckPorts(Protocol):
    clock: Clock
    calls: CallStore
    deliveries: DeliveryStore
    events: EventPublisher


@dataclass(frozen=True)
class Found:
    record: Delivery
    call: EmergencyCall


def summary(token: str, deps: AckPorts) -> dict[str, Any]:
    """What the recipient's link shows: the call, and who has acknowledged it; NotFound when the link is not one."""
    found = _open(token, deps)
    return _view(found, deps)


def acknowledge_link(token: str, deps: AckPorts) -> dict[str, Any]:
    """The recipient pressed "I'm on my way / I've got it"; idempotent."""
    found = _open(token, deps)
    record = _acknowledge(found, "email", deps)
    return _view(Found(record, found.call), deps)


def acknowledge_voice(token: str, deps: AckPorts) -> Delivery:
    """The person called by the escalation pressed 1 (the token: her voice record's); idempotent; NotFound after the
    call's window."""
    return _acknowledge(_open(token, deps, "voice"), "voice", deps)


def acknowledge_reply(sender: str, text: str, deps: AckPorts) -> str:
    """An SMS from `sender`: "1" acknowledges the latest notification sent to that number while its call's window
    runs. Answers what was done: acknowledged, already, not_a_reply, unknown_number, closed."""
    if " ".join(text.split()).strip(".!").casefold() not in REPLIES:
        return "not_a_reply"
    record = deps.deliveries.latest_sms_to(sender)
    if record is None:
        return "unknown_number"
    call = _call(record.call_id, deps)
    if call is None or not within_window(call, deps.clock.now()):
        return "closed"
    if record.acknowledged:
        return "already"
    _acknowledge(Found(record, call), "sms", deps)
    return "acknowledged"


def acknowledge_board(call_id: str, member_id: str, member_name: str, deps: AckPorts) -> Delivery:
    """A security-desk member pressed Acknowledge on the live board: the same acknowledgement as a link's (it stops
    the escalation, goes out as NotificationAcknowledged), recorded as a `board` delivery of hers, named. Idempotent
    per member (her first stands, whatever her name says later); NotFound for an unknown call or after its window,
    as a link."""
    call = _call(call_id, deps)
    if call is None or not within_window(call, deps.clock.now()):
        raise NotFound(f"no emergency call {call_id} in progress or in its callback window")
    mine = [d for d in deps.deliveries.list(call_id)
            if d.channel == "board" and board_member(d.recipient)[1] == member_id]
    record = mine[0] if mine else _board_record(call, member_id, member_name, deps)
    return _acknowledge(Found(record, call), "board", deps)


def board_recipient(member_id: str, member_name: str) -> str:
    """A desk member as her board record names her: 'Dana Desk <oid>' (the id keeps one record per member)."""
    return f"{' '.join(member_name.split()) or member_id} <{member_id}>"


def board_member(recipient: str) -> tuple[str, str]:
    """(name, id) of a board record's recipient."""
    name, _, rest = recipient.rpartition(" <")
    return (name, rest[:-1]) if name and rest.endswith(">") else (recipient, recipient)


def _board_record(call: EmergencyCall, member_id: str, member_name: str, deps: AckPorts) -> Delivery:
    """Her board record, created unacknowledged (then acknowledged as any other record), or the one a concurrent
    press of hers created first."""
    recipient = board_recipient(member_id, member_name)
    fresh = Delivery(call.call_id, "board", recipient, "accepted", rules.operation_id(call.call_id, "board", recipient),
                     updated_at=deps.clock.now(), final=True)
    try:
        return deps.deliveries.create(fresh)
    except Conflict:
        existing = deps.deliveries.get(call.call_id, "board", recipient)
        if existing is None:
            raise StoreError(f"board acknowledgement of {call.call_id}: record neither created nor found") from None
        return existing


def acknowledgements(call: EmergencyCall, records: list[Delivery]) -> list[dict[str, Any]]:
    """The call's acknowledgements, oldest first, each masked as the incident shows recipients."""
    done = sorted((d for d in records if d.acknowledged_at is not None),
                  key=lambda d: d.acknowledged_at or call.dialed_at)
    first: dict[str, Delivery] = {}
    for d in done:  # one person: her SMS reply and her answer to the escalation's call are one acknowledgement
        first.setdefault(d.recipient.casefold(), d)
    return [{"by": _masked(d), "channel": d.acknowledged_via or d.channel,
             "at": d.acknowledged_at.isoformat() if d.acknowledged_at else None,
             "secondsAfterDial": _seconds(call, d)} for d in first.values()]


def _open(token: str, deps: AckPorts, channel: str = "email") -> Found:
    """The record behind a token of `channel`: an email's link, or a voice call's callback URL (never the one for
    the other: the callback URL, known to ACS and its logs, is no acknowledgement link)."""
    record = deps.deliveries.by_ack_token(token) if TOKEN.fullmatch(token or "") else None
    call = _call(record.call_id, deps) if record is not None else None
    if record is None or call is None or record.ack_token != token or record.channel != channel \
            or not within_window(call, deps.clock.now()):
        raise NotFound("no such acknowledgement link")  # the same answer whatever was wrong
    return Found(record, call)


def _call(call_id: str, deps: AckPorts) -> EmergencyCall | None:
    loaded = deps.calls.get(call_id)
    return loaded[0] if loaded is not None and loaded[0].described else None


def within_window(call: EmergencyCall, now: datetime) -> bool:
    """The link works until the call's callback window ends (at least the hour after the dial)."""
    return now <= links_until(call.dialed_at, call.callback_until)


def links_until(dialed_at: datetime, callback_until: datetime | None) -> datetime:
    """Until when a call's links work (and the board keeps it indexed): its callback window's end, at least the
    hour after the dial."""
    return max(callback_until or dialed_at, dialed_at + DEFAULT_CALLBACK_WINDOW)


def _acknowledge(found: Found, via: str, deps: AckPorts) -> Delivery:
    record = found.record
    for _ in range(_TRIES):
        if record.acknowledged:
            break
        try:
            record = deps.deliveries.replace(rules.acknowledge(record, via, deps.clock.now()))
            log.info("emergency call %s: %s acknowledged by %s", record.call_id, record.channel, via)
            break
        except Conflict:  # the send's own write, a delivery report, a repeat: read it again and retry
            fresh = deps.deliveries.get(record.call_id, record.channel, record.recipient)
            if fresh is None:
                raise NotFound("no such acknowledgement link") from None
            record = fresh
    if not record.acknowledged:  # every try lost to another writer: never say it was recorded
        raise StoreError(f"acknowledgement of {record.call_id} not recorded: {_TRIES} conflicting writes")
    _announce(found.call, record, deps)
    return record


def _announce(call: EmergencyCall, record: Delivery, deps: AckPorts) -> None:
    """Emergency.NotificationAcknowledged, with the same id however often it is said (consumers keep the first)."""
    event_id = str(uuid.uuid5(_NAMESPACE, f"{call.call_id}\x1f{record.channel}\x1f{record.recipient.casefold()}"))
    data = {"emergencyCallId": call.call_id, "agentId": call.agent_id, "test": call.test,
            "channel": record.channel, "acknowledgedVia": record.acknowledged_via, "by": _masked(record),
            "acknowledgedAt": record.acknowledged_at.isoformat() if record.acknowledged_at else None,
            "secondsAfterDial": _seconds(call, record)}
    try:
        deps.events.publish(ACKNOWLEDGED, f"emergency-calls/{call.call_id}", data, event_id)
    except Exception as exc:  # recorded already (the incident shows it); the next repeat says it again
        log.warning("emergency call %s: acknowledgement recorded, its event not published: %s", call.call_id, exc)


def _view(found: Found, deps: AckPorts) -> dict[str, Any]:
    call, record = found.call, found.record
    now = deps.clock.now()
    location = call.location or {}
    until = call.callback_until or call.dialed_at + DEFAULT_CALLBACK_WINDOW
    others = [a for a in acknowledgements(call, deps.deliveries.list(call.call_id)) if a["by"] != _masked(record)]
    return {
        "agentName": call.agent_name or call.agent_id, "dialedNumber": call.dialed_number, "test": call.test,
        "site": location.get("siteName"), "floor": location.get("floor"), "room": location.get("room"),
        "location": location.get("readout") or location.get("address"),
        "callback": responder_reach(call.path, call.callback_number, call.callback_source,
                                    call.agent_name or call.agent_id, format_utc(until)),
        "minutesSinceDial": max(0, int((now - call.dialed_at) / timedelta(minutes=1))),
        "acknowledged": record.acknowledged,
        "acknowledgedAt": record.acknowledged_at.isoformat() if record.acknowledged_at else None,
        "others": others,
    }


def _masked(d: Delivery) -> str:
    """Contacts masked as the incident shows them; a desk member by her name (that is what she recorded)."""
    if d.channel == "board":
        return board_member(d.recipient)[0]
    return mask_email(d.recipient) if d.channel == "email" else mask_phone(d.recipient)


def _seconds(call: EmergencyCall, d: Delivery) -> int | None:
    return max(0, int((d.acknowledged_at - call.dialed_at).total_seconds())) if d.acknowledged_at else None
