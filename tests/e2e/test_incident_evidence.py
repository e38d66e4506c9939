"""Incident evidence through the local host (issue 21, part 3): a dial's row in the filtered list with its status,
400s naming a bad filter, the audited CSV and JSON exports (admins and auditors only), and the month's summary."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from local.stack import Client, LocalStack, as_principal, wait_for
from tests.e2e.test_admin_api import AUDITOR, NO_ROLE


def fetch(client: Client, path: str, principal: dict[str, Any] | None = None) -> tuple[int, dict[str, str], str]:
    headers = dict(client.headers) | (as_principal(principal) if principal else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(client.base_url + path, headers=headers),
                                    timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@pytest.fixture(scope="module")
def dialed(client: Client) -> dict[str, Any]:
    """Bob's 933 test call, once its first notification was sent: its row in the list."""
    status, answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                         "countryCode": "US"})
    assert status == 200, answer
    call_id = answer["emergencyCallId"]

    def row() -> dict[str, Any] | None:
        listed = client.get("/api/manage/incidents?kind=test")[1]["incidents"]
        found = next((i for i in listed if i["emergencyCallId"] == call_id), None)
        return found if found and found["status"]["notified"] > 0 else None
    found = wait_for(row, timeout=30)
    assert found is not None
    return found


def test_the_dial_s_row_carries_its_status_and_the_filters_select_it(client: Client, dialed: dict[str, Any]) -> None:
    status = dialed["status"]
    assert status["notified"] >= 1 and status["recipients"] >= status["notified"]
    assert 0 <= status["secondsToFirstNotification"] < 30  # sent with the call
    assert status["acknowledged"] == 0 and status["callbacksReceived"] == 0
    day = dialed["dialedAt"][:10]
    call_id = dialed["emergencyCallId"]
    selected = client.get(f"/api/manage/incidents?kind=test&agent=bob&from={day}&to={day}&outcome=notified")[1]
    assert call_id in [i["emergencyCallId"] for i in selected["incidents"]]
    for other in ("kind=real", "agent=alice", "outcome=acknowledged", "to=2001-01-01", "site=nowhere"):
        answer = client.get(f"/api/manage/incidents?{other}")[1]
        assert call_id not in [i["emergencyCallId"] for i in answer["incidents"]], other


@pytest.mark.parametrize(("query", "field"), [("from=last-week", "from"), ("to=2026-02-30", "to"),
                                              ("kind=drill", "kind"), ("outcome=escalated", "outcome")])
def test_a_bad_filter_is_a_400_naming_it(client: Client, query: str, field: str) -> None:
    for path in ("/api/manage/incidents", "/api/manage/incidents/export"):
        status, body = client.get(f"{path}?{query}")
        assert status == 400 and body["field"] == field, (path, body)


def test_the_csv_export_is_a_download_with_a_header_and_is_audited(client: Client, dialed: dict[str, Any]) -> None:
    day = dialed["dialedAt"][:10]
    status, headers, body = fetch(client, f"/api/manage/incidents/export?format=csv&kind=test&from={day}", AUDITOR)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/csv") and "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    mine = next(r for r in rows if r["emergencyCallId"] == dialed["emergencyCallId"])
    assert mine["dialedNumber"] == "933" and mine["test"] == "true" and int(mine["notified"]) >= 1
    audit = client.get("/api/manage/audit?limit=20")[1]["entries"]
    exported = {e["field"]: e for e in audit if e["action"] == "exported"}
    assert exported["rows"]["new"] == str(len(rows)) and exported["format"]["new"] == "csv"
    assert json.loads(exported["filters"]["new"])["kind"] == "test"
    assert exported["rows"]["actor"]["name"] == AUDITOR["userDetails"]


def test_the_json_export_and_who_may_not(client: Client, dialed: dict[str, Any]) -> None:
    status, headers, body = fetch(client, "/api/manage/incidents/export?format=json&kind=test")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    answer = json.loads(body)
    assert dialed["emergencyCallId"] in [i["emergencyCallId"] for i in answer["incidents"]]
    assert answer["count"] == len(answer["incidents"])
    assert fetch(client, "/api/manage/incidents/export?format=csv", NO_ROLE)[0] == 403
    assert client.get("/api/manage/incidents/export?format=xlsx")[1]["field"] == "format"


def test_the_month_s_compliance_summary(client: Client, dialed: dict[str, Any]) -> None:
    month = dialed["dialedAt"][:7]
    status, summary = client.get(f"/api/manage/compliance?month={month}")
    assert status == 200, summary
    assert summary["month"] == month and summary["tests"] >= 1
    timings = summary["testCalls"]["dialToNotification"]  # the dialed call is a 933 test: timed apart
    assert timings["count"] >= 1 and timings["worstSeconds"] < 30
    assert summary["drills"]["text"] == "no drills yet" and summary["sites"]
    assert client.get("/api/manage/compliance?month=2026-13")[1]["field"] == "month"
    assert client.as_user(NO_ROLE).get(f"/api/manage/compliance?month={month}")[0] == 403


DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")  # anything that starts as a date and a time
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _times(where: str, value: Any, found: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _times(f"{where}.{key}", inner, found)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _times(f"{where}[{i}]", inner, found)
    elif isinstance(value, str) and DATE_TIME.match(value):
        found.append((where, value))


def test_every_time_the_api_and_the_events_carry_is_rfc_3339(stack: LocalStack, client: Client,
                                                             dialed: dict[str, Any]) -> None:
    call_id = dialed["emergencyCallId"]
    found: list[tuple[str, str]] = []
    for path in ("/api/agents/bob/presence", "/api/agents/bob/emergency-state", "/api/agents/bob/call-history",
                 "/api/manage/agents", "/api/manage/agents/bob", "/api/manage/callback-numbers",
                 "/api/manage/readiness", "/api/manage/incidents", f"/api/manage/incidents/{call_id}",
                 f"/api/manage/incidents/{call_id}/deliveries", "/api/manage/audit",
                 "/api/manage/templates/emergency-call-notification/versions", "/api/manage/voice-config",
                 "/api/manage/sites", "/api/manage/escalation-policy", "/api/manage/board", "/api/manage/drills",
                 f"/api/manage/compliance?month={dialed['dialedAt'][:7]}"):
        status, body = client.get(path)
        assert status == 200, (path, body)
        _times(path, body, found)
    for row in stack.custom_topic.store().list():
        for event in stack.custom_topic.store().events(row.event_id):
            _times(event["eventType"], event, found)
    assert len(found) > 20  # the walk saw the times it checks
    assert [(where, value) for where, value in found if not RFC_3339.match(value)] == []
