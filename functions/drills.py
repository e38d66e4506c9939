"""933 drills (issue 21): the agent starts one from her panel, admins schedule them and read their reports.

Signed-in agent, for herself only: `GET/POST /api/agent/agents/{agentId}/drills` (her due drills and latest
reports; start one: 201, 409 beside a real emergency call), `GET /api/agent/agents/{agentId}/drills/{drillId}`,
`POST .../drills/{drillId}/dial` (the panel's account of the drill's dial).
Admins (auditors read): `GET /api/manage/drills?agentId=&status=running|passed|failed`,
`GET /api/manage/drills/{drillId}`, `POST /api/manage/drills/schedules`, `DELETE
/api/manage/drills/schedules/{scheduleId}`. Timer `drill_housekeeping`: every minute, reports of running drills by
their deadline and retention (INCIDENT_RETENTION_DAYS).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import azure.functions as func

from functions._agent import check_agent
from functions._auth import authorized, principal
from functions._common import container, handle_http
from shared import commands
from shared.auth import Access, Principal
from shared.domain.drills import SCOPES
from shared.errors import NotFound, ValidationError
from shared.services import drills

log = logging.getLogger(__name__)
bp = func.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS  # the principal is checked in the function
MAX_RANGE_DAYS = 366
STATUSES = ("running", "passed", "failed")


@bp.function_name("agent_drills")
@bp.route(route="agent/agents/{agentId}/drills", methods=["GET", "POST"], auth_level=ANONYMOUS)
def agent_drills(req: func.HttpRequest) -> func.HttpResponse:
    """POST starts a drill (201) before the panel dials 933; 409 while she is on, or within the callback window
    of, a real emergency call (nothing of that call is touched)."""
    def run() -> object:
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        check_agent(req, agent_id)
        c = container()
        if req.method == "GET":
            return drills.agent_drills(agent_id, c)
        body = commands.parse_json_object(req.get_body()) if req.get_body() else {}
        _only(body, {"scheduleId"})
        schedule = body.get("scheduleId")
        if schedule is not None:
            schedule = commands.check_id("scheduleId", str(schedule))
        who = principal(req)
        return drills.start(agent_id, who.name if who else agent_id, c, schedule)
    return handle_http(run, 201 if req.method == "POST" else 200)


@bp.function_name("agent_drill")
@bp.route(route="agent/agents/{agentId}/drills/{drillId}", methods=["GET"], auth_level=ANONYMOUS)
def agent_drill(req: func.HttpRequest) -> func.HttpResponse:
    """Her drill's report as it stands (judged now: the panel polls it while the drill runs)."""
    def run() -> object:
        agent_id, drill_id = _ids(req)
        check_agent(req, agent_id)
        c = container()
        return drills.drill_view(drills.refresh(drills.own_drill(drill_id, agent_id, c), c))
    return handle_http(run)


@bp.function_name("agent_drill_dial")
@bp.route(route="agent/agents/{agentId}/drills/{drillId}/dial", methods=["POST"], auth_level=ANONYMOUS)
def agent_drill_dial(req: func.HttpRequest) -> func.HttpResponse:
    """`{"emergencyCallId", "answerMs", "testMode"}`: idempotent."""
    def run() -> object:
        agent_id, drill_id = _ids(req)
        check_agent(req, agent_id)
        body = commands.parse_json_object(req.get_body())
        _only(body, {"emergencyCallId", "answerMs", "testMode"})
        call_id = commands.check_id("emergencyCallId", str(body.get("emergencyCallId") or ""))
        answer_ms = body.get("answerMs")
        if isinstance(answer_ms, bool) or not isinstance(answer_ms, int | float) or not 0 <= answer_ms <= 600_000:
            raise ValidationError("answerMs", "must be a number of milliseconds from 0 to 600000")
        if not isinstance(body.get("testMode"), bool):
            raise ValidationError("testMode", "must be true or false")
        return drills.report_dial(drill_id, agent_id, call_id, float(answer_ms), body["testMode"], container())
    return handle_http(run)


