"""The instants a time filter may name (the incident list and export, the audit log): the years the stores answer
for. Pure.

Before 2000 there is nothing to find, and the arithmetic around the far ends of `datetime` overflows (a `to` date
takes the next day; the incident query widens its range by a day); the audit log's row keys count down from the
year 2286. A filter outside the range is refused, naming it, rather than answered with a 500 or a silent nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from shared.errors import ValidationError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive
RANGE_TEXT = "between 2000-01-01 and 2199-12-31"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339: a date, "T" (or a space), a time with optional fractions, and an offset ("Z" or ±hh:mm).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def holds(value: date | datetime) -> bool:
    """Whether a day (UTC) or an instant with its offset lies within [EARLIEST, LATEST)."""
    if isinstance(value, datetime):
        return EARLIEST <= value < LATEST
    return EARLIEST.date() <= value < LATEST.date()


def moment(params: Mapping[str, str], name: str, days_after: int) -> datetime | None:
    """A query parameter naming a date (its start in UTC; `days_after` 1: the next day's, so `to` takes the whole
    day) or an RFC 3339 time with its offset; None when absent; ValidationError naming it otherwise."""
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            if holds(day):
                return datetime.combine(day, time(), UTC) + timedelta(days=days_after)
        elif _DATE_TIME.fullmatch(value):
            instant = datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
            if holds(instant):
                return instant
    except (ValueError, OverflowError):
        pass  # well formed, but no such day or time (2026-02-30), or one past the ends of the calendar
    raise ValidationError(name, "must be a date (2026-03-01) or an RFC 3339 time with its offset "
                                f"(2026-03-01T12:00:00Z), {RANGE_TEXT}")
