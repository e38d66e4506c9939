"""The escalation policy's admin page and the incident's timeline in a real browser (issue 20), Playwright driving
Debian's Chromium, headless, against one local stack for the module.

The admin edits the policy (steps with their wait, audiences and channels; the mode; the on-call recipients; tests;
voice calls), sees each refusal of the server beside the field it names, saves versions and restores one; a save on a
version another admin replaced is refused with a way to load the new one; the page works at 375 px and axe-core finds
nothing. The incident view lists the dial, each notification, report, acknowledgement and escalation step in order.
Screenshots go to artifacts/screenshots/escalation-*.png. Fictional 555-01xx numbers and example.com addresses only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from shared.agent_access import DIALER
from tests.browser import pages
from tests.browser.pages import AUDITOR, expect, fresh_page, no_violations

BASE = "/api/manage/escalation-policy"
ON_CALL = {"tiers": [{"name": "On call", "afterSeconds": 90, "audiences": ["onCall"], "channels": ["email", "sms"]}],
           "mode": "any", "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}
UTC_GB = {"timezone_id": "UTC", "locale": "en-GB"}  # each page's clock in UTC, its times written as en-GB writes them


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    """A page signed in as the stack's admin, clock in UTC; no script error allowed."""
    yield from fresh_page(browser, stack, **UTC_GB)


def open_policy(page: Any) -> None:
    page.goto("/api/manage/ui/#/escalation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalation policy")
    expect(page.locator("main[aria-busy]")).to_have_count(0)


def shot(page: Any, name: str) -> None:
    pages.shot(page, f"escalation-{name}")


def refused_beside(page: Any, slot: str, control: Any, reason: str) -> None:
    """The server's refusal in the error slot `slot` (#id), the control marked invalid and focused, and said in the
    live region."""
    expect(page.locator(slot)).to_contain_text(reason)
    expect(page.locator(slot)).to_have_attribute("role", "alert")
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Not saved")


def step(page: Any, n: int) -> Any:
    return page.get_by_role("group", name=f"Step {n}", exact=True)


def versions(stack: LocalStack) -> int:
    return int(stack.client.get(BASE)[1]["version"])


# ---- the policy page ---------------------------------------------------------------------------------------------

