"""Incident evidence (issue 21, part 3): the filters, each row's status, the export and the compliance summary, on
in-memory fakes of the ports."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import ADMIN, Principal
from shared.domain.calls import EmergencyCall
from shared.domain.delivery import Delivery
from shared.domain.drills import Drill
from shared.errors import ValidationError
from shared.services import compliance, incident_evidence
from shared.services.incident_evidence import ExportTooLarge, export, list_incidents, safe_cell, status_of
from shared.services.incident_filters import IncidentFilter, parse_filters, parse_month
from tests.fakes import T0, FakeCalls, FakeIncidentQueries, FixedClock
from tests.fakes_admin import FakeAudit
from tests.fakes_notify import FakeDeliveries

ADMIN_USER = Principal("u-admin", "admin@example.com", frozenset({ADMIN}))
SPRINGFIELD = {"siteId": "spr", "siteName": "Springfield HQ", "floor": "3"}


class Deps:
    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.audit = FakeAudit()
        self.calls = FakeCalls()
        self.deliveries = FakeDeliveries()
        self.queries = FakeIncidentQueries(self.calls, self.deliveries)


def call(call_id: str, at: datetime, test: bool = False, agent: str = "alice", site: dict | None = None,
         **changes: object) -> EmergencyCall:
    return replace(EmergencyCall(call_id, agent, "933" if test else "911", "US", test, at, agent_name=agent.title(),
                                 location=site), **changes)


def sent(call_id: str, to: str, at: datetime, channel: str = "email", status: str = "accepted",
         acked: datetime | None = None) -> Delivery:
    return Delivery(call_id, channel, to, status, operation_id=f"op-{call_id}-{to}", first_attempt_at=at,  # type: ignore[arg-type]
                    updated_at=at, acknowledged_at=acked, acknowledged_via="email" if acked else None)


@pytest.fixture
def deps() -> Deps:
    """Three calls: a real one at Springfield (2 of 3 notified, acknowledged after 42 s, a callback), a test call
    without a site, and Bob's real call a month earlier with a warning."""
    d = Deps()
    d.calls.create(call("c-real", T0, site=SPRINGFIELD,
                        callbacks=({"at": (T0 + timedelta(minutes=5)).isoformat(), "outcome": "redirected"},)))
    d.calls.create(call("c-test", T0 + timedelta(hours=1), test=True))
    d.calls.create(call("c-old", T0 - timedelta(days=31), agent="bob",
                        warnings=({"code": "no_callback_number", "message": "pool empty"},)))
    d.deliveries.create(sent("c-real", "a@example.com", T0 + timedelta(seconds=2), acked=T0 + timedelta(seconds=42)))
    d.deliveries.create(sent("c-real", "+12025550101", T0 + timedelta(seconds=3), channel="sms"))
    d.deliveries.create(sent("c-real", "b@example.com", T0 + timedelta(seconds=2), status="failed"))
    d.deliveries.create(sent("c-test", "a@example.com", T0 + timedelta(hours=1, seconds=5)))
    return d


def ids(answer: dict) -> list[str]:
    return [i["emergencyCallId"] for i in answer["incidents"]]


# ---- filters -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "field"), [
    ({"from": "yesterday"}, "from"), ({"to": "2026-02-30"}, "to"), ({"from": "2026-11-23T15:00:00"}, "from"),
    ({"kind": "drill"}, "kind"), ({"outcome": "notified,escalated"}, "outcome"), ({"site": "a/b"}, "site"),
    ({"agent": " ../x"}, "agent"), ({"from": "2026-11-23", "to": "2026-11-22"}, "to"), ({"colour": "red"}, "colour"),
])
def test_a_bad_filter_is_refused_naming_its_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_filters(params)
    assert refused.value.field == field and refused.value.status == 400


def test_a_date_as_to_takes_the_whole_day_and_times_keep_their_offset() -> None:
    f = parse_filters({"from": "2026-11-23T10:00:00-05:00", "to": "2026-11-23", "kind": "test",
                       "outcome": "acknowledged, warnings"})
    assert f.start == datetime(2026, 11, 23, 15, tzinfo=UTC) and f.end == datetime(2026, 11, 24, tzinfo=UTC)
    assert f.test is True and f.outcomes == ("acknowledged", "warnings")


@pytest.mark.parametrize("month", [None, "2026-13", "2026-1", "nov", "1999-12"])
def test_a_bad_month_is_refused_naming_month(month: str | None) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_month(month)
    assert refused.value.field == "month"


