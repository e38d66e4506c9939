"""933 drills (issue 21, item 2): a test call through the whole product, and its report, step by step. Pure.

A drill is written before its dial (the intent), observed while it runs (what the panel and presence showed), and
judged from the durable records (incident, deliveries, presence) against the contract. Every step is decided by
`REPORT_DEADLINE` after the dial: a step still open then fails with its reason, so no drill waits (or retries)
forever. A completed drill's report is frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from shared.domain.calls import CALLBACK_FROM_EMERGENCY_SERVICE, EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.presence import Presence

DRILL_NUMBER = "933"
REPORT_DEADLINE = timedelta(minutes=15)  # dial to report: acknowledgements are people, give them time
UNDIALED_DEADLINE = timedelta(minutes=5)  # a started drill whose panel never dialed
DIAL_ANSWER_LIMIT_MS = 1000.0  # the backend's answer to the dial; the panel dials anyway after 400 ms
DEFAULT_MAX_AGE_DAYS = 90
SCOPES = ("agent", "site")

StepStatus = Literal["pass", "fail", "pending"]
_Ms = Callable[[datetime | None], int | None]  # ms after the dial


class DrillRefused(Exception):
    """A drill may not start now (the agent is on, or within the callback window of, a real emergency call)."""


@dataclass(frozen=True)
class Step:
    """One check of the contract: its verdict, why, and when it happened (ms after the dial)."""

    step_id: str
    title: str
    status: StepStatus
    reason: str
    ms: int | None = None


@dataclass(frozen=True)
class Schedule:
    """Admins ask the agents of a site, or one agent, to run a drill between two dates (inclusive, UTC)."""

    schedule_id: str
    scope: str  # "agent" or "site"
    target: str
    starts: date
    ends: date
    created_by: str
    created_at: datetime
    note: str = ""

    def covers(self, agent_id: str, site_id: str | None) -> bool:
        return self.target == (agent_id if self.scope == "agent" else site_id)

    def open_on(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class Drill:
    """One drill; `call_id` is its 933 call once dialed. `version` is the store's ETag."""

    drill_id: str
    agent_id: str
    started_at: datetime
    started_by: str
    schedule_id: str | None = None
    presence_before: str | None = None
    call_id: str | None = None
    dial_answer_ms: float | None = None
    panel_test_mode: bool | None = None
    dnd_seen_at: datetime | None = None
    restored_at: datetime | None = None
    restored_to: str | None = None
    completed_at: datetime | None = None
    passed: bool | None = None
    steps: tuple[Step, ...] = ()
    purging_at: datetime | None = None  # the purge's intent: audited and deleted by the next run if it died
    version: str | None = None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


def deadline(drill: Drill, call: EmergencyCall | None) -> datetime:
    return call.dialed_at + REPORT_DEADLINE if call else drill.started_at + UNDIALED_DEADLINE


def refusal(presence: Presence, calls: list[EmergencyCall], now: datetime) -> str | None:
    """Why the agent may not drill now (None: she may). A drill never runs beside a real call or its window: the
    responder's callback must find her free, and a drill must not look like the real call to anyone."""
    if presence.in_emergency:
        return "you are on an emergency call: a drill can wait until it ends"
    for call in calls:
        if call.in_progress and not call.test:
            return "you are on an emergency call: a drill can wait until it ends"
        if call.in_progress:
            return "a test call of yours is still in progress"
        if not call.test and call.callback_until and call.callback_until > now:
            return (f"the emergency service may still call you back (until {call.callback_until:%H:%M} UTC): "
                    "a drill would be in the way")
    return None


def observe(drill: Drill, presence: Presence, now: datetime) -> Drill:
    """What presence shows now, kept while it lasts: DND held for the drill's call, then the status after it."""
    if drill.call_id is None or drill.complete:
        return drill
    if presence.emergency_call_id == drill.call_id and drill.dnd_seen_at is None:
        return replace(drill, dnd_seen_at=presence.emergency_since or now)
    if presence.emergency_call_id != drill.call_id and drill.dnd_seen_at is not None and drill.restored_at is None:
        return replace(drill, restored_at=presence.changed_at or now, restored_to=presence.status)
    return drill


