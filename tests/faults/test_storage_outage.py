"""Azurite stopped in the middle of a burst and started again: every dial still answers at once, and afterwards
every call is in the incident list, notified once, can be ended, shows its callback window on the agent's panel,
and nobody stays in Do Not Disturb."""

from __future__ import annotations

import time
import uuid

from local.stack import LocalStack
from tests.faults import harness as h

CALLS = 12


def test_storage_outage_in_the_middle_of_a_burst(stack: LocalStack) -> None:
    c = stack.client
    before = [h.dial(c, h.agent_id(i), call_id=f"out-{i}-{uuid.uuid4().hex[:6]}") for i in range(4)]
    stack.stop_storage()
    try:
        during = [h.dial(c, h.agent_id(i), call_id=f"out-{i}-{uuid.uuid4().hex[:6]}") for i in range(4, CALLS)]
        ends_during = [h.end(c, str(d.call_id), d.agent) for d in during[:2]]
        time.sleep(2)
    finally:
        stack.start_storage()
    dials = before + during
    assert h.quiet(stack, timeout=120)  # Event Grid's retries reach the handlers once storage is back
    for d in dials:
        assert h.end(c, str(d.call_id), d.agent, retries=10) == 200
    assert h.quiet(stack, timeout=60)
    calls = {str(d.call_id): d.agent for d in dials}
    listed = h.incidents(c)
    figures = h.Figures("storage down for part of a burst, then back", calls=len(calls))
    figures.dials(during)
    figures.server_errors = sum(1 for d in dials if d.status is None or d.status >= 500)
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(stack, calls, timeout=90)
    figures.stuck_dnd = len(h.stuck_dnd(c, calls.values()))
    figures.notes = {"dial_answers_during_outage": sorted({str(d.status) for d in during}),
                     "ends_during_outage": ends_during,
                     "missing_from_incidents": [k for k in calls if k not in listed],
                     "not_ended": [k for k in calls if k in listed and not listed[k]["endedAt"]],
                     "rebuilt_from_call_started": sum(1 for k in calls if listed.get(k, {}).get("origin") == "event"),
                     "without_callback_window": h.without_callback_window(c, calls)}
    figures.report()
    assert all(d.status == 200 and d.answer["dial"] is True for d in dials)
    assert all(any(w["code"] == "storage_unavailable" for w in d.answer["warnings"]) for d in during)
    assert figures.contract_held and figures.server_errors == 0, figures
    assert figures.notes["missing_from_incidents"] == [] and figures.notes["not_ended"] == []
    # the window follows the call even when the dial could write none of it: CallStarted opens it afterwards
    assert figures.notes["without_callback_window"] == []


def test_a_signed_in_agents_emergency_dial_during_the_outage_still_goes_through(stack: LocalStack) -> None:
    c = stack.client
    user = {"userId": "00000000-0000-0000-0000-00000000a900", "userDetails": "agent9@example.com",
            "roles": ["EmergencyCalling.Agent"]}
    profile = c.get(f"/api/manage/agents/{h.agent_id(9)}")[1]
    assert c.put(f"/api/manage/agents/{h.agent_id(9)}", dict(profile, signInId=user["userId"]))[0] == 200
    agent = c.as_user(user)
    stack.stop_storage()
    try:
        emergency = h.dial(agent, h.agent_id(9), "911")
        normal = agent.post("/api/outbound-calls", {"agentId": h.agent_id(9), "dialedNumber": "+1 202 555 0150",
                                                    "countryCode": "US"})
    finally:
        stack.start_storage()
    # her sign-in cannot be checked without storage: the emergency dial is not refused for it, a normal one is
    assert emergency.status == 200 and emergency.answer["emergency"] is True
    assert normal[0] == 503
    calls = {str(emergency.call_id): h.agent_id(9)}
    assert h.quiet(stack, timeout=120)
    assert h.wait_notified(stack, calls, timeout=90) == (0, 0)
    assert h.end(c, str(emergency.call_id), h.agent_id(9), retries=5) == 200
