"""Use case: the monthly compliance summary: calls and tests, median and worst dial-to-notification and
dial-to-acknowledgement, overall, per site and per day (the page's charts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from shared.ports import IncidentQueries
from shared.services.incident_evidence import Evidence, find, status_of
from shared.services.incident_filters import IncidentFilter

NO_SITE = "(no site)"


def monthly_summary(month: str, start: datetime, end: datetime, queries: IncidentQueries,
                    site_names: dict[str, str]) -> dict[str, Any]:
    """The month [start, end) in UTC (two reads: the incidents, their deliveries). Timings count every call of the
    month, real and test; a call without a sent notification or an acknowledgement has no timing. Drills come with
    the drill reports (issue 21, part 2): until then `drills` says there are none."""
    found, _ = find(IncidentFilter(start=start, end=end), queries, limit=10**9)
    known = [e for e in found if e.call.described]
    by_site: dict[str, list[Evidence]] = defaultdict(list)
    for e in known:
        by_site[(e.call.location or {}).get("siteId") or ""].append(e)
    return {
        "month": month, "from": start.isoformat(), "to": end.isoformat(), **_figures(known),
        "sites": [{"siteId": site or None, "siteName": site_names.get(site) or _named(group) or NO_SITE,
                   **_figures(group), "drills": None}
                  for site, group in sorted(by_site.items(), key=lambda kv: (kv[0] == "", kv[0]))],
        "days": _days(known, start, end),
        "drills": {"status": "none", "text": "no drills yet"},
    }


def _figures(group: list[Evidence]) -> dict[str, Any]:
    statuses = [status_of(e.call, e.deliveries) for e in group]
    return {
        "calls": sum(not e.call.test for e in group), "tests": sum(e.call.test for e in group),
        "dialToNotification": timing(s["secondsToFirstNotification"] for s in statuses),
        "dialToAcknowledgement": timing((s["firstAcknowledgement"] or {}).get("secondsAfterDial") for s in statuses),
        "notNotified": sum(s["notified"] == 0 for s in statuses),
        "notAcknowledged": sum(s["acknowledged"] == 0 for s in statuses),
    }


def timing(values: Iterable[float | int | None]) -> dict[str, Any]:
    """Median and worst (the largest) of the known values, in seconds, with how many there were."""
    known = sorted(float(v) for v in values if v is not None)
    return {"count": len(known), "medianSeconds": round(median(known), 1) if known else None,
            "worstSeconds": round(known[-1], 1) if known else None}


def _days(group: list[Evidence], start: datetime, end: datetime) -> list[dict[str, Any]]:
    counts: dict[str, list[int]] = {}
    day = start
    while day < end:
        counts[day.date().isoformat()] = [0, 0]
        day += timedelta(days=1)
    for e in group:
        key = e.call.dialed_at.astimezone(UTC).date().isoformat()
        if key in counts:
            counts[key][int(e.call.test)] += 1
    return [{"date": d, "calls": c[0], "tests": c[1]} for d, c in counts.items()]


def _named(group: list[Evidence]) -> str | None:
    return next(((e.call.location or {}).get("siteName") for e in group if (e.call.location or {}).get("siteName")),
                None)