@bp.function_name("manage_drills")
@bp.route(route="manage/drills", methods=["GET"], auth_level=ANONYMOUS)
def manage_drills(req: func.HttpRequest) -> func.HttpResponse:
    def run(_: Principal) -> object:
        agent = req.params.get("agentId")
        status = req.params.get("status")
        if status is not None and status not in STATUSES:
            raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
        return drills.list_drills(container(), commands.check_id("agentId", agent) if agent else None, status)
    return authorized(req, Access.READ, run)


@bp.function_name("manage_drill_schedules")
@bp.route(route="manage/drills/schedules", methods=["POST"], auth_level=ANONYMOUS)
def manage_drill_schedules(req: func.HttpRequest) -> func.HttpResponse:
    """`{"scope": "agent"|"site", "target", "starts", "ends", "note"}` (dates YYYY-MM-DD, UTC): 201, audited."""
    def run(who: Principal) -> object:
        c = container()
        scope, target, starts, ends, note = _schedule(commands.parse_json_object(req.get_body()), c)
        return drills.add_schedule(scope, target, starts, ends, note, who.actor, c)
    return authorized(req, Access.CHANGE, run, status=201)


@bp.function_name("manage_drill_schedule")
@bp.route(route="manage/drills/schedules/{scheduleId}", methods=["DELETE"], auth_level=ANONYMOUS)
def manage_drill_schedule(req: func.HttpRequest) -> func.HttpResponse:
    def run(who: Principal) -> None:
        schedule_id = commands.check_id("scheduleId", req.route_params.get("scheduleId", ""))
        drills.delete_schedule(schedule_id, who.actor, container())
    return authorized(req, Access.CHANGE, run, status=204)


@bp.function_name("manage_drill")
@bp.route(route="manage/drills/{drillId}", methods=["GET"], auth_level=ANONYMOUS)
def manage_drill(req: func.HttpRequest) -> func.HttpResponse:
    def run(_: Principal) -> object:
        c = container()
        drill_id = commands.check_id("drillId", req.route_params.get("drillId", ""))
        return drills.drill_view(drills.refresh(drills.own_drill(drill_id, None, c), c))
    return authorized(req, Access.READ, run)


@bp.function_name("drill_housekeeping")
@bp.timer_trigger(arg_name="timer", schedule="30 * * * * *", run_on_startup=False, use_monitor=True)
def drill_housekeeping(timer: func.TimerRequest) -> None:
    """Safe to miss or repeat: reports are judged from the records, purges resume from their written intent."""
    c = container()
    report = drills.housekeep(c, timedelta(days=c.settings.incident_retention_days))
    log.info("drills: %d report(s) completed, %d drill(s) purged%s", len(report.completed), len(report.purged),
             " (past due)" if timer.past_due else "")


def _ids(req: func.HttpRequest) -> tuple[str, str]:
    return (commands.check_id("agentId", req.route_params.get("agentId", "")),
            commands.check_id("drillId", req.route_params.get("drillId", "")))


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    for name in body:
        if name not in allowed:
            raise ValidationError(name, f"is not a field of this request (allowed: {', '.join(sorted(allowed))})")


def _schedule(body: dict[str, Any], c: Any) -> tuple[str, str, date, date, str]:
    _only(body, {"scope", "target", "starts", "ends", "note"})
    scope = body.get("scope")
    if scope not in SCOPES:
        raise ValidationError("scope", f"must be one of {', '.join(SCOPES)}")
    target = commands.check_id("target", str(body.get("target") or ""))
    known = c.agents.get(target) if scope == "agent" else c.sites.get_site(target)
    if known is None:
        raise NotFound(f"no {scope} {target}")
    starts, ends = _date(body, "starts"), _date(body, "ends")
    if ends < starts:
        raise ValidationError("ends", "must be on or after starts")
    if (ends - starts).days > MAX_RANGE_DAYS:
        raise ValidationError("ends", f"a schedule spans at most {MAX_RANGE_DAYS} days")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > 200:
        raise ValidationError("note", "must be text of at most 200 characters")
    return str(scope), target, starts, ends, note


def _date(body: dict[str, Any], name: str) -> date:
    value = body.get(name)
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> date:
    raise ValidationError(name, "must be a date as YYYY-MM-DD")
