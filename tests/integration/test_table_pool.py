"""The pool adapter against a real Azurite: conditional writes and 50 concurrent emergency calls."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.table_pool import TablePoolStore
from shared.adapters.tables import Tables
from shared.domain.lease import LeasePolicy, PoolNumber, stale_index
from shared.ports import Conflict, StoreError, Take
from shared.services.leasing import AgentHoldsEnough, lease_number
from tests.fakes import T0

POLICY = LeasePolicy()


def numbers(count: int) -> list[str]:
    return [f"+1202555{100 + i:04d}" for i in range(count)]


def leased_and_ended(pool: TablePoolStore, agent_id: str) -> PoolNumber:
    """Call c1 of `agent_id` leases a number at T0 and ends at once: its window runs to T0 + 60 min."""
    first = lease_number("1", "c1", None, agent_id, T0, False, pool, POLICY)
    assert first is not None
    read = pool.get(first.number)
    assert read is not None and read.lease is not None
    assert pool.replace(read, replace(read, lease=POLICY.on_call_end(read.lease, T0)))
    return first


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


# The free-number index (issue 11): constant cost, one transaction per change, repaired by the timer.

class CountingTables(Tables):
    """Counts the requests that leave the Table Storage client and the bytes of the answers."""

    def __init__(self, connection_string: str, prefix: str) -> None:
        self.requests = self.received = 0
        super().__init__(connection_string=connection_string, prefix=prefix, raw_request_hook=self._count,
                         raw_response_hook=self._measure)

    def _count(self, request: object) -> None:
        self.requests += 1

    def _measure(self, response) -> None:
        self.received += len(response.http_response.body() or b"")


def lease_cost(azurite, size: int) -> tuple[int, int]:
    """Requests and bytes read by one lease from a fresh pool of `size` free numbers."""
    prefix = "t" + uuid.uuid4().hex[:10]
    pool = TablePoolStore(Tables(connection_string=azurite.connection_string, prefix=prefix))
    for n in [f"+1{area}5550{100 + i:03d}" for area in range(201, 211) for i in range(100)][:size]:
        pool.add(PoolNumber(n, "1"))
    counted = CountingTables(azurite.connection_string, prefix)
    TablePoolStore(counted).get("+12015550100")  # the table exists for this client
    requests, received = counted.requests, counted.received
    assert lease_number("1", "c1", None, "alice", T0, False, TablePoolStore(counted), POLICY) is not None
    return counted.requests - requests, counted.received - received


def test_a_lease_reads_as_much_from_a_pool_of_400_as_from_a_pool_of_40(azurite) -> None:
    # GIVEN pools of 40 and of 400 free numbers; WHEN a call leases from each
    small, large = lease_cost(azurite, 40), lease_cost(azurite, 400)
    # THEN the same two requests (a page of the index, one transaction) and about the same bytes
    assert small[0] == large[0] == 2
    assert large[1] <= 1.2 * small[1], (small, large)


def test_the_index_lists_free_numbers_least_recently_used_first_and_respects_quarantine(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 3)
    first = leased_and_ended(pool, "a1")
    others = [n for n in numbers(3) if n != first.number]
    later = T0 + timedelta(minutes=65)  # expired at 60, quarantined until 70
    assert [s.number for s in pool.free_numbers("1", POLICY.free_until(later), 10)] == others
    after = T0 + timedelta(minutes=71)
    assert [s.number for s in pool.free_numbers("1", POLICY.free_until(after), 10)] == [*others, first.number]


def test_a_redial_after_the_end_keeps_her_number_and_a_repeat_keeps_the_call_s(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 3)
    first = leased_and_ended(pool, "alice")
    repeat = lease_number("1", "c1", None, "alice", T0 + timedelta(seconds=2), False, pool, POLICY)
    redial = lease_number("1", "c2", None, "alice", T0 + timedelta(minutes=5), False, pool, POLICY)
    assert first.number == repeat.number == redial.number
    lease = pool.get(first.number).lease
    assert lease.call_id == "c2" and lease.kept_until == T0 + timedelta(minutes=60)  # c1's hold kept
    assert sum(1 for n in pool.list_region("1") if n.lease) == 1


def test_redials_while_her_calls_are_live_each_keep_a_number_up_to_her_share(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 5)
    held = [lease_number("1", f"c{i}", None, "alice", T0 + timedelta(minutes=i), i == 1, pool, POLICY)
            for i in range(POLICY.numbers_per_agent)]
    assert len({n.number for n in held}) == POLICY.numbers_per_agent  # none of them ended: none taken over
    with pytest.raises(AgentHoldsEnough):
        lease_number("1", "c9", None, "alice", T0 + timedelta(minutes=9), False, pool, POLICY)
    assert [pool.get(n.number).lease.call_id for n in held] == [n.lease.call_id for n in held]
    assert lease_number("1", "b1", None, "bob", T0 + timedelta(minutes=9), False, pool, POLICY) is not None


def test_her_share_is_counted_across_a_take_over(tables: Tables) -> None:
    # GIVEN Alice holds her share: three calls without an end
    pool = TablePoolStore(tables)
    fill(pool, 6)
    held = [lease_number("1", f"c{i}", None, "alice", T0, False, pool, POLICY) for i in range(3)]
    # WHEN the first ends and a redial keeps its number (her row now names it as her latest)
    first = pool.get(held[0].number)
    assert pool.replace(first, replace(first, lease=POLICY.on_call_end(first.lease, T0)))
    redial = lease_number("1", "c3", None, "alice", T0 + timedelta(minutes=1), False, pool, POLICY)
    assert redial.number == held[0].number
    # THEN she still holds three, and one more call of hers gets none; the other numbers stay free
    with pytest.raises(AgentHoldsEnough):
        lease_number("1", "c4", None, "alice", T0 + timedelta(minutes=2), False, pool, POLICY)
    assert sum(1 for n in pool.list_region("1") if n.active_lease(T0 + timedelta(minutes=2))) == 3


def test_an_agent_whose_lease_expired_gets_a_fresh_number_past_her_stale_hint(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 2)
    first = leased_and_ended(pool, "alice")
    later = T0 + timedelta(minutes=61)  # her lease expired; the timer has not cleaned its hint
    again = lease_number("1", "c2", None, "alice", later, False, pool, POLICY)
    assert again is not None and again.number != first.number and again.lease.call_id == "c2"


class LandsThenFails:
    """The transaction lands, its answer is lost (a timeout): the caller cannot tell."""

    def __init__(self, pool: TablePoolStore) -> None:
        self._pool, self.failed = pool, False

    def __getattr__(self, name: str):
        return getattr(self._pool, name)

    def take(self, *args, **kwargs):
        outcome = self._pool.take(*args, **kwargs)
        if not self.failed:
            self.failed = True
            raise StoreError("read timeout")
        return outcome


def test_a_lease_that_landed_but_whose_answer_was_lost_is_found_not_doubled(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 3)
    won = lease_number("1", "c1", None, "alice", T0, False, LandsThenFails(pool), POLICY)
    leased = [n for n in pool.list_region("1") if n.lease]
    assert [n.number for n in leased] == [won.number] and leased[0].lease.call_id == "c1"


def test_a_failed_transaction_leaves_nothing_half_written(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 1)
    slot = pool.free_numbers("1", POLICY.free_until(T0), 1)[0]
    lease = POLICY.new_lease("c1", "alice", None, T0, False)
    assert pool.take(slot, lease, agent_hint='W/"datetime\'2020-01-01T00%3A00%3A00Z\'"') is Take.AGENT
    assert pool.get(slot.number).lease is None and [r.kind for r in pool.list_index()] == ["free"]
    assert pool.take(slot, lease) is Take.TAKEN
    assert pool.take(slot, POLICY.new_lease("c2", "bob", None, T0, False)) is Take.LOST


def test_retired_numbers_leave_the_index_and_come_back(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    fill(pool, 2)
    read = pool.get("+12025550100")
    assert pool.replace(read, replace(read, retired=True))
    assert [s.number for s in pool.free_numbers("1", T0, 10)] == ["+12025550101"]
    back = pool.get("+12025550100")
    assert pool.replace(back, replace(back, retired=False))
    assert len(pool.free_numbers("1", T0, 10)) == 2
    assert pool.remove(pool.get("+12025550101"))
    assert [s.number for s in pool.free_numbers("1", T0, 10)] == ["+12025550100"]


def legacy_numbers(tables: Tables, count: int) -> list[str]:
    """Number rows as the pool wrote them before the index existed: no free slots, no hints."""
    wanted = numbers(count)
    for n in wanted:
        tables.get("callbacknumbers").create_entity({"PartitionKey": "1", "RowKey": n, "retired": False})
    return wanted


def test_numbers_the_index_lost_are_still_leased_and_the_timer_puts_them_back(tables: Tables) -> None:
    # GIVEN two numbers without free slots (drift)
    pool = TablePoolStore(tables)
    legacy_numbers(tables, 2)
    # WHEN a call leases: the index shows nothing, the region is read instead
    won = lease_number("1", "c1", None, "alice", T0, False, pool, POLICY)
    assert won is not None
    # THEN the timer's repair gives the other one its slot, and the index serves the next call
    stale, missing = stale_index(pool.list_all(), pool.list_index(), T0)
    assert stale == [] and [n.number for n in missing] == [n for n in numbers(2) if n != won.number]
    assert all(pool.index_number(n) for n in missing)
    assert [s.number for s in pool.free_numbers("1", T0, 10)] == [missing[0].number]
    assert stale_index(pool.list_all(), pool.list_index(), T0) == ([], [])


def test_the_repair_removes_a_slot_that_names_a_leased_number_and_never_undoes_a_lease(tables: Tables) -> None:
    # GIVEN a leased number that also has an old free slot in range (drift)
    pool = TablePoolStore(tables)
    fill(pool, 1)
    won = lease_number("1", "c1", None, "alice", T0, False, pool, POLICY)
    tables.get("callbacknumbers").create_entity(
        {"PartitionKey": "1", "RowKey": f"free|0000-00-00T00:00:00.000000|{won.number}", "number": won.number})
    # WHEN the timer's repair runs
    stale, missing = stale_index(pool.list_all(), pool.list_index(), T0)
    assert [r.kind for r in stale] == ["free"] and missing == []
    assert pool.drop_index(stale[0])
    # THEN nobody else can take the number, and its lease holds
    assert lease_number("1", "c2", None, "bob", T0, False, pool, POLICY) is None
    assert pool.get(won.number).lease.call_id == "c1"


def test_a_repair_read_before_a_lease_cannot_put_a_slot_back_for_it(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    legacy_numbers(tables, 1)
    seen = pool.list_all()  # the timer read the number, free and without a slot
    assert lease_number("1", "c1", None, "alice", T0, False, pool, POLICY) is not None  # then a call leased it
    assert not pool.index_number(seen[0])  # conditional on the number as read: the repair loses
    assert pool.free_numbers("1", T0 + timedelta(minutes=30), 10) == []


def test_eight_threads_leasing_from_one_pool_never_share_a_number(azurite, tables: Tables) -> None:
    fill(TablePoolStore(tables), 40)

    def dialer(worker: int) -> list[str]:
        own = TablePoolStore(Tables(connection_string=azurite.connection_string, prefix=tables._prefix))
        won = [lease_number("1", f"w{worker}-{i}", None, f"agent-{worker}-{i}", T0, False, own, POLICY)
               for i in range(5)]
        return [w.number for w in won if w is not None]

    with ThreadPoolExecutor(max_workers=8) as ex:
        results = [n for batch in ex.map(dialer, range(8)) for n in batch]
    assert len(results) == 40 and len(set(results)) == 40
    assert lease_number("1", "late", None, "late", T0, False, TablePoolStore(tables), POLICY) is None
    assert stale_index(TablePoolStore(tables).list_all(), TablePoolStore(tables).list_index(), T0) == ([], [])
