"""The routing engine as ACS Job Router (azure-communication-jobrouter 1.0.0): the agent's worker stops taking
offers during an emergency call and returns to exactly what it was.

Every change is a merge patch conditional on the ETag just read (If-Match); when the worker changed meanwhile
(412) it is read again and the change decided again, so the agent's own changes are never overwritten. What the
hold changed is kept on the worker (shared/domain/worker_hold.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceModifiedError, ResourceNotFoundError

from shared.domain import worker_hold
from shared.domain.calls import Agent
from shared.domain.routing_hold import WorkerState, WorkerStatus, routing_worker_id
from shared.ports import RoutingEngineError, WorkerNotFound

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Short: the presence handler (Event Grid waits 30 s for it) and the timer must not wait long on an engine that
# is down or slow; the timer retries. No SDK retries, and one change gives up after DEADLINE_SECONDS in all.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 0, "connection_timeout": 2, "read_timeout": 3}
DEADLINE_SECONDS = 8.0


def jobrouter_client(connection_string: str) -> Any:
    """JobRouterClient 1.0.0 takes only an access key (it refuses token credentials), so a connection string."""
    from azure.communication.jobrouter import JobRouterClient

    return JobRouterClient.from_connection_string(connection_string, **CLIENT_OPTIONS)


class JobRouterEngine:
    name = "jobrouter"
    configured = True

    def __init__(self, client: Any, deadline_seconds: float = DEADLINE_SECONDS) -> None:
        self._client = client
        self._deadline = deadline_seconds

    def hold(self, agent: Agent, call_id: str) -> bool | None:
        worker = self._change(agent, lambda w: worker_hold.hold_patch(w, call_id), f"hold for {call_id}")
        return worker.prior if worker.prior is not None else worker.available

    def release(self, agent: Agent, call_id: str) -> None:
        self._change(agent, lambda w: worker_hold.release_patch(w, call_id), f"release of {call_id}")

    def status(self, agent: Agent) -> WorkerStatus:
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        try:
            w, _ = self._read(worker_id)
        except WorkerNotFound:
            return WorkerStatus(worker_id, WorkerState.MISSING, f"Job Router has no worker {worker_id}.")
        except RoutingEngineError as exc:
            return WorkerStatus(worker_id, WorkerState.UNREACHABLE,
                                f"Job Router could not be asked about worker {worker_id}: {exc}")
        offers = "takes offers" if w.available else "takes no offers"
        held = f", held by emergency call {' '.join(w.holds)}" if w.holds else ""
        return WorkerStatus(worker_id, WorkerState.KNOWN, f"Job Router knows worker {worker_id} ({offers}{held}).")

    def _change(self, agent: Agent, plan: Callable[[worker_hold.WorkerView], dict[str, Any] | None],
                what: str) -> worker_hold.WorkerView:
        """Read, decide, write if unchanged (If-Match); on 412 read again. Returns the worker as it was read
        before the change (or as it is, when nothing had to change)."""
        worker_id = routing_worker_id(agent.agent_id, agent.routing_worker_id)
        deadline = time.monotonic() + self._deadline
        for _ in range(MAX_ATTEMPTS):
            if time.monotonic() > deadline:
                break
            w, etag = self._read(worker_id)
            patch = plan(w)
            if patch is None:
                return w
            try:
                self._client.upsert_worker(worker_id, patch, etag=etag, match_condition=MatchConditions.IfNotModified)
            except ResourceModifiedError:
                log.info("Job Router worker %s changed during the %s: read again", worker_id, what)
                continue
            except AzureError as exc:
                raise RoutingEngineError(f"Job Router refused the {what} of worker {worker_id}: {exc}") from exc
            return w
        raise RoutingEngineError(f"Job Router worker {worker_id} kept changing (or answered slowly) during the {what}")

    def _read(self, worker_id: str) -> tuple[worker_hold.WorkerView, str]:
        try:
            worker = self._client.get_worker(worker_id)
        except ResourceNotFoundError as exc:
            raise WorkerNotFound(f"Job Router has no worker {worker_id}") from exc
        except AzureError as exc:
            raise RoutingEngineError(f"Job Router could not be read for worker {worker_id}: {exc}") from exc
        return worker_hold.view(worker.available_for_offers, worker.tags), str(worker.etag)
