"""Ports: one small Protocol per role the services need. Adapters implement them; tests use in-memory fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from shared.domain.calls import Agent, EmergencyCall
from shared.domain.lease import PoolNumber
from shared.domain.presence import Presence
from shared.domain.routing import CallbackWindow


class StoreError(Exception):
    """Storage failed or is unreachable (transient: the platform may retry)."""


class Conflict(Exception):
    """A conditional write lost a race: someone else changed or created the record first."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class AgentStore(Protocol):
    def get(self, agent_id: str) -> Agent | None: ...
    def put(self, agent: Agent) -> None: ...
    def list(self) -> list[Agent]: ...
    def by_acs_user(self, acs_user_id: str) -> Agent | None: ...


class PoolStore(Protocol):
    """Callback numbers, one partition per region (country calling code)."""

    def list_region(self, region: str) -> list[PoolNumber]: ...
    def list_all(self) -> list[PoolNumber]: ...
    def get(self, number: str) -> PoolNumber | None: ...
    def add(self, number: PoolNumber) -> None: ...
    def replace(self, old: PoolNumber, new: PoolNumber) -> bool:
        """Write `new` only if the number is unchanged since `old` was read; False when someone else changed it."""
        ...
    def remove(self, number: PoolNumber) -> bool: ...


class PresenceStore(Protocol):
    def get(self, agent_id: str) -> tuple[Presence, str | None]:
        """The presence and its version tag (None when never stored)."""
        ...
    def save(self, presence: Presence, version: str | None) -> None:
        """Write if unchanged since read (raise Conflict otherwise)."""
        ...
    def in_emergency(self) -> list[Presence]: ...


class CallStore(Protocol):
    """Emergency call records (incidents)."""

    def create(self, call: EmergencyCall) -> bool:
        """Insert; False if a record with this id exists already."""
        ...
    def get(self, call_id: str) -> tuple[EmergencyCall, str] | None: ...
    def save(self, call: EmergencyCall, version: str) -> None: ...
    def link(self, call_id: str, server_call_id: str | None, correlation_id: str | None) -> None: ...
    def find_linked(self, server_call_id: str | None, correlation_id: str | None) -> str | None: ...
    def list(self) -> list[EmergencyCall]: ...
    def delete(self, call_id: str) -> None: ...


class HistoryStore(Protocol):
    """The agent's call history: normal calls only."""

    def add(self, agent_id: str, entry_id: str, entry: dict[str, Any]) -> None: ...
    def list(self, agent_id: str) -> list[dict[str, Any]]: ...


class EventPublisher(Protocol):
    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        """Hand the event to the bus; delivery is at least once and may happen after this returns."""
        ...


class CallbackWindowStore(Protocol):
    """Open emergency callback windows, found by the agent's ACS identity (callback path) or agent id (panel)."""

    def open(self, window: CallbackWindow) -> None: ...
    def by_identity(self, acs_user_id: str) -> CallbackWindow | None: ...
    def by_agent(self, agent_id: str) -> CallbackWindow | None: ...


class IncomingCallLog(Protocol):
    def claim(self, key: str, event_id: str) -> bool:
        """Conditional insert: True for the first delivery of a call, False for every later one."""
        ...
    def unclaim(self, key: str) -> None: ...


class CallControl(Protocol):
    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        """Redirect a ringing call (Call Automation redirect_call); raises CallControlError."""
        ...


class CallControlError(Exception):
    """Call Automation refused or failed the action."""


class Ports(Protocol):
    """Everything a use case may touch."""

    clock: Clock
    agents: AgentStore
    pool: PoolStore
    presence: PresenceStore
    calls: CallStore
    history: HistoryStore
    events: EventPublisher
    windows: CallbackWindowStore
    incoming: IncomingCallLog
    call_control: CallControl
