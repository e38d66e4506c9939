"""Incident evidence in the admin page (issue 21, part 3), in a real browser: the list's filters and each row's
status, a filter the server refuses shown beside its field, the CSV export downloaded, the incident's timeline with
the seconds from the dial to each notification, and the compliance page with its charts drawn by the app's own
Chart.js; axe-core finds nothing on any of them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from shared.agent_access import DIALER
from tests.browser.pages import expect, no_violations, open_page, shot

DIALER_USER = {"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]}
CALLS = {"evidence-test": ("bob", "933"), "evidence-real": ("alice", "911")}


@pytest.fixture(scope="module")
def dialed(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """Bob's 933 and Alice's 911, each notified, then ended: their rows in the list by id."""
    dialer = stack.client.as_user(DIALER_USER)
    for call_id, (agent, number) in CALLS.items():
        body = {"agentId": agent, "dialedNumber": number, "countryCode": "US", "emergencyCallId": call_id}
        assert dialer.post("/api/outbound-calls", body)[0] == 200

    def rows() -> dict[str, dict[str, Any]] | None:
        listed = {i["emergencyCallId"]: i for i in stack.client.get("/api/manage/incidents")[1]["incidents"]}
        mine = {k: listed.get(k) for k in CALLS}
        return mine if all(r and r["status"]["notified"] for r in mine.values()) else None  # type: ignore[misc]
    found = wait_for(rows, timeout=30)
    assert found is not None
    for call_id in CALLS:
        assert dialer.post(f"/api/outbound-calls/{call_id}/end", {})[0] == 200
    return found


def test_the_admin_filters_the_list_and_reads_each_row_s_status(page: Any, dialed: dict[str, Any]) -> None:
    # GIVEN a real call and a test call, both notified
    open_page(page, "incidents", "Emergency incidents")
    expect(page.locator("tr[data-incident='evidence-real']")).to_be_visible()
    # WHEN the admin shows the test calls only
    page.get_by_label("Calls").select_option("test")
    page.get_by_role("button", name="Show").click()
    # THEN the real call is gone, and the test call's row says who was notified and how fast
    expect(page.locator("tr[data-incident='evidence-real']")).to_have_count(0)
    row = page.locator("tr[data-incident='evidence-test']")
    status = dialed["evidence-test"]["status"]
    expect(row.locator("td").nth(3)).to_contain_text(f"{status['notified']}/{status['recipients']}")
    expect(row.locator("td").nth(3)).to_contain_text("after the dial")
    expect(row.locator("td").nth(4)).to_have_text("not yet")
    # ... and the outcome filter narrows it further: nobody has acknowledged
    page.get_by_label("Outcome").select_option("acknowledged")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#incident-results")).to_contain_text("No emergency call matches.")
    shot(page, "incidents-filtered")
    no_violations(page)


def test_a_range_the_server_refuses_is_shown_beside_its_field(page: Any, dialed: dict[str, Any]) -> None:
    open_page(page, "incidents", "Emergency incidents")
    page.get_by_label("From").fill("2026-11-25")
    to = page.get_by_label("To")
    to.fill("2026-11-20")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(f"#{to.get_attribute('id')}-error")).to_contain_text("must be after from")
    expect(to).to_have_attribute("aria-invalid", "true")
    no_violations(page)


def test_the_filtered_csv_export_downloads_with_a_header_and_the_filtered_rows(page: Any, dialed: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    open_page(page, "incidents", "Emergency incidents")
    page.get_by_label("Calls").select_option("real")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tr[data-incident='evidence-test']")).to_have_count(0)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Export CSV").click()
    download = downloading.value
    assert download.suggested_filename == "incidents.csv"
    target = tmp_path / "incidents.csv"
    download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert "evidence-real" in [r["emergencyCallId"] for r in rows]
    assert all(r["test"] == "false" for r in rows)
    real = next(r for r in rows if r["emergencyCallId"] == "evidence-real")
    assert real["dialedNumber"] == "911" and int(real["notified"]) >= 1
    # ... and the audit log has it
    open_page(page, "audit", "Audit log")
    expect(page.locator("tbody tr", has_text="Rows:").first).to_contain_text("Exported incident export")


def test_the_timeline_says_how_many_seconds_after_the_dial_each_notification_left(page: Any,
                                                                                  dialed: dict[str, Any]) -> None:
    open_page(page, "incidents/evidence-real", "Emergency call 911 by Alice Example")
    notifications = page.get_by_role("list", name="Timeline").locator("li[data-kind='notification']")
    expect(notifications.first).to_be_visible()
    for i in range(notifications.count()):
        expect(notifications.nth(i).locator(".note-after")).to_have_text(
            re.compile(r"\(sent \d+(\.\d)? s after the dial\)"))
    expect(page.get_by_role("list", name="Timeline").locator("li[data-kind='end']")).to_be_visible()
    # ... and Do Not Disturb applied with the call and lifted after its end, each with its seconds after the dial
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline.locator("li[data-kind='presence']")).to_contain_text("Presence set to Do Not Disturb")
    expect(timeline.locator("li[data-kind='presence'] .note-after")).to_have_text(
        re.compile(r"\(\d+(\.\d)? s after the dial\)"))
    expect(timeline.locator("li[data-kind='restored']")).to_contain_text("Presence restored to")
    no_violations(page)


def test_the_compliance_page_draws_its_charts_with_the_app_s_own_library(page: Any, stack: LocalStack,
                                                                        dialed: dict[str, Any]) -> None:
    # GIVEN the month of the two calls
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_page(page, "compliance", "Compliance summary")
    page.get_by_label("Month").fill(dialed["evidence-real"]["dialedAt"][:7])
    page.get_by_role("button", name="Show").click()
    # THEN the summary counts them, each chart is drawn, and the figures are in a table beside it
    summary = page.locator("ul.summary")
    expect(summary).to_contain_text("emergency calls")
    expect(summary).to_contain_text("median dial to notification (emergency calls)")
    expect(page.locator("#test-timings")).to_contain_text("933 tests, timed apart: dial to notification")
    for chart in ("#chart-sites", "#chart-days"):
        expect(page.locator(chart)).to_be_visible()
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.querySelector('{chart}'))")
    drawn = page.evaluate("() => Chart.getChart(document.querySelector('#chart-days')).data.datasets"
                          ".map(d => d.data.reduce((a, b) => a + b, 0))")
    assert drawn[0] >= 1 and drawn[1] >= 1  # at least the 911 and the 933
    expect(page.get_by_role("table", name="Figures per site").locator("tbody tr").first).to_be_visible()
    expect(page.locator("#drills")).to_have_text("no drills yet")
    # ... every file came from the app itself (no CDN), under the page's strict policy
    origin = stack.client.base_url
    assert requested and all(u.startswith(origin) for u in requested), [u for u in requested if
                                                                          not u.startswith(origin)]
    assert any(u.endswith("/api/manage/ui/vendor/chart.umd.min.js") for u in requested)
    csp = page.request.get("/api/manage/ui/").headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline' " not in csp.split("script-src")[1].split(";")[0]
    shot(page, "compliance")
    no_violations(page)


def test_a_bad_month_is_shown_beside_the_month_field(page: Any, dialed: dict[str, Any]) -> None:
    open_page(page, "compliance", "Compliance summary")
    month = page.get_by_label("Month")
    # as a browser without a month picker would send it
    month.evaluate("e => { e.type = 'text'; e.required = false; e.value = '2026-13'; }")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(f"#{month.get_attribute('id')}-error")).to_contain_text("YYYY-MM")


def test_on_a_phone_the_filters_and_charts_fit(browser: Any, stack: LocalStack, dialed: dict[str, Any]) -> None:
    from tests.browser.pages import closed, new_page

    page = new_page(browser, stack, width=390)
    try:
        open_page(page, "compliance", "Compliance summary")
        page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('#chart-sites'))")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, "compliance-phone")
    finally:
        closed(page)
