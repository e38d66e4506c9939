"""The pre-dial hold (issue 18) on the local stack, checked from outside only (HTTP API, the admin's pool view,
incidents, what reached the Event Grid and ACS stand-ins): a hold is never a call, whatever happens to it. It is
released by the timer when no dial claims it (the host killed in between included), claimed by its dial (once,
however many dials race), taken over by her next hold or dial, never keeps a late dial from a number, and a
callback to it goes to the fallback desk."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import FALLBACK_TARGET, Client, LocalStack, wait_for
from shared.domain.delivery import operation_id
from tests.faults import harness as h
from tests.faults.conftest import start_stack

AGENTS, POOL = 8, 12
TIMER = "callback_lease_expiry"
PAST_THE_HOLD = 150  # seconds: past the hold's 2 minutes


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(tmp_path_factory.mktemp("pre-dial"), agents=AGENTS, pool=POOL)
    try:
        yield s
    finally:
        s.stop()


def pre_dial(client: Client, agent: str, call_id: str, number: str = "911") -> dict[str, Any]:
    """The panel's hint: she typed an emergency number (911 unless said), before Call."""
    status, answer = client.post(f"/api/outbound-calls/{call_id}/pre-dial",
                                 {"agentId": agent, "dialedNumber": number, "countryCode": "US"})
    assert status == 200, answer
    return dict(answer)


def dial(client: Client, agent: str, call_id: str, pre_dialed: bool = True, number: str = "911") -> dict[str, Any]:
    """The dial after the hint, with the same emergencyCallId."""
    status, answer = client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": number,
                                                         "countryCode": "US", "emergencyCallId": call_id,
                                                         "preDialed": pre_dialed})
    assert status == 200 and answer["dial"] is True, answer
    return dict(answer)


def pool(client: Client) -> dict[str, dict[str, Any]]:
    """Number -> its row in the admin's pool view."""
    status, body = client.get("/api/manage/callback-numbers")
    assert status == 200, body
    return {n["number"]: n for n in body["numbers"]}


def held_by(client: Client, agent: str) -> dict[str, dict[str, Any]]:
    """Number -> lease, of every number the pool view shows leased to `agent`."""
    return {number: n["lease"] for number, n in pool(client).items() if n["lease"] and n["lease"]["agentId"] == agent}


def the_hold(client: Client, agent: str, call_id: str) -> str:
    """The one number the pool view shows held, unclaimed, for `call_id`."""
    [(number, lease)] = held_by(client, agent).items()
    assert lease["emergencyCallId"] == call_id and lease["preDialUntil"] is not None, lease
    return number


def run_timer(client: Client) -> None:
    assert client.run_function(TIMER) == 202


def events_of(stack: LocalStack, call_id: str) -> list[str]:
    """The types of every event the app published about `call_id` (to its own topic)."""
    return [d.event_type for d in stack.custom_topic.store().list()
            if (d.event.get("data") or {}).get("emergencyCallId") == call_id]


def messages_of(stack: LocalStack, call_id: str, agent: str) -> int:
    """Emails and text messages about `call_id` that reached the ACS stand-in."""
    ids = {operation_id(call_id, channel, recipient)  # type: ignore[arg-type]
           for channel, recipient in h.recipients(agent)}
    return sum(1 for kind in ("email", "sms") for r in stack.acs.requests(kind) if r["id"] in ids)


def worker_patches(stack: LocalStack, agent: str) -> int:
    """Changes the app asked of the agent's Job Router worker (her availability follows her presence)."""
    return sum(1 for r in stack.acs.requests("jobrouter") if r["id"] == agent and r.get("method") == "PATCH")


def presence(client: Client, agent: str) -> dict[str, Any]:
    status, body = client.get(f"/api/agents/{agent}/presence")
    assert status == 200, body
    return dict(body)


def callback_goes_to(stack: LocalStack, number: str, tag: str) -> str | None:
    """The responder rings `number`: where the call was redirected."""
    event = h.incoming_call(stack.client, "4:" + number, tag)
    assert h.publish_acs(stack, event) == 200
    assert h.quiet(stack)
    return h.redirect_target(stack, event["data"]["incomingCallContext"])


