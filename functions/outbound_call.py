"""HTTP triggers for the dialer: every number before it is dialed, the ids of a placed call, and the hang-up."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import azure.functions as func

from functions._agent import check_agent, check_call_owner, check_emergency_dial, own_agent_id
from functions._common import container, handle_http
from shared import auth, commands
from shared.adapters import lanes, threads
from shared.domain import numbers, sites
from shared.services import ending, outbound

log = logging.getLogger(__name__)
bp = func.Blueprint()


@bp.function_name("outbound_call")
@bp.route(route="outbound-calls", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def outbound_call(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return await on_its_lane(req, context, handle_outbound_call)


async def on_its_lane(req: func.HttpRequest, context: func.Context,
                      handler: Callable[[func.HttpRequest], func.HttpResponse],
                      emergency: bool | None = None) -> func.HttpResponse:
    """For the `async` dial functions: the worker runs them on its event loop, not queued behind its thread pool
    (which other invocations can fill). A dial that may be an emergency call runs on the app's own emergency
    threads, as emergency work that every other invocation yields to (shared/adapters/lanes.py); any other number
    on the threads for other dials. Nothing heavy runs on the event loop itself: a glance at the body. `emergency`
    False: on the other dials' threads whatever the number (a pre-dial hint is no dial: it never takes an emergency
    thread from one, nor makes other work wait)."""
    work = partial(_invoked, context, partial(handler, req))
    if emergency is None:
        emergency = dials_emergency(req.get_body())
    run = lanes.submit_emergency if emergency else lanes.submit_other
    return await asyncio.wrap_future(run(work))


def _invoked(context: func.Context, handler: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    with threads.invocation(context):
        answer: func.HttpResponse = threads.as_invocation(handler)  # this thread logs under the invocation's id
        return answer


# Emergency numbers are short (911, 933, 112, 999, 000; elsewhere up to 5 digits, such as 10111); a phone number has
# 7 digits or more. A glance needs neither the number library nor the whole body; a short extension that is no
# emergency number goes on the emergency lane too, which costs nothing but its place there.
_FEW_DIGITS = 6
_GLANCE_LIMIT = 64 * 1024  # larger bodies are refused by the handler (413): on the other lane


def dials_emergency(body: bytes) -> bool:
    """Whether the body may ask to dial an emergency number (a glance on the event loop, before any check: the
    handler classifies and validates it, and answers a malformed body with 400 on whichever lane it runs)."""
    if len(body) > _GLANCE_LIMIT:
        return False
    try:
        dialed = json.loads(body).get("dialedNumber")
    except (ValueError, AttributeError, RecursionError):
        return False
    digits = sum(ch.isdigit() for ch in dialed) if isinstance(dialed, str) and len(dialed) <= 64 else 0
    return 0 < digits <= _FEW_DIGITS


def handle_outbound_call(req: func.HttpRequest) -> func.HttpResponse:
    """Answer at once; an emergency answer always says dial, with warnings for whatever is missing. A signed-in
    agent's emergency dial is answered even when no profile names her (the call is then recorded against her
    user, and an alert fires: UnmappedEmergencyDial)."""
    started = time.perf_counter()

    def run() -> object:
        ip = _client_ip(req)
        body = commands.parse_json_object(req.get_body())
        if body.get("agentId") in (None, ""):  # a panel dialing before it learned who she is: hers all the same
            body = body | {"agentId": own_agent_id(req) or ""}
        cmd = replace(commands.outbound_call(body), network=_network_of(ip), network_site=_network_site(ip))
        dialed_by = None
        if numbers.classify(cmd.dialed_number, cmd.country_code).emergency:
            dialed_by = check_emergency_dial(req, cmd.agent_id)
        else:
            check_agent(req, cmd.agent_id)
        c = container()
        answer = outbound.place_outbound_call(cmd, c, c.policy, dialed_by)
        if answer.get("emergency"):
            c.telemetry.duration("emergency.dial_to_lease_ms", (time.perf_counter() - started) * 1000,
                                 source=str(answer.get("callbackNumberSource")), test=str(answer.get("test")))
        if dialed_by is not None:
            c.telemetry.event("UnmappedEmergencyDial", problem=dialed_by.code,
                              emergencyCallId=str(answer.get("emergencyCallId")))
        return answer
    return handle_http(run)


def _client_ip(req: func.HttpRequest) -> str | None:
    """Where the request comes from, as the platform reports it (never what the client writes itself). Nothing
    about it may cost the dial its answer: anything unexpected is no address."""
    try:
        return sites.client_ip(req.headers, auth.headers_trusted(os.environ))
    except Exception:  # a header no parser foresaw: the location is then judged without it
        log.exception("the dial's network could not be read from its headers")
        return None


def _network_of(ip: str | None) -> str | None:
    try:
        return sites.network_of(ip)
    except Exception:
        log.exception("the dial's network could not be derived from its address")
        return None


def _network_site(ip: str | None) -> dict[str, Any] | None:
    """The site of the dial's network from memory (no round trip); None when not known, never a delay."""
    if ip is None:
        return None
    try:
        found: dict[str, Any] | None = container().network_sites.suggest(ip)
        return found
    except Exception:
        log.exception("the dial's site could not be looked up in memory")
        return None


