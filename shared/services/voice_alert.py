"""Escalation by voice (issue 20): call a recipient through Call Automation, read the alert, and let her press 1.

Each call is the recipient's `voice` delivery record (the same record whatever tier calls her): claimed with a
conditional write before ACS is asked to dial, so one step dials her once however often it runs, and a later tier
calls her again only below the policy's cap, when she has not acknowledged and her last call is over. The record's
`ack_token` is the callback URL's last segment: the events of her call find her record without a query.

The call, event by event (each authenticated as ACS's by functions/voice_alerts.py before it gets here):
CallConnected → the alert with "press 1 to acknowledge, 2 to repeat" (the one handler whose conditional write moves
the record to `answered` asks; a duplicate CallConnected does nothing); RecognizeCompleted with 1 → acknowledged
(as a link or an SMS reply is), thanked, hung up; 2, another key or silence → asked again, at most MAX_ASKS times,
then goodbye; CreateCallFailed → `no_answer`; CallDisconnected → `ended` unless acknowledged. Nothing here waits for
the person: the next tier's step runs on its own schedule whatever this call does.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain import delivery as rules
from shared.domain import voice_script
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.escalation import Step
from shared.domain.incident_context import context_for
from shared.errors import NotFound
from shared.ports import AgentStore, Conflict, SendError, StoreError, VoiceCaller
from shared.services import acknowledge

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/voice/events/"
MAX_ASKS = 3
RING_LIMIT = timedelta(minutes=4)  # a call placed this long ago and never reported over is over (3 asks take 2)
ASK = re.compile(r"^ask:(\d)$")
BYE = "bye"
ACTIVE = ("ringing", "answered")


class VoicePorts(acknowledge.AckPorts, Protocol):
    agents: AgentStore
    voice: VoiceCaller | None


def call_each(step: Step, call: EmergencyCall, numbers: tuple[str, ...], deps: VoicePorts,
              base_url: str | None) -> list[str]:
    """Call each number once for this step; answers one outcome per number (placed, failed: …, cap, …)."""
    return [_call_one(step, call, n, deps, base_url) for n in numbers]


def _call_one(step: Step, call: EmergencyCall, number: str, deps: VoicePorts, base_url: str | None) -> str:
    now = deps.clock.now()
    if deps.voice is None or not base_url:
        why = "no caller id (VOICE_CALLER_ID)" if deps.voice is None else "no public URL for ACS's events"
        log.warning("emergency call %s: voice escalation not possible: %s", call.call_id, why)
        return f"not_possible: {why}"
    current = deps.deliveries.get(call.call_id, "voice", number)
    retaken = current is not None and current.step == step.index and current.status == "queued"
    if current is not None and not retaken:
        if current.acknowledged:
            return "acknowledged"
        if current.step == step.index:
            return "already"
        if current.attempts >= step.voice_calls:
            return "cap"
        if _in_progress(current, now):
            return "in_progress"
    try:
        claimed = _claim(current, call.call_id, number, step.index, retaken, deps)
    except Conflict:
        return "backed_off"
    try:
        connection = deps.voice.place(number, f"{base_url}{EVENTS_PATH}{claimed.ack_token}", "alert")
    except SendError as exc:
        _store(replace(claimed, status="failed", final=True, reason=str(exc), updated_at=deps.clock.now()), deps)
        log.warning("emergency call %s: voice call to %s refused: %s", call.call_id, _mask(number), exc)
        return "failed"
    _store(replace(claimed, status="accepted", final=True, reason=None, message_id=connection,
                   updated_at=deps.clock.now(), delivery_status="ringing", delivery_detail=None,
                   delivery_status_at=deps.clock.now()), deps)
    log.info("emergency call %s: calling %s (step %d, call %d)", call.call_id, _mask(number), step.index,
             claimed.attempts)
    return "placed"


def _claim(current: Delivery | None, call_id: str, number: str, index: int, retaken: bool,
           deps: VoicePorts) -> Delivery:
    """The queued record before the dial; a retaken claim (its run died before ACS answered) is not one more call."""
    now = deps.clock.now()
    if current is None:
        return deps.deliveries.create(rules.claim(None, call_id, "voice", number, now, index))
    if retaken:
        return deps.deliveries.replace(replace(current, updated_at=now))
    return deps.deliveries.replace(replace(current, status="queued", attempts=current.attempts + 1, step=index,
                                           final=False, reason=None, message_id=None, delivery_status=None,
                                           delivery_detail=None, delivery_status_at=None, updated_at=now))


def _in_progress(d: Delivery, now: datetime) -> bool:
    return d.delivery_status in ACTIVE and d.updated_at is not None and now - d.updated_at < RING_LIMIT


def _store(record: Delivery, deps: VoicePorts) -> Delivery:
    """Write the record; when another writer got there first (an event of this very call), apply the same fields to
    what it wrote."""
    try:
        return deps.deliveries.replace(record)
    except Conflict:
        fresh = deps.deliveries.get(record.call_id, record.channel, record.recipient)
        if fresh is None:
            raise
        merged = replace(record, version=fresh.version, acknowledged_at=fresh.acknowledged_at,
                         acknowledged_via=fresh.acknowledged_via,
                         delivery_status=_later(fresh.delivery_status, record.delivery_status),
                         delivery_detail=fresh.delivery_detail or record.delivery_detail,
                         delivery_status_at=fresh.delivery_status_at or record.delivery_status_at)
        return deps.deliveries.replace(merged)


def _later(a: str | None, b: str | None) -> str | None:
    """The status further along of two (an event may overtake the dial's own write)."""
    order = [None, "ringing", "answered", "not_acknowledged", "no_answer", "ended", "acknowledged"]
    return a if order.index(a if a in order else None) >= order.index(b if b in order else None) else b


def on_event(token: str, kind: str, data: dict[str, Any], deps: VoicePorts) -> str:
    """One Call Automation event for the call behind `token`; answers what was done (for the log and tests)."""
    record = deps.deliveries.by_ack_token(token) if acknowledge.TOKEN.fullmatch(token or "") else None
    if record is None or record.channel != "voice" or record.ack_token != token:
        return "unknown_call"
    connection = str(data.get("callConnectionId") or "")
    context = str(data.get("operationContext") or "")
    if deps.voice is None:
        return "voice_not_configured"
    if kind == "CallConnected":
        return _connected(record, connection, deps)
    if kind == "RecognizeCompleted":
        tones = (data.get("dtmfResult") or {}).get("tones") or []
        if tones[:1] == ["one"]:
            return _acknowledged(record, token, connection, context, deps)
        return _ask_again(record, connection, context, deps)
    if kind == "RecognizeFailed":
        return _ask_again(record, connection, context, deps)
    if kind in ("PlayCompleted", "PlayFailed") and context == BYE:
        _quietly(deps.voice.hang_up, connection)
        return "hung_up"
    if kind == "CreateCallFailed":
        detail = str((data.get("resultInformation") or {}).get("message") or "the call was not answered")[:200]
        _report(record, connection, "no_answer", detail, deps)
        return "no_answer"
    if kind == "CallDisconnected":
        _report(record, connection, "ended", None, deps)
        return "ended"
    return "ignored"


def _connected(record: Delivery, connection: str, deps: VoicePorts) -> str:
    if record.delivery_status not in (None, "ringing"):
        return "duplicate"
    try:  # the one writer that moves ringing → answered asks; a duplicate event conflicts or sees `answered`
        deps.deliveries.replace(rules.with_report(record, "answered", None, deps.clock.now()))
    except Conflict:
        fresh = deps.deliveries.get(record.call_id, "voice", record.recipient)
        if fresh is None or fresh.delivery_status not in (None, "ringing"):
            return "duplicate"
        deps.deliveries.replace(rules.with_report(fresh, "answered", None, deps.clock.now()))
    _say(record, connection, "ask:1", deps)
    return "asked"


def _acknowledged(record: Delivery, token: str, connection: str, context: str, deps: VoicePorts) -> str:
    voice = deps.voice
    assert voice is not None
    first = not record.acknowledged
    try:
        acknowledge.acknowledge_voice(token, deps)
    except NotFound:  # the call's window ended: nothing to acknowledge any more
        _quietly(voice.hang_up, connection)
        return "closed"
    except StoreError as exc:  # not recorded: she is told so and asked again, not thanked for nothing
        log.warning("emergency call %s: key 1 not recorded, asking again: %s", record.call_id, exc)
        _quietly(voice.ask, connection, record.recipient, voice_script.NOT_RECORDED, context)
        return "not_recorded"
    _report(record, connection, "acknowledged", None, deps)
    if first:
        _say(record, connection, BYE, deps, voice_script.acknowledged_script)
    return "acknowledged" if first else "already"


def _ask_again(record: Delivery, connection: str, context: str, deps: VoicePorts) -> str:
    match = ASK.match(context)
    asked = int(match.group(1)) if match else MAX_ASKS
    if asked < MAX_ASKS:
        _say(record, connection, f"ask:{asked + 1}", deps)
        return "asked_again"
    _report(record, connection, "not_acknowledged", None, deps)
    _say(record, connection, BYE, deps, lambda _: voice_script.goodbye_script())
    return "goodbye"


def _say(record: Delivery, connection: str, context: str, deps: VoicePorts, script: Any = None) -> None:
    """Ask (the alert and the keys) or say `script`; a failure is logged: ACS's own events end the call."""
    voice = deps.voice
    assert voice is not None
    loaded = deps.calls.get(record.call_id)
    call = loaded[0] if loaded else None
    if call is None:
        _quietly(voice.hang_up, connection)
        return
    words = context_for(call, deps.agents.get(call.agent_id))
    try:
        if script is None:
            voice.ask(connection, record.recipient, voice_script.alert_script(words), context)
        else:
            voice.say(connection, script(words), context)
    except SendError as exc:
        log.warning("emergency call %s: voice call to %s: %s", record.call_id, _mask(record.recipient), exc)


def _report(record: Delivery, connection: str, status: str, detail: str | None, deps: VoicePorts) -> None:
    """The call's outcome on the record (an acknowledgement is never overwritten by a later `ended`)."""
    for _ in range(3):
        current = deps.deliveries.get(record.call_id, "voice", record.recipient)
        if current is None or current.message_id not in (None, connection) and status != "acknowledged":
            return  # a newer call of a later tier owns the record now
        if _later(current.delivery_status, status) == current.delivery_status and current.delivery_status:
            return
        try:
            deps.deliveries.replace(rules.with_report(current, status, detail, deps.clock.now()))
            return
        except Conflict:
            continue


def _quietly(action: Any, *args: Any) -> None:
    try:
        action(*args)
    except SendError as exc:
        log.info("voice call: %s", exc)


def _mask(number: str) -> str:
    from shared.domain.numbers import mask_phone

    return mask_phone(number)
