"""Who calls the agent-facing functions: the signed-in agent for herself, or a dialer service for any agent.

Every agent-facing function (the dialer's outbound-calls, call-ids and end; presence; the panel's emergency state
and call history) checks its caller here before it reads or writes anything: 401 without a principal, 403 for
another agent's id. The dialer dials an emergency number whatever it is answered.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions._auth import principal
from functions._common import container
from shared import agent_access, ports
from shared.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)


def check_agent(req: func.HttpRequest, agent_id: str | None, emergency: bool = False) -> None:
    """Raise Unauthorized / Forbidden unless the caller may act for `agent_id` (None: an unknown owner, which
    only a dialer service may act for). One point read for a signed-in agent, none for a dialer service.

    For an emergency dial (`emergency`), a signed-in agent whose profile cannot be read (storage down) is let
    through: refusing would cost the call its notification, while storage is down the dial writes nothing but
    the CallStarted it publishes for the agent named."""
    caller = principal(req)
    signed_in_as = None
    if caller is not None and agent_access.DIALER not in caller.roles and agent_access.AGENT in caller.roles:
        try:
            signed_in_as = container().agents.by_sign_in(caller.user_id)
        except ports.StoreError:
            if not emergency:
                raise
            log.error("emergency dial for agent %s by user %s: sign-in not verifiable (storage down); let through",
                      agent_id, caller.user_id)
            return
    try:
        agent_access.check_acts_for(caller, agent_id or "", signed_in_as)
    except (Unauthorized, Forbidden) as exc:
        log.warning("agent request %s %s for agent %s refused (%d) for user %s", req.method,
                    str(req.url).split("?")[0].split("/api/", 1)[-1], agent_id, exc.status,
                    caller.user_id if caller else "<nobody>")
        raise


def check_call_owner(req: func.HttpRequest, call_id: str, claimed_agent: str | None) -> None:
    """The caller may act for the agent of emergency call `call_id` (its record's, else the one the request
    names, for a call not recorded yet)."""
    loaded = container().calls.get(call_id)
    # The record decides whose call it is; what the request claims counts only for a call not recorded yet. A
    # dialer service naming the wrong agent still ends the call (a lost end would leave the agent in DND).
    owner = loaded[0].agent_id if loaded is not None and loaded[0].agent_id else claimed_agent
    check_agent(req, owner)
