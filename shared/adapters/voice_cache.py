"""The voice setup as the dial reads it: cached for a short while, so deciding a call's path costs no round trip.

Admins change the voice setup rarely; a change reaches dials within `ttl`. When storage cannot be read, a copy up
to `stale_for` old is used rather than none (the path of a call is better known from a minute-old setup than not
at all); past that, the error goes to the caller, which reports the path as unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from shared.adapters import lanes
from shared.domain.voice_config import VoiceConfig
from shared.ports import StoreError, VoiceConfigStore

log = logging.getLogger(__name__)


class CachedVoiceConfig:
    """Concurrent dials never queue behind a slow read: one reader refreshes while the others take the copy they
    have (when one is recent enough to be believed); a failed read is remembered for `retry_after` s, so an outage
    costs one slow read per interval, not one per dial."""

    def __init__(self, store: VoiceConfigStore, ttl: float = 30.0, stale_for: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic, retry_after: float = 5.0) -> None:
        self._store, self._ttl, self._stale_for, self._monotonic = store, ttl, stale_for, monotonic
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._cached: tuple[float, VoiceConfig] | None = None
        self._failed: tuple[float, StoreError] | None = None

    def load(self) -> VoiceConfig:
        cached, now = self._cached, self._monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        usable = cached is not None and now - cached[0] < self._stale_for
        failed = self._failed
        if failed is not None and now - failed[0] < self._retry_after:
            if usable and cached is not None:
                return cached[1]
            raise failed[1]
        if not self._lock.acquire(blocking=not usable):
            assert cached is not None
            return cached[1]  # another dial is refreshing: this one goes on with the copy it has
        try:
            with lanes.holding():  # a dial with no copy yet may be waiting for this lock
                return self._refresh(cached if usable else None)
        finally:
            self._lock.release()

    def _refresh(self, fallback: tuple[float, VoiceConfig] | None) -> VoiceConfig:
        cached = self._cached
        if cached is not None and self._monotonic() - cached[0] < self._ttl:
            return cached[1]  # refreshed by the reader this one waited for
        try:
            config = self._store.load()
        except StoreError as exc:
            self._failed = (self._monotonic(), exc)
            if fallback is not None:
                log.warning("voice setup unreadable (%s); using the copy read %.0f s ago", exc,
                            self._monotonic() - fallback[0])
                return fallback[1]
            raise
        self._cached, self._failed = (self._monotonic(), config), None
        return config
