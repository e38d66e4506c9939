"""Voice escalation under faults (issue 20), from outside only, with the host's timers on their real schedule and
Call Automation's events arriving late: four real calls nobody acknowledges by message; their voice step falls due
while the host is killed. When it is back each person is called once: one presses 1, one presses 2 then 1, one never
answers, one answers and stays silent. The next tier calls only the two who did not acknowledge, once more (the cap is
two calls per person), and never the two who did."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from tests.faults import harness as h
from tests.faults.conftest import start_stack

CALLS = 4
PHONES = [f"+120255501{70 + i}" for i in range(CALLS)]  # each agent's one SMS contact, called by the escalation
CALLEES: list[dict[str, Any]] = [{"keys": ["1"]}, {"keys": ["2", "1"]}, {"answers": False, "ringSeconds": 1.0},
                                 {"keys": [], "silenceSeconds": 0.3}]
POLICY = {"tiers": [{"name": "Call them", "afterSeconds": 30, "audiences": ["notified"], "channels": ["voice"]},
                    {"name": "Call again", "afterSeconds": 60, "audiences": ["notified"], "channels": ["voice"]}],
          "mode": "any", "voiceCallsPerRecipient": 2}


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(Path(tmp_path_factory.mktemp("voice")), agents=CALLS, pool=10, timers=True)
    try:
        for i, phone in enumerate(PHONES):  # a number of her own, so each callee can be scripted apart
            body = {"displayName": f"Agent {i}", "acsUserId": h.acs_id(i), "timezone": "UTC",
                    "emailRecipients": "; ".join(e.format(i=i) for e in h.EMAILS), "smsRecipients": phone,
                    "mailboxEnabled": True, "lastLocation": {"countryCode": "US", "address": "1 Example Plaza"}}
            assert s.client.put(f"/api/manage/agents/{h.agent_id(i)}", body)[0] == 200
            s.acs.set_callee(phone, **CALLEES[i])
        yield s
    finally:
        s.stop()


def incident(stack: LocalStack, call_id: str) -> dict[str, Any]:
    status, body = stack.client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return body


def voice(stack: LocalStack, call_id: str) -> dict[str, Any]:
    return next((d for d in incident(stack, call_id)["deliveries"] if d["channel"] == "voice"), {})


def placed(stack: LocalStack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in stack.acs.requests("createCall"):
        target = r["body"]["targets"][0]["phoneNumber"]["value"]
        counts[target] = counts.get(target, 0) + 1
    return counts


def finished(stack: LocalStack, calls: list[str], tier: int) -> bool:
    return all(s["status"] in ("done", "skipped") for k in calls for s in incident(stack, k)["escalations"]
               if s["tier"] == tier)


def test_a_killed_host_and_late_events_call_each_person_once_per_tier_within_the_cap(timed: LocalStack) -> None:
    c = timed.client
    assert c.put("/api/manage/escalation-policy", POLICY)[0] == 200
    timed.acs.set_faults({"callbackDelaySeconds": 0.5})  # every Call Automation event arrives late
    dials = [h.dial(c, h.agent_id(i), "911", f"voice-{i}-{uuid.uuid4().hex[:6]}") for i in range(CALLS)]
    calls = [str(d.call_id) for d in dials]
    assert all(d.status == 200 for d in dials)
    assert wait_for(lambda: all(len(incident(timed, k)["escalations"]) == 2 for k in calls), timeout=60)
    c.advance(31)
    timed.kill_host()  # the voice step falls due while no host runs
    time.sleep(3)
    timed.start_host()
    assert wait_for(lambda: finished(timed, calls, 1), timeout=90, interval=0.5), \
        [incident(timed, k)["escalations"] for k in calls]
    outcome = {0: "acknowledged", 1: "acknowledged", 2: "no_answer", 3: "not_acknowledged"}
    assert wait_for(lambda: all(voice(timed, calls[i]).get("deliveryStatus") == outcome[i] for i in outcome),
                    timeout=60), [voice(timed, k) for k in calls]
    assert all(voice(timed, calls[i])["acknowledgedVia"] == "voice" for i in (0, 1))
    after_tier_1 = placed(timed)
    c.advance(30)
    assert wait_for(lambda: finished(timed, calls, 2), timeout=60, interval=0.5)
    assert h.quiet(timed, timeout=60)
    time.sleep(2)  # late events of the second calls
    counts = placed(timed)
    # Tier 1 only: tier 2 became due while the test still waited for tier 1's calls (the clock runs on), so its
    # lateness measures the test, not the timer.
    late = [_at(s["ranAt"]) - _at(s["dueAt"]) for k in calls for s in incident(timed, k)["escalations"]
            if s["tier"] == 1]
    figures = h.Figures("voice escalation: the step due while the host is killed, events late", calls=CALLS)
    figures.dials(dials)
    expected = {PHONES[0]: 1, PHONES[1]: 1, PHONES[2]: 2, PHONES[3]: 2}
    figures.duplicate_notifications = sum(max(0, counts.get(p, 0) - n) for p, n in expected.items())
    figures.lost_notifications = sum(max(0, n - counts.get(p, 0)) for p, n in expected.items())
    figures.notes = {"tier_1_lateness_s_p50": round(statistics.median(late), 1),
                     "tier_1_lateness_s_max": round(max(late), 1), "host_down_s": 3, "event_delay_s": 0.5,
                     "calls_after_tier_1": sum(after_tier_1.get(p, 0) for p in PHONES),
                     "calls_after_tier_2": sum(counts.get(p, 0) for p in PHONES)}
    figures.report()
    assert figures.contract_held, figures
    assert {p: counts.get(p, 0) for p in PHONES} == expected, counts
    tier_2 = {k: [s["outcome"] for s in incident(timed, k)["escalations"] if s["tier"] == 2][0] for k in calls}
    assert [tier_2[k] for k in calls] == ["acknowledged", "acknowledged", "told 0; called 1", "told 0; called 1"]
    timed.acs.set_faults({})
    for d in dials:
        assert h.end(c, str(d.call_id), d.agent, retries=10) == 200


def _at(value: object) -> float:
    return datetime.fromisoformat(str(value)).timestamp()
