"""Who may act for an agent: the agent herself, signed in, or a dialer service. Pure: no I/O.

App roles (of the same Entra app registration as the admin roles):
- `EmergencyCalling.Agent`: a signed-in agent; she acts only as the agent whose profile names her user
  (`signInId`, the Entra object id, set by an administrator).
- `EmergencyCalling.Dialer`: a contact-center backend (a managed identity, say) that dials for any agent.
Function keys are a transport gate, never an identity. The dialer dials an emergency number whatever these checks
answer (401 and 403 included): the backend's answer adds to the call, it never gates it.
"""

from __future__ import annotations

from shared.auth import Principal
from shared.errors import Forbidden, Unauthorized

AGENT = "EmergencyCalling.Agent"
DIALER = "EmergencyCalling.Dialer"


def check_acts_for(principal: Principal | None, agent_id: str, signed_in_as: str | None) -> None:
    """Nothing when `principal` may act for `agent_id`; Unauthorized (401) when nobody is signed in, Forbidden (403)
    otherwise. `signed_in_as` is the agent id the principal's user is mapped to (None: not mapped)."""
    if principal is None:
        raise Unauthorized("sign in first: agent requests need a signed-in agent or dialer service")
    if DIALER in principal.roles:
        return
    if AGENT not in principal.roles:
        raise Forbidden(f"{principal.name} may not act for agents: it needs the app role {AGENT} or {DIALER}")
    if signed_in_as != agent_id:
        raise Forbidden(f"{principal.name} acts only as {signed_in_as or 'no agent (no profile names this user)'}"
                        f", not as {agent_id}")
