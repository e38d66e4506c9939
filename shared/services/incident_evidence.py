"""Use cases: the filtered incident list with each row's status at a glance, and its export as CSV or JSON
(metadata only, audited, refused over EXPORT_LIMIT rows)."""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from shared.auth import Principal
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.errors import AppError, ValidationError
from shared.ports import IncidentQueries
from shared.services import audit
from shared.services.acknowledge import acknowledgements
from shared.services.incident_filters import IncidentFilter
from shared.services.panel import incident_view

log = logging.getLogger(__name__)

LIST_LIMIT = 500  # rows the list shows (newest first); the export takes up to EXPORT_LIMIT
EXPORT_LIMIT = 50_000
FORMATS = ("csv", "json")
SENT = ("accepted",)
NOTIFYING = ("email", "sms", "voice")
# Metadata only: who, when, which number, the outcome and its timings. No message text, recording or location.
COLUMNS = ("emergencyCallId", "dialedAt", "endedAt", "test", "agentId", "agentName", "dialedNumber", "countryCode",
           "siteId", "siteName", "callbackNumber", "emergencyPath", "recipients", "notified",
           "secondsToFirstNotification", "acknowledged", "firstAcknowledgedBy", "secondsToFirstAcknowledgement",
           "callbacksReceived", "warnings", "warningCodes")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportTooLarge(AppError):
    """More rows than one export may hold (413)."""

    status = 413


@dataclass(frozen=True)
class Evidence:
    """One incident with its delivery records."""

    call: EmergencyCall
    deliveries: tuple[Delivery, ...]


def status_of(call: EmergencyCall, records: list[Delivery] | tuple[Delivery, ...]) -> dict[str, Any]:
    """The row's status at a glance: notified N of M, the first acknowledgement (by whom, how fast), callbacks,
    warnings. Seconds count from the dial; a notification's from its first attempt (the moment it left)."""
    messages = [d for d in records if d.channel in NOTIFYING]
    recipients = {d.recipient.casefold() for d in messages}
    sent = [d for d in messages if d.status in SENT]
    firsts = [d.first_attempt_at for d in sent if d.first_attempt_at is not None]
    acks = acknowledgements(call, list(records))
    warnings = [w.get("code", "") for w in call.warnings] + [d.recipient for d in records if d.channel == "none"]
    return {
        "recipients": len(recipients), "notified": len({d.recipient.casefold() for d in sent}),
        "secondsToFirstNotification": _seconds(call, min(firsts)) if firsts else None,
        "acknowledged": len(acks), "firstAcknowledgement": acks[0] if acks else None,
        "callbacksReceived": len(call.callbacks), "warnings": len(warnings), "warningCodes": warnings,
    }


def matches(f: IncidentFilter, call: EmergencyCall, status: dict[str, Any] | None) -> bool:
    """The filters the store does not apply: the site, and the outcomes (they need `status`)."""
    if f.site_id is not None and (call.location or {}).get("siteId") != f.site_id:
        return False
    if not f.outcomes:
        return True
    assert status is not None, "outcome filters need the status"
    holds = {"notified": status["notified"] > 0, "acknowledged": status["acknowledged"] > 0,
             "callback_received": status["callbacksReceived"] > 0, "warnings": status["warnings"] > 0}
    holds |= {"not_notified": not holds["notified"], "not_acknowledged": not holds["acknowledged"]}
    return all(holds[o] for o in f.outcomes)


def candidates(f: IncidentFilter, queries: IncidentQueries) -> list[EmergencyCall]:
    """The incidents the date range, kind, agent and site select, newest first (one read)."""
    calls = queries.dialed_between(f.start, f.end, f.test, f.agent_id)
    site_only = IncidentFilter(site_id=f.site_id)
    return sorted((c for c in calls if matches(site_only, c, None)), key=lambda c: c.dialed_at, reverse=True)