def test_admin_sees_the_default_fixes_each_refusal_beside_its_field_saves_and_restores(page: Any,
                                                                                      stack: LocalStack) -> None:
    # GIVEN nothing saved yet: the form holds the default, which the page also shows in words
    open_policy(page)
    expect(page.locator("#escalation-current")).to_have_text("No version saved yet: the default policy is in force.")
    default = page.get_by_role("region", name="Default policy")
    expect(default.locator("li")).to_have_text([
        "After 2:00: everyone the first notification told, by voice call (Call the people notified)",
        "After 5:00: the security desk of her site and the on-call recipients of this policy, by email, SMS and "
        "voice call (Security desk and on call)"])
    first = step(page, 1)
    expect(first.get_by_label("Name")).to_have_value("Call the people notified")
    expect(first.get_by_label("Minutes")).to_have_value("2")
    expect(first.get_by_role("group", name="Who is told").get_by_label("Everyone the first notification told")
           ).to_be_checked()
    expect(first.get_by_role("group", name="Channels").get_by_label("Voice call")).to_be_checked()
    expect(first.get_by_role("group", name="Channels").get_by_label("Email")).not_to_be_checked()
    no_violations(page)

    # WHEN step 2 is left telling only the on-call team, who are nobody, THEN the server's refusal is beside the
    # on-call recipients (the default as it is, desk and on call, can be saved: a unit test says so)
    step(page, 2).get_by_role("group", name="Who is told").get_by_label(
        re.compile("security desk", re.IGNORECASE)).uncheck()
    page.get_by_role("button", name="Save as new version").click()
    emails = page.get_by_label("Email addresses")
    refused_beside(page, "#escalation-oncall-error", emails, "names no recipient")
    shot(page, "refused-on-call")
    no_violations(page)

    # WHEN she names them, and makes step 2 wait less than step 1 THEN the refusal is beside step 2's wait
    emails.fill("oncall@example.com")
    page.get_by_label("Mobile numbers").fill("+1 202 555 0166")
    step(page, 2).get_by_label("Minutes").fill("1")
    page.get_by_role("button", name="Save as new version").click()
    wait = step(page, 2).get_by_role("group", name="Wait after the dial")
    refused_beside(page, f"#{wait.get_by_label('Minutes').get_attribute('aria-describedby')}",
                   wait.get_by_label("Minutes"), "Step 2: the wait after the dial must come after the tier before it")
    expect(page.locator("#escalation-oncall-error")).to_be_empty()
    no_violations(page)

    # WHEN she fixes it THEN it is saved as version 1, by her
    step(page, 2).get_by_label("Minutes").fill("6")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text("Saved as version 1.")
    expect(page.locator("#escalation-current")).to_contain_text("Current version 1, saved by admin@example.com")
    saved = stack.client.get(BASE)[1]
    assert [t["afterSeconds"] for t in saved["policy"]["tiers"]] == [120, 360], saved
    assert saved["policy"]["onCall"] == {"emails": ["oncall@example.com"], "sms": ["+12025550166"]}

    # WHEN she removes step 1, lets tests escalate, allows 3 calls and saves THEN that is version 2
    step(page, 1).get_by_role("button", name="Remove step 1").click()
    expect(page.get_by_role("group", name="Step 2", exact=True)).to_have_count(0)
    expect(step(page, 1).get_by_label("Name")).to_be_focused()
    page.get_by_label("Escalate 933 test calls too").check()
    page.get_by_label("Voice calls per recipient, at most").fill("3")
    page.get_by_label("Every recipient first notified must acknowledge").check()
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text("Saved as version 2.")
    saved = stack.client.get(BASE)[1]["policy"]
    assert (len(saved["tiers"]), saved["escalateTests"], saved["voiceCallsPerRecipient"], saved["mode"]) == (
        1, True, 3, "allFirstTier"), saved
    table = page.get_by_role("table", name="Saved versions of the escalation policy")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tr[data-version='2']")).to_contain_text("Current")
    shot(page, "saved")

    # WHEN she restores version 1 THEN it is current again as version 3, which says where it came from
    table.get_by_role("button", name="Restore version 1").click()
    expect(page.locator("#messages")).to_contain_text("Version 1 restored as version 3.")
    expect(page.locator("#escalation-current")).to_contain_text("(restored from version 1)")
    expect(table.locator("tr[data-version='3']")).to_contain_text("Restored from version 1")
    expect(step(page, 2).get_by_label("Minutes")).to_have_value("6")
    expect(page.get_by_label("Escalate 933 test calls too")).not_to_be_checked()
    no_violations(page)
    assert stack.client.get(BASE)[1]["restoredFrom"] == 1


def test_a_save_on_a_version_another_admin_replaced_is_refused_and_the_new_one_can_be_loaded(
        page: Any, stack: LocalStack) -> None:
    # GIVEN the page loaded; then another admin saves through the API
    open_policy(page)
    loaded = versions(stack)
    status, answer = stack.client.put(BASE, ON_CALL, headers={"If-Match": str(loaded)})
    assert status == 200, answer
    # WHEN she saves what she loaded THEN it is refused, saying so, with a way to load the new version
    step(page, 1).get_by_label("Name").fill("Mine")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#escalation-form-error")).to_contain_text(f"saved as version {loaded + 1}")
    expect(page.locator("#messages")).to_contain_text("Not saved: another admin saved a newer version.")
    load = page.get_by_role("button", name="Load the current version")
    expect(load).to_be_focused()
    assert versions(stack) == loaded + 1
    no_violations(page)
    # WHEN she loads it THEN the form holds the other admin's policy
    load.click()
    expect(step(page, 1).get_by_label("Name")).to_have_value("On call")
    expect(page.get_by_label("Email addresses")).to_have_value("oncall@example.com")
    expect(page.locator("#escalation-form-error")).to_be_empty()


