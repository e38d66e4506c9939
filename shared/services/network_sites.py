"""The sites' networks and addresses held in memory, so the dial can say which site a network is (source
`network-suggested`) without a round trip of its own (issue 19: the dial never waits for location work).

Refreshed on a thread of its own when older than REFRESH, after a change made through this process at once; the
dial reads whatever snapshot there is. A snapshot older than STALE (storage down for long) or none yet (a cold
process) answers `None`, "not known", and the dial says so in a warning; an emergency call is never held up by it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.domain.addresses import readout
from shared.domain.sites import Network, NetworkIndex, Site

log = logging.getLogger(__name__)

REFRESH = 60.0  # seconds: a snapshot this old is refreshed in the background (other instances see changes then)
STALE = 600.0  # seconds: an older snapshot is not believed
RETRY_AFTER = 5.0  # seconds: after a failed load (storage down), dials and panels do not start another sooner
NO_SITE: dict[str, Any] = {}  # the snapshot says: no site's network holds the address


@dataclass(frozen=True)
class _Snapshot:
    at: float
    networks: NetworkIndex
    sites: dict[str, Site]


class NetworkSites:
    """`suggest(ip)`: the location of the site whose network holds `ip` (`NO_SITE` when none does), or None when
    no believable snapshot is there yet; never blocks on storage, never starts a thread on the caller's path.

    One loader thread per process, started with the cache, sleeps until a use finds the snapshot due or a change
    asks for a load; a request made during a load is served by one more load after it (that load may have read
    before the change)."""

    def __init__(self, load: Callable[[], tuple[list[Network], list[Site]]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load, self._clock = load, clock
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._loading = False  # a load is asked for or running
        self._failed_at: float | None = None
        self._worker: threading.Thread | None = None
        self._ensure_worker()

    def suggest(self, ip: str | None) -> dict[str, Any] | None:
        snapshot = self._current()
        if snapshot is None:
            return None
        network = snapshot.networks.site_for(ip) if ip else None
        site = snapshot.sites.get(network.site_id) if network else None
        if site is None:
            return NO_SITE
        found: dict[str, Any] = {
            "siteId": site.site_id, "siteName": site.name, "civic": site.address.as_json(),
            "countryCode": site.address.country, "address": readout(site.address),
            "network": network.cidr if network else None}
        if site.latitude is not None:
            found |= {"latitude": site.latitude, "longitude": site.longitude}
        return found

    def warm(self) -> None:
        """Ask for a load when the snapshot is missing or due (the pre-dial hint and the panel's load call it);
        never raises."""
        self._current()

    def invalidate(self) -> None:
        """A site or network changed through this process: load again now (the old snapshot serves meanwhile),
        after the load under way if there is one; never raises."""
        self._ask(changed=True)

    def refresh_now(self) -> None:
        """Load on the calling thread (tests, and the first use where waiting is harmless)."""
        networks, sites = self._load()
        with self._lock:
            self._snapshot = _Snapshot(self._clock(), NetworkIndex(networks), {s.site_id: s for s in sites})

    def _current(self) -> _Snapshot | None:
        snapshot = self._snapshot
        age = self._clock() - snapshot.at if snapshot is not None else None
        if age is None or age >= REFRESH:
            self._ask()
        return snapshot if age is not None and age < STALE else None

    def _ask(self, changed: bool = False) -> None:
        failed = self._failed_at
        if not changed and not self._loading and failed is not None and self._clock() - failed < RETRY_AFTER:
            return  # storage was down a moment ago: one try per RETRY_AFTER, not one per dial
        self._loading = True
        self._wake.set()
        if self._worker is None or not self._worker.is_alive():
            self._ensure_worker()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            try:
                worker = threading.Thread(target=self._run, name="network-sites", daemon=True)
                worker.start()
            except Exception:  # no thread to be had: the dial goes on with the snapshot it has; next use retries
                log.exception("the sites' networks cannot be loaded: no loader thread")
                self._loading = False
                return
            self._worker = worker

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.refresh_now()
                self._failed_at = None
            except Exception as exc:  # storage down: the old snapshot serves until STALE; tried again later
                log.warning("the sites' networks could not be loaded for the dial's location: %s", exc)
                self._failed_at = self._clock()
            if not self._wake.is_set():
                self._loading = False
