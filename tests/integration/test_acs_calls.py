"""The Call Automation adapter against the HTTPS ACS stand-in: bounded tries, so a live claim is never outlasted."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.acs_standin import AcsStandIn
from shared.adapters.acs_calls import BUDGET, AcsCallControl
from shared.ports import CallControlError

AGENT = "8:acs:00000000-0000-0000-0000-000000000000_alice"


@pytest.fixture
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcsStandIn]:
    with AcsStandIn(certs_dir=Path(tmp_path_factory.mktemp("acs-certs"))) as running:
        previous = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(running.ca_bundle)  # the adapter trusts the dev CA through it
        try:
            yield running
        finally:
            if previous is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = previous


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