def test_at_375_px_the_page_fits_the_screen_and_axe_finds_nothing(browser: Any, stack: LocalStack) -> None:
    for p in fresh_page(browser, stack, width=375, **UTC_GB):
        open_policy(p)
        expect(step(p, 1)).to_be_visible()
        assert p.evaluate("document.documentElement.scrollWidth") <= 375
        shot(p, "375px")
        no_violations(p)


def test_an_auditor_reads_the_policy_and_its_versions_without_change_controls(browser: Any,
                                                                             stack: LocalStack) -> None:
    assert stack.client.put(BASE, ON_CALL)[0] == 200
    assert stack.client.put(BASE, {**ON_CALL, "escalateTests": True})[0] == 200
    for p in fresh_page(browser, stack, AUDITOR, **UTC_GB):
        open_policy(p)
        expect(p.locator("#who")).to_contain_text("Read-only")
        expect(p.get_by_role("button", name="Save as new version")).to_be_disabled()
        expect(step(p, 1).get_by_label("Name")).to_be_disabled()
        expect(p.get_by_role("button", name="Put the default in the form")).to_be_disabled()
        expect(p.get_by_role("table", name="Saved versions of the escalation policy")
               .get_by_role("button").first).to_be_disabled()
        no_violations(p)


# ---- the incident's timeline ------------------------------------------------------------------------------------

def delivery(channel: str, recipient: str, masked: str, step_: int, sent: datetime, **more: Any) -> dict[str, Any]:
    """A delivery as GET .../deliveries answers it."""
    return {"channel": channel, "recipient": recipient, "recipientMasked": masked, "step": step_,
            "status": "accepted", "reason": None, "attempts": 1, "final": True, "operationId": "op",
            "messageId": "msg", "firstAttemptAt": sent.isoformat(), "updatedAt": sent.isoformat(),
            "deliveryStatus": None, "deliveryDetail": None, "delivered": None, "deliveryStatusAt": None,
            "acknowledgedAt": None, "acknowledgedVia": None, "secondsToAcknowledge": None, **more}


