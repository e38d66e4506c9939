"""Use case: the monthly compliance summary: calls and tests, median and worst dial-to-notification and
dial-to-acknowledgement, overall, per site and per day (the page's charts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from shared.domain.drills import Drill
from shared.ports import IncidentQueries
from shared.services.incident_evidence import Evidence, find, status_of
from shared.services.incident_filters import IncidentFilter

NO_SITE = "(no site)"


def monthly_summary(month: str, start: datetime, end: datetime, queries: IncidentQueries,
                    site_names: dict[str, str], drills: Iterable[Drill] = ()) -> dict[str, Any]:
    """The month [start, end) in UTC (two reads: the incidents, their deliveries). Timings count the month's real
    calls, and its 933 tests apart; a call without a sent notification or an acknowledgement has no timing.
    Drills: those started in the month whose report is complete, passed of total, per site by the site their 933
    call sent."""
    found, _ = find(IncidentFilter(start=start, end=end), queries, limit=10**9)
    known = [e for e in found if e.call.described]
    by_site: dict[str, list[Evidence]] = defaultdict(list)
    for e in known:
        by_site[(e.call.location or {}).get("siteId") or ""].append(e)
    site_of = {e.call.call_id: site for site, group in by_site.items() for e in group}
    done = [d for d in drills if start <= d.started_at < end and d.completed_at is not None]
    drills_at: dict[str, list[Drill]] = defaultdict(list)
    for d in done:
        drills_at[site_of.get(d.call_id or "", "")].append(d)
    return {
        "month": month, "from": start.isoformat(), "to": end.isoformat(), **_figures(known),
        "sites": [{"siteId": site or None, "siteName": site_names.get(site) or _named(group) or NO_SITE,
                   **_figures(group), "drills": _passed(drills_at.get(site, []))}
                  for site, group in sorted(by_site.items(), key=lambda kv: (kv[0] == "", kv[0]))],
        "days": _days(known, start, end),
        "drills": ({"status": "some", "text": f"{sum(bool(d.passed) for d in done)} of {len(done)} drills passed",
                    **(_passed(done) or {})} if done else {"status": "none", "text": "no drills yet"}),
    }


def _passed(group: list[Drill]) -> dict[str, int] | None:
    return {"passed": sum(bool(d.passed) for d in group), "total": len(group)} if group else None


def _figures(group: list[Evidence]) -> dict[str, Any]:
    """Counts, and the timings of real calls; those of 933 tests apart (`testCalls`): a drill's or a test's timings
    prove nothing about the emergency calls, and must not hide a slow one."""
    real = [e for e in group if not e.call.test]
    return {"calls": len(real), "tests": len(group) - len(real), **_timings(real),
            "testCalls": _timings([e for e in group if e.call.test])}


def _timings(group: list[Evidence]) -> dict[str, Any]:
    statuses = [status_of(e.call, e.deliveries) for e in group]
    return {
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
