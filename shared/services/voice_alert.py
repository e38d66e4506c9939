"""Escalation by voice (issue 20): call a recipient through Call Automation, read the alert, and let her press 1.

Each person's calls share her `voice` delivery record (whatever tier calls her); `attempts` counts her calls. A dial
is claimed with a conditional write before ACS is asked, and asked with a repeatability id of its own (the call, the
number, the attempt): a step retaken after its run died mid-dial asks again with the same id, and ACS answers with
the first call instead of ringing her twice. A later tier calls her again only below the policy's cap, when she has
not acknowledged on any channel, and when her last call is over (ACS says so, or RING_LIMIT has passed).

Every event of a dial comes to its own URL (`/api/voice/events/{token}/{attempt}`): an event of an earlier dial never
changes the record of a later one, except a 1 pressed there, which acknowledges whatever call it came on. Our own
action contexts carry the person's number and locale (`ask:2:+1…:fr-CA`), so when storage is down the call still
goes on: the alert is read in general words, and a 1 that cannot be recorded is asked for again, in her language.
She hears every word in her locale, chosen when she is dialed as for her messages (notify.recipient_locales), read
by that locale's voice.

CallConnected → the alert, "press 1 to acknowledge, 2 to repeat" (the one handler whose conditional write moves the
record to `answered` asks; a duplicate does nothing); RecognizeCompleted with 1 → acknowledged (as a link or an SMS
reply is), thanked, hung up; 2, another key or silence → asked again, at most MAX_ASKS times, then goodbye;
CreateCallFailed → `no_answer`; CallDisconnected → `ended` unless acknowledged. Nothing waits for the person: the
next tier's step runs on its own schedule whatever this call does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain import delivery as rules
from shared.domain import voice_script
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.escalation import Step
from shared.domain.incident_context import context_for
from shared.domain.locales import DEFAULT_LOCALE, known_locale
from shared.domain.numbers import mask_phone
from shared.errors import NotFound
from shared.ports import AgentStore, Conflict, SendError, SiteStore, StoreError, VoiceCaller
from shared.services import acknowledge, notify

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/voice/events/"
MAX_ASKS = 3
MAX_PARALLEL_DIALS = 8
RING_LIMIT = timedelta(minutes=4)  # a call placed this long ago and never reported over is over (3 asks take 2)
REPEATABILITY_WINDOW = timedelta(minutes=4)  # ACS remembers a request id for 5 minutes; a margin for the clocks
ACTIVE = ("ringing", "answered", "not_acknowledged")  # not_acknowledged: the goodbye may still be playing
ORDER = [None, "ringing", "answered", "not_acknowledged", "no_answer", "ended", "acknowledged"]
_NAMESPACE = uuid.UUID("2c8e4b7a-91d3-4f5e-b6a0-7d1c3e9f2a58")
_TRIES = 3


class VoicePorts(acknowledge.AckPorts, Protocol):
    agents: AgentStore
    sites: SiteStore
    voice: VoiceCaller | None


def call_each(step: Step, call: EmergencyCall, numbers: tuple[str, ...], deps: VoicePorts, base_url: str | None,
              acknowledged: frozenset[str] = frozenset()) -> list[str]:
    """Call each number once for this step, at the same time; one outcome per number (placed, failed, cap, …).
    `acknowledged`: recipients (folded) who acknowledged on any channel: never called."""
    if not numbers:
        return []
    locales = notify.recipient_locales(call, deps.agents.get(call.agent_id), tuple(("sms", n) for n in numbers), deps)
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_DIALS, len(numbers)), thread_name_prefix="dial") as pool:
        return list(pool.map(lambda n: _call_one(step, call, n, deps, base_url, acknowledged, locales.of(n)),
                             numbers))


def _call_one(step: Step, call: EmergencyCall, number: str, deps: VoicePorts, base_url: str | None,
              acknowledged: frozenset[str], locale: str) -> str:
    voice = deps.voice
    if voice is None or not base_url:
        why = ("voice not configured (VOICE_CALLER_ID and ACS_COGNITIVE_SERVICES_ENDPOINT)" if voice is None
               else "no public URL for ACS's events")
        log.warning("emergency call %s: voice escalation not possible: %s", call.call_id, why)
        return f"not_possible: {why}"
    if number.casefold() in acknowledged:
        return "acknowledged"
    for _ in range(_TRIES):  # a conflicting write (an event of her last call) is read again and decided again
        current = deps.deliveries.get(call.call_id, "voice", number)
        retaken = current is not None and current.step == step.index and current.status == "queued"
        if current is not None and not retaken:
            verdict = _why_not(current, step, deps.clock.now(), voice)
            if verdict:
                return verdict
        try:
            claimed = current if retaken and current is not None else _claim(current, call.call_id, number,
                                                                             step.index, deps)
        except Conflict:
            continue
        return _dial(claimed, voice, base_url, deps, locale)
    return "backed_off"


def _why_not(current: Delivery, step: Step, now: datetime, voice: VoiceCaller) -> str:
    """Why this step does not call her ("" when it does)."""
    if current.acknowledged:
        return "acknowledged"
    if current.step == step.index:
        return "already"
    if current.attempts >= step.voice_calls:
        return "cap"
    if _in_progress(current, now, voice):
        return "in_progress"
    return ""


def _in_progress(d: Delivery, now: datetime, voice: VoiceCaller) -> bool:
    """Her last call rings or talks still: by its record, and then by ACS (an end event may have been lost)."""
    if d.delivery_status not in ACTIVE or d.updated_at is None or now - d.updated_at >= RING_LIMIT:
        return False
    if not d.message_id:
        return True
    try:
        return voice.is_active(d.message_id)
    except SendError as exc:
        log.info("emergency call %s: state of the last call to %s unknown (%s): taken as ringing", d.call_id,
                 mask_phone(d.recipient), exc)
        return True


def _claim(current: Delivery | None, call_id: str, number: str, index: int, deps: VoicePorts) -> Delivery:
    """The queued record before the dial: one more call, by this step."""
    now = deps.clock.now()
    if current is None:
        return deps.deliveries.create(rules.claim(None, call_id, "voice", number, now, index))
    return deps.deliveries.replace(replace(current, status="queued", attempts=current.attempts + 1, step=index,
                                           final=False, reason=None, message_id=None, delivery_status=None,
                                           delivery_detail=None, delivery_status_at=None, updated_at=now))


def _dial(claimed: Delivery, voice: VoiceCaller, base_url: str, deps: VoicePorts, locale: str) -> str:
    now = deps.clock.now()
    claimed_at = claimed.updated_at or now
    first_sent = claimed_at if now - claimed_at < REPEATABILITY_WINDOW else now
    request_id = str(uuid.uuid5(_NAMESPACE, f"{claimed.call_id}\x1f{claimed.recipient}\x1f{claimed.attempts}"))
    url = f"{base_url}{EVENTS_PATH}{claimed.ack_token}/{claimed.attempts}"
    try:
        connection = voice.place(claimed.recipient, url, _context("alert", 0, claimed.recipient, locale), request_id,
                                 first_sent)
    except SendError as exc:
        _store(replace(claimed, status="failed", final=True, reason=str(exc), updated_at=deps.clock.now()), deps)
        log.warning("emergency call %s: voice call to %s refused: %s", claimed.call_id, mask_phone(claimed.recipient),
                    exc)
        return "failed"
    _store(replace(claimed, status="accepted", final=True, reason=None, message_id=connection,
                   delivery_status="ringing", delivery_detail=None, delivery_status_at=deps.clock.now()), deps)
    log.info("emergency call %s: calling %s (step %d, call %d)", claimed.call_id, mask_phone(claimed.recipient),
             claimed.step, claimed.attempts)
    return "placed"


def _store(record: Delivery, deps: VoicePorts) -> None:
    """Write the dial's result; when an event of this very call wrote first, apply the same fields to what it wrote
    (its status further along wins). A third writer in between: logged, the events keep the record going."""
    try:
        deps.deliveries.replace(record)
        return
    except Conflict:
        pass
    try:
        fresh = deps.deliveries.get(record.call_id, record.channel, record.recipient)
        if fresh is None or fresh.attempts != record.attempts:
            return
        deps.deliveries.replace(replace(record, version=fresh.version, acknowledged_at=fresh.acknowledged_at,
                                        acknowledged_via=fresh.acknowledged_via,
                                        delivery_status=_later(fresh.delivery_status, record.delivery_status),
                                        delivery_detail=fresh.delivery_detail or record.delivery_detail,
                                        delivery_status_at=fresh.delivery_status_at or record.delivery_status_at))
    except Conflict:
        log.warning("emergency call %s: the dial's result to %s was not written (busy record)", record.call_id,
                    mask_phone(record.recipient))


def _later(a: str | None, b: str | None) -> str | None:
    """The status further along of two (an event may overtake the dial's own write)."""
    return a if ORDER.index(a if a in ORDER else None) >= ORDER.index(b if b in ORDER else None) else b


def _context(kind: str, asked: int, number: str, locale: str) -> str:
    return f"{kind}:{asked}:{number}:{locale}"


def _parse_context(context: str) -> tuple[str, int, str, str]:
    """(kind, times asked, number, locale); a context without a locale (a call placed before locales) is en-US."""
    kind, _, rest = context.partition(":")
    asked, _, rest = rest.partition(":")
    number, _, locale = rest.partition(":")
    return kind, int(asked) if asked.isdigit() else MAX_ASKS, number, known_locale(locale) or DEFAULT_LOCALE


def on_event(token: str, attempt: int, kind: str, data: dict[str, Any], deps: VoicePorts) -> str:
    """One Call Automation event of the dial `attempt` of the call behind `token`; what was done (for the log)."""
    voice = deps.voice
    if voice is None:
        return "voice_not_configured"
    connection = str(data.get("callConnectionId") or "")
    context, asked, number, locale = _parse_context(str(data.get("operationContext") or ""))
    pressed_1 = kind == "RecognizeCompleted" and ((data.get("dtmfResult") or {}).get("tones") or [])[:1] == ["one"]
    try:
        record = deps.deliveries.by_ack_token(token) if acknowledge.TOKEN.fullmatch(token or "") else None
    except StoreError:
        if number and kind == "CallConnected":  # she hears the alert in general words, and may press 1
            _quietly(voice.ask, connection, number, voice_script.general_alert(locale),
                     _context("ask", 1, number, locale), locale)
            return "asked_without_storage"
        if number and pressed_1:
            _quietly(voice.ask, connection, number, voice_script.not_recorded(locale),
                     _context("ask", asked, number, locale), locale)
            return "not_recorded"
        raise
    if record is None or record.channel != "voice" or record.ack_token != token:
        return "unknown_call"
    if pressed_1:
        return _acknowledged(record, token, connection, asked, deps, locale)
    if attempt != record.attempts:  # an event of an earlier call to her: it changes nothing of the later one
        if kind == "CallConnected":
            _quietly(voice.hang_up, connection)  # answered too late: a newer call is on its way
        return "stale"
    if kind == "CallConnected":
        return _connected(record, connection, deps, locale)
    if kind in ("RecognizeCompleted", "RecognizeFailed"):
        return _ask_again(record, connection, asked, deps, locale)
    if kind in ("PlayCompleted", "PlayFailed") and context == "bye":
        _quietly(voice.hang_up, connection)
        return "hung_up"
    if kind == "CreateCallFailed":
        detail = str((data.get("resultInformation") or {}).get("message") or "the call was not answered")[:200]
        _report(record, attempt, "no_answer", detail, deps)
        return "no_answer"
    if kind == "CallDisconnected":
        _report(record, attempt, "ended", None, deps)
        return "ended"
    return "ignored"


def _connected(record: Delivery, connection: str, deps: VoicePorts, locale: str) -> str:
    if record.delivery_status not in (None, "ringing"):
        return "duplicate"
    script = _script(record, deps, None, locale)  # before the write: a failed read then costs no silent call
    try:  # the one writer that moves ringing → answered asks; a duplicate event conflicts or sees `answered`
        deps.deliveries.replace(rules.with_report(record, "answered", None, deps.clock.now()))
    except Conflict:
        fresh = deps.deliveries.get(record.call_id, "voice", record.recipient)
        if fresh is None or fresh.attempts != record.attempts or fresh.delivery_status not in (None, "ringing"):
            return "duplicate"
        deps.deliveries.replace(rules.with_report(fresh, "answered", None, deps.clock.now()))
    _ask(record, connection, 1, script, deps, locale)
    return "asked"


def _acknowledged(record: Delivery, token: str, connection: str, asked: int, deps: VoicePorts, locale: str) -> str:
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
        _quietly(voice.ask, connection, record.recipient, voice_script.not_recorded(locale),
                 _context("ask", asked, record.recipient, locale), locale)
        return "not_recorded"
    _report(record, record.attempts, "acknowledged", None, deps)
    if first:
        _quietly(voice.say, connection, _script(record, deps, voice_script.acknowledged_script, locale),
                 _context("bye", 0, record.recipient, locale), locale)
    return "acknowledged" if first else "already"


def _ask_again(record: Delivery, connection: str, asked: int, deps: VoicePorts, locale: str) -> str:
    voice = deps.voice
    assert voice is not None
    if asked < MAX_ASKS:
        _ask(record, connection, asked + 1, _script(record, deps, None, locale), deps, locale)
        return "asked_again"
    _report(record, record.attempts, "not_acknowledged", None, deps)
    _quietly(voice.say, connection, voice_script.goodbye_script(locale), _context("bye", 0, record.recipient, locale),
             locale)
    return "goodbye"


def _ask(record: Delivery, connection: str, asked: int, script: str, deps: VoicePorts, locale: str) -> None:
    assert deps.voice is not None
    _quietly(deps.voice.ask, connection, record.recipient, script, _context("ask", asked, record.recipient, locale),
             locale)


def _script(record: Delivery, deps: VoicePorts, which: Callable[[Any, str], str] | None, locale: str) -> str:
    """The alert (or `which`) about her call in `locale`; in general words when the call cannot be read now."""
    try:
        loaded = deps.calls.get(record.call_id)
        call = loaded[0] if loaded else None
        words = context_for(call, deps.agents.get(call.agent_id)) if call is not None else None
    except StoreError as exc:
        log.warning("emergency call %s: the call is not readable for the voice alert: %s", record.call_id, exc)
        words = None
    if words is None:
        return voice_script.general_alert(locale) if which is None else voice_script.general_thanks(locale)
    return voice_script.alert_script(words, locale) if which is None else which(words, locale)


def _report(record: Delivery, attempt: int, status: str, detail: str | None, deps: VoicePorts) -> None:
    """The dial's outcome on the record (an acknowledgement is never overwritten by a later `ended`)."""
    for _ in range(_TRIES):
        current = deps.deliveries.get(record.call_id, "voice", record.recipient)
        if current is None or (current.attempts != attempt and status != "acknowledged"):
            return  # a newer call of a later tier owns the record now
        if current.delivery_status and _later(current.delivery_status, status) == current.delivery_status:
            return
        try:
            deps.deliveries.replace(rules.with_report(current, status, detail, deps.clock.now()))
            return
        except Conflict:
            continue


def _quietly(action: Callable[..., None], *args: Any) -> None:
    """An action on the call; a failure is logged: ACS's own events (silence, the callee hanging up) end it."""
    try:
        action(*args)
    except SendError as exc:
        log.info("voice call: %s", exc)
