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

from shared.domain.voice_config import VoiceConfig
from shared.ports import StoreError, VoiceConfigStore

log = logging.getLogger(__name__)


class CachedVoiceConfig:
    def __init__(self, store: VoiceConfigStore, ttl: float = 30.0, stale_for: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store, self._ttl, self._stale_for, self._monotonic = store, ttl, stale_for, monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, VoiceConfig] | None = None

    def load(self) -> VoiceConfig:
        now = self._monotonic()
        cached = self._cached
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        with self._lock:  # one reader refreshes; the others wait for its answer rather than all reading
            cached = self._cached
            if cached is not None and self._monotonic() - cached[0] < self._ttl:
                return cached[1]
            try:
                config = self._store.load()
            except StoreError as exc:
                if cached is not None and now - cached[0] < self._stale_for:
                    log.warning("voice setup unreadable (%s); using the copy read %.0f s ago", exc, now - cached[0])
                    return cached[1]
                raise
            self._cached = (self._monotonic(), config)
            return config
