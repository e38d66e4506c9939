"""Use case: the agent keeps her own dispatchable location on her profile (the rest of it is the admin's)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.commands import AgentLocation
from shared.errors import NotFound
from shared.ports import Ports


def save_location(agent_id: str, location: AgentLocation, deps: Ports,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Replace the profile's `lastLocation` with what the agent confirmed, stamped with the time; one read, one
    write (`extra`: what the caller resolved, such as her site's civic address). The agent store has no
    conditional update: an admin's save landing between the two is overwritten. NotFound when no profile exists."""
    agent = deps.agents.get(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}: an administrator creates the profile first")
    saved = location.as_profile() | (extra or {}) | {"reportedAt": deps.clock.now().isoformat(),
                                                      "confirmedBy": "agent"}
    deps.agents.put(replace(agent, last_location=saved))
    return saved
