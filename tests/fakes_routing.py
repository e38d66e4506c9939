"""In-memory fakes of the routing-engine ports: an engine that keeps workers as Job Router does (merge patches,
the hold written on the worker), and the hold records."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from shared.domain import worker_hold
from shared.domain.calls import Agent
from shared.domain.routing_hold import RoutingHold, WorkerState, WorkerStatus, routing_worker_id
from shared.ports import Conflict, RoutingEngineError, WorkerNotFound

_versions = itertools.count(1)


class FakeRoutingEngine:
    """Workers by id; unknown workers are created available (`strict`: WorkerNotFound instead); `down` raises."""

    name = "fake"
    configured = True

    def __init__(self, strict: bool = False) -> None:
        self.workers: dict[str, dict[str, Any]] = {}
        self.strict, self.down = strict, False
        self.patches: list[tuple[str, dict[str, Any]]] = []

    def add(self, worker_id: str, available: bool = True) -> None:
        self.workers[worker_id] = {"availableForOffers": available}

    def available(self, worker_id: str) -> bool:
        return bool(self.workers[worker_id].get("availableForOffers"))

    def hold(self, agent: Agent, call_id: str) -> bool | None:
        w = self._patch(agent, lambda v: worker_hold.hold_patch(v, call_id))
        return w.prior if w.prior is not None else w.available

    def release(self, agent: Agent, call_id: str) -> None:
        self._patch(agent, lambda v: worker_hold.release_patch(v, call_id))

    def status(self, agent: Agent) -> WorkerStatus:
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        state = WorkerState.KNOWN if worker_id in self.workers else WorkerState.MISSING
        return WorkerStatus(worker_id, state, f"fake worker {worker_id}: {state}")

    def _patch(self, agent: Agent, plan: Any) -> worker_hold.WorkerView:
        if self.down:
            raise RoutingEngineError("engine down")
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        if worker_id not in self.workers:
            if self.strict:
                raise WorkerNotFound(worker_id)
            self.add(worker_id)
        doc = self.workers[worker_id]
        w = worker_hold.view(doc.get("availableForOffers"), doc.get("tags"))
        patch = plan(w)
        if patch is not None:
            self.workers[worker_id] = worker_hold.apply_patch(doc, patch)
            self.patches.append((worker_id, patch))
        return w


class FakeRoutingHolds:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], RoutingHold] = {}

    def get(self, agent_id: str, call_id: str) -> RoutingHold | None:
        return self.rows.get((agent_id, call_id))

    def create(self, hold: RoutingHold) -> RoutingHold:
        if (hold.agent_id, hold.call_id) in self.rows:
            raise Conflict("exists")
        return self._store(hold)

    def replace(self, hold: RoutingHold) -> RoutingHold:
        current = self.rows.get((hold.agent_id, hold.call_id))
        if current is None or current.version != hold.version:
            raise Conflict("changed")
        return self._store(hold)

    def unsettled(self) -> list[RoutingHold]:
        return [h for h in self.rows.values() if not h.settled]

    def _store(self, hold: RoutingHold) -> RoutingHold:
        stored = dataclasses.replace(hold, version=str(next(_versions)))
        self.rows[(hold.agent_id, hold.call_id)] = stored
        return stored
