"""The sites' networks in memory for the dial: never a wait, refreshed in the background, not believed when old."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from shared.domain.civic import CivicAddress
from shared.domain.sites import Network, Site
from shared.services.network_sites import NO_SITE, REFRESH, RETRY_AFTER, STALE, NetworkSites

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


def down_after_first_load(clock: Clock, calls: list[float]) -> Callable[[], tuple[list[Network], list[Site]]]:
    """A loader that answers once, then fails as storage does when it is down; `calls` records each try."""
    def load() -> tuple[list[Network], list[Site]]:
        calls.append(clock.now)
        if len(calls) > 1:
            raise RuntimeError("storage down")
        return [Network("198.51.100.0/24", "springfield")], [SITE]
    return load


def test_a_snapshot_is_refreshed_when_due_and_not_believed_when_storage_stays_down() -> None:
    clock, calls = Clock(), []
    cache = NetworkSites(down_after_first_load(clock, calls), clock)
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


def _settle(cache: NetworkSites) -> None:
    for _ in range(500):
        if not cache._loading:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the background load never finished")


def test_a_change_made_while_a_load_runs_is_loaded_once_more_after_it() -> None:
    started, release, names = threading.Event(), threading.Event(), ["Before"]

    def load() -> tuple[list[Network], list[Site]]:
        name = names[0]  # read before the change lands
        started.set()
        release.wait(5)
        return [Network("198.51.100.0/24", "springfield")], [Site("springfield", name, SITE.address)]
    cache = NetworkSites(load, Clock())
    cache.warm()
    assert started.wait(5)
    names[0] = "After"  # an admin renames the site while that load runs
    cache.invalidate()
    release.set()
    _settle(cache)
    found = cache.suggest("198.51.100.7")
    assert found is not None and found["siteName"] == "After"


def test_storage_down_a_failed_refresh_keeps_the_old_snapshot_and_is_not_retried_on_every_dial() -> None:
    clock, calls = Clock(), []
    cache = NetworkSites(down_after_first_load(clock, calls), clock)
    cache.refresh_now()
    clock.now += REFRESH
    for _ in range(20):  # a burst of dials while storage is down
        assert cache.suggest("198.51.100.7") is not None
        _settle(cache)
    assert len(calls) == 2  # one failed try, not twenty
    clock.now += RETRY_AFTER
    cache.suggest("198.51.100.7")
    _settle(cache)
    assert len(calls) == 3


def test_no_thread_to_be_had_never_fails_the_dial_and_the_next_use_tries_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []

    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, "start", refused)
    cache = NetworkSites(lambda: (loads.append(1), ([], []))[1], Clock())  # type: ignore[func-returns-value]
    assert cache.suggest("198.51.100.7") is None
    cache.invalidate()
    cache.warm()
    monkeypatch.undo()
    cache.warm()
    _settle(cache)
    assert loads == [1] and cache.suggest("198.51.100.7") == NO_SITE


def test_a_due_refresh_never_starts_a_thread_on_the_dial_s_path(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    cache = NetworkSites(lambda: ([Network("198.51.100.0/24", "springfield")], [SITE]), clock)
    cache.refresh_now()
    clock.now += REFRESH
    started: list[str] = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name))
    assert cache.suggest("198.51.100.7") is not None  # due: asks the loader, which is already there
    assert started == []
