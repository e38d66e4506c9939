"""The security desk's live board (issue 21, item 1) in a real browser, Playwright driving Debian's Chromium, headless,
against one local stack for the module: a new emergency appears within 2 seconds without a reload, highlighted and
with a beep once sound is enabled; a desk member acknowledges from the board; the board reads at 375 px; axe-core
finds nothing. Screenshots go to artifacts/screenshots/board-*.png. Fictional numbers and example.com addresses only.
"""

from __future__ import annotations

import time
from typing import Any

from local.stack import LocalStack
from tests.browser import pages
from tests.browser.pages import AUDITOR, expect, fresh_page, no_violations

NO_BOARD_ROLE = {"userId": "00000000-0000-0000-0000-0000000000c3", "userDetails": "nobody@example.com", "roles": []}


def open_board(page: Any) -> None:
    pages.open_page(page, "board", "Emergency board")
    expect(page.locator(".board-status")).to_contain_text("Live")


def dial(stack: LocalStack, agent: str, number: str) -> str:
    status, answer = stack.client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": number,
                                                               "countryCode": "US"})
    assert status == 200, answer
    return str(answer["emergencyCallId"])


def card(page: Any, call_id: str) -> Any:
    return page.locator(f'li.board-call[data-call-id="{call_id}"]')


def test_a_new_emergency_appears_within_two_seconds_highlighted_with_a_beep(page: Any, stack: LocalStack) -> None:
    open_board(page)
    page.get_by_role("button", name="Enable sound").click()
    expect(page.get_by_role("button", name="Sound on")).to_be_disabled()
    beeps = page.evaluate("window.boardBeeps || 0")
    started = time.monotonic()
    call_id = dial(stack, "alice", "911")
    expect(card(page, call_id)).to_be_visible(timeout=2_000)
    shown_after = time.monotonic() - started
    assert shown_after < 2.0, shown_after
    new = card(page, call_id)
    expect(new).to_have_class("board-call board-new")
    expect(new.get_by_role("heading", level=2)).to_contain_text("Alice Example")
    expect(new.get_by_role("heading", level=2)).to_contain_text("911")
    expect(new).to_contain_text("floor 3, room 301")
    expect(new.locator(".board-minutes")).to_have_text("0 min")
    assert page.evaluate("window.boardBeeps") > beeps
    expect(page.locator("#messages")).to_contain_text("New emergency call: Alice Example, 911")
    test_id = dial(stack, "bob", "933")
    expect(card(page, test_id).locator(".badge-test")).to_have_text("TEST", timeout=2_000)
    pages.shot(page, "board-wall")
    no_violations(page)


def test_a_desk_member_acknowledges_from_the_board(browser: Any, stack: LocalStack) -> None:
    call_id = dial(stack, "alice", "911")
    for page in fresh_page(browser, stack, AUDITOR):  # an auditor may use the board too
        open_board(page)
        button = card(page, call_id).get_by_role("button", name="Acknowledge")
        button.click()
        expect(page.locator("#messages")).to_contain_text("Acknowledged")
        expect(card(page, call_id)).to_contain_text("auditor@example.com (board,", timeout=3_000)
        expect(card(page, call_id).get_by_role("button", name="Acknowledged by you")).to_be_disabled()
    status, deliveries = stack.client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200 and [d["acknowledgedVia"] for d in deliveries["deliveries"] if d["channel"] == "board"] \
        == ["board"]


def test_the_board_reads_on_a_phone(browser: Any, stack: LocalStack) -> None:
    call_id = dial(stack, "bob", "911")
    for page in fresh_page(browser, stack, width=375):
        open_board(page)
        expect(card(page, call_id)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 375px"
        pages.shot(page, "board-phone")
        no_violations(page)


def test_without_a_board_role_the_page_says_which_role_is_missing(browser: Any, stack: LocalStack) -> None:
    for page in fresh_page(browser, stack, NO_BOARD_ROLE):
        response = page.goto("/api/manage/ui/#/board")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("main")).to_contain_text("EmergencyCalling.")


def test_a_desk_member_s_navigation_holds_the_board_alone(browser: Any, stack: LocalStack) -> None:
    desk = {"userId": "00000000-0000-0000-0000-00000000de52", "userDetails": "desk@example.com",
            "roles": ["EmergencyCalling.SecurityDesk"]}
    for page in fresh_page(browser, stack, desk):
        open_board(page)
        links = page.get_by_role("navigation").get_by_role("link")
        expect(links).to_have_count(1)
        expect(links.first).to_have_text("Emergency board")
    for page in fresh_page(browser, stack, AUDITOR):  # an auditor's holds every view she may read
        open_board(page)
        expect(page.get_by_role("navigation").get_by_role("link", name="Incidents")).to_be_visible()
        expect(page.get_by_role("navigation").get_by_role("link", name="Audit log")).to_be_visible()
