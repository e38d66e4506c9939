"""The agent's presence and its emergency Do Not Disturb: a small state machine, idempotent per emergency call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

DND = "DoNotDisturb"
PRESENCE_VALUES = ("Available", "Busy", "Away", "BeRightBack", "DoNotDisturb", "Offline")
DEFAULT_PRESENCE = "Available"


class PresenceLocked(Exception):
    """The agent tried to change presence while an emergency call holds it at Do Not Disturb."""


@dataclass(frozen=True)
class Presence:
    """What the panel shows; `previous` is what to return to when the emergency call ends."""

    agent_id: str
    status: str = DEFAULT_PRESENCE
    emergency_call_id: str | None = None
    previous: str | None = None
    emergency_since: datetime | None = None
    changed_at: datetime | None = None

    @property
    def in_emergency(self) -> bool:
        return self.emergency_call_id is not None


def start_emergency(p: Presence, call_id: str, now: datetime) -> Presence:
    """Do Not Disturb whatever the status was; remember the status from before the first emergency call."""
    if p.emergency_call_id == call_id:
        return p
    previous = p.previous if p.in_emergency else p.status
    return replace(p, status=DND, emergency_call_id=call_id, previous=previous, emergency_since=now, changed_at=now)


def end_emergency(p: Presence, call_id: str, now: datetime) -> Presence:
    """Return to the remembered status if `call_id` is the call holding DND; otherwise change nothing."""
    if p.emergency_call_id != call_id:
        return p
    return replace(p, status=p.previous or DEFAULT_PRESENCE, emergency_call_id=None, previous=None,
                   emergency_since=None, changed_at=now)


def set_by_agent(p: Presence, status: str, now: datetime) -> Presence:
    """The agent's own change; refused during an emergency call."""
    if status not in PRESENCE_VALUES:
        raise ValueError(f"status must be one of {', '.join(PRESENCE_VALUES)}")
    if p.in_emergency:
        raise PresenceLocked("presence cannot be changed during an emergency call; it returns to "
                             f"{p.previous or DEFAULT_PRESENCE} when the call ends")
    return replace(p, status=status, changed_at=now)


def is_stuck(p: Presence, now: datetime, max_call: timedelta) -> bool:
    """Emergency DND held longer than any call lasts: its end signal never arrived."""
    return p.in_emergency and p.emergency_since is not None and now - p.emergency_since > max_call
