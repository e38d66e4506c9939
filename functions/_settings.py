"""Missing or malformed app settings in event functions are permanent failures: acknowledged, never redelivered.

Event Grid would redeliver a failing event for 24 hours and then delay every delivery to the endpoint, while no
redelivery can succeed until someone fixes the app setting. So the event is acknowledged, the failure is logged at
ERROR with the setting's name and emitted as a `SettingMissing` custom event (alert `setting-missing`), and the use
case records it where one looks for the outcome (the incident's delivery records, the callback record).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from shared.config import SettingError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def report_setting_problem(function: str, setting: str, problem: str, event_id: object) -> None:
    """Log at ERROR and emit SettingMissing; never raises (it runs where a setting already failed)."""
    log.error("%s: event %.64s acknowledged without effect: %s (setting %s; fix the app setting, Event Grid will "
              "not deliver the event again)", function, event_id, problem, setting)
    try:
        from functions._common import container

        container().telemetry.setting_problem(setting, function)
    except Exception as exc:  # telemetry must not turn the acknowledgement into a failure
        log.warning("SettingMissing not emitted: %s", exc)


def settings_are_permanent(fn: F) -> F:
    """Wrap an event function: a SettingError anywhere in it is reported and the event acknowledged."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SettingError as exc:
            event = kwargs.get("event", args[0] if args else None)
            report_setting_problem(fn.__name__, exc.name, str(exc), getattr(event, "id", "?"))
            return None
    return run  # type: ignore[return-value]
