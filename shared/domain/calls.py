"""The emergency call record (the incident) and what the agent's panel shows while it lasts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.domain.lease import LeasePolicy

PANEL_CONTROLS = ("deviceSettings", "endCall")
# callback_source on the direct-offer path: the emergency service's temporary number reaches the agent's identity.
CALLBACK_FROM_EMERGENCY_SERVICE = "emergency_service"
HIDDEN_CONVERSATION_ACTIONS = ("save", "refresh")


@dataclass(frozen=True)
class Agent:
    """An agent as the admin configured them."""

    agent_id: str
    display_name: str
    acs_user_id: str | None = None
    outbound_number: str | None = None
    timezone: str = "UTC"
    email_recipients: str = ""
    sms_recipients: str = ""
    mailbox_enabled: bool = True
    outbound_profile: str | None = None
    capacity_profile: str | None = None
    last_location: dict[str, Any] | None = None
    sign_in_id: str | None = None  # the Entra object id of the user who signs in as this agent (set by an admin)
    routing_worker_id: str | None = None  # her worker in the routing engine (Job Router); None: the agent id
    locale: str | None = None  # her notifications' and panel's locale (domain/locales.py); None: from her country


@dataclass(frozen=True)
class EmergencyCall:
    """What the system must keep about one emergency call; restricted access, purged after retention."""

    call_id: str
    agent_id: str
    dialed_number: str
    country: str | None
    test: bool
    dialed_at: datetime
    agent_name: str = ""
    acs_user_id: str | None = None
    callback_number: str | None = None
    callback_source: str | None = None  # "pool", "agent_outbound" or None
    callback_until: datetime | None = None
    # The call's path as decided at the dial (emergency_path.dial_path): "direct_routing", "direct_offer" or
    # "unknown"; None for records rebuilt without it. `caller_id`: the number the dialer was told to present.
    path: str | None = None
    caller_id: str | None = None
    location: dict[str, Any] | None = None
    warnings: tuple[dict[str, str], ...] = ()
    ended_at: datetime | None = None
    end_source: str | None = None
    server_call_id: str | None = None
    correlation_id: str | None = None
    callbacks: tuple[dict[str, Any], ...] = field(default=())
    # The evidence of Do Not Disturb for the incident's timeline: {"what": "dnd", "at", "previous"} when it was
    # applied, {"what": "restored", "at", "status"} when this call's end gave her presence back (at most one each).
    presence_marks: tuple[dict[str, Any], ...] = field(default=())
    # The outbox flag: False until Emergency.CallStarted is known to be published (the timer publishes it again
    # until then, with the same event id). Written False with the record, set True only after the publish.
    announced: bool = False
    # How the record came to be: "dial" (the dialer's request), "event" (rebuilt from CallStarted, the dial could
    # not write it), "lease" (rebuilt from a lease whose dial died before writing it), "end" (an end signal for a
    # call not known yet: a tombstone that a later CallStarted fills in), "reported" (the same, with what the
    # dialer's end said it dialed: announced by the timer unless CallStarted fills it in first).
    origin: str = "dial"

    @property
    def in_progress(self) -> bool:
        return self.ended_at is None

    @property
    def described(self) -> bool:
        """False for a tombstone: the call's end is known, not the call."""
        return self.origin != "end"

    def filled_from(self, described: EmergencyCall, policy: LeasePolicy) -> EmergencyCall:
        """A tombstone (or what the dialer's end reported) completed with the dial's account of the call; its end
        (first signal) is kept."""
        if self.origin not in ("end", "reported"):
            return self
        call = replace(described, ended_at=None, end_source=None, callbacks=self.callbacks,
                       server_call_id=self.server_call_id, correlation_id=self.correlation_id,
                       announced=True, origin="event")
        assert self.ended_at is not None and self.end_source is not None
        return call.ended(self.ended_at, self.end_source, policy)

    def ended(self, at: datetime, source: str, policy: LeasePolicy) -> EmergencyCall:
        """The first end signal wins; later ones (the other source, redeliveries) change nothing. The callback
        window runs from the end as the lease policy counts it (LeasePolicy.window_until)."""
        if self.ended_at is not None:
            return self
        until = self.callback_until
        if self.callback_source in ("pool", CALLBACK_FROM_EMERGENCY_SERVICE) and until is not None:
            until = max(until, policy.window_until(self.dialed_at, at, self.test))
        return replace(self, ended_at=at, end_source=source, callback_until=until)


def tombstone(call_id: str, agent_id: str, at: datetime, source: str,
              reported: tuple[str, str | None, bool] | None = None) -> EmergencyCall:
    """The record of an end signal that arrived before anything was known of its call (storage was down at the
    dial, or the events came out of order): it keeps the end, so a later CallStarted never applies DND.

    With what the dialer reports it dialed (number, country, test), the call is known well enough to announce:
    nothing else may ever tell the contacts (the dial died before writing anything)."""
    if reported is not None and agent_id:
        number, country, test = reported
        return EmergencyCall(call_id=call_id, agent_id=agent_id, dialed_number=number, country=country, test=test,
                             dialed_at=at, agent_name=agent_id, ended_at=at, end_source=source,
                             warnings=({"code": "reported_by_dialer", "message": "known only from the dialer's "
                                        "end; dialed at or before the time given"},),
                             announced=False, origin="reported")
    return EmergencyCall(call_id=call_id, agent_id=agent_id, dialed_number="", country=None, test=False,
                         dialed_at=at, ended_at=at, end_source=source, announced=True, origin="end")


def alert_text(test: bool) -> str:
    if test:
        return "TEST emergency call (933) in progress. Only device settings and End call are available."
    return ("Emergency call in progress. Stay on the line; only device settings and End call are available. "
            "If the call drops, the emergency service's callback comes straight to you.")


def panel(test: bool) -> dict[str, Any]:
    """The communication panel's emergency mode: device settings and End call only, with an alert."""
    return {
        "mode": "emergency",
        "controls": list(PANEL_CONTROLS),
        "alert": {"severity": "critical", "text": alert_text(test)},
        "hideConversationActions": list(HIDDEN_CONVERSATION_ACTIONS),
    }