def test_the_incident_timeline_lists_everything_in_order_with_pending_steps_due_in(page: Any,
                                                                                   stack: LocalStack) -> None:
    # GIVEN an incident: the dial, the first notification by email and SMS, the mailbox's report, the first step
    # run (on-call told by SMS), the on-call person's acknowledgement, and a second step still to come
    dialer = stack.client.as_user({"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]})
    call = {"agentId": "carol", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "timeline-call"}
    assert dialer.post("/api/outbound-calls", call)[0] == 200
    dialed = datetime.fromisoformat(stack.client.get("/api/manage/incidents/timeline-call")[1]["dialedAt"])
    at = lambda seconds: dialed + timedelta(seconds=seconds)  # noqa: E731
    now = datetime.now(UTC)
    answer = {"emergencyCallId": "timeline-call", "warnings": [], "asOf": now.isoformat(), "deliveries": [
        delivery("email", "guard@example.com", "g***@example.com", 0, at(2), deliveryStatus="Delivered",
                 delivered=True, deliveryStatusAt=at(9).isoformat()),
        delivery("sms", "+12025550123", "***0123", 0, at(3), status="failed", reason="400 refused"),
        delivery("sms", "+12025550166", "***0166", 1, at(121), acknowledgedAt=at(142).isoformat(),
                 acknowledgedVia="sms", secondsToAcknowledge=142)],
        "escalations": [
            {"tier": 1, "name": "On call", "dueAt": at(120).isoformat(), "status": "done", "outcome": "told 1",
             "ranAt": at(121).isoformat(), "audiences": ["onCall"], "channels": ["sms"]},
            {"tier": 2, "name": "Desk", "dueAt": (now + timedelta(seconds=250)).isoformat(), "status": "pending",
             "outcome": "", "ranAt": None, "audiences": ["siteDesk", "onCall"], "channels": ["email", "voice"]}]}
    page.route("**/api/manage/incidents/timeline-call/deliveries", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    # WHEN the admin opens it
    page.goto("/api/manage/ui/#/incidents/timeline-call")
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency call 933 by Carol Example")
    # THEN one list says what happened, in order, each with its offset from the dial
    timeline = page.get_by_role("list", name="Timeline")
    # (Do Not Disturb applied for the real call, when it is already, stands among the mocked deliveries at its own
    # moment: tests/browser/test_incident_evidence.py checks it)
    items = timeline.locator("li:not([data-kind='presence'])")
    expect(items).to_have_count(8)
    assert [items.nth(i).get_attribute("data-kind") for i in range(8)] == [
        "dial", "notification", "notification", "report", "escalation", "notification", "acknowledgement",
        "escalation"]
    expect(items.locator(".what")).to_have_text([
        "Carol Example dialed 933 (a test call)",
        "Email to g***@example.com (first notification): accepted by the service",
        "SMS to ***0123 (first notification): failed — 400 refused",
        "Delivery report for the email to g***@example.com: Delivered",
        # Times as the whole admin page shows them (common/time.js): the viewer's zone, with its abbreviation
        f"Escalation step 1 (On call) ran: told 1 (due {at(120):%H:%M:%S} UTC, ran {at(121):%H:%M:%S} UTC, 1 s late) — "
        "the on-call recipients by SMS",
        "SMS to ***0166 (escalation step 1): accepted by the service",
        "***0166 acknowledged by SMS, 2:22 after the dial",
        "Escalation step 2 (Desk): due in 4:10 — the site's security desk and the on-call recipients by email and "
        "phone call"])
    expect(items.nth(0).locator(".offset")).to_have_text("+0:00")
    expect(items.nth(6).locator(".offset")).to_have_text("+2:22")
    expect(items.nth(2)).to_have_class("failed")
    expect(items.nth(7)).to_have_class("pending")
    # and the notifications table is still there, unmasked, for the admin
    expect(page.get_by_role("table", name="Notifications").locator("tbody tr")).to_have_count(3)
    shot(page, "timeline")
    no_violations(page)
    assert dialer.post("/api/outbound-calls/timeline-call/end", {})[0] == 200


def test_against_the_backend_the_timeline_shows_the_notifications_and_the_step_to_come(page: Any,
                                                                                      stack: LocalStack) -> None:
    # GIVEN the on-call policy, and Alice's 911 notified to her contacts, nobody acknowledging
    assert stack.client.put(BASE, ON_CALL)[0] == 200
    dialer = stack.client.as_user({"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]})
    call = {"agentId": "alice", "dialedNumber": "911", "countryCode": "US", "emergencyCallId": "timeline-real"}
    assert dialer.post("/api/outbound-calls", call)[0] == 200

    def answer() -> dict[str, Any]:
        return dict(stack.client.get("/api/manage/incidents/timeline-real/deliveries")[1])
    assert wait_for(lambda: len(answer().get("deliveries") or []) == 3 and answer().get("escalations"), timeout=30)
    # WHEN the admin opens the incident THEN its timeline has the dial, the three notifications and the step to come
    page.goto("/api/manage/ui/#/incidents/timeline-real")
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline.locator("li[data-kind='notification']")).to_have_count(3)
    expect(timeline.locator("li").first).to_contain_text("Alice Example dialed 911")
    expect(timeline.locator("li[data-kind='notification']").first).to_contain_text("(first notification)")
    expect(timeline.locator("li").last).to_contain_text("Escalation step 1 (On call): due in 1:")
    expect(timeline).not_to_contain_text("security@example.com")  # masked: s***@example.com
    expect(timeline).to_contain_text("s***@example.com")
    assert dialer.post("/api/outbound-calls/timeline-real/end", {})[0] == 200
