"""933 drills in the browser (issue 21), against the local stack: Bob runs "Test my emergency calling" from his panel
and reads the report step by step; a drill beside a real call is refused with the reason; the admin's Drills view
lists a failed drill with the failed step's reason and opens its report. axe-core finds nothing on either page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import ADMIN_PRINCIPAL, LocalStack, wait_for
from shared.domain.drills import REPORT_DEADLINE
from tests.browser.pages import (
    ALICE,
    BOB,
    agents_signed_in,
    closed,
    dial,
    expect,
    hang_up,
    new_page,
    no_violations,
    open_page,
    open_panel,
)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


def test_the_agent_tests_her_emergency_calling_and_reads_each_step(browser: Any, stack: LocalStack) -> None:
    page = open_panel(browser, stack, BOB)
    try:
        expect(page.get_by_role("heading", name="Test my emergency calling")).to_be_visible()
        with page.expect_response("**/api/agent/agents/bob/drills/*/dial") as told:
            page.get_by_role("button", name="Test my emergency calling").click()
        assert told.value.status == 200
        expect(page.locator("#emergency-title")).to_have_text("Test call (933) in progress")
        # the call ends by itself after a few seconds; the report follows, each step with its result and reason
        expect(page.locator("#drill-steps")).to_contain_text("Pass: Do Not Disturb applied", timeout=20_000)
        expect(page.locator("#drill-steps")).to_contain_text("Pass: Presence restored", timeout=20_000)
        expect(page.locator("#drill-steps")).to_contain_text("Panel in test mode")
        expect(page.locator("#drill-steps")).to_contain_text("Waiting: Notification acknowledged")
        expect(page.locator("#drill-result")).to_have_text("Drill running: waiting for the remaining steps.")
        no_violations(page)
    finally:
        closed(page)


def test_a_drill_the_server_is_slow_to_start_still_runs(browser: Any, stack: LocalStack) -> None:
    """The drill's start answers after 4 s (storage slow, a host just started): past the dialer's 3 s limit, which a
    drill has no reason to keep; the panel waits for it, a second press meanwhile starts nothing, and the drill runs."""
    held: list[Any] = []
    page = open_panel(browser, stack, ALICE, routes={"**/api/agent/agents/alice/drills": lambda route: (
        held.append(route) if route.request.method == "POST" else route.continue_())})
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
        start = page.get_by_role("button", name="Test my emergency calling")
        start.click()
        expect(start).to_be_disabled()
        expect(page.locator("#drill-status")).to_have_text("Starting the drill…")
        expect(page.locator("#drill-status")).to_be_focused()  # the focus stays in the page
        page.wait_for_timeout(4_000)
        assert len(held) == 1
        with page.expect_response("**/api/agent/agents/alice/drills/*/dial") as told:
            held[0].continue_()
        assert told.value.status == 200
        expect(page.locator("#drill-steps")).to_contain_text("Pass: Presence restored", timeout=20_000)
    finally:
        closed(page)


def test_a_call_she_places_while_a_drill_starts_is_never_touched_by_it(browser: Any, stack: LocalStack) -> None:
    """She presses the drill, then dials 911 before the server's answer: the drill gives way (it would have dialed
    933 beside her call and hung her call up four seconds later)."""
    held: list[Any] = []
    page = open_panel(browser, stack, ALICE, routes={"**/api/agent/agents/alice/drills": lambda route: (
        held.append(route) if route.request.method == "POST" else route.continue_())})
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
        page.get_by_role("button", name="Test my emergency calling").click()
        answer = dial(page, "911")
        assert wait_for(lambda: len(held) == 1)
        held[0].fulfill(status=200, content_type="application/json", body=json.dumps(
            {"drillId": "drill-held", "agentId": "alice", "status": "running", "dialNumber": "933", "steps": []}))
        expect(page.locator("#drill-status")).to_have_text("End your call first: a drill places a call of its own.")
        page.wait_for_timeout(5_000)  # past the drill's 4 s on the line
        alert = page.get_by_role("alert").filter(has_text="Emergency call in progress")
        expect(alert).to_be_visible()
        assert page.evaluate("globalThis.agentPanel.calling.placed.map((c) => c.number)") == ["911"]
        assert stack.client.get("/api/agents/alice/emergency-state")[1]["emergencyCallId"] == answer["emergencyCallId"]
        hang_up(page)
    finally:
        closed(page)


def test_a_drill_beside_a_real_call_is_refused_with_the_reason(browser: Any, stack: LocalStack) -> None:
    alice = stack.client.as_user(ALICE)
    status, dial = alice.post("/api/agent/outbound-calls", {"agentId": "alice", "dialedNumber": "911",
                                                            "countryCode": "US"})
    assert status == 200, dial
    page = open_panel(browser, stack, ALICE)
    ended = False
    try:
        # during her real call the panel is in emergency mode: no drill to start there (only device settings, End call)
        expect(page.get_by_role("button", name="Test my emergency calling")).to_be_hidden()
        assert alice.post("/api/agent/agents/alice/drills", {})[0] == 409
        assert alice.post(f"/api/agent/outbound-calls/{dial['emergencyCallId']}/end", {"agentId": "alice"})[0] == 200
        ended = True
        # after it, while the responder may still call back, the drill is refused and the panel says why
        page.get_by_role("button", name="Test my emergency calling").click()
        expect(page.locator("#drill-status")).to_contain_text("not started: drill refused")
    finally:
        if not ended:
            alice.post(f"/api/agent/outbound-calls/{dial['emergencyCallId']}/end", {"agentId": "alice"})
        closed(page)


def test_the_admin_sees_a_failed_drill_and_what_failed(browser: Any, stack: LocalStack) -> None:
    # GIVEN a drill of Bob's whose panel was slow to answer and never showed the test mode, past its deadline
    bob = stack.client.as_user(BOB)
    status, drill = bob.post("/api/agent/agents/bob/drills", {})
    assert status == 201, drill
    status, dial = bob.post("/api/agent/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                          "countryCode": "US"})
    body = {"emergencyCallId": dial["emergencyCallId"], "answerMs": 4200, "testMode": False}
    assert bob.post(f"/api/agent/agents/bob/drills/{drill['drillId']}/dial", body)[0] == 200
    assert bob.post(f"/api/agent/outbound-calls/{dial['emergencyCallId']}/end", {"agentId": "bob"})[0] == 200
    stack.client.advance(REPORT_DEADLINE.total_seconds() + 1)
    # WHEN the admin opens Drills
    page = new_page(browser, stack, ADMIN_PRINCIPAL)
    try:
        open_page(page, "drills", "Drills")
        row = page.locator(f'tr[data-drill="{drill["drillId"]}"]')
        expect(row).to_contain_text("Failed")
        expect(row).to_contain_text("The dial was answered: answered in 4200 ms (limit 1000 ms)")
        expect(row).to_contain_text("Panel in test mode: the panel did not show the test call's mode")
        row.get_by_role("button", name="Report").click()
        report = page.locator(".drill-report")
        expect(report).to_be_focused()
        expect(report).to_contain_text("Drill of Bob Example: Failed")
        expect(report.locator("tr.step-fail").first).to_be_visible()
        no_violations(page)
    finally:
        closed(page)
