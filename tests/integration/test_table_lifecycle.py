"""The storage the crash-safe lifecycle relies on, against a real Azurite: the outbox flag, remembered ACS ends,
tombstones, the callback claim with its expiry, and leases that carry their dial."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from shared.adapters.table_callbacks import TableIncomingCallLog
from shared.adapters.table_pool import TablePoolStore
from shared.adapters.table_stores import TableCallStore
from shared.adapters.tables import Tables
from shared.domain.calls import EmergencyCall, tombstone
from shared.domain.lease import LeasePolicy, PoolNumber
from shared.ports import ClaimState
from tests.fakes import T0

HOLD = timedelta(seconds=10)


def test_marking_announced_sets_only_the_flag_and_creates_nothing(tables: Tables) -> None:
    store = TableCallStore(tables)
    call = EmergencyCall("c1", "alice", "911", "US", False, T0, callback_number="+12025550100")
    assert store.create(call) and store.get("c1")[0].announced is False
    record, version = store.get("c1")
    store.mark_announced("c1")
    assert store.get("c1")[0] == replace(call, announced=True)
    store.mark_announced("missing")
    assert store.get("missing") is None
    # a writer that read before the mark loses its conditional write and re-reads, so the flag is never undone
    try:
        store.save(replace(record, end_source="x"), version)
        raise AssertionError("a stale write must conflict")
    except Exception as exc:  # Conflict
        assert type(exc).__name__ == "Conflict"


def test_an_ended_call_remembered_by_either_id_is_found_by_the_other(tables: Tables) -> None:
    store = TableCallStore(tables)
    assert store.remembered_end("srv-1", "corr-1") is None
    store.remember_end("srv-1", "corr-1", T0)
    assert store.remembered_end(None, "corr-1") == T0
    assert store.remembered_end("srv-1", None) == T0
    store.link("c1", "srv-1", "corr-1")  # the link beside it is a row of its own
    assert store.find_linked("srv-1", None) == "c1" and store.remembered_end("srv-1", "corr-1") == T0


def test_a_tombstone_round_trips_and_is_filled_in_by_the_described_call(tables: Tables) -> None:
    store = TableCallStore(tables)
    store.create(tombstone("c2", "", T0 + timedelta(minutes=5), "dialer"))
    mark, version = store.get("c2")
    assert mark.origin == "end" and not mark.described and mark.announced
    described = EmergencyCall("c2", "alice", "911", "US", False, T0, callback_number="+12025550100",
                              callback_source="pool", callback_until=T0 + timedelta(minutes=60))
    store.save(mark.filled_from(described, LeasePolicy(window=timedelta(minutes=60))), version)
    filled = store.get("c2")[0]
    assert (filled.agent_id, filled.ended_at, filled.end_source, filled.origin) == \
        ("alice", T0 + timedelta(minutes=5), "dialer", "event")
    assert filled.callback_until == T0 + timedelta(minutes=65)


def test_the_first_claim_wins_others_are_busy_and_a_completed_call_is_done(tables: Tables) -> None:
    log = TableIncomingCallLog(tables)
    with ThreadPoolExecutor(6) as pool:
        states = list(pool.map(lambda i: log.claim("corr-1", f"ev-{i}", T0, T0 + HOLD), range(6)))
    assert states.count(ClaimState.WON) == 1 and states.count(ClaimState.BUSY) == 5
    log.complete("corr-1")
    assert log.claim("corr-1", "ev-9", T0 + timedelta(minutes=5), T0 + timedelta(minutes=5) + HOLD) \
        is ClaimState.DONE


def test_a_claim_whose_holder_died_is_taken_over_once_it_expires(tables: Tables) -> None:
    log = TableIncomingCallLog(tables)
    assert log.claim("corr-2", "ev-1", T0, T0 + HOLD) is ClaimState.WON
    assert log.claim("corr-2", "ev-2", T0 + timedelta(seconds=9), T0 + HOLD * 2) is ClaimState.BUSY
    later = T0 + timedelta(seconds=11)
    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(lambda i: log.claim("corr-2", f"ev-{i}", later, later + HOLD), range(4)))
    assert states.count(ClaimState.WON) == 1  # one take-over, however many deliveries race for it


def test_only_the_holder_gives_a_claim_back(tables: Tables) -> None:
    log = TableIncomingCallLog(tables)
    assert log.claim("corr-3", "ev-a", T0, T0 + HOLD) is ClaimState.WON
    log.unclaim("corr-3", "ev-b")  # another delivery's failure: not its claim
    assert log.claim("corr-3", "ev-c", T0, T0 + HOLD) is ClaimState.BUSY
    log.unclaim("corr-3", "ev-a")
    assert log.claim("corr-3", "ev-c", T0, T0 + HOLD) is ClaimState.WON
    log.complete("corr-3")
    log.unclaim("corr-3", "ev-c")  # a done call stays done
    assert log.claim("corr-3", "ev-d", T0, T0 + HOLD) is ClaimState.DONE


def test_a_lease_keeps_what_was_dialed(tables: Tables) -> None:
    pool = TablePoolStore(tables)
    pool.add(PoolNumber("+12025550100", "1"))
    read = pool.get("+12025550100")
    lease = LeasePolicy().new_lease("c1", "alice", None, T0, False, "933", "US")
    assert pool.replace(read, replace(read, lease=lease))
    assert pool.get("+12025550100").lease == lease
