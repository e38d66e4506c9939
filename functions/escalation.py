"""Escalation (issue 20): the 10-second timer that runs the steps due, and the admin's policy.

`escalation_steps` (timer, every 10 seconds): each step due runs once, claimed with a conditional write; a step
whose run died is taken over a minute later. `GET/PUT /api/manage/escalation-policy`: the tiers after the first
notification, the mode, the on-call recipients and whether a 933 test escalates (audited).
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions._auth import access_for, authorized
from functions._common import container
from shared import commands
from shared.auth import Principal
from shared.domain import escalation as policies
from shared.services import escalation, escalation_policy

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("escalation_steps")
@bp.timer_trigger(arg_name="timer", schedule="*/10 * * * * *", run_on_startup=False, use_monitor=True)
def escalation_steps(timer: func.TimerRequest) -> None:
    c = container()
    done = escalation.run_due(c, c.settings.public_base_url)
    for step in done:
        c.telemetry.duration("escalation.due_to_run_ms",
                             ((step.ran_at or step.due_at) - step.due_at).total_seconds() * 1000,
                             status=step.status)


@bp.function_name("manage_escalation_policy")
@bp.route(route="manage/escalation-policy", methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_escalation_policy(req: func.HttpRequest) -> func.HttpResponse:
    def run(who: Principal) -> object:
        if req.method == "PUT":
            policy = policies.parse_policy(commands.parse_json_object(req.get_body()))
            return escalation_policy.put_policy(policy, who.actor, container())
        return escalation_policy.get_policy(container())
    return authorized(req, access_for(req), run)
