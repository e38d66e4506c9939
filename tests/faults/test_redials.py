"""Redials never shorten another call's callback hold (issue 17), on the local stack and checked from outside only:
911 then 933, 933 then 911, 911 then 911, each by its own agent, on the direct-routing path and on the direct-offer
path with a read-out pool number. Seven minutes after the second call's end (past a 933's five-minute window) and
again 57 minutes after, the responder calls back every number given out: each one still within its window reaches
its agent, and on the direct-offer path so does the callback to her identity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from tests.faults import harness as h
from tests.faults.conftest import start_stack

SEQUENCES = (("911", "933"), ("933", "911"), ("911", "911"))
DIRECT_ROUTING_NUMBER, MICROSOFT_NUMBER = "+12025550181", "+12025550180"
# ACS applies a direct-routing rule for the dialed number whatever the caller's number, so each path has its stack:
# a carrier's number with a rule for 911 and 933, or a Microsoft number (with a pool number to read out).
PATHS = {
    "direct_routing": (DIRECT_ROUTING_NUMBER, "direct_routing",
                       [("routing-rules/emergency", {"numberPattern": "^\\+?9(11|33)$",
                                                     "trunks": ["sbc1.example.com"]})]),
    "direct_offer": (MICROSOFT_NUMBER, "microsoft", []),
}


@pytest.fixture(scope="module", params=sorted(PATHS))
def redials(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    number, kind, records = PATHS[request.param]
    s = start_stack(Path(tmp_path_factory.mktemp(f"redials-{request.param}")), agents=len(SEQUENCES),
                    pool=3 * len(SEQUENCES), extra_env={"LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "true"})
    try:
        c = s.client
        for path, body in [(f"numbers/{number}", {"type": kind, "country": "US"}), *records]:
            status, answer = c.put(f"/api/manage/voice-config/{path}", body)
            assert status == 200, answer
        for i in range(len(SEQUENCES)):
            status, agent = c.get(f"/api/manage/agents/{h.agent_id(i)}")
            assert status == 200, agent
            body = {k: v for k, v in agent.items() if k not in ("agentId", "readiness", "signInId")}
            assert c.put(f"/api/manage/agents/{h.agent_id(i)}", body | {"outboundNumber": number})[0] == 200
        s.path = request.param  # type: ignore[attr-defined]
        yield s
    finally:
        s.stop()


def dial_and_end(stack: LocalStack, i: int, number: str) -> dict[str, Any]:
    d = h.dial(stack.client, h.agent_id(i), number)
    assert d.status == 200 and d.answer["dial"] is True, d
    assert h.end(stack.client, str(d.call_id), h.agent_id(i), retries=3) == 200
    return d.answer


def callback_reaches(stack: LocalStack, to_raw: str, label: str) -> tuple[str | None, dict[str, Any]]:
    """Ring `to_raw` as the responder: (where it was redirected, the event)."""
    event = h.incoming_call(stack.client, to_raw, label)
    assert h.publish_acs(stack, event) == 200
    assert h.quiet(stack)
    return h.redirect_target(stack, event["data"]["incomingCallContext"]), event


def pool_view(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """Number -> its live lease, as the admin's pool view shows it."""
    status, body = stack.client.get("/api/manage/callback-numbers")
    assert status == 200, body
    return {n["number"]: n["lease"] for n in body["numbers"] if n["lease"]}


def test_no_redial_shortens_another_call_s_callback_hold(redials: LocalStack) -> None:
    c = redials.client
    path: str = redials.path  # type: ignore[attr-defined]
    answers = {i: [dial_and_end(redials, i, n) for n in sequence] for i, sequence in enumerate(SEQUENCES)}
    paths = {(a["emergencyPath"], a["callbackNumberSource"]) for calls in answers.values() for a in calls}
    assert paths == {(path, "pool")}, (paths, [a["warnings"] for calls in answers.values() for a in calls])
    figures = h.Figures(f"redials on the {path} path: 911/933 sequences, callbacks after 7 and 57 minutes",
                        calls=2 * len(SEQUENCES))
    for minutes in (7, 50):
        c.advance(minutes * 60)
        if path == "direct_offer":  # the emergency service's temporary number rings her identity
            for i in range(len(SEQUENCES)):
                event = h.incoming_call(c, h.acs_id(i), f"redial-{i}-{minutes}-identity")
                assert h.publish_acs(redials, event) == 200
            assert h.quiet(redials)
            # A redirect to her identity within the ring (30 s) would count as the same callback as this one.
            c.advance(60)
        late = c.now()
        leases = pool_view(redials)
        found = h.incidents(c)
        for i, calls in answers.items():
            for n, answer in enumerate(calls):
                # The incident's window runs from the call's end; never shorter than the dial's answer said.
                told, until = (datetime.fromisoformat(answer["callbackWindowEndsAt"]),
                               datetime.fromisoformat(found[answer["emergencyCallId"]]["callbackWindowEndsAt"]))
                assert until >= told, (answer, found[answer["emergencyCallId"]])
                if late >= until:
                    continue  # this call's own window has run out (a 933's after five minutes)
                label = f"redial-{i}-{n}-{minutes}"
                target, _ = callback_reaches(redials, "4:" + answer["callbackNumber"], label)
                figures.lost_redirects += target != h.acs_id(i)
                assert target == h.acs_id(i), (i, SEQUENCES[i], n, minutes, target)
                # The pool shows the hold really in force: a real call's number is never listed as a test call's.
                held = leases.get(answer["callbackNumber"])
                assert held is not None and (answer["test"] or not held["test"]), (held, answer)
                assert datetime.fromisoformat(held["expiresAt"]) >= until, (held, answer)
    assert h.quiet(redials)
    found = h.incidents(c)
    for i, calls in answers.items():
        if path == "direct_offer":
            ringing = [a["test"] for a in calls for cb in found[a["emergencyCallId"]]["callbacks"]
                       if cb["outcome"] == "ringing_direct"]
            # Both checks fell within a real call's window: each callback recorded once, on a real call.
            assert ringing == [False, False], (i, [found[a["emergencyCallId"]]["callbacks"] for a in calls])
    figures.stuck_dnd = len(h.stuck_dnd(c, [h.agent_id(i) for i in range(len(SEQUENCES))]))
    figures.report()
    assert figures.contract_held, figures
