"""The direct-offer path under duplicates and a killed host: agents calling from a Microsoft number lease no pool
number, and the responder's callback to each agent's identity — delivered three times, some at once, with the host
killed between deliveries — is recorded once on her incident and never redirected to the identity it rings."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.stack import LocalStack
from tests.faults import harness as h
from tests.faults.conftest import start_stack

AGENTS = 6
MICROSOFT_NUMBER = "+12025550180"


@pytest.fixture(scope="module")
def offer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(Path(tmp_path_factory.mktemp("direct-offer")), agents=AGENTS, pool=AGENTS,
                    extra_env={"LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "false"})
    try:
        c = s.client
        assert c.put(f"/api/manage/voice-config/numbers/{MICROSOFT_NUMBER}",
                     {"type": "microsoft", "country": "US"})[0] == 200
        for i in range(AGENTS):
            status, agent = c.get(f"/api/manage/agents/{h.agent_id(i)}")
            assert status == 200, agent
            body = {k: v for k, v in agent.items() if k not in ("agentId", "readiness", "signInId")}
            status, answer = c.put(f"/api/manage/agents/{h.agent_id(i)}", body | {"outboundNumber": MICROSOFT_NUMBER})
            assert status == 200, answer
        yield s
    finally:
        s.stop()


def test_callbacks_to_the_agents_identities_under_duplicates_and_a_killed_host(offer: LocalStack, rng) -> None:
    c = offer.client
    agents = [h.agent_id(i) for i in range(AGENTS)]
    dials = h.dial_all(c, agents)
    assert all(d.status == 200 and d.answer["emergencyPath"] == "direct_offer" for d in dials), dials
    calls = {str(d.call_id): d.agent for d in dials}
    figures = h.Figures("direct offer: callbacks to the identities x3, host killed", calls=len(calls))
    figures.dials(dials)
    figures.notes["pool_leases"] = len(h.leases(c))  # none: the responder sees the emergency service's number
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(offer, calls)
    callbacks = {d.agent: h.incoming_call(c, h.acs_id(int(d.agent.rsplit("-", 1)[1])), f"offer-{d.agent}")
                 for d in dials}
    killed_after = rng.randrange(AGENTS)
    for n, event in enumerate(callbacks.values()):
        with ThreadPoolExecutor(2) as pool:  # two deliveries at once, a third one later
            statuses = list(pool.map(lambda e: h.publish_acs(offer, e), [event, event]))
        if n == killed_after:
            offer.kill_host()
            offer.start_host()
        statuses.append(h.publish_acs(offer, event))
        figures.server_errors += sum(1 for s in statuses if s >= 500)
    assert h.quiet(offer)
    redirects = [r for r in offer.acs.requests("redirect")
                 if r["body"]["incomingCallContext"] in {e["data"]["incomingCallContext"] for e in callbacks.values()}]
    figures.duplicate_redirects = len(redirects)  # any redirect of a call already ringing its target is one too many
    found = h.incidents(c)
    recorded = {call_id: [cb["outcome"] for cb in found[call_id]["callbacks"]] for call_id in calls}
    figures.lost_redirects = sum(1 for outcomes in recorded.values() if outcomes.count("ringing_direct") != 1)
    for call_id, agent in calls.items():
        assert h.end(c, call_id, agent, retries=3) == 200
    assert h.quiet(offer)
    figures.stuck_dnd = len(h.stuck_dnd(c, agents))
    figures.notes["killed_after_callback"] = killed_after
    figures.report()
    assert figures.notes["pool_leases"] == 0
    assert all(d.answer["callerId"] == MICROSOFT_NUMBER and d.answer["callbackNumber"] is None for d in dials)
    assert recorded == {call_id: ["ringing_direct"] for call_id in calls}, recorded
    assert figures.contract_held and figures.server_errors == 0, figures
