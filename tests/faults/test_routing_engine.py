"""Job Router down when the emergency call starts, and again when it ends: Do Not Disturb and its restore never wait
for it, and the timer holds and releases the agent's worker once Job Router answers again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.communication.jobrouter import JobRouterClient

from local.stack import LocalStack, wait_for
from tests.faults import harness as h
from tests.faults.conftest import start_stack

AGENT = h.agent_id(0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(tmp_path_factory.mktemp("routing"), agents=1, pool=2)
    try:
        yield s
    finally:
        s.stop()


def worker(stack: LocalStack) -> dict[str, Any]:
    w = JobRouterClient.from_connection_string(stack.acs.connection_string,
                                               connection_verify=str(stack.acs.ca_bundle)).get_worker(AGENT)
    return {"available": w.available_for_offers, "holds": (w.tags or {}).get("emergencyHolds")}


def presence(stack: LocalStack) -> dict[str, Any]:
    return dict(stack.client.get(f"/api/agents/{AGENT}/presence")[1])


def test_engine_down_at_the_start_and_at_the_end_the_timer_repairs_both(stack: LocalStack) -> None:
    c = stack.client
    stack.acs.put_worker(AGENT, availableForOffers=True, capacity=1)
    stack.acs.set_faults({"jobrouter": "unavailable"})
    d = h.dial(c, AGENT, "911")
    assert wait_for(lambda: presence(stack)["status"] == "DoNotDisturb")  # DND does not wait for Job Router
    assert h.quiet(stack)
    stack.acs.set_faults({})
    assert worker(stack) == {"available": True, "holds": None}  # the hold failed while it was down

    assert c.run_function("callback_lease_expiry") == 202
    assert wait_for(lambda: worker(stack) == {"available": False, "holds": d.call_id}, timeout=20)

    stack.acs.set_faults({"jobrouter": "unavailable"})
    assert h.end(c, str(d.call_id), AGENT) == 200
    assert wait_for(lambda: presence(stack)["emergency"] is False)
    assert h.quiet(stack)
    stack.acs.set_faults({})
    assert worker(stack)["available"] is False  # the release failed while it was down

    assert c.run_function("callback_lease_expiry") == 202
    assert wait_for(lambda: worker(stack) == {"available": True, "holds": None}, timeout=20)