@bp.function_name("outbound_call_pre_dial")
@bp.route(route="outbound-calls/{emergencyCallId}/pre-dial", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def outbound_call_pre_dial(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return await on_its_lane(req, context, handle_pre_dial, emergency=False)


def handle_pre_dial(req: func.HttpRequest) -> func.HttpResponse:
    """The panel saw an emergency number typed: hold the callback number its dial (with the same emergencyCallId
    and `preDialed: true`) will claim; never a call (shared/services/outbound.py). A hint is not a dial, so it is
    checked as any agent request is: a signed-in agent for herself only, her sign-in verified (refused when it
    cannot be read); her dial is answered whatever the hint was."""
    def run() -> object:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        cmd = replace(commands.outbound_call(commands.parse_json_object(req.get_body())), emergency_call_id=call_id)
        check_agent(req, cmd.agent_id)
        if not numbers.classify(cmd.dialed_number, cmd.country_code).emergency:
            return {"preDial": False, "reason": "not_emergency"}
        c = container()
        c.network_sites.warm()  # her dial follows: its site from memory, loaded in the background now if due
        return outbound.pre_dial(cmd, c, c.policy)
    return handle_http(run)


@bp.function_name("outbound_call_ids")
@bp.route(route="outbound-calls/{emergencyCallId}/call-ids", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def outbound_call_ids(req: func.HttpRequest) -> func.HttpResponse:
    return handle_outbound_call_ids(req)


def handle_outbound_call_ids(req: func.HttpRequest) -> func.HttpResponse:
    """The dialer reports the ACS serverCallId/correlationId of the placed emergency call."""
    def run() -> object:
        cmd = commands.call_end(req.route_params.get("emergencyCallId", ""), commands.parse_json_object(req.get_body()))
        check_call_owner(req, cmd.call_id, cmd.agent_id)
        c = container()
        ended = ending.link_call_ids(cmd.call_id, c, c.policy, cmd.server_call_id, cmd.correlation_id)
        return {"emergencyCallId": cmd.call_id, "linked": True, "ended": ended}
    return handle_http(run)


@bp.function_name("outbound_call_ended")
@bp.route(route="outbound-calls/{emergencyCallId}/end", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def outbound_call_ended(req: func.HttpRequest) -> func.HttpResponse:
    return handle_outbound_call_ended(req)


def handle_outbound_call_ended(req: func.HttpRequest) -> func.HttpResponse:
    """Idempotent: the first end signal wins; repeating it answers the same record. A call the backend could
    not record (storage was down at the dial) is ended too: its end is kept for the CallStarted still to come."""
    def run() -> object:
        body = commands.parse_json_object(req.get_body()) if req.get_body() else {}
        cmd = commands.call_end(req.route_params.get("emergencyCallId", ""), body)
        agent_id = check_call_owner(req, cmd.call_id, cmd.agent_id)
        c = container()
        dialed = (cmd.dialed_number, cmd.country_code) if cmd.dialed_number else None
        call = ending.end_emergency_call(cmd.call_id, "dialer", c, c.policy, cmd.server_call_id, cmd.correlation_id,
                                         agent_id=agent_id, dialed=dialed)
        return {"emergencyCallId": call.call_id, "endedAt": call.ended_at, "endSource": call.end_source,
                "callbackNumber": call.callback_number, "callbackWindowEndsAt": call.callback_until}
    return handle_http(run)



