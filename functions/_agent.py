"""Who calls the agent-facing functions: the signed-in agent for herself, or a dialer service for any agent.

Every agent-facing function (the dialer's outbound-calls, call-ids and end; presence; the panel's emergency state
and call history) checks its caller here before it reads or writes anything: 401 without a principal, 403 for
another agent's id. The dialer dials an emergency number whatever it is answered; an emergency dial by a signed-in
agent is answered even when no profile names her (shared/agent_access.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import azure.functions as func

from functions._auth import principal
from functions._common import container
from shared import agent_access, ports
from shared.auth import Principal
from shared.domain.dialed_by import DialedBy, principal_agent_id
from shared.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Unverifiable(Exception):
    """The caller's sign-in could not be read (storage down)."""


def check_agent(req: func.HttpRequest, agent_id: str | None) -> None:
    """Raise Unauthorized / Forbidden unless the caller may act for `agent_id` (None: an unknown owner, which
    only a dialer service may act for). One point read for a signed-in agent, none for a dialer service."""
    caller = principal(req)
    _refused_logged(req, agent_id, caller, lambda: agent_access.check_acts_for(
        caller, agent_id or "", _signed_in_as(caller, strict=True)))


def check_emergency_dial(req: func.HttpRequest, agent_id: str) -> DialedBy | None:
    """Who the emergency dial is by when that is not the agent named (the call is then hers): a signed-in agent no
    profile names, or another agent. Raises Unauthorized / Forbidden for nobody or a caller with neither role.

    A signed-in agent whose profile cannot be read (storage down) is let through as the agent named: refusing
    would cost the call its notification, while storage is down the dial writes nothing but the CallStarted it
    publishes for the agent named."""
    caller = principal(req)
    try:
        signed_in_as = _signed_in_as(caller, strict=False)
    except _Unverifiable:
        log.error("emergency dial for agent %s by user %s: sign-in not verifiable (storage down); let through",
                  agent_id, caller.user_id if caller else "<nobody>")
        return None
    dialed_by = _refused_logged(req, agent_id, caller,
                                lambda: agent_access.emergency_dial_by(caller, agent_id, signed_in_as))
    if dialed_by is not None:
        log.error("emergency dial by user %s names agent %s (%s): recorded as %s", dialed_by.user_id, agent_id,
                  dialed_by.code, dialed_by.agent_id)
    return dialed_by


def check_call_owner(req: func.HttpRequest, call_id: str, claimed_agent: str | None) -> str | None:
    """The caller may act for the agent of emergency call `call_id` (its record's, else the one the request
    names, for a call not recorded yet); answers the agent the request acts for (a signed-in agent no profile
    names acts for her own user, on her own calls)."""
    loaded = container().calls.get(call_id)
    # The record decides whose call it is; what the request claims counts only for a call not recorded yet. A
    # dialer service naming the wrong agent still ends the call (a lost end would leave the agent in DND).
    recorded = loaded is not None and bool(loaded[0].agent_id)
    owner = loaded[0].agent_id if loaded is not None and recorded else claimed_agent
    caller = principal(req)
    own = _refused_logged(req, owner, caller, lambda: agent_access.end_acts_for(
        caller, owner, recorded, _signed_in_as(caller, strict=True)))
    return own or claimed_agent


def own_agent_id(req: func.HttpRequest) -> str | None:
    """For a request that names no agent: the signed-in agent's own (her profile's, else her user's
    `principal:<object id>`, also when storage cannot say which profile names her); None for anyone else (a
    dialer service must name the agent). The panel's dial before it learned who she is is still hers."""
    caller = principal(req)
    if caller is None or agent_access.DIALER in caller.roles or agent_access.AGENT not in caller.roles:
        return None
    try:
        mapped = _signed_in_as(caller, strict=False)
    except _Unverifiable:
        mapped = None
    return mapped or principal_agent_id(caller.user_id)


def _signed_in_as(caller: Principal | None, strict: bool) -> str | None:
    """The agent the caller's user is (signed-in agents only: one point read); _Unverifiable when storage fails
    and not `strict` (strict: the StoreError is raised, a 503)."""
    if caller is None or agent_access.DIALER in caller.roles or agent_access.AGENT not in caller.roles:
        return None
    try:
        return container().agents.by_sign_in(caller.user_id)  # type: ignore[no-any-return]
    except ports.StoreError:
        if strict:
            raise
        raise _Unverifiable() from None


def _refused_logged(req: func.HttpRequest, agent_id: str | None, caller: Principal | None,
                    check: Callable[[], T]) -> T:
    """`check()`'s answer; a refusal is logged (who, what, for whom) and raised."""
    try:
        return check()
    except (Unauthorized, Forbidden) as exc:
        log.warning("agent request %s %s for agent %s refused (%d) for user %s", req.method,
                    str(req.url).split("?")[0].split("/api/", 1)[-1], agent_id, exc.status,
                    caller.user_id if caller else "<nobody>")
        raise
