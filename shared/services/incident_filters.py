"""The incident list's and export's filters: parsed from query parameters at the edge, each bad value a 400 that
names its parameter. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.commands import check_id
from shared.domain import periods
from shared.errors import ValidationError

KINDS = ("real", "test")
# What happened after the dial; `not_…` the opposite. Several, comma-separated: all must hold.
OUTCOMES = ("notified", "not_notified", "acknowledged", "not_acknowledged", "callback_received", "warnings")
PARAMETERS = ("kind", "from", "to", "site", "agent", "outcome", "format")


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents: dialed in [start, end) (None: open), real or test, at a site, by an agent, with outcomes."""

    start: datetime | None = None
    end: datetime | None = None
    test: bool | None = None
    site_id: str | None = None
    agent_id: str | None = None
    outcomes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The filters as given back to the caller and written to the audit log."""
        return {"kind": None if self.test is None else KINDS[self.test],
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "site": self.site_id, "agent": self.agent_id, "outcome": list(self.outcomes)}


def parse_filters(params: Mapping[str, str]) -> IncidentFilter:
    """?kind=real|test &from= &to= (RFC 3339 with an offset, or a date: `to` as a date takes the whole day, UTC)
    &site= &agent= &outcome=a,b; ValidationError naming the parameter."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ValidationError(unknown[0], f"is not a filter; the filters are {', '.join(PARAMETERS[:-1])}")
    kind = _text(params, "kind")
    if kind is not None and kind not in KINDS:
        raise ValidationError("kind", "must be real or test")
    start, end = periods.moment(params, "from", 0), periods.moment(params, "to", 1)
    if start is not None and end is not None and end <= start:
        raise ValidationError("to", "must be after from")
    site, agent = _text(params, "site"), _text(params, "agent")
    outcomes = tuple(dict.fromkeys(o.strip() for o in (_text(params, "outcome") or "").split(",") if o.strip()))
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad:
        raise ValidationError("outcome", f"{bad[0][:40]!r} is not one of {', '.join(OUTCOMES)}")
    return IncidentFilter(start=start, end=end, test=None if kind is None else kind == "test",
                          site_id=check_id("site", site) if site is not None else None,
                          agent_id=check_id("agent", agent) if agent is not None else None, outcomes=outcomes)


def parse_month(value: str | None) -> tuple[datetime, datetime]:
    """?month=YYYY-MM as [its first instant, the next month's) in UTC; ValidationError naming `month`."""
    if not value or not re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        raise ValidationError("month", "must be a month as YYYY-MM, e.g. 2025-03")
    year, month = (int(p) for p in value.strip().split("-"))
    if not 1 <= month <= 12 or not periods.EARLIEST.year <= year < periods.LATEST.year:
        raise ValidationError("month", "must be a month as YYYY-MM between 2000-01 and 2199-12")
    start = datetime(year, month, 1, tzinfo=UTC)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, following


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value.strip() if value is not None and value.strip() else None


