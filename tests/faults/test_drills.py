"""933 drills under faults (issue 21), from outside only: the host killed mid-drill (after the dial, before the
hang-up) and mid-purge (while the retention timer deletes expired drills). Nothing is left half-done: the drill
gets a complete report by its deadline (each open step failed with its reason, never retried forever), its call
ends and presence returns; every expired drill is deleted once the timer runs again, each with exactly one audit
entry."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import Client, LocalStack, wait_for
from shared.domain.drills import REPORT_DEADLINE
from tests.e2e.test_agent_sign_in import DIALER_SERVICE
from tests.faults import harness as h
from tests.faults.conftest import start_stack

DRILLS = 30


@pytest.fixture(scope="module")
def drilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(Path(tmp_path_factory.mktemp("drills")), agents=2, pool=10)
    try:
        yield s
    finally:
        s.stop()


def dialer(stack: LocalStack) -> Client:
    return stack.client.as_user(DIALER_SERVICE)


def drills_of(stack: LocalStack, agent: str) -> list[dict[str, Any]]:
    status, body = stack.client.get(f"/api/manage/drills?agentId={agent}")
    assert status == 200, body
    return list(body["drills"])


def test_a_host_killed_mid_drill_leaves_a_complete_report_and_a_settled_call(drilled: LocalStack) -> None:
    agent, c = h.agent_id(0), dialer(drilled)
    status, drill = c.post(f"/api/agent/agents/{agent}/drills", {})
    assert status == 201, drill
    dial = h.dial(drilled.client, agent, "933")
    assert dial.status == 200 and dial.call_id
    body = {"emergencyCallId": dial.call_id, "answerMs": dial.ms, "testMode": True}
    assert c.post(f"/api/agent/agents/{agent}/drills/{drill['drillId']}/dial", body)[0] == 200
    drilled.kill_host()  # mid-drill: the call is live, the report open
    time.sleep(1)
    drilled.start_host()
    assert h.end(drilled.client, dial.call_id, agent, retries=3) == 200
    drilled.client.advance(REPORT_DEADLINE.total_seconds() + 1)
    assert drilled.client.run_function("drill_housekeeping") in (200, 202)
    done = wait_for(lambda: next((d for d in drills_of(drilled, agent) if d["status"] != "running"), None),
                    timeout=30)
    assert done is not None and done["drillId"] == drill["drillId"] and done["status"] == "failed"
    assert all(s["status"] in ("pass", "fail") for s in done["steps"])  # every step decided, none left open
    assert all(f["reason"] for f in done["failed"])
    assert {s["id"]: s["status"] for s in done["steps"]}["dial_answered"] == "pass"
    status, presence = drilled.client.get(f"/api/agents/{agent}/presence")
    assert status == 200 and presence["status"] != "DoNotDisturb", presence


def test_a_host_killed_mid_purge_purges_every_expired_drill_once_with_one_audit_entry(drilled: LocalStack) -> None:
    agent, c = h.agent_id(1), dialer(drilled)
    made = []
    for _ in range(DRILLS):
        status, drill = c.post(f"/api/agent/agents/{agent}/drills", {})
        assert status == 201, drill
        made.append(drill["drillId"])
    drilled.client.advance(31 * 86400)  # past INCIDENT_RETENTION_DAYS (30)
    running = threading.Thread(target=lambda: _run_quietly(drilled.client), daemon=True)
    running.start()
    time.sleep(0.3)
    drilled.kill_host()  # mid-purge (or before or after it: each must end the same)
    running.join(timeout=30)
    drilled.start_host()
    assert drilled.client.run_function("drill_housekeeping") in (200, 202)
    assert wait_for(lambda: drills_of(drilled, agent) == [], timeout=30)
    status, audit = drilled.client.get("/api/manage/audit?limit=500")
    assert status == 200, audit
    purged: dict[str, set[str]] = {}
    for e in audit["entries"]:
        if e["entity"] == "drill" and e["action"] == "purged":
            purged.setdefault(e["entityId"], set()).add(f"{e['changeId']}|{e['at']}|{e['field']}")
    assert set(made) <= set(purged)
    assert all(len(rows) == 4 for rows in purged.values())  # one entry (4 fields) per drill, never twice


def _run_quietly(client: Client) -> None:
    with contextlib.suppress(OSError):  # the host was killed under it
        client.run_function("drill_housekeeping")
