"""Two Functions hosts on one storage account: 100 concurrent dials on a 100-number pool, then 120 on 100."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack
from tests.faults import harness as h
from tests.faults.conftest import start_stack

POOL = 100


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = start_stack(tmp_path_factory.mktemp("scale"), agents=120, pool=POOL)
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.parametrize("dials", [100, 120])
def test_concurrent_dials_across_two_hosts_never_share_a_number(two_hosts: LocalStack, dials: int) -> None:
    c = two_hosts.client
    other = two_hosts.start_extra_host()
    try:
        results = h.dial_all([c, other], [h.agent_id(i) for i in range(dials)], workers=50)
    finally:
        two_hosts.stop_extra_hosts()
    pooled = [d for d in results if d.answer.get("callbackNumberSource") == "pool"]
    calls = {str(d.call_id): d.agent for d in results if d.call_id}
    figures = h.Figures(f"two hosts, one storage: {dials} concurrent dials on a {POOL}-number pool",
                        calls=len(calls))
    figures.dials(results)
    figures.double_leases = h.double_leases(results)
    leases = h.leases(c)
    lost_leases = [d.call_id for d in pooled if leases.get(str(d.call_id)) != d.answer["callbackNumber"]]
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(two_hosts, calls, timeout=120)
    for d in results:
        assert h.end(c, str(d.call_id), d.agent, retries=3) == 200
    assert h.quiet(two_hosts, timeout=120)
    figures.stuck_dnd = len(h.stuck_dnd(c, calls.values()))
    exhausted = sum(1 for d in results if any(w["code"] == "pool_exhausted" for w in d.answer.get("warnings", [])))
    figures.notes = {"pool_numbers_given": len(pooled), "pool_exhausted_answers": exhausted,
                     "lost_leases": len(lost_leases)}
    figures.report()
    assert all(d.status == 200 and d.answer["dial"] is True for d in results)
    assert len(pooled) == min(dials, POOL) and exhausted == max(0, dials - POOL) and lost_leases == []
    assert figures.contract_held and figures.server_errors == 0, figures
    c.advance(71 * 60)  # the next round finds the pool free again
    assert c.run_function("callback_lease_expiry") == 202
