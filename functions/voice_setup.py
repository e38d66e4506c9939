"""Voice setup the readiness checks read: capacity and outbound profiles, resource numbers, direct-routing rules.

`GET /api/manage/voice-config`; `GET/PUT/DELETE /api/manage/voice-config/{kind}/{key}` with kind one of
capacity-profiles, outbound-profiles, numbers (key: the E.164 number), routing-rules; `GET …/{kind}/{key}/impact`:
what deleting it would do, and whether the DELETE would be refused.
"""

from __future__ import annotations

import azure.functions as func

from functions._auth import access_for, authorized
from functions._common import container
from shared import admin_commands, commands
from shared.auth import Access, Principal
from shared.services import readiness, voice_setup

bp = func.Blueprint()


@bp.function_name("manage_voice_config")
@bp.route(route="manage/voice-config", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_voice_config(req: func.HttpRequest) -> func.HttpResponse:
    return authorized(req, Access.READ, lambda _: voice_setup.get_config(container()))


@bp.function_name("manage_voice_config_record")
@bp.route(route="manage/voice-config/{kind}/{key}", methods=["GET", "PUT", "DELETE"],
          auth_level=func.AuthLevel.ANONYMOUS)
def manage_voice_config_record(req: func.HttpRequest) -> func.HttpResponse:
    """PUT creates or replaces (the whole record); DELETE answers 204, or 409 while something uses the record or an
    agent would fail a readiness check (no override); 404 for an unknown record."""
    def run(who: Principal) -> object:
        kind = req.route_params.get("kind", "")
        key = admin_commands.record_key(kind, req.route_params.get("key", ""))
        if req.method == "PUT":
            record = admin_commands.voice_record(kind, key, commands.parse_json_object(req.get_body()))
            return voice_setup.put_record(record, who.actor, container())
        if req.method == "DELETE":
            voice_setup.delete_record(kind, key, who.actor, container(), container().policy)
            return None
        return voice_setup.get_record(kind, key, container())
    return authorized(req, access_for(req), run, status=204 if req.method == "DELETE" else 200)


@bp.function_name("manage_voice_config_impact")
@bp.route(route="manage/voice-config/{kind}/{key}/impact", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_voice_config_impact(req: func.HttpRequest) -> func.HttpResponse:
    """What deleting the record would do, before it is done (read-only): who uses it, which agents' readiness gets
    worse, and whether the DELETE would be refused (`allowed`, `refusal`); 404 for an unknown record."""
    def run(_: Principal) -> object:
        kind = req.route_params.get("kind", "")
        key = admin_commands.record_key(kind, req.route_params.get("key", ""))
        c = container()
        return readiness.impact_view(voice_setup.delete_impact(kind, key, c, c.policy))
    return authorized(req, Access.READ, run)