def test_december_ends_at_the_new_year() -> None:
    assert parse_month("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


# ---- the list ----------------------------------------------------------------------------------------------------

def test_each_row_shows_notified_n_of_m_who_acknowledged_how_fast_callbacks_and_warnings(deps: Deps) -> None:
    status = list_incidents(IncidentFilter(), deps.queries)["incidents"][1]["status"]
    assert status["recipients"] == 3 and status["notified"] == 2
    assert status["secondsToFirstNotification"] == 2.0
    assert status["acknowledged"] == 1
    assert status["firstAcknowledgement"] == {"by": "a***@example.com", "channel": "email",
                                              "at": (T0 + timedelta(seconds=42)).isoformat(), "secondsAfterDial": 42}
    assert status["callbacksReceived"] == 1 and status["warnings"] == 0


def test_a_warning_recorded_on_the_call_or_as_a_delivery_counts() -> None:
    c = call("c", T0, warnings=({"code": "no_site", "message": "x"},))
    warning = Delivery("c", "none", "sms_not_configured", "warning", reason="no SMS sender", updated_at=T0)
    assert status_of(c, [warning])["warningCodes"] == ["no_site", "sms_not_configured"]


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["c-test", "c-real", "c-old"]),
    ({"kind": "real"}, ["c-real", "c-old"]),
    ({"kind": "test"}, ["c-test"]),
    ({"from": "2026-11-01", "to": "2026-11-23"}, ["c-test", "c-real"]),
    ({"to": "2026-11-22"}, ["c-old"]),
    ({"site": "spr"}, ["c-real"]),
    ({"agent": "bob"}, ["c-old"]),
    ({"outcome": "acknowledged"}, ["c-real"]),
    ({"outcome": "notified,not_acknowledged"}, ["c-test"]),
    ({"outcome": "not_notified"}, ["c-old"]),
    ({"outcome": "callback_received"}, ["c-real"]),
    ({"outcome": "warnings"}, ["c-old"]),
    ({"kind": "real", "outcome": "warnings", "agent": "alice"}, []),
])
def test_the_list_filters_by_kind_dates_site_agent_and_outcome(deps: Deps, params: dict[str, str],
                                                               expected: list[str]) -> None:
    assert ids(list_incidents(parse_filters(params), deps.queries)) == expected


def test_the_list_reads_the_incidents_once_and_the_deliveries_once(deps: Deps) -> None:
    list_incidents(parse_filters({"outcome": "acknowledged"}), deps.queries)
    assert deps.queries.reads == ["calls", "deliveries"]


def test_the_list_shows_the_newest_rows_up_to_its_limit_and_says_it_is_truncated(deps: Deps) -> None:
    for n in range(incident_evidence.LIST_LIMIT + 5):
        deps.calls.create(call(f"bulk-{n:04d}", T0 - timedelta(days=60, minutes=n)))
    answer = list_incidents(IncidentFilter(), deps.queries)
    assert len(answer["incidents"]) == incident_evidence.LIST_LIMIT and answer["truncated"] is True
    assert answer["total"] == incident_evidence.LIST_LIMIT + 8


# ---- the export --------------------------------------------------------------------------------------------------

def test_the_csv_export_has_a_header_one_row_per_incident_and_is_audited_with_filters_and_count(
        deps: Deps) -> None:
    f = parse_filters({"kind": "real"})
    content_type, body = export(f, "csv", deps.queries, deps, ADMIN_USER)
    assert content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == list(incident_evidence.COLUMNS) and len(rows) == 3
    real = dict(zip(rows[0], rows[1], strict=True))
    assert real["emergencyCallId"] == "c-real" and real["notified"] == "2" and real["recipients"] == "3"
    assert real["secondsToFirstAcknowledgement"] == "42" and real["siteName"] == "Springfield HQ"
    entries = {e.field: e for e in deps.audit.entries}
    assert {e.action for e in entries.values()} == {"exported"}
    assert entries["rows"].new == "2" and entries["format"].new == "csv"
    assert json.loads(entries["filters"].new or "")["kind"] == "real"
    assert {e.actor.user_id for e in entries.values()} == {"u-admin"}


def test_the_json_export_holds_metadata_only(deps: Deps) -> None:
    _, body = export(IncidentFilter(), "json", deps.queries, deps, ADMIN_USER)
    answer = json.loads(body)
    assert answer["count"] == 3 and answer["filters"]["kind"] is None
    assert set(answer["incidents"][0]) == set(incident_evidence.COLUMNS)
    for forbidden in ("+12025550101", "b@example.com", "op-c-real", "floor"):  # no recipient, message id, place
        assert forbidden not in body


def test_an_export_over_the_limit_is_refused_with_the_limit_and_not_audited(deps: Deps) -> None:
    with pytest.raises(ExportTooLarge) as refused:
        export(IncidentFilter(), "csv", deps.queries, deps, ADMIN_USER, limit=2)
    assert refused.value.status == 413 and "at most 2 rows" in str(refused.value)
    assert deps.audit.entries == [] and deps.queries.reads == ["calls"]  # refused before reading the deliveries


