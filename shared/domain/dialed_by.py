"""Whose emergency call it is when the signed-in caller is not the agent her dial names. Pure: no I/O.

An emergency dial is never refused for bookkeeping reasons (issue 17): a signed-in agent (app role Agent) whose
user no profile names (`signInId` not set), or who is another agent than the one her dialer sends, still has her
call handled, recorded against what is known of her and never against the agent named, whose presence, callback
number and contacts stay hers alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NOT_MAPPED = "agent_not_mapped"  # no agent profile names the signed-in user
MISMATCH = "agent_id_mismatch"  # her user is another agent than the one the dial names
# The agent id of a call by a user no profile names. Admins cannot give a profile such an id
# (commands.agent refuses it), so no profile's contacts, presence or callbacks ever apply to it.
PRINCIPAL_PREFIX = "principal:"
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@\-]{0,99}")


def principal_agent_id(user_id: str) -> str:
    """`principal:<object id>` (a digest of it when it is no valid agent id): the same for every call she makes."""
    if _PLAIN_ID.fullmatch(user_id):
        return PRINCIPAL_PREFIX + user_id
    return PRINCIPAL_PREFIX + hashlib.sha256(user_id.encode()).hexdigest()[:40]


def is_principal_agent_id(agent_id: str) -> bool:
    return agent_id.lower().startswith(PRINCIPAL_PREFIX)


@dataclass(frozen=True)
class DialedBy:
    """A signed-in agent whose emergency dial names an agent she is not (`mapped_to`: the agent her user is;
    None when no profile names her)."""

    user_id: str
    user_name: str
    named: str
    mapped_to: str | None = None

    @property
    def agent_id(self) -> str:
        """Whom the call is recorded against: the agent she is, else her user."""
        return self.mapped_to or principal_agent_id(self.user_id)

    @property
    def code(self) -> str:
        return NOT_MAPPED if self.mapped_to is None else MISMATCH

    @property
    def message(self) -> str:
        """What the answer says: what is missing, what was done instead, and who can fix it."""
        if self.mapped_to is not None:
            return (f"the signed-in user {self.user_name} is agent {self.mapped_to}, not {self.named}: this call is "
                    f"recorded as {self.mapped_to}'s (her presence, contacts and callback). Check the agent id "
                    "your dialer sends")
        return (f"no agent profile names the signed-in user {self.user_name}, so this call is recorded against her "
                f"user ({self.agent_id}), not against agent {self.named}: her own contacts are unknown, so the "
                "fallback recipients are notified, and a callback to her callback number reaches the fallback "
                f"desk. Ask an administrator to set signInId to {self.user_id} on her agent profile")
