"""The sites' networks in memory for the dial: never a wait, refreshed in the background, not believed when old."""

from __future__ import annotations

import threading

from shared.domain.civic import CivicAddress
from shared.domain.sites import Network, Site
from shared.services.network_sites import NO_SITE, REFRESH, STALE, NetworkSites

SITE = Site("springfield", "Springfield Plaza", CivicAddress("US", a1="IL", a3="Springfield", rd="Example Plaza",
                                                             hno="1", pc="62701"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_cold_process_answers_not_known_at_once_and_loads_in_the_background() -> None:
    release, loaded = threading.Event(), threading.Event()

    def load() -> tuple[list[Network], list[Site]]:
        release.wait(5)
        loaded.set()
        return [Network("198.51.100.0/24", "springfield")], [SITE]
    cache = NetworkSites(load, Clock())
    assert cache.suggest("198.51.100.7") is None  # no wait for the slow load
    release.set()
    assert loaded.wait(5)
    for _ in range(100):  # the thread stores the snapshot right after load returns
        found = cache.suggest("198.51.100.7")
        if found is not None:
            break
        threading.Event().wait(0.01)
    assert found is not None and found["siteId"] == "springfield"
    assert found["address"] == "1 Example Plaza, Springfield IL 62701"
    assert cache.suggest("203.0.113.9") == NO_SITE


def test_a_snapshot_is_refreshed_when_due_and_not_believed_when_storage_stays_down() -> None:
    clock, calls = Clock(), []

    def load() -> tuple[list[Network], list[Site]]:
        calls.append(clock.now)
        if len(calls) > 1:
            raise RuntimeError("storage down")
        return [Network("198.51.100.0/24", "springfield")], [SITE]
    cache = NetworkSites(load, clock)
    cache.refresh_now()
    clock.now += REFRESH + 1
    assert cache.suggest("198.51.100.7") is not None  # due: the old snapshot serves while a refresh runs
    for _ in range(100):
        if len(calls) == 2 and not cache._loading:
            break
        threading.Event().wait(0.01)
    assert len(calls) == 2
    clock.now += STALE
    assert cache.suggest("198.51.100.7") is None  # too old to believe: "not known", never a wrong site