def test_an_unknown_format_is_refused_naming_format(deps: Deps) -> None:
    with pytest.raises(ValidationError) as refused:
        export(IncidentFilter(), "xlsx", deps.queries, deps, ADMIN_USER)
    assert refused.value.field == "format"


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+12025550100", "'+12025550100"),
    ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Alice", "Alice"), (42, "42"), (True, "true"),
    (None, ""), (["a", "=b"], "a;=b"),
])
def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_an_agent_name_that_is_a_formula_is_quoted_in_the_csv(deps: Deps) -> None:
    deps.calls.create(call("c-evil", T0, agent_name="=cmd|' /C calc'!A0"))
    _, body = export(parse_filters({"agent": "alice", "kind": "real"}), "csv", deps.queries, deps, ADMIN_USER)
    assert "'=cmd|' /C calc'!A0" in body and ",=cmd" not in body


# ---- the compliance summary --------------------------------------------------------------------------------------

def test_the_monthly_summary_times_real_calls_and_933_tests_apart_with_median_and_worst_per_site(deps: Deps) -> None:
    deps.calls.create(call("c-late", T0 + timedelta(days=2), site=SPRINGFIELD))
    deps.deliveries.create(sent("c-late", "a@example.com", T0 + timedelta(days=2, seconds=10),
                                acked=T0 + timedelta(days=2, seconds=100)))
    start, end = parse_month("2026-11")
    summary = compliance.monthly_summary("2026-11", start, end, deps.queries, {"spr": "Springfield"})
    assert (summary["calls"], summary["tests"]) == (2, 1)
    assert summary["dialToNotification"] == {"count": 2, "medianSeconds": 6.0, "worstSeconds": 10.0}
    assert summary["dialToAcknowledgement"] == {"count": 2, "medianSeconds": 71.0, "worstSeconds": 100.0}
    assert (summary["notNotified"], summary["notAcknowledged"]) == (0, 0)
    tests = summary["testCalls"]
    assert tests["dialToNotification"] == {"count": 1, "medianSeconds": 5.0, "worstSeconds": 5.0}
    assert (tests["dialToAcknowledgement"]["count"], tests["notAcknowledged"]) == (0, 1)
    spr, none = summary["sites"]
    assert (spr["siteId"], spr["siteName"], spr["calls"], spr["tests"]) == ("spr", "Springfield", 2, 0)
    assert spr["dialToNotification"]["worstSeconds"] == 10.0
    assert (none["siteId"], none["siteName"], none["tests"]) == (None, "(no site)", 1)
    assert summary["drills"] == {"status": "none", "text": "no drills yet"}
    assert len(summary["days"]) == 30 and summary["days"][22] == {"date": "2026-11-23", "calls": 1, "tests": 1}


def test_a_month_without_calls_has_no_timings() -> None:
    d = Deps()
    start, end = parse_month("2026-02")
    summary = compliance.monthly_summary("2026-02", start, end, d.queries, {})
    assert summary["calls"] == 0 and summary["dialToNotification"]["medianSeconds"] is None
    assert summary["sites"] == [] and len(summary["days"]) == 28


def test_the_monthly_summary_counts_the_month_s_completed_drills_passed_of_total_per_site(deps: Deps) -> None:
    deps.calls.create(call("c-drill-1", T0 + timedelta(days=1), test=True, site=SPRINGFIELD))
    deps.calls.create(call("c-drill-2", T0 + timedelta(days=3), test=True, site=SPRINGFIELD))
    drills = [Drill("d1", "alice", T0 + timedelta(days=1), "alice", call_id="c-drill-1",
                    completed_at=T0 + timedelta(days=1, minutes=1), passed=True),
              Drill("d2", "alice", T0 + timedelta(days=3), "alice", call_id="c-drill-2",
                    completed_at=T0 + timedelta(days=3, minutes=1), passed=False),
              Drill("d3", "alice", T0 + timedelta(days=4), "alice"),  # still running: not counted
              Drill("d4", "alice", T0 - timedelta(days=40), "alice", completed_at=T0, passed=True)]  # another month
    start, end = parse_month("2026-11")
    summary = compliance.monthly_summary("2026-11", start, end, deps.queries, {"spr": "Springfield"}, drills)
    assert summary["drills"] == {"status": "some", "text": "1 of 2 drills passed", "passed": 1, "total": 2}
    spr = next(site for site in summary["sites"] if site["siteId"] == "spr")
    assert spr["drills"] == {"passed": 1, "total": 2}
    assert all(site["drills"] is None for site in summary["sites"] if site["siteId"] != "spr")
