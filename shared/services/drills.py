"""Use cases of 933 drills: start one (refused beside a real call), take the panel's account of its dial, judge it
from the records, schedule drills, list them, and the timer's housekeeping (finish drills a crash left running,
purge expired ones, audited). Nothing here touches a call: a drill only reads what the product did with its 933
call, so it can never change a real call, its lease or its window."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from shared.domain.audit import Actor, Change, diff, entries
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.drills import DRILL_NUMBER, Drill, Schedule, expired, judge, observe, refusal
from shared.errors import NotFound, StateConflict, ValidationError
from shared.ports import Conflict, DrillPorts

log = logging.getLogger(__name__)

RETENTION_ACTOR = Actor("system:retention", "Retention (timer)")
LINK_AFTER = timedelta(minutes=1)  # a panel that has not said which call is its drill's by then: look it up


def start(agent_id: str, started_by: str, deps: DrillPorts, schedule_id: str | None = None) -> dict[str, Any]:
    """Write the drill (the intent) before its dial; StateConflict (409) beside a real emergency call or its
    callback window, or while a test call of hers is in progress. Reads only: nothing of a call changes."""
    if deps.agents.get(agent_id) is None:
        raise NotFound(f"no agent profile {agent_id}: an admin must create it before a drill")
    now = deps.clock.now()
    presence, _ = deps.presence.get(agent_id)
    why = refusal(presence, [c for c in deps.calls.list() if c.agent_id == agent_id], now)
    if why:
        raise StateConflict(f"drill refused: {why}")
    drill = deps.drills.create(Drill(f"drill-{uuid.uuid4().hex}", agent_id, now, started_by, schedule_id,
                                     presence_before=presence.status))
    log.info("drill %s started for agent %s", drill.drill_id, agent_id)
    return drill_view(drill) | {"dialNumber": DRILL_NUMBER}


def report_dial(drill_id: str, agent_id: str, call_id: str, answer_ms: float, test_mode: bool,
                deps: DrillPorts) -> dict[str, Any]:
    """The panel's account of the drill's dial: its emergency call id, how long the backend took to answer, and
    whether the panel showed the test mode. Idempotent; another call for the same drill is a 409."""
    drill = own_drill(drill_id, agent_id, deps)
    loaded = deps.calls.get(call_id)
    if loaded is not None and (loaded[0].agent_id != agent_id or not loaded[0].test):
        raise ValidationError("emergencyCallId", "is not a 933 test call of this agent")

    def told(d: Drill) -> Drill:
        if d.call_id not in (None, call_id):
            raise StateConflict(f"drill {d.drill_id} is for call {d.call_id}")
        if d.complete:
            return d
        return replace(d, call_id=call_id, dial_answer_ms=d.dial_answer_ms if d.dial_answer_ms is not None
                       else answer_ms, panel_test_mode=bool(d.panel_test_mode) or test_mode)
    return drill_view(refresh(_change(drill, told, deps), deps))


def own_drill(drill_id: str, agent_id: str | None, deps: DrillPorts) -> Drill:
    drill = deps.drills.get(drill_id)
    if drill is None or drill.purging_at is not None or (agent_id is not None and drill.agent_id != agent_id):
        raise NotFound(f"no drill {drill_id}")
    return drill


def refresh(drill: Drill, deps: DrillPorts) -> Drill:
    """Observe presence and judge the report from the records; saved only when it changed (conditional: a
    concurrent judge's write is read again, never overwritten). Idempotent; complete once every step is decided
    or the deadline has passed, so a drill whose notification cannot be delivered fails rather than waits."""
    def judged(d: Drill) -> Drill:
        if d.complete or d.purging_at is not None:
            return d
        call = _call_of(d, deps)
        now = deps.clock.now()
        d = replace(d, call_id=call.call_id) if call is not None and d.call_id is None else d
        observed = observe(d, deps.presence.get(d.agent_id)[0], now)
        return judge(observed, call, deps.deliveries.list(call.call_id) if call else [], now)
    return _change(drill, judged, deps)


def _change(drill: Drill, change: Callable[[Drill], Drill], deps: DrillPorts, tries: int = 3) -> Drill:
    for _ in range(tries):
        changed = change(drill)
        if changed == drill:
            return drill
        try:
            return deps.drills.replace(changed)
        except Conflict:
            current = deps.drills.get(drill.drill_id)
            if current is None:
                return changed
            drill = current
    return drill


def _call_of(drill: Drill, deps: DrillPorts) -> EmergencyCall | None:
    if drill.call_id is not None:
        loaded = deps.calls.get(drill.call_id)
        return loaded[0] if loaded else None
    if deps.clock.now() - drill.started_at < LINK_AFTER:
        return None  # the panel says which call it is in a moment; no scan on every poll
    mine = [c for c in deps.calls.list() if c.agent_id == drill.agent_id and c.test and c.dialed_at >= drill.started_at]
    return min(mine, key=lambda c: c.dialed_at, default=None)


# --- schedules and lists -----------------------------------------------------------------------------------------


def add_schedule(scope: str, target: str, starts: date, ends: date, note: str, actor: Actor,
                 deps: DrillPorts) -> dict[str, Any]:
    schedule = Schedule(f"sched-{uuid.uuid4().hex[:12]}", scope, target, starts, ends, actor.name,
                        deps.clock.now(), note)
    deps.drills.add_schedule(schedule)
    _audit(deps, actor, "created", schedule.schedule_id, None, _schedule_fields(schedule))
    return schedule_view(schedule, deps.agents.list(), [], deps.clock.now().date())


def delete_schedule(schedule_id: str, actor: Actor, deps: DrillPorts) -> None:
    found = next((s for s in deps.drills.schedules() if s.schedule_id == schedule_id), None)
    if found is None or not deps.drills.delete_schedule(schedule_id):
        raise NotFound(f"no drill schedule {schedule_id}")
    _audit(deps, actor, "deleted", schedule_id, _schedule_fields(found), None)


def _audit(deps: DrillPorts, actor: Actor, action: str, entity_id: str, old: dict[str, Any] | None,
           new: dict[str, Any] | None) -> None:
    deps.audit.append(entries(uuid.uuid4().hex, deps.clock.now(), actor, action, "drill-schedule", entity_id,
                              diff(old, new)))


def _schedule_fields(s: Schedule) -> dict[str, Any]:
    return {"scope": s.scope, "target": s.target, "starts": s.starts.isoformat(), "ends": s.ends.isoformat(),
            "note": s.note}


def list_drills(deps: DrillPorts, agent_id: str | None = None, status: str | None = None) -> dict[str, Any]:
    """The admin's list: every drill (running ones judged first), newest first, and each schedule's agents."""
    drills = [refresh(d, deps) if not d.complete else d for d in deps.drills.list(agent_id) if d.purging_at is None]
    agents = deps.agents.list()
    today = deps.clock.now().date()
    names = {a.agent_id: a.display_name for a in agents}
    shown = [d for d in drills if status is None or drill_status(d) == status]
    return {"drills": [drill_view(d) | {"agentName": names.get(d.agent_id, d.agent_id)} for d in shown],
            "schedules": [schedule_view(s, agents, drills, today) for s in deps.drills.schedules()]}


def agent_drills(agent_id: str, deps: DrillPorts) -> dict[str, Any]:
    """Her panel: the drills asked of her now (open schedules she has not passed yet) and her latest drills."""
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent profile {agent_id}")
    drills = [d for d in deps.drills.list(agent_id) if d.purging_at is None]
    today = deps.clock.now().date()
    due = [s for s in deps.drills.schedules() if s.covers(agent_id, _site(agent)) and s.open_on(today)
           and _state(s, agent_id, drills, today) != "passed"]
    return {"due": [{"scheduleId": s.schedule_id, "ends": s.ends.isoformat(), "note": s.note} for s in due],
            "drills": [drill_view(d) for d in drills[:10]]}


def _site(agent: Agent) -> str | None:
    site = (agent.last_location or {}).get("siteId")
    return str(site) if site else None


def _state(s: Schedule, agent_id: str, drills: list[Drill], today: date) -> str:
    within = [d for d in drills if d.agent_id == agent_id and s.starts <= d.started_at.date() <= s.ends]
    if any(d.passed for d in within):
        return "passed"
    if any(not d.complete for d in within):
        return "running"
    if today > s.ends:
        return "failed" if within else "missed"
    if today < s.starts:
        return "upcoming"
    return "failed" if within else "due"


def schedule_view(s: Schedule, agents: list[Agent], drills: list[Drill], today: date) -> dict[str, Any]:
    scoped = [a for a in agents if s.covers(a.agent_id, _site(a))]
    return {"scheduleId": s.schedule_id, "scope": s.scope, "target": s.target, "starts": s.starts.isoformat(),
            "ends": s.ends.isoformat(), "note": s.note, "createdBy": s.created_by,
            "agents": [{"agentId": a.agent_id, "displayName": a.display_name,
                        "state": _state(s, a.agent_id, drills, today)} for a in scoped]}


def drill_status(d: Drill) -> str:
    return "running" if not d.complete else ("passed" if d.passed else "failed")


def drill_view(d: Drill) -> dict[str, Any]:
    return {"drillId": d.drill_id, "agentId": d.agent_id, "status": drill_status(d),
            "startedAt": d.started_at.isoformat(), "startedBy": d.started_by, "scheduleId": d.schedule_id,
            "emergencyCallId": d.call_id, "completedAt": d.completed_at.isoformat() if d.completed_at else None,
            "reportMs": round((d.completed_at - d.started_at).total_seconds() * 1000) if d.completed_at else None,
            "steps": [{"id": s.step_id, "title": s.title, "status": s.status, "reason": s.reason, "ms": s.ms}
                      for s in d.steps],
            "failed": [{"id": s.step_id, "title": s.title, "reason": s.reason}
                       for s in d.steps if s.status == "fail"]}


# --- the timer: finish what a crash left, and retention ------------------------------------------------------------


@dataclass
class Housekeeping:
    completed: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)


def housekeep(deps: DrillPorts, retention: timedelta) -> Housekeeping:
    """Every minute (safe to miss or repeat): judge every running drill, so one whose panel or host died still
    gets its report by its deadline; purge drills past retention. Each purge: its intent written first, then the
    audit entry (same id and time on a repeat: written once), then the delete; a run that dies anywhere in it is
    finished by the next."""
    report = Housekeeping()
    cutoff = deps.clock.now() - retention
    for drill in deps.drills.list():
        try:
            if drill.purging_at is not None or expired(drill, cutoff):
                _purge(drill, retention, deps)
                report.purged.append(drill.drill_id)
            elif not drill.complete and refresh(drill, deps).complete:
                report.completed.append(drill.drill_id)
        except Conflict:
            log.info("drill %s changed while the timer looked at it: next run", drill.drill_id)
    return report


def _purge(drill: Drill, retention: timedelta, deps: DrillPorts) -> None:
    if drill.purging_at is None:
        drill = deps.drills.replace(replace(drill, purging_at=deps.clock.now()))
    assert drill.purging_at is not None
    fields = {"agentId": drill.agent_id, "startedAt": drill.started_at.isoformat(), "result": drill_status(drill),
              "retentionDays": str(retention.days)}
    deps.audit.append(entries(f"purge-{drill.drill_id}", drill.purging_at, RETENTION_ACTOR, "purged", "drill",
                              drill.drill_id, [Change(k, v, None) for k, v in fields.items()]))
    deps.drills.delete(drill)
