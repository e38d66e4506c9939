"""The admin page in a real browser: Playwright driving Debian's Chromium (installed by `make test`), headless.

One local stack and one browser for the module; each test gets a fresh page. A screenshot of each page goes to
artifacts/screenshots/. Fictional 555-01xx numbers and example.com / example.org addresses only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.seed import seeded_stack
from local.stack import ADMIN_PRINCIPAL, LocalStack
from shared.agent_access import DIALER
from tests.browser.conftest import CHROMIUM

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
AUDITOR = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
           "roles": ["EmergencyCalling.Auditor"]}

if not CHROMIUM.exists():  # `make test` installs it (apt-get install chromium); never downloaded by Playwright
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack(principal=ADMIN_PRINCIPAL) as s:  # as with `make serve`: whoever opens the page is the admin
        yield s


@pytest.fixture
def page(browser: object, stack: LocalStack) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=stack.client.base_url)  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    context.close()
    assert errors == [], errors


def open_page(page: object, route: str, title: str) -> None:
    page.goto(f"/api/manage/ui/#/{route}")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_admin_fixes_a_bad_recipient_saves_and_sees_the_audit_entry(page: object) -> None:
    open_page(page, "agents", "Agents")
    expect(page.locator("tr[data-agent]")).to_have_count(3)
    shot(page, "agents")
    page.get_by_role("link", name="Bob Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob Example")
    recipients = page.get_by_label("Email recipients")
    recipients.fill("a@example.com; bad@; b@example.org")
    page.get_by_role("button", name="Save agent").click()
    error = page.locator(f"#{recipients.get_attribute('id')}-error")
    expect(error).to_contain_text("“bad@” (item 2)")
    expect(recipients).to_have_attribute("aria-invalid", "true")
    expect(recipients).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Not saved")
    shot(page, "agent-validation")

    recipients.fill("a@example.com; b@example.org")
    page.get_by_role("button", name="Save agent").click()
    expect(page.locator("#messages")).to_contain_text("Saved Bob Example.")
    expect(error).to_be_empty()
    history = page.locator("section[aria-labelledby=history-title] tbody tr", has_text="emailRecipients")
    expect(history.first).to_contain_text("security-desk@example.com")
    expect(history.first).to_contain_text("a@example.com; b@example.org")
    expect(history.first).to_contain_text("admin@example.com")
    shot(page, "agent")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("tbody tr", has_text="emailRecipients").first).to_contain_text("a@example.com; b@example.org")
    shot(page, "audit")


def test_the_agent_list_shows_a_profile_no_signed_in_user_is_mapped_to_and_saving_it_warns(page: object) -> None:
    # GIVEN Carol's profile names no signed-in user (seeded without signInId); Alice's names hers
    open_page(page, "agents", "Agents")
    # THEN the list says so on Carol's row only
    carol = page.locator("tr[data-agent='carol']")
    expect(carol).to_contain_text("Signed-in user mapped to this agent")
    expect(page.locator("tr[data-agent='alice']")).not_to_contain_text("Signed-in user")
    # ... her page says why and what to set
    carol.get_by_role("link", name="Carol Example").click()
    check = page.locator("li[data-check='sign_in']")
    expect(check).to_contain_text("No signed-in user is mapped to this agent")
    expect(check).to_contain_text("Set signInId to the agent's Entra object id")
    # WHEN the admin saves her profile still without it THEN it is saved, with the warning
    page.get_by_role("button", name="Save agent").click()
    expect(page.locator("#messages .message-warning")).to_contain_text("Saved Carol Example. No signed-in user")
    shot(page, "agent-without-sign-in")


def test_admin_edits_the_template_sees_the_preview_saves_and_restores(page: object) -> None:
    open_page(page, "template", "Emergency call notification")
    preview = page.locator("#preview-subject")
    expect(preview).to_contain_text("Alice Example")
    subject = page.get_by_label("Subject", exact=True)
    subject.fill("URGENT: {{ agent_name }} dialed {{ dialed_number }}")
    expect(preview).to_have_text("URGENT: Alice Example dialed 911")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text(re.compile(r"Saved as version (\d+)\."))
    first = int(re.search(r"version (\d+)", page.locator("#messages").inner_text()).group(1))  # type: ignore[union-attr]

    subject.fill("Second try by {{ agent_nme }}")
    expect(page.locator(f"#{subject.get_attribute('id')}-error")).to_contain_text("agent_nme")
    subject.fill("Second: {{ agent_name }}")
    expect(preview).to_have_text("Second: Alice Example")
    shot(page, "template")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text(f"Saved as version {first + 1}.")
    row = page.locator(f"tr[data-version='{first + 1}']")
    expect(row).to_contain_text("admin@example.com")
    expect(row).to_contain_text("Current")

    page.get_by_role("button", name=f"Restore version {first}").click()
    expect(page.locator("#messages")).to_contain_text(f"Version {first} restored as version {first + 2}.")
    expect(subject).to_have_value("URGENT: {{ agent_name }} dialed {{ dialed_number }}")
    expect(preview).to_have_text("URGENT: Alice Example dialed 911")
    expect(page.locator(f"tr[data-version='{first + 2}']")).to_contain_text(f"Restored from version {first}")
    shot(page, "template-restored")


def test_admin_adds_a_number_to_the_pool_and_sees_it_free(page: object) -> None:
    open_page(page, "pool", "Callback pool")
    free = page.locator("li[data-region='1'] dd[data-state=free]")
    before = int(free.inner_text())
    page.get_by_label("Number", exact=True).fill("+1 202 555 0107")
    page.get_by_role("button", name="Add to pool").click()
    expect(page.locator("#messages")).to_contain_text("+12025550107 is in the pool (free).")
    row = page.locator("tr[data-number='+12025550107']")
    expect(row.locator(".badge")).to_have_text("free")
    expect(free).to_have_text(str(before + 1))
    shot(page, "pool")

    page.get_by_label("Number", exact=True).fill("+1 202 555 0107")
    page.get_by_role("button", name="Add to pool").click()
    expect(page.locator("form .field-error").first).to_contain_text("already in the pool")
    page.get_by_role("button", name="Retire +12025550107").click()
    expect(row.locator(".badge")).to_have_text("retired")


def test_the_other_pages_render_and_the_keyboard_reaches_them(page: object, stack: LocalStack) -> None:
    stack.client.post("/api/outbound-calls", {"agentId": "alice", "dialedNumber": "933", "countryCode": "US"})
    open_page(page, "incidents", "Emergency incidents")
    expect(page.locator("tbody tr").first).to_contain_text("933")
    shot(page, "incidents")
    page.locator("tbody tr a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Emergency call 933")
    shot(page, "incident")
    open_page(page, "setup", "Voice setup")
    expect(page.locator("section[data-kind=numbers] tbody tr")).to_have_count(3)
    shot(page, "setup")

    skip = page.get_by_role("link", name="Skip to content")
    skip.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Agents")).to_be_focused()
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voice setup")
    page.get_by_role("link", name="Callback pool").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.get_by_role("link", name="Callback pool")).to_have_attribute("aria-current", "page")


def test_an_auditor_sees_everything_read_only(browser: object, stack: LocalStack) -> None:
    context = browser.new_context(base_url=stack.client.base_url,  # type: ignore[attr-defined]
                                  extra_http_headers={"X-Local-Principal": json.dumps(AUDITOR)})
    try:
        page = context.new_page()
        open_page(page, "agents/alice", "Alice Example")
        expect(page.locator("#who")).to_contain_text("Read-only")
        expect(page.get_by_role("button", name="Save agent")).to_be_disabled()
        open_page(page, "incidents", "Emergency incidents")
    finally:
        context.close()


def test_the_pool_shows_a_number_held_before_a_dial_as_such(page: object, stack: LocalStack) -> None:
    """A pre-dial hold (the agent typed 911, Call not pressed yet) is no call: the leases table says so."""
    dialer = stack.client.as_user({"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]})
    status, answer = dialer.post("/api/outbound-calls/admin-page-hold/pre-dial",
                                 {"agentId": "bob", "dialedNumber": "933", "countryCode": "US"})
    assert status == 200 and answer["preDial"] is True, answer
    open_page(page, "pool", "Callback pool")
    leases = page.get_by_role("table", name="Numbers leased to emergency calls")
    row = leases.locator("tr", has_text="admin-page-hold")
    expect(row).to_contain_text("held for a dial she is about to place")
    expect(row).to_contain_text("if no call follows")