def test_a_hold_the_host_died_after_is_released_by_the_timer_and_never_was_a_call(held: LocalStack) -> None:
    # GIVEN agent 0 typed 911: a number is held for her call id
    c, agent, call_id = held.client, h.agent_id(0), "pre-killed-1"
    before = presence(c, agent)
    patches = worker_patches(held, agent)
    answer = pre_dial(c, agent, call_id)
    assert answer["preDial"] is True and answer["emergencyCallId"] == call_id and answer["heldUntil"], answer
    number = the_hold(c, agent, call_id)
    # WHEN the host is killed before any dial, comes back, and the timer runs past the hold's two minutes
    held.kill_host()
    held.start_host()
    c.advance(PAST_THE_HOLD)
    run_timer(c)
    assert h.quiet(held)
    # THEN the number is free again, without quarantine (no one was told it)
    row = pool(c)[number]
    assert row["lease"] is None and row["state"] == "free" and row["quarantinedUntil"] is None, row
    # ... and nothing of a call exists: no incident, no event, no notification, her presence as it was
    assert call_id not in h.incidents(c)
    assert c.get(f"/api/manage/incidents/{call_id}")[0] == 404
    assert events_of(held, call_id) == []
    assert messages_of(held, call_id, agent) == 0
    assert presence(c, agent) == before and before["emergency"] is False
    assert worker_patches(held, agent) == patches


def test_the_dial_claims_its_hold_and_the_timer_leaves_the_call_s_number_alone(held: LocalStack) -> None:
    # GIVEN a hold for agent 1's call
    c, agent, call_id = held.client, h.agent_id(1), "pre-claimed-1"
    patches = worker_patches(held, agent)
    assert pre_dial(c, agent, call_id)["preDial"] is True
    number = the_hold(c, agent, call_id)
    # WHEN she dials with the same id, pre-dialed
    c.advance(5)
    answer = dial(c, agent, call_id)
    # THEN the dial presents the held number, the pool shows it claimed, the incident exists
    assert answer["callbackNumber"] == number and answer["callbackNumberSource"] == "pool", answer
    assert answer["warnings"] == [], answer
    lease = held_by(c, agent)[number]
    assert lease["emergencyCallId"] == call_id and lease["preDialUntil"] is None and lease["live"] is True, lease
    assert h.incidents(c)[call_id]["callbackNumber"] == number
    # ... and it is the call, as any dial is: her contacts told, her presence DND (what a hold never does)
    assert h.wait_notified(held, {call_id: agent}) == (0, 0)
    assert wait_for(lambda: presence(c, agent)["emergency"] is True)
    assert wait_for(lambda: worker_patches(held, agent) > patches)
    # ... and past the hold's two minutes the timer leaves it to the call, whose callback reaches her
    c.advance(PAST_THE_HOLD)
    run_timer(c)
    assert h.quiet(held)
    assert held_by(c, agent) == {number: lease}
    assert callback_goes_to(held, number, "pre-claimed-cb") == h.acs_id(1)
    assert h.end(c, call_id, agent, retries=3) == 200


def test_two_dials_racing_for_one_hold_give_one_number_and_one_incident(held: LocalStack) -> None:
    # GIVEN a hold for agent 2's call
    c, agent, call_id = held.client, h.agent_id(2), "pre-raced-1"
    assert pre_dial(c, agent, call_id)["preDial"] is True
    number = the_hold(c, agent, call_id)
    # WHEN the dial comes three times at once (a dialer retrying, a proxy repeating)
    with ThreadPoolExecutor(3) as threads:
        answers = list(threads.map(lambda _: dial(c, agent, call_id), range(3)))
    assert h.quiet(held)
    # THEN every answer presents the held number; one lease, one incident
    assert {a["callbackNumber"] for a in answers} == {number}, answers
    assert {a["emergencyCallId"] for a in answers} == {call_id}
    leases = held_by(c, agent)
    figures = h.Figures("pre-dial hold: its dial three times at once", calls=1, double_leases=len(leases) - 1,
                        notes={"numbers_leased_to_the_call": sorted(leases)})
    figures.report()
    assert list(leases) == [number] and leases[number]["preDialUntil"] is None, leases
    assert [i for i in h.incidents(c).values() if i["agentId"] == agent] == [h.incidents(c)[call_id]]
    assert events_of(held, call_id).count("Emergency.CallStarted") >= 1
    assert h.end(c, call_id, agent, retries=3) == 200


