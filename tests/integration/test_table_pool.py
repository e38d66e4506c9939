"""The pool adapter against a real Azurite: conditional writes and 50 concurrent emergency calls."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from shared.adapters.table_pool import TablePoolStore
from shared.adapters.tables import Tables
from shared.domain.lease import LeasePolicy, PoolNumber
from shared.ports import Conflict
from shared.services.leasing import lease_number
from tests.fakes import T0

POLICY = LeasePolicy()


def numbers(count: int) -> list[str]:
    return [f"+1202555{100 + i:04d}" for i in range(count)]


def fill(pool: TablePoolStore, count: int) -> list[str]:
    wanted = numbers(count)
    for n in wanted:
        pool.add(PoolNumber(n, "1"))
    return wanted


def test_a_number_round_trips_with_its_lease(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 1)
    n = pool.get("+12025550100")
    lease = POLICY.new_lease("c1", "alice", "8:acs:r_alice", T0, test=True)
    assert pool.replace(n, replace(n, lease=lease))
    again = pool.get("+12025550100")
    assert again.lease == lease and again.version != n.version


def test_adding_a_number_twice_conflicts(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 1)
    try:
        pool.add(PoolNumber("+12025550100", "1"))
        raise AssertionError("expected a conflict")
    except Conflict:
        pass


def test_a_stale_version_loses(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 1)
    read_by_a = pool.get("+12025550100")
    read_by_b = pool.get("+12025550100")
    assert pool.replace(read_by_a, replace(read_by_a, lease=POLICY.new_lease("a", "alice", None, T0, False)))
    assert not pool.replace(read_by_b, replace(read_by_b, lease=POLICY.new_lease("b", "bob", None, T0, False)))
    assert pool.get("+12025550100").lease.call_id == "a"


def test_a_number_outside_the_pool_reads_as_none(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    assert pool.get("+12025550177") is None
    assert pool.get("not-a-number") is None


def test_fifty_concurrent_calls_get_fifty_distinct_numbers(azurite, tables: Tables) -> None:
    fill(TablePoolStore(tables), 50)

    def one_call(i: int) -> str | None:
        # Each caller has its own client, as separate function instances would.
        own = TablePoolStore(Tables(connection_string=azurite.connection_string, prefix=tables._prefix))
        won = lease_number("1", f"call-{i}", None, f"agent-{i}", T0, False, own, POLICY)
        return won.number if won else None

    with ThreadPoolExecutor(max_workers=50) as ex:
        results = list(ex.map(one_call, range(50)))
    assert None not in results
    assert len(set(results)) == 50
    holders = {n.number: n.lease.call_id for n in TablePoolStore(tables).list_region("1") if n.lease}
    assert sorted(holders.values()) == sorted(f"call-{i}" for i in range(50))
    assert all(holders[num] == f"call-{i}" for i, num in enumerate(results))


def test_the_fifty_first_call_finds_the_pool_exhausted(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 2)
    for i in range(2):
        assert lease_number("1", f"c{i}", None, f"a{i}", T0, False, pool, POLICY) is not None
    assert lease_number("1", "c-late", None, "a-late", T0, False, pool, POLICY) is None


def test_asking_twice_for_the_same_call_returns_the_same_number(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 3)
    first = lease_number("1", "c1", None, "a", T0, False, pool, POLICY)
    second = lease_number("1", "c1", None, "a", T0 + timedelta(seconds=3), False, pool, POLICY)
    assert first.number == second.number


def test_an_expired_lease_is_free_again_after_quarantine_without_the_timer(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 1)
    taken = lease_number("1", "c1", None, "a", T0, False, pool, POLICY)
    assert taken is not None
    assert lease_number("1", "c2", None, "b", T0 + timedelta(minutes=65), False, pool, POLICY) is None  # live
    read = pool.get(taken.number)
    assert pool.replace(read, replace(read, lease=POLICY.on_call_end(read.lease, T0)))  # it ended at once
    assert lease_number("1", "c2", None, "b", T0 + timedelta(minutes=65), False, pool, POLICY) is None
    again = lease_number("1", "c2", None, "b", T0 + timedelta(minutes=71), False, pool, POLICY)
    assert again is not None and again.lease.call_id == "c2"