def judge(drill: Drill, call: EmergencyCall | None, deliveries: list[Delivery], now: datetime) -> Drill:
    """The report as the records show it now; complete once every step is decided or the deadline has passed."""
    if drill.complete:
        return drill
    late = now >= deadline(drill, call)
    steps = tuple(_final(s, late) for s in _steps(drill, call, deliveries))
    if late or all(s.status != "pending" for s in steps):
        return replace(drill, steps=steps, completed_at=now, passed=all(s.status == "pass" for s in steps))
    return replace(drill, steps=steps)


def _final(step: Step, late: bool) -> Step:
    if step.status != "pending" or not late:
        return step
    return replace(step, status="fail", reason=f"not by the report's deadline: {step.reason}")


def _steps(drill: Drill, call: EmergencyCall | None, deliveries: list[Delivery]) -> list[Step]:
    if call is None:
        return [Step("dial", "The 933 call was dialed", "pending", "no 933 call of the agent's is recorded yet")]
    at = call.dialed_at

    def ms(when: datetime | None) -> int | None:
        return None if when is None else max(0, round((when - at).total_seconds() * 1000))

    return [_dial(drill), _dnd_applied(drill, ms), _dnd_restored(drill, call, ms), _callback(call),
            *_notifications(deliveries, ms), _location(call), _panel(drill, call)]


def _dial(drill: Drill) -> Step:
    title = "The dial was answered"
    answer = drill.dial_answer_ms
    if answer is None:
        return Step("dial_answered", title, "pending", "the panel has not reported the dial's answer")
    ok = answer <= DIAL_ANSWER_LIMIT_MS
    why = f"answered in {answer:.0f} ms (limit {DIAL_ANSWER_LIMIT_MS:.0f} ms)"
    return Step("dial_answered", title, "pass" if ok else "fail", why, round(answer))


def _dnd_applied(drill: Drill, ms: _Ms) -> Step:
    title = "Do Not Disturb applied"
    if drill.dnd_seen_at is None:
        return Step("dnd_applied", title, "pending", "presence has not shown Do Not Disturb for the call")
    return Step("dnd_applied", title, "pass", "presence was Do Not Disturb for the call", ms(drill.dnd_seen_at))


def _dnd_restored(drill: Drill, call: EmergencyCall, ms: _Ms) -> Step:
    title = "Presence restored"
    before = drill.presence_before or "Available"
    if drill.restored_at is None:
        why = "the call has not ended" if call.in_progress else "presence still holds Do Not Disturb for the call"
        return Step("dnd_restored", title, "pending", why)
    if drill.restored_to != before:
        return Step("dnd_restored", title, "fail", f"returned to {drill.restored_to}, not {before} as before the call",
                    ms(drill.restored_at))
    return Step("dnd_restored", title, "pass", f"returned to {before}", ms(drill.restored_at))


def _callback(call: EmergencyCall) -> Step:
    title = "Callback number in force"
    if call.callback_source == CALLBACK_FROM_EMERGENCY_SERVICE or (call.path == "direct_offer"
                                                                  and not call.callback_number):
        return Step("callback", title, "pass", "direct offer: the emergency service's temporary number reaches "
                    "the agent's identity during the window")
    if call.callback_number and call.callback_until:
        return Step("callback", title, "pass", f"callback number leased until {call.callback_until:%H:%M:%S} UTC")
    why = "; ".join(w.get("message", "") for w in call.warnings) or "no callback number was in force"
    return Step("callback", title, "fail", why)