@pytest.mark.parametrize(("index", "pre_dialed"), [(3, False), (6, True)], ids=["dial", "dial-pre-dialed"])
def test_her_holds_again_and_again_keep_one_number_and_her_next_dial_still_gets_one(
        held: LocalStack, index: int, pre_dialed: bool) -> None:
    # GIVEN an agent types 911, clears it, types it again: a new panel call id each time
    c, agent, tag = held.client, h.agent_id(index), f"pre-again-{index}"
    for i in range(8):
        answer = pre_dial(c, agent, f"{tag}-{i}", "933" if i % 2 else "911")
        assert answer["preDial"] is True, answer
        # THEN she holds at most one unclaimed number, the latest hint's
        assert [lease["emergencyCallId"] for lease in held_by(c, agent).values()] == [f"{tag}-{i}"]
    # WHEN she dials with yet another id (said to be pre-dialed or not: no hold is its own)
    answer = dial(c, agent, f"{tag}-dial", pre_dialed=pre_dialed)
    # THEN the dial gets a pool number without warnings, and it is all she holds
    assert answer["callbackNumberSource"] == "pool" and answer["warnings"] == [], answer
    leases = held_by(c, agent)
    assert list(leases) == [answer["callbackNumber"]], leases
    assert leases[answer["callbackNumber"]]["emergencyCallId"] == f"{tag}-dial"
    assert leases[answer["callbackNumber"]]["preDialUntil"] is None
    # ... and none of the hints became a call
    assert h.quiet(held)
    found = h.incidents(c)
    assert [i for i in range(8) if f"{tag}-{i}" in found or events_of(held, f"{tag}-{i}")] == []
    assert h.end(c, f"{tag}-dial", agent, retries=3) == 200


def test_a_dial_after_its_hold_ran_out_still_gets_a_number_without_a_warning(held: LocalStack) -> None:
    # GIVEN a hold for agent 4's call, and three minutes without the timer
    c, agent, call_id = held.client, h.agent_id(4), "pre-late-1"
    assert pre_dial(c, agent, call_id)["preDial"] is True
    number = the_hold(c, agent, call_id)
    c.advance(180)
    # WHEN the dial comes, pre-dialed
    answer = dial(c, agent, call_id)
    # THEN it gets a pool number (the one it held: no one else's) and no warning
    assert answer["callbackNumberSource"] == "pool" and answer["warnings"] == [], answer
    assert answer["callbackNumber"] == number, answer
    lease = held_by(c, agent)[number]
    assert lease["emergencyCallId"] == call_id and lease["preDialUntil"] is None, lease
    # ... and the timer, run now, leaves the call its number
    run_timer(c)
    assert h.quiet(held)
    assert held_by(c, agent) == {number: lease}
    assert call_id in h.incidents(c)
    assert h.end(c, call_id, agent, retries=3) == 200


def test_a_callback_to_an_unclaimed_hold_goes_to_the_fallback_desk(held: LocalStack) -> None:
    # GIVEN a hold for agent 5's call that no dial claimed yet
    c, agent, call_id = held.client, h.agent_id(5), "pre-callback-1"
    before = presence(c, agent)
    assert pre_dial(c, agent, call_id)["preDial"] is True
    number = the_hold(c, agent, call_id)
    # WHEN someone rings the held number
    target = callback_goes_to(held, number, "pre-callback-cb")
    # THEN the fallback desk gets it, not the agent, and her hold and presence are as they were
    assert target == FALLBACK_TARGET, target
    assert the_hold(c, agent, call_id) == number
    assert presence(c, agent) == before
    assert call_id not in h.incidents(c)
