"""Escalation (issue 20): the 10-second timer that runs the steps due, and the admin's policy.

`escalation_steps` (timer, every 10 seconds): each step due runs once, claimed with a conditional write; a step
whose run died is taken over a minute later. `GET/PUT /api/manage/escalation-policy`: the tiers after the first
notification, the mode, the on-call recipients and whether a 933 test escalates, saved as versions (audited);
`POST /api/manage/escalation-policy/restore` makes an older version current again.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from functions._auth import access_for, authorized
from functions._common import container
from shared import commands
from shared.auth import Access, Principal
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
    """GET the policy in force, its version and every saved version; PUT saves a new version (If-Match: the version
    it was read at, else 412 when another admin saved meanwhile). ETag: the current version."""
    def run(who: Principal) -> object:
        if req.method == "PUT":
            expected = escalation_policy.parse_if_match(req.headers.get("If-Match"))
            policy = policies.parse_policy(commands.parse_json_object(req.get_body()))
            return escalation_policy.put_policy(policy, who.actor, container(), expected)
        return escalation_policy.get_policy(container())
    return _tagged(authorized(req, access_for(req), run))


@bp.function_name("manage_escalation_policy_restore")
@bp.route(route="manage/escalation-policy/restore", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_escalation_policy_restore(req: func.HttpRequest) -> func.HttpResponse:
    """POST {"version": n}: version n becomes current as a new version (audited); 404 when there is no version n,
    412 as the PUT."""
    def run(who: Principal) -> object:
        expected = escalation_policy.parse_if_match(req.headers.get("If-Match"))
        version = escalation_policy.restore_version(commands.parse_json_object(req.get_body()))
        return escalation_policy.restore(version, who.actor, container(), expected)
    return _tagged(authorized(req, Access.CHANGE, run))


def _tagged(response: func.HttpResponse) -> func.HttpResponse:
    """The current version as the answer's ETag, for the next If-Match."""
    if response.status_code == 200:
        version = json.loads(response.get_body()).get("version")
        if isinstance(version, int):
            response.headers["ETag"] = f'"{version}"'
    return response