def _notifications(deliveries: list[Delivery], ms: _Ms) -> list[Step]:
    sent = [d for d in deliveries if d.step == 0 and d.channel != "none"]
    warnings = [d for d in deliveries if d.channel == "none"]
    if not sent:
        why = "; ".join(d.reason or d.recipient for d in warnings) or "no notification has been recorded"
        return [Step("notified", "Notification sent", "fail" if warnings else "pending", why)]
    steps: list[Step] = []
    for d in sorted(sent, key=lambda d: (d.channel, d.recipient)):
        who = f"{d.channel} {d.recipient}"
        steps += [_sent(d, who, ms), _delivered(d, who, ms), _acknowledged(d, who, ms)]
    return steps


def _sent(d: Delivery, who: str, ms: _Ms) -> Step:
    sid, title = f"sent:{d.channel}:{d.recipient}", f"Notification sent ({who})"
    if d.status == "accepted":
        return Step(sid, title, "pass", "accepted by the service", ms(d.updated_at))
    if d.final:  # failed for good: never retried, so the drill fails now rather than wait
        return Step(sid, title, "fail", d.reason or "the service refused it", ms(d.updated_at))
    return Step(sid, title, "pending", f"not sent yet ({d.attempts} attempt(s); last: {d.reason or 'queued'})")


def _delivered(d: Delivery, who: str, ms: _Ms) -> Step:
    sid, title = f"delivered:{d.channel}:{d.recipient}", f"Notification delivered ({who})"
    status = (d.delivery_status or "").lower()
    if status == "delivered":
        return Step(sid, title, "pass", "the delivery report says delivered", ms(d.delivery_status_at))
    if status:
        return Step(sid, title, "fail", f"the delivery report says {d.delivery_status}"
                    + (f": {d.delivery_detail}" if d.delivery_detail else ""), ms(d.delivery_status_at))
    if d.status == "failed" and d.final:
        return Step(sid, title, "fail", "never sent, so never delivered")
    if d.acknowledged:  # a reply (SMS) or a click proves it arrived
        return Step(sid, title, "pass", f"proven by the acknowledgement ({d.acknowledged_via})", ms(d.acknowledged_at))
    return Step(sid, title, "pending", "no delivery report yet")


def _acknowledged(d: Delivery, who: str, ms: _Ms) -> Step:
    sid, title = f"acknowledged:{d.channel}:{d.recipient}", f"Notification acknowledged ({who})"
    if d.acknowledged_at is not None:
        return Step(sid, title, "pass", f"acknowledged by {d.acknowledged_via}", ms(d.acknowledged_at))
    if d.status == "failed" and d.final:
        return Step(sid, title, "fail", "never sent, so never acknowledged")
    return Step(sid, title, "pending", "nobody has acknowledged it yet")


def _location(call: EmergencyCall) -> Step:
    readout = (call.location or {}).get("readout")
    if readout:
        return Step("location", "Location sent", "pass", f"sent with the call: {readout}")
    return Step("location", "Location sent", "fail", "no location was known at the dial: the notification had none")


def _panel(drill: Drill, call: EmergencyCall) -> Step:
    title = "Panel in test mode"
    if not call.test:
        return Step("panel_test_mode", title, "fail", f"the call to {call.dialed_number} was not taken as a test")
    if drill.panel_test_mode is None:
        return Step("panel_test_mode", title, "pending", "the panel has not reported its mode")
    if not drill.panel_test_mode:
        return Step("panel_test_mode", title, "fail", "the panel did not show the test call's mode")
    return Step("panel_test_mode", title, "pass", "the panel showed the TEST emergency mode")


def last_passed(drills: list[Drill]) -> dict[str, datetime]:
    """Per agent, when her latest passed drill was started."""
    found: dict[str, datetime] = {}
    for d in drills:
        if d.passed and (d.agent_id not in found or d.started_at > found[d.agent_id]):
            found[d.agent_id] = d.started_at
    return found


def expired(drill: Drill, cutoff: datetime) -> bool:
    """Past retention (as incidents: INCIDENT_RETENTION_DAYS), counted from its report (or its start)."""
    return (drill.completed_at or drill.started_at) < cutoff
