"""How many round trips the dial and the callback make one after another before they answer (issue 11): every
call into a port is one round trip; calls a use case runs at once (shared.ports.Concurrency) count as the longest
of them. Deferred work is counted apart: the answer does not wait for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.voice_config import NumberType, ResourceNumber
from shared.services.callbacks import route_callback
from shared.services.outbound import place_outbound_call
from tests.fakes import FakeDeps
from tests.unit.test_callbacks import incoming

PORTS = ("agents", "pool", "presence", "calls", "history", "events", "windows", "incoming", "call_control",
         "voice_setup", "routing", "routing_holds")


class Depth:
    """Concurrency that keeps the depth of the running sequence of round trips: `all` runs its calls one by one
    from the same starting depth and ends at the deepest; `later` keeps the work for the test to run."""

    def __init__(self) -> None:
        self.depth = 0
        self.deferred: list[Any] = []

    def tick(self) -> None:
        self.depth += 1

    def all(self, *calls: Any) -> list[Any]:
        start, ends, results = self.depth, [], []
        for call in calls:
            self.depth = start
            results.append(call())
            ends.append(self.depth)
        self.depth = max(ends, default=start)
        return results

    def later(self, call: Any) -> None:
        self.deferred.append(call)


class Timed:
    def __init__(self, port: Any, depth: Depth) -> None:
        self._port, self._depth = port, depth

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._port, attr)
        if not callable(value):
            return value

        def round_trip(*args: Any, **kwargs: Any) -> Any:
            self._depth.tick()
            return value(*args, **kwargs)
        return round_trip


def timed(deps: FakeDeps) -> Depth:
    depth = Depth()
    for name in PORTS:
        setattr(deps, name, Timed(getattr(deps, name), depth))
    deps.concurrency = depth
    return depth


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", outbound_number="+12025550199",
                       email_recipients="desk@example.com"))
    d.add_numbers("+12025550100", "+12025550101")
    return d


@pytest.mark.parametrize("own_id", [None, "c-own"])
def test_a_dial_on_the_pool_path_answers_after_three_round_trips_in_sequence(deps: FakeDeps,
                                                                              own_id: str | None) -> None:
    depth = timed(deps)
    answer = place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id=own_id), deps, deps.policy)
    assert answer["callbackNumberSource"] == "pool" and answer["warnings"] == []
    # the agent, the id's owner, the voice setup and a page of free numbers; the lease; record, window, event
    assert depth.depth == 3
    assert deps.events._port.published and not deps.calls._port.rows[answer["emergencyCallId"]][0].announced
    for work in depth.deferred:  # after the answer: the record is marked announced
        work()
    assert deps.calls._port.rows[answer["emergencyCallId"]][0].announced


def test_a_dial_on_the_direct_offer_path_answers_after_two(deps: FakeDeps) -> None:
    deps.voice_setup.put(ResourceNumber("+12025550199", NumberType.MICROSOFT, "US"))
    depth = timed(deps)
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    assert answer["emergencyPath"] == "direct_offer" and answer["callbackNumber"] is None
    assert depth.depth == 2


def test_a_callback_to_a_pool_number_redirects_after_one_round_trip(deps: FakeDeps) -> None:
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    depth = timed(deps)
    result = route_callback(incoming("4:" + answer["callbackNumber"], deps=deps), deps, timedelta(seconds=20),
                            "8:acs:r_desk")
    assert result.outcome == "redirected"
    # the lease read and the claim at once, then the redirect; then the claim is marked done
    assert deps.call_control._port.redirects == [("ctx-corr-1", "8:acs:r_alice")]
    assert depth.depth == 3
