"""Readiness of agents' emergency calls: every prerequisite as pass / warning / fail (Admin or Auditor)."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from functions._auth import authorized
from functions._common import container
from shared import commands
from shared.auth import Access
from shared.config import SettingError, problems
from shared.services import readiness

bp = func.Blueprint()


def routing_or_none(c: Any) -> Any:
    """The routing engine, or None when ROUTING_ENGINE is malformed (listed under `settings` instead)."""
    try:
        return c.routing
    except SettingError:
        return None


@bp.function_name("manage_readiness")
@bp.route(route="manage/readiness", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_readiness(req: func.HttpRequest) -> func.HttpResponse:
    """All agents with their checks, and how many are ready (pass), at risk (warning) or not ready (fail); under
    `settings`, every app setting that is set but malformed, by name."""
    def run(_: object) -> object:
        c = container()
        return readiness.all_readiness(c, c.policy, routing_or_none(c)) | {"settings": problems(c.settings)}
    return authorized(req, Access.READ, run)


@bp.function_name("manage_agent_readiness")
@bp.route(route="manage/agents/{agentId}/readiness", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_agent_readiness(req: func.HttpRequest) -> func.HttpResponse:
    def run(_: object) -> object:
        c = container()
        agent_id = commands.check_id("agentId", req.route_params.get("agentId", ""))
        return readiness.agent_readiness(agent_id, c, c.policy, routing_or_none(c))
    return authorized(req, Access.READ, run)