def find(f: IncidentFilter, queries: IncidentQueries, limit: int,
         calls: list[EmergencyCall] | None = None) -> tuple[list[Evidence], int]:
    """The matching incidents, newest first, at most `limit` of them, with how many matched in all. Two reads: the
    incidents (unless given), then the deliveries of the ones shown, or of all when outcomes filter them."""
    calls = candidates(f, queries) if calls is None else calls
    wanted = calls if f.outcomes else calls[:limit]
    dials = [c.dialed_at for c in wanted]
    records = queries.deliveries_of([c.call_id for c in wanted], min(dials, default=None), max(dials, default=None))
    found = [Evidence(c, tuple(records.get(c.call_id, ()))) for c in wanted]
    if not f.outcomes:
        return found, len(calls)
    found = [e for e in found if matches(f, e.call, status_of(e.call, e.deliveries))]
    return found[:limit], len(found)


def list_incidents(f: IncidentFilter, queries: IncidentQueries) -> dict[str, Any]:
    """The incident list as the admin page shows it (the first LIST_LIMIT rows)."""
    found, total = find(f, queries, LIST_LIMIT)
    return {"filters": f.as_json(), "total": total, "truncated": total > len(found),
            "incidents": [incident_view(e.call) | {"status": status_of(e.call, e.deliveries)} for e in found]}


def export_row(e: Evidence) -> dict[str, Any]:
    c, s = e.call, status_of(e.call, e.deliveries)
    first = s["firstAcknowledgement"] or {}
    location = c.location or {}
    return {"emergencyCallId": c.call_id, "dialedAt": c.dialed_at.isoformat(),
            "endedAt": c.ended_at.isoformat() if c.ended_at else None, "test": c.test, "agentId": c.agent_id,
            "agentName": c.agent_name, "dialedNumber": c.dialed_number, "countryCode": c.country,
            "siteId": location.get("siteId"), "siteName": location.get("siteName"),
            "callbackNumber": c.callback_number, "emergencyPath": c.path, "recipients": s["recipients"],
            "notified": s["notified"], "secondsToFirstNotification": s["secondsToFirstNotification"],
            "acknowledged": s["acknowledged"], "firstAcknowledgedBy": first.get("by"),
            "secondsToFirstAcknowledgement": first.get("secondsAfterDial"),
            "callbacksReceived": s["callbacksReceived"], "warnings": s["warnings"], "warningCodes": s["warningCodes"]}


def export(f: IncidentFilter, fmt: str, queries: IncidentQueries, deps: audit.AuditPorts, who: Principal,
           limit: int = EXPORT_LIMIT) -> tuple[str, str]:
    """(content type, body) of the filtered incidents; ValidationError for an unknown format, ExportTooLarge over
    EXPORT_LIMIT rows. Audited ("exported", with the filters and the row count) before it is answered."""
    if fmt not in FORMATS:
        raise ValidationError("format", "must be csv or json")
    calls = candidates(f, queries)
    if len(calls) > limit and not f.outcomes:  # refused before the deliveries are read
        _too_large(len(calls), limit)
    found, total = find(f, queries, limit, calls)
    if total > limit:
        _too_large(total, limit)
    rows = [export_row(e) for e in found]
    export_id = uuid.uuid4().hex
    audit.record_export(deps, who.actor, export_id, fmt, f.as_json(), len(rows))
    if fmt == "csv":
        return "text/csv; charset=utf-8", to_csv(rows)
    body = {"exportId": export_id, "exportedAt": deps.clock.now().isoformat(), "filters": f.as_json(),
            "count": len(rows), "incidents": rows}
    return "application/json", json.dumps(body, ensure_ascii=False)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """A header row and one row per incident (RFC 4180), every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row.get(name)) for name in COLUMNS])
    return out.getvalue()


def safe_cell(value: Any) -> str:
    """A cell's text; text a spreadsheet would take for a formula (= + - @, tab, CR first) gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def _too_large(total: int, limit: int) -> NoReturn:
    raise ExportTooLarge(f"{total} incidents match; an export holds at most {limit} rows (the limit): narrow the "
                         "filters, e.g. a shorter date range")


def _seconds(call: EmergencyCall, at: datetime) -> float:
    return round(max(0.0, (at - call.dialed_at).total_seconds()), 1)
