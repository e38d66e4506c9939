"""Timer triggers on the local host: NCRONTAB schedules (six fields, seconds first) on the real wall clock.

Like the real host: one run at a time per function, a run that raises is logged and not retried, runs missed while
a run was still going are skipped, and `runOnStartup` (off by default) runs the function once when timers start.
The schedule follows real time, not the host's adjustable clock, and every run gets `TimerRequest(past_due=False)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from azure.functions.timer import TimerRequest  # the concrete class; func.TimerRequest is abstract
from croniter import croniter

from local.host.index import TIMER_TRIGGER, FunctionEntry

logger = logging.getLogger(__name__)


def next_occurrence(schedule: str, after: datetime) -> datetime:
    """The first time strictly after `after` that the six-field NCRONTAB schedule fires. Raises ValueError."""
    if len(schedule.split()) != 6:
        raise ValueError(f"schedule {schedule!r} must have six fields, seconds first")
    try:
        return croniter(schedule, after, second_at_beginning=True).get_next(datetime)  # type: ignore[no-any-return]
    except (KeyError, ValueError) as error:  # croniter's errors subclass ValueError
        raise ValueError(f"schedule {schedule!r} is not valid NCRONTAB: {error}") from error


class TimerScheduler:
    """Runs the timer functions of a table, each on its own thread; `run` also serves on-demand invocations."""

    def __init__(self, entries: Iterable[FunctionEntry]) -> None:
        self._entries = [e for e in entries if e.trigger_type == TIMER_TRIGGER]
        self._locks = {e.name: threading.Lock() for e in self._entries}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def run(self, entry: FunctionEntry) -> None:
        """Run the function now, after any run of it in progress; its exception propagates to the caller."""
        with self._locks.setdefault(entry.name, threading.Lock()):
            entry.call(TimerRequest(past_due=False))

    def start(self) -> None:
        """Start one thread per timer function whose schedule is valid; an invalid one is logged and left out."""
        for entry in self._entries:
            try:
                next_occurrence(entry.schedule, datetime.now(UTC))
            except ValueError as error:
                logger.error("timer %s not started: %s", entry.name, error)
                continue
            thread = threading.Thread(target=self._loop, args=(entry,), name=f"timer-{entry.name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop scheduling; waits up to `timeout` seconds for each running function to return."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self, entry: FunctionEntry) -> None:
        if entry.run_on_startup:
            self._run_logged(entry)
        due = next_occurrence(entry.schedule, datetime.now(UTC))
        while not self._stop.is_set():
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0:
                self._stop.wait(wait)
                continue  # re-check: stopped, or woke a little early
            self._run_logged(entry)
            # From the later of due and now: occurrences missed during a long run are skipped, not queued.
            due = next_occurrence(entry.schedule, max(due, datetime.now(UTC)))

    def _run_logged(self, entry: FunctionEntry) -> None:
        try:
            self.run(entry)
        except Exception:
            logger.exception("timer function %s failed; not retried", entry.name)
