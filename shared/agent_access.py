"""Who may act for an agent: the agent herself, signed in, or a dialer service. Pure: no I/O.

App roles (of the same Entra app registration as the admin roles):
- `EmergencyCalling.Agent`: a signed-in agent; she acts only as the agent whose profile names her user
  (`signInId`, the Entra object id, set by an administrator).
- `EmergencyCalling.Dialer`: a contact-center backend (a managed identity, say) that dials for any agent.
Function keys are a transport gate, never an identity. The dialer dials an emergency number whatever these checks
answer (401 and 403 included): the backend's answer adds to the call, it never gates it.

An emergency dial by a signed-in agent is never refused for bookkeeping: when no profile names her user, or her
dialer names another agent, the call is hers, recorded against what is known of her (shared/domain/dialed_by.py),
and she may end the call she started. Only nobody (401) or a caller without either role (403) is refused.
"""

from __future__ import annotations

from shared.auth import Principal
from shared.domain.dialed_by import DialedBy, principal_agent_id
from shared.errors import Forbidden, Unauthorized

AGENT = "EmergencyCalling.Agent"
DIALER = "EmergencyCalling.Dialer"


def check_acts_for(principal: Principal | None, agent_id: str, signed_in_as: str | None) -> None:
    """Nothing when `principal` may act for `agent_id`; Unauthorized (401) when nobody is signed in, Forbidden (403)
    otherwise. `signed_in_as` is the agent id the principal's user is mapped to (None: not mapped)."""
    if not _signed_in_agent(principal):
        return
    assert principal is not None
    if signed_in_as != agent_id:
        raise Forbidden(f"{principal.name} acts only as {signed_in_as or 'no agent (no profile names this user)'}"
                        f", not as {agent_id}")


def emergency_dial_by(principal: Principal | None, named: str, signed_in_as: str | None) -> DialedBy | None:
    """For an emergency dial naming agent `named`: None when the caller may act for her (a dialer service, or the
    agent herself); who the caller is when she is a signed-in agent who is not `named` (the call is then hers).
    Unauthorized (401) when nobody is signed in, Forbidden (403) for a caller with neither role."""
    if not _signed_in_agent(principal) or signed_in_as == named:
        return None
    assert principal is not None
    return DialedBy(principal.user_id, principal.name, named, signed_in_as)


def end_acts_for(principal: Principal | None, owner: str | None, recorded: bool,
                 signed_in_as: str | None) -> str | None:
    """Whether the caller may end (or report the ids of) a call whose agent is `owner` (the record's, else the one
    the request names), as check_acts_for. A signed-in agent no profile names may, on her own recorded calls and
    on a call not recorded yet: answers her user's agent id (principal_agent_id), which the request acts for in
    place of the agent it names; None otherwise (the request acts as it names)."""
    if _signed_in_agent(principal) and signed_in_as is None:
        assert principal is not None
        own = principal_agent_id(principal.user_id)
        if not recorded or owner == own:
            return own
    check_acts_for(principal, owner or "", signed_in_as)
    return None


def _signed_in_agent(principal: Principal | None) -> bool:
    """True for a signed-in agent (who acts for herself only), False for a dialer service (who acts for anyone);
    Unauthorized / Forbidden for nobody or a caller with neither role."""
    if principal is None:
        raise Unauthorized("sign in first: agent requests need a signed-in agent or dialer service")
    if DIALER in principal.roles:
        return False
    if AGENT not in principal.roles:
        raise Forbidden(f"{principal.name} may not act for agents: it needs the app role {AGENT} or {DIALER}")
    return True
