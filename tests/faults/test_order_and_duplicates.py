"""Duplicates ×3 (some concurrent) of every event, and every order of the five signals of one call:
CallStarted, ACS's CallEnded, the dialer's call-ids, the dialer's end and the responder's IncomingCall."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.stack import LocalStack, wait_for
from tests.faults import harness as h
from tests.faults.conftest import start_stack

SIGNALS = ("started", "acs_end", "call_ids", "dialer_end", "incoming")
ORDERS = list(itertools.permutations(SIGNALS))  # 120
AGENTS = 12


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The app's internal events are accepted and kept by its topic but delivered by the test, in its order."""
    s = start_stack(tmp_path_factory.mktemp("order"), agents=AGENTS, pool=2 * AGENTS, internal_subscriptions=[])
    try:
        yield s
    finally:
        s.stop()


def play(stack: LocalStack, agent_index: int, order: tuple[str, ...], tag: str) -> dict[str, object]:
    """One call by one agent with its signals in `order`; what the contract says, read from outside."""
    c, agent = stack.client, h.agent_id(agent_index)
    before = "Busy" if agent_index % 2 else "Available"
    assert c.put(f"/api/agents/{agent}/presence", {"status": before})[0] == 200
    d = h.dial(c, agent, call_id=f"order-{tag}")
    assert d.status == 200 and d.answer["callbackNumberSource"] == "pool", d.answer
    call_id, number = d.call_id, d.answer["callbackNumber"]
    server, corr = f"srv-{tag}", f"corr-{tag}"
    incoming = h.incoming_call(c, "4:" + number, f"cb-{tag}")
    statuses = []
    for signal in order:
        if signal == "started":
            statuses += h.deliver_internal(stack, f"{call_id}:started")
        elif signal == "acs_end":
            statuses.append(h.publish_acs(stack, h.acs_call_ended(c, agent_index, server, corr)))
        elif signal == "call_ids":
            statuses.append(c.post(f"/api/outbound-calls/{call_id}/call-ids",
                                   {"serverCallId": server, "correlationId": corr})[0])
        elif signal == "dialer_end":
            statuses.append(c.post(f"/api/outbound-calls/{call_id}/end", {"agentId": agent})[0])
        else:
            statuses.append(h.publish_acs(stack, incoming))
    statuses += h.deliver_internal(stack, f"{call_id}:ended")
    presence = c.get(f"/api/agents/{agent}/presence")[1]
    incident = c.get(f"/api/manage/incidents/{call_id}")[1]
    history = c.get(f"/api/agents/{agent}/call-history")[1]
    return {"call_id": call_id, "agent": agent, "statuses": statuses, "presence": presence, "before": before,
            "incident": incident, "context": incoming["data"]["incomingCallContext"],
            "in_history": corr in str(history)}


def test_every_order_of_the_five_signals_of_one_call(held: LocalStack, rng) -> None:
    c = held.client
    rng.shuffle(ORDERS)
    results: list[dict[str, object]] = []
    for start in range(0, len(ORDERS), AGENTS):  # a round: one call per agent, all at once
        batch = [(i, order, f"{start + i}-{uuid.uuid4().hex[:6]}")
                 for i, order in enumerate(ORDERS[start:start + AGENTS])]
        with ThreadPoolExecutor(AGENTS) as pool:
            results += pool.map(lambda job: play(held, *job), batch)
        c.advance(71 * 60)  # past every window and quarantine: the next round finds the pool free
        assert c.run_function("callback_lease_expiry") == 202
    calls = {str(r["call_id"]): str(r["agent"]) for r in results}
    figures = h.Figures("every order of CallStarted/ACS CallEnded/call-ids/end/IncomingCall", calls=len(calls))
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(held, calls)
    figures.lost_redirects, figures.duplicate_redirects = h.redirect_counts(held, [str(r["context"]) for r in results])
    figures.stuck_dnd = sum(1 for r in results if r["presence"]["emergency"]  # type: ignore[index]
                            or r["presence"]["status"] != r["before"])  # type: ignore[index]
    figures.server_errors = sum(1 for r in results for s in r["statuses"] if s >= 500)  # type: ignore[attr-defined]
    not_ended = [r["call_id"] for r in results if not r["incident"].get("endedAt")]  # type: ignore[attr-defined]
    in_history = [r["call_id"] for r in results if r["in_history"]]
    wrong_target = [r["call_id"] for r in results
                    if h.redirect_target(held, str(r["context"])) != h.acs_id(int(str(r["agent"])[-2:]))]
    figures.notes = {"orders": len(ORDERS), "not_ended": len(not_ended), "in_history": len(in_history),
                     "callback_not_to_the_agent": len(wrong_target)}
    figures.report()
    assert figures.contract_held and figures.server_errors == 0, figures
    assert not_ended == [] and in_history == [] and wrong_target == []


def test_every_event_three_times_some_at_once(stack: LocalStack) -> None:
    c = stack.client
    dials = [h.dial(c, h.agent_id(i)) for i in range(4)]
    assert all(d.status == 200 for d in dials)
    assert h.quiet(stack)
    contexts, statuses = [], []
    for i, d in enumerate(dials):
        server, corr = f"srv-dup-{i}", f"corr-dup-{i}"
        statuses += h.redeliver_internal(stack, f"{d.call_id}:started", times=3)
        statuses += h.post_at_once(c, f"/api/outbound-calls/{d.call_id}/call-ids",
                                   {"serverCallId": server, "correlationId": corr}, times=3)
        callback = h.incoming_call(c, "4:" + d.answer["callbackNumber"], f"cb-dup-{i}")
        contexts.append(callback["data"]["incomingCallContext"])
        statuses.append(h.publish_acs(stack, [callback] * 3))  # one publish, three deliveries of one event
        ended = h.acs_call_ended(c, i, server, corr)
        statuses.append(h.publish_acs(stack, [ended] * 3))
        statuses += h.post_at_once(c, f"/api/outbound-calls/{d.call_id}/end", {"agentId": d.agent}, times=3)
    assert h.quiet(stack)
    for d in dials:
        statuses += h.redeliver_internal(stack, f"{d.call_id}:ended", times=3)
        statuses += h.redeliver_internal(stack, f"{d.call_id}:started", times=1)  # late, after the end
    assert h.quiet(stack)
    reports = [h.email_report(c, op) for op in h.sent_email_ids(stack)]
    statuses.append(h.publish_acs(stack, [r for r in reports for _ in range(3)]))
    assert h.quiet(stack)
    calls = {str(d.call_id): d.agent for d in dials}
    figures = h.Figures("duplicates x3 of every event, some concurrent", calls=len(calls))
    figures.dials(dials)
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(stack, calls)
    figures.lost_redirects, figures.duplicate_redirects = h.redirect_counts(stack, contexts)
    figures.stuck_dnd = len(h.stuck_dnd(c, calls.values()))
    figures.server_errors += sum(1 for s in statuses if s >= 500)
    delivered = [h.delivery_statuses(c, call_id) for call_id in calls]
    figures.notes = {"email_delivered_records": sum(s.count("delivered") for s in delivered)}
    figures.report()
    assert figures.contract_held and figures.server_errors == 0, figures
    ended = h.incidents(c)
    assert all(ended[call_id]["endedAt"] for call_id in calls)
    assert wait_for(lambda: all(s.count("delivered") == 2 for s in
                                (h.delivery_statuses(c, call_id) for call_id in calls)))
