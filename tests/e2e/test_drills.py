"""933 drills (issue 21) through the local stack, from outside: Bob signs in, starts a drill, his panel dials 933
and reports the dial, the security desk's mailbox reports the email delivered and the desk acknowledges by its link;
the drill's report passes every step with its time, the admin lists it, readiness shows his last passed drill.
A drill beside a real call is refused (409) and never touches that call's window."""

from __future__ import annotations

import time
from typing import Any

from local.stack import Client, LocalStack, wait_for
from shared.domain.delivery import operation_id
from tests.e2e.test_acknowledge import LINK, email_to, fetch
from tests.e2e.test_agent_sign_in import ALICE_USER, BOB_USER
from tests.faults.harness import email_report

DESK = "security-desk@example.com"


def drill_of(agent: Client, agent_id: str, drill_id: str) -> dict[str, Any]:
    status, body = agent.get(f"/api/agent/agents/{agent_id}/drills/{drill_id}")
    assert status == 200, body
    return dict(body)


def step(drill: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in drill["steps"] if s["id"] == step_id)


def test_an_agents_drill_passes_every_step_and_reports_each_time(client: Client, stack: LocalStack) -> None:
    bob = client.as_user(BOB_USER)
    seen = max((r["seq"] for r in stack.acs.requests()), default=0)
    # GIVEN Bob starts a drill from his panel, which then dials 933 as any call
    status, drill = bob.post("/api/agent/agents/bob/drills", {})
    assert status == 201 and drill["status"] == "running" and drill["dialNumber"] == "933", drill
    started = time.perf_counter()
    status, dial = bob.post("/api/agent/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                          "countryCode": "US"})
    answer_ms = (time.perf_counter() - started) * 1000
    assert status == 200 and dial["test"] is True, dial
    call_id = dial["emergencyCallId"]
    body = {"emergencyCallId": call_id, "answerMs": answer_ms, "testMode": dial["panel"]["mode"] == "emergency"}
    assert bob.post(f"/api/agent/agents/bob/drills/{drill['drillId']}/dial", body)[0] == 200
    # WHEN presence goes DND (the panel polls the drill meanwhile), he hangs up, the mail is delivered and acknowledged
    assert wait_for(lambda: step(drill_of(bob, "bob", drill["drillId"]), "dnd_applied")["status"] == "pass",
                    timeout=30)
    assert bob.post(f"/api/agent/outbound-calls/{call_id}/end", {"agentId": "bob"})[0] == 200
    email = wait_for(lambda: email_to(stack, DESK, seen), timeout=30)
    assert email is not None
    assert stack.publish_acs([email_report(client, operation_id(call_id, "email", DESK))]) == 200
    link = LINK.search(email["body"]["content"]["plainText"])
    assert link and fetch(link[1], "POST")[0] == 200
    # THEN the report completes, every step passed with its time after the dial
    done = wait_for(lambda: (d := drill_of(bob, "bob", drill["drillId"]))["status"] != "running" and d, timeout=60)
    duration = time.perf_counter() - started
    print(f"DRILL FIGURE dial-to-complete-report {duration:.2f} s (dial answered in {answer_ms:.0f} ms)")
    assert done and done["status"] == "passed", done["failed"]
    ids = {s["id"] for s in done["steps"]}
    assert {"dial_answered", "dnd_applied", "dnd_restored", "callback", "location", "panel_test_mode",
            f"sent:email:{DESK}", f"delivered:email:{DESK}", f"acknowledged:email:{DESK}"} <= ids
    assert all(s["ms"] is not None for s in done["steps"] if s["id"].startswith(("dnd", "sent", "delivered")))
    # and the admin sees it, and readiness counts it
    listed = client.get("/api/manage/drills?agentId=bob")[1]["drills"]
    assert [d["drillId"] for d in listed if d["status"] == "passed"] == [drill["drillId"]]
    checks = {c["id"]: c for c in client.get("/api/manage/agents/bob/readiness")[1]["checks"]}
    assert checks["last_drill"]["status"] == "pass"


def test_a_drill_beside_a_real_call_is_refused_and_its_window_is_untouched(client: Client, stack: LocalStack) -> None:
    alice = client.as_user(ALICE_USER)
    status, dial = alice.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                            "countryCode": "US"})
    assert status == 200 and dial["test"] is False, dial
    real = dial["emergencyCallId"]
    status, refused = alice.post("/api/agent/agents/alice/drills", {})
    assert status == 409 and "emergency call" in refused["error"], refused
    assert alice.post(f"/api/agent/outbound-calls/{real}/end", {"agentId": "alice"})[0] == 200
    window = client.get(f"/api/manage/incidents/{real}")[1]["callbackWindowEndsAt"]
    # her callback window is open: the responder may call back, so a drill still waits
    status, refused = alice.post("/api/agent/agents/alice/drills", {})
    assert status == 409 and "call you back" in refused["error"], refused
    assert client.get(f"/api/manage/incidents/{real}")[1]["callbackWindowEndsAt"] == window
    assert client.get("/api/manage/drills?agentId=alice")[1]["drills"] == []


def test_the_admin_schedules_a_drill_and_bad_input_is_named(client: Client) -> None:
    body = {"scope": "agent", "target": "bob", "starts": "2026-01-01", "ends": "2026-12-31", "note": "yearly"}
    status, schedule = client.post("/api/manage/drills/schedules", body)
    assert status == 201 and [a["agentId"] for a in schedule["agents"]] == ["bob"], schedule
    status, error = client.post("/api/manage/drills/schedules", body | {"ends": "2025-12-31"})
    assert status == 400 and error["field"] == "ends"
    assert client.post("/api/manage/drills/schedules", body | {"starts": "tomorrow"})[1]["field"] == "starts"
    assert client.get("/api/manage/drills?status=maybe")[1]["field"] == "status"
    assert client.delete(f"/api/manage/drills/schedules/{schedule['scheduleId']}")[0] == 204
    assert client.delete(f"/api/manage/drills/schedules/{schedule['scheduleId']}")[0] == 404
