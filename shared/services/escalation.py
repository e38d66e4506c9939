"""Use cases of escalation (issue 20): schedule a call's steps when it is notified, run each when due unless an
acknowledgement made it unnecessary, and the admin's policy.

Durable and exact: each step is a stored record with its due time, claimed with a conditional write before it runs
(two timers never run one step), and its messages go through the notification's delivery records, so each recipient
and channel is told once however often a step is retried; a step whose run died is taken over after STUCK_AFTER.
The scheduler is a 10-second timer (functions/escalation.py): a step runs within about 10 seconds of its due time on
one instance, with no queue to provision, and a host killed mid-step is retaken by the next run.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Channel, Delivery
from shared.domain.escalation import DEFAULT_POLICY, Policy, Step, acknowledged_enough, steps_for
from shared.domain.notify_plan import plan_notifications
from shared.ports import Conflict, EscalationStore, EventPublisher, NotifyPorts, StoreError, VoiceCaller
from shared.services import notify, voice_alert
from shared.services.acknowledge import within_window

log = logging.getLogger(__name__)

STEP_EVENT = "Emergency.EscalationStep"
STUCK_AFTER = timedelta(seconds=60)  # a claimed step not finished by then: its run died, the next run retakes it
_NAMESPACE = uuid.UUID("5d1f7a3c-2b9e-4c6d-8a1f-3e7b9c2d4f60")


class EscalationPorts(NotifyPorts, Protocol):
    escalations: EscalationStore
    events: EventPublisher
    voice: VoiceCaller | None


def schedule(call: EmergencyCall, deps: EscalationPorts) -> int:
    """The call's steps under the policy in force now (copied into each step); idempotent; StoreError to retry."""
    steps = steps_for(call.call_id, call.dialed_at, call.test, _policy(deps))
    return sum(1 for s in steps if deps.escalations.schedule(s))


def run_due(deps: EscalationPorts, ack_base: str | None = None) -> list[Step]:
    """Run every step due now; answers the steps this run finished (done or skipped), each once."""
    now = deps.clock.now()
    finished = []
    for step in deps.escalations.due(now, STUCK_AFTER):
        try:
            claimed = deps.escalations.save(replace(step, status="running"), claimed_at=now)
        except Conflict:
            continue  # another run has it
        try:
            finished.append(_run(claimed, deps, ack_base))
        except StoreError as exc:  # left running: retaken after STUCK_AFTER (its sends are once per recipient)
            log.warning("escalation step %s/%d: storage failed, retried later: %s", step.call_id, step.index, exc)
    return finished


def _run(step: Step, deps: EscalationPorts, ack_base: str | None) -> Step:
    now = deps.clock.now()
    loaded = deps.calls.get(step.call_id)
    call = loaded[0] if loaded else None
    records = deps.deliveries.list(step.call_id)
    if call is None or not call.described:
        outcome, told = "call_unknown", 0
    elif not within_window(call, now):
        outcome, told = "window_ended", 0
    elif acknowledged_enough(step, records):
        outcome, told = "acknowledged", 0
    else:
        jobs = _recipients(step, call, records, deps)
        messages = tuple(j for j in jobs if j[0] != "voice")
        known = notify.records_of(step.call_id, deps)
        outcomes, _ = notify.send_to(call, deps.agents.get(call.agent_id), messages, known, deps, ack_base,
                                     step.index) if messages else ((), ())
        told = sum(1 for o in outcomes if o.status == "accepted")
        numbers = tuple(r for c, r in jobs if c == "voice")
        acknowledged = frozenset(d.recipient.casefold() for d in records if d.acknowledged)
        calls = voice_alert.call_each(step, call, numbers, deps, ack_base, acknowledged)
        outcome = _summary(told, calls) if jobs else "nobody_to_tell"
    skipped = outcome in ("acknowledged", "window_ended", "call_unknown")
    done = deps.escalations.save(replace(step, status="skipped" if skipped else "done", outcome=outcome, ran_at=now))
    _announce(done, call, now, deps)
    log.info("escalation step %s/%d (%s): %s, %.1f s after due", step.call_id, step.index, step.tier.name, outcome,
             (now - step.due_at).total_seconds())
    return done


def _summary(told: int, calls: list[str]) -> str:
    """'told 2' for messages; with voice calls: 'told 2; called 1 (1 cap)' — each call's fate on its record."""
    if not calls:
        return f"told {told}"
    placed = calls.count("placed")
    others = [c for c in calls if c != "placed"]
    rest = f" ({', '.join(f'{others.count(o)} {o}' for o in dict.fromkeys(others))})" if others else ""
    return f"told {told}; called {placed}{rest}"


def _recipients(step: Step, call: EmergencyCall, records: list[Delivery],
                deps: EscalationPorts) -> tuple[tuple[Channel, str], ...]:
    """(channel, recipient) for each audience of the tier on each of its channels; a phone number (an SMS
    recipient) is texted on `sms` and called on `voice`."""
    emails: list[str] = []
    phones: list[str] = []
    if "notified" in step.tier.audiences:  # the first notification's recipients, as its records say
        emails += [d.recipient for d in records if d.step == 0 and d.channel == "email"]
        phones += [d.recipient for d in records if d.step == 0 and d.channel == "sms"]
    if "agent" in step.tier.audiences:
        for channel, r in plan_notifications(deps.agents.get(call.agent_id), call.agent_id, True).jobs:
            (emails if channel == "email" else phones).append(r)
    if "siteDesk" in step.tier.audiences:
        desk = notify.site_desk(call, deps, [])
        emails += desk.emails
        phones += desk.sms
    if "onCall" in step.tier.audiences:
        emails += step.on_call_emails
        phones += step.on_call_sms
    jobs: list[tuple[Channel, str]] = [("email", e) for e in emails]
    if deps.sms is not None:
        jobs += [("sms", p) for p in phones]
    jobs += [("voice", p) for p in phones]
    wanted = [(c, r) for c, r in jobs if c in step.tier.channels]
    return tuple(dict.fromkeys(wanted))


def _announce(step: Step, call: EmergencyCall | None, now: datetime, deps: EscalationPorts) -> None:
    data = {"emergencyCallId": step.call_id, "agentId": call.agent_id if call else None,
            "test": call.test if call else None, "tier": step.index, "name": step.tier.name,
            "status": step.status, "outcome": step.outcome, "dueAt": step.due_at.isoformat(),
            "ranAt": now.isoformat(), "lateSeconds": round((now - step.due_at).total_seconds(), 1)}
    try:
        deps.events.publish(STEP_EVENT, f"emergency-calls/{step.call_id}", data,
                            str(uuid.uuid5(_NAMESPACE, f"{step.call_id}\x1f{step.index}")))
    except Exception as exc:  # the step is recorded (the incident shows it)
        log.warning("escalation step %s/%d: event not published: %s", step.call_id, step.index, exc)


def steps_view(call_id: str, deps: Any) -> list[dict[str, Any]]:
    """The incident's escalation steps, for the admin's timeline."""
    return [{"tier": s.index, "name": s.tier.name, "dueAt": s.due_at.isoformat(), "status": s.status,
             "outcome": s.outcome, "ranAt": s.ran_at.isoformat() if s.ran_at else None,
             "audiences": list(s.tier.audiences), "channels": list(s.tier.channels)}
            for s in deps.escalations.of_call(call_id)]


def _policy(deps: EscalationPorts) -> Policy:
    return deps.sites.get_escalation_policy() or DEFAULT_POLICY
