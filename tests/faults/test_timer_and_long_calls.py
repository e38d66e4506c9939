"""The timer twice at once and skipped for three hours; calls of 30, 61 and 200 minutes. A number stays with its
call while the call is live and for the window after its end, and never goes to a second call meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.stack import FALLBACK_TARGET, LocalStack
from tests.faults import harness as h
from tests.faults.conftest import start_stack


@pytest.fixture(scope="module")
def three_numbers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(tmp_path_factory.mktemp("long"), agents=5, pool=3)
    try:
        yield s
    finally:
        s.stop()


def callback_goes_to(stack: LocalStack, number: str, tag: str) -> str | None:
    event = h.incoming_call(stack.client, "4:" + number, tag)
    assert h.publish_acs(stack, event) == 200
    assert h.quiet(stack)
    return h.redirect_target(stack, event["data"]["incomingCallContext"])


def run_timer_twice_at_once(stack: LocalStack, other) -> list[int]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda client: client.run_function("callback_lease_expiry"), [stack.client, other]))


def test_calls_of_30_61_and_200_minutes_with_the_timer_doubled_and_skipped(three_numbers: LocalStack) -> None:
    s, c = three_numbers, three_numbers.client
    other = s.start_extra_host()
    try:
        dials = {minutes: h.dial(c, h.agent_id(i), "911") for i, minutes in enumerate((30, 61, 200))}
        number = {m: d.answer["callbackNumber"] for m, d in dials.items()}
        targets: dict[str, str | None] = {}
        elapsed, wrong = 0, []
        for step in (30, 31, 30, 60, 49):  # to 30, 61, 91, 151, 200 minutes, the timer twice at each
            c.advance(step * 60)
            elapsed += step
            assert run_timer_twice_at_once(s, other) == [202, 202]
            for minutes, d in dials.items():
                live = elapsed < minutes + 60
                target = callback_goes_to(s, number[minutes], f"cb-{minutes}-{elapsed}")
                targets[f"{minutes}@{elapsed}"] = target
                if live and target != h.acs_id(list(dials).index(minutes)):
                    wrong.append(f"{minutes}-minute call at {elapsed}: {target}")
                if elapsed == minutes:
                    assert h.end(c, str(d.call_id), d.agent) == 200
        # a fourth agent dials at 200 minutes: the 30- and the 61-minute calls' numbers are free (their windows ended
        # at 90 and 121 minutes, their rest at 100 and 131), the 200-minute call's is held
        late = h.dial(c, h.agent_id(3), "911")
        # the timer is skipped for three hours: 50 minutes in, the 200-minute call's window still holds (decided
        # from timestamps when read); after the three hours it has run out
        c.advance(50 * 60)
        after = callback_goes_to(s, number[200], "cb-200-after")
        c.advance(130 * 60)
        assert run_timer_twice_at_once(s, other) == [202, 202]
        released = callback_goes_to(s, number[200], "cb-200-released")
    finally:
        s.stop_extra_hosts()
    figures = h.Figures("calls of 30, 61 and 200 minutes; timer twice at once, skipped for 3 hours", calls=4)
    # the late dial may reuse a number whose window has ended, never the live 200-minute call's
    figures.double_leases = int(late.answer.get("callbackNumber") == number[200])
    figures.lost_redirects = len(wrong)
    figures.notes = {"late_dial_got": late.answer.get("callbackNumber"), "wrong_targets": wrong}
    figures.report()
    assert wrong == [] and figures.double_leases == 0
    assert late.answer["callbackNumber"] in (number[30], number[61])
    assert after == h.acs_id(2) and released == FALLBACK_TARGET
