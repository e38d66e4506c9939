"""The app's record of what it wants of the routing engine for one emergency call: hold, then release. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

HOLD, RELEASE = "hold", "release"


@dataclass(frozen=True)
class RoutingHold:
    """`want` is what the engine should show for the call; `done` says it does. A release is final: a late or
    redelivered start never turns it back into a hold (no hold after the end)."""

    agent_id: str
    call_id: str
    worker_id: str
    want: str = HOLD
    done: bool = False
    prior: bool | None = None  # whether the worker took offers before (as the engine answered)
    since: datetime | None = None
    version: str | None = None

    @property
    def settled(self) -> bool:
        return self.want == RELEASE and self.done


class WorkerState(StrEnum):
    KNOWN = "known"
    MISSING = "missing"
    UNREACHABLE = "unreachable"  # the engine did not answer
    NOT_ASKED = "not_asked"  # an engine that is told, not asked (events)
    NO_ENGINE = "no_engine"  # ROUTING_ENGINE=none


@dataclass(frozen=True)
class WorkerStatus:
    """Readiness of one agent's routing worker, with a sentence saying why."""

    worker_id: str
    state: WorkerState
    detail: str


def released(hold: RoutingHold) -> RoutingHold:
    return replace(hold, want=RELEASE, done=False)


def routing_worker_id(agent_id: str, configured: str | None) -> str:
    """The agent's routing worker: the one the admin named, or her agent id."""
    return configured or agent_id
