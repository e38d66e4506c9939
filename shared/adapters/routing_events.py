"""The routing engine as events (`Emergency.PresenceChanged` on the custom topic, for any other engine to act on),
or no engine at all."""

from __future__ import annotations

from shared.domain.calls import Agent
from shared.domain.routing_hold import WorkerState, WorkerStatus, routing_worker_id
from shared.ports import EventPublisher, RoutingEngineError

PRESENCE_CHANGED = "Emergency.PresenceChanged"


class EventRoutingEngine:
    """Publishes one event per hold and per release; the id is stable, so a repeat is a duplicate to drop.
    The engine decides what "exactly as before" means: the event says which call holds the worker."""

    name = "event"
    configured = True

    def __init__(self, events: EventPublisher) -> None:
        self._events = events

    def hold(self, agent: Agent, call_id: str) -> bool | None:
        self._publish(agent, call_id, held=True)
        return None

    def release(self, agent: Agent, call_id: str) -> None:
        self._publish(agent, call_id, held=False)

    def status(self, agent: Agent) -> WorkerStatus:
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        return WorkerStatus(worker_id, WorkerState.NOT_ASKED, f"Holds and releases of worker {worker_id} are "
                            f"published as {PRESENCE_CHANGED} events; whether the engine knows it is not asked.")

    def _publish(self, agent: Agent, call_id: str, held: bool) -> None:
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        data = {"agentId": agent.agent_id, "routingWorkerId": worker_id, "emergencyCallId": call_id,
                "emergency": held, "availableForOffers": False if held else None,
                "action": "hold" if held else "release"}
        try:
            self._events.publish(PRESENCE_CHANGED, f"agents/{agent.agent_id}/presence", data,
                                 f"{call_id}:{'hold' if held else 'release'}:{agent.agent_id}")
        except Exception as exc:  # the publisher raises the SDK's errors: the engine is "down"
            raise RoutingEngineError(f"{PRESENCE_CHANGED} for {call_id} not published: {exc}") from exc


class NoRoutingEngine:
    """ROUTING_ENGINE=none: presence stays in the app; nothing is held, nothing to restore."""

    name = "none"
    configured = False

    def hold(self, agent: Agent, call_id: str) -> bool | None:
        return None

    def release(self, agent: Agent, call_id: str) -> None:
        return None

    def status(self, agent: Agent) -> WorkerStatus:
        return WorkerStatus(routing_worker_id(agent.agent_id, agent.routing_worker_id), WorkerState.NO_ENGINE,
                            "No routing engine is configured (ROUTING_ENGINE=none): Do Not Disturb is the app's own "
                            "presence and no routing engine is told.")
