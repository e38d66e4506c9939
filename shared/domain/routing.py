"""Where a responder's callback goes: straight to the agent, to the fallback desk, or nowhere (not ours / stale).

Decided from one stored record and `now`; no routing rules, capacity or presence are consulted, on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.lease import PoolNumber


class Outcome(StrEnum):
    REDIRECTED = "redirected"  # to the agent whose emergency callback window is open
    # Addressed to the agent's own identity while her window is open (direct offer): it already rings her, so it
    # is recorded and shown, never redirected (a redirect to the identity it is addressed to is undocumented).
    RINGING_DIRECT = "ringing_direct"
    FALLBACK = "fallback"  # a pool number with no live lease: the security desk, never the last holder
    NOT_OURS = "not_ours"  # any other call: the contact center's normal routing handles it
    DROPPED_STALE = "dropped_stale"  # the call has stopped ringing (or will before a redirect lands)


@dataclass(frozen=True)
class IncomingCall:
    """The parts of Microsoft.Communication.IncomingCall the decision needs."""

    event_id: str
    to_raw_id: str
    from_raw_id: str | None
    incoming_call_context: str
    server_call_id: str | None
    correlation_id: str | None
    event_time: datetime

    @property
    def to_phone(self) -> str | None:
        return self.to_raw_id[2:] if self.to_raw_id.startswith("4:") else None

    @property
    def dedup_key(self) -> str:
        """One key per call: a duplicate delivery, or the IncomingCall a redirect raises, shares it."""
        return self.correlation_id or self.server_call_id or self.incoming_call_context


@dataclass(frozen=True)
class CallbackWindow:
    """An agent's open emergency callback window, found by their ACS identity (direct offer)."""

    acs_user_id: str
    agent_id: str
    call_id: str
    until: datetime
    test: bool = False


def in_force(windows: Iterable[CallbackWindow], now: datetime) -> CallbackWindow | None:
    """The window a callback to the agent belongs to now: a real call's before a test call's, then the one that
    lasts longest (every open window reaches the same agent; this one names the call it is recorded on)."""
    return max((w for w in windows if w.until > now), key=lambda w: (not w.test, w.until), default=None)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    target: str | None = None
    agent_id: str | None = None
    call_id: str | None = None
    reason: str = ""


def is_stale(call: IncomingCall, now: datetime, max_age: timedelta) -> bool:
    return now - call.event_time > max_age


def decide_pool_number(number: PoolNumber | None, now: datetime, fallback: str | None) -> Decision:
    """A call to a phone number: a live lease goes to its agent; a pool number without one to the fallback."""
    if number is None:
        return Decision(Outcome.NOT_OURS, reason="not a callback pool number")
    lease = number.active_lease(now)
    if lease is not None and lease.unclaimed:  # no one was told the number yet: not a responder's callback
        return Decision(Outcome.FALLBACK, fallback, lease.agent_id, None, "a pre-dial hold, no call yet")
    if lease is not None and lease.acs_user_id:
        return Decision(Outcome.REDIRECTED, lease.acs_user_id, lease.agent_id, lease.call_id, "live lease")
    why = "leased to an agent without an ACS identity" if lease is not None else "no live lease"
    return Decision(Outcome.FALLBACK, fallback, lease.agent_id if lease else None,
                    lease.call_id if lease else None, why)


def decide_identity(window: CallbackWindow | None, now: datetime) -> Decision:
    """A call to an agent's identity (direct offer): hers while her callback window is open, else not ours."""
    if window is None or window.until <= now:
        return Decision(Outcome.NOT_OURS, reason="no open emergency callback window")
    # The call is addressed to the identity whose window is open: ACS rings her already, whatever her presence
    # (our presence is the app's own state, FACTS.md), so there is nothing to redirect.
    return Decision(Outcome.RINGING_DIRECT, None, window.agent_id, window.call_id, "open window, rings the agent")
