"""The Call Automation adapter against the HTTPS ACS stand-in: bounded tries, so a live claim is never outlasted."""

from __future__ import annotations

import time

import pytest

from local.acs.standin import AcsStandIn
from shared.adapters.acs_calls import BUDGET, AcsCallControl
from shared.ports import CallControlError

AGENT = "8:acs:00000000-0000-0000-0000-000000000000_alice"


def test_one_transient_failure_is_tried_again_and_redirects_once(standin: AcsStandIn) -> None:
    standin.set_faults({"redirect": {"mode": "unavailable", "times": 1}})
    AcsCallControl(connection_string=standin.connection_string).redirect("ctx-1", AGENT)
    assert [r["body"]["incomingCallContext"] for r in standin.requests("redirect")] == ["ctx-1"]


def test_two_transient_failures_raise_within_the_budget(standin: AcsStandIn) -> None:
    standin.set_faults({"redirect": {"mode": "throttle", "times": 2}})
    started = time.monotonic()
    with pytest.raises(CallControlError, match="429"):
        AcsCallControl(connection_string=standin.connection_string).redirect("ctx-2", AGENT)
    assert time.monotonic() - started < BUDGET
    assert standin.requests("redirect") == []


def test_a_refusal_is_not_tried_again(standin: AcsStandIn) -> None:
    with pytest.raises(CallControlError, match="400"):
        AcsCallControl(connection_string=standin.connection_string).redirect("", AGENT)  # no incomingCallContext
    assert standin.requests("redirect") == []
