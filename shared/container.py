"""Builds settings and clients lazily, once per worker process. Tests and the local host install their own parts."""

from __future__ import annotations

import os
import threading
from typing import Any

from shared.clock import SystemClock
from shared.config import Settings

_lock = threading.Lock()
_overrides: dict[str, Any] = {}
_container: Any = None


def configure(**overrides: Any) -> None:
    """Replace parts before (or after) first use, e.g. `configure(clock=AdjustableClock())`. Resets the container."""
    global _container
    with _lock:
        _overrides.update(overrides)
        _container = None


def get_container() -> Any:
    """The process-wide container, built on first use from os.environ."""
    global _container
    with _lock:
        if _container is None:
            from shared.wiring import Container  # built on first use, never at import

            settings = _overrides.get("settings") or Settings.from_env(os.environ)
            _container = Container(settings=settings, clock=_overrides.get("clock") or SystemClock(), **{
                k: v for k, v in _overrides.items() if k not in ("settings", "clock")
            })
        return _container


def reset() -> None:
    """Forget every override and the built container (tests)."""
    global _container
    with _lock:
        _overrides.clear()
        _container = None
