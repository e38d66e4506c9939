"""Escalation under faults (issue 20), from outside only, with the host's timers on their real schedule: several real
calls nobody acknowledges (one acknowledged in time), the host killed while their steps fall due and started again;
every due step runs once, the on-call recipients are told once per call, the acknowledged call is not escalated, and
each step's lateness (due to run) is measured."""

from __future__ import annotations

import re
import statistics
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from local.stack import LocalStack, wait_for
from shared.domain.delivery import operation_id
from tests.faults import harness as h
from tests.faults.conftest import start_stack

CALLS = 6
POLICY = {"tiers": [{"name": "On call", "afterSeconds": 30, "audiences": ["onCall"], "channels": ["email", "sms"]}],
          "mode": "any", "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Timers on: the 10-second escalation timer runs by itself, as in Azure."""
    s = start_stack(Path(tmp_path_factory.mktemp("escalation")), agents=CALLS + 1, pool=20, timers=True)
    try:
        yield s
    finally:
        s.stop()


def steps(stack: LocalStack, call_id: str) -> list[dict[str, object]]:
    status, body = stack.client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return list(body["escalations"])


def test_a_killed_host_runs_every_due_step_once_when_back(timed: LocalStack) -> None:
    c = timed.client
    assert c.put("/api/manage/escalation-policy", POLICY)[0] == 200
    dials = [h.dial(c, h.agent_id(i), "911", f"esc-{i}-{uuid.uuid4().hex[:6]}") for i in range(CALLS)]
    calls = {str(d.call_id): d.agent for d in dials}
    assert all(d.status == 200 for d in dials)
    assert wait_for(lambda: all(steps(timed, k) for k in calls), timeout=60)
    acked = next(iter(calls))  # one call's security desk acknowledges by its link in time
    drill = h.dial(c, h.agent_id(CALLS), "933", f"esc-test-{uuid.uuid4().hex[:6]}")  # a test: never escalated
    assert wait_for(lambda: h.notification_counts(timed, {str(drill.call_id): drill.agent})[0] == 0, timeout=60)
    link_ack(timed, acked)
    c.advance(31)
    timed.kill_host()  # the steps fall due while no host runs
    time.sleep(3)
    timed.start_host()
    done = wait_for(lambda: all(s["status"] in ("done", "skipped") for k in calls for s in steps(timed, k)),
                    timeout=90, interval=0.5)
    assert done, {k: steps(timed, k) for k in calls}
    assert h.quiet(timed, timeout=60)
    sent: dict[str, int] = {}
    for kind in ("email", "sms"):
        for r in timed.acs.requests(kind):
            sent[r["id"]] = sent.get(r["id"], 0) + 1
    per_call = {k: (sent.get(operation_id(k, "email", "oncall@example.com"), 0),
                    sent.get(operation_id(k, "sms", "+12025550166"), 0)) for k in calls}
    late = []
    for k in calls:
        for s in steps(timed, k):
            late.append(_at(s["ranAt"]) - _at(s["dueAt"]))
    figures = h.Figures("escalation: steps falling due while the host is killed", calls=len(calls))
    figures.dials(dials)
    figures.duplicate_notifications = sum(max(0, n - 1) for pair in per_call.values() for n in pair)
    figures.lost_notifications = sum(1 for k, pair in per_call.items() if k != acked and pair != (1, 1))
    figures.notes = {"step_lateness_s_p50": round(statistics.median(late), 1),
                     "step_lateness_s_max": round(max(late), 1), "host_down_s": 3,
                     "acknowledged_call_escalated": per_call[acked] != (0, 0),
                     "test_call_steps": len(steps(timed, str(drill.call_id)))}
    figures.report()
    assert figures.contract_held, figures
    assert per_call[acked] == (0, 0) and [s["outcome"] for s in steps(timed, acked)] == ["acknowledged"]
    assert steps(timed, str(drill.call_id)) == []
    assert all(pair == (1, 1) for k, pair in per_call.items() if k != acked), per_call
    for d in [*dials, drill]:
        assert h.end(c, str(d.call_id), d.agent, retries=10) == 200


def link_ack(stack: LocalStack, call_id: str) -> None:
    for r in stack.acs.requests("email"):
        if r["id"] == operation_id(call_id, "email", "desk@example.com"):
            url = re.search(r"http://127\.0\.0\.1:\d+/api/ack/[A-Za-z0-9_-]+", r["body"]["content"]["plainText"])
            assert url, r["body"]["content"]["plainText"]
            with urllib.request.urlopen(urllib.request.Request(url[0], method="POST", data=b""), timeout=30) as rsp:
                assert rsp.status == 200
            return
    raise AssertionError(f"no email of {call_id} to desk@example.com")


def _at(value: object) -> float:
    return datetime.fromisoformat(str(value)).timestamp()
