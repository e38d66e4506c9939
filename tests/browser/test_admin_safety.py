"""Safe administration in a real browser (Playwright driving Debian's Chromium, headless; one seeded local stack for
the module): a destructive action shows its impact in an accessible dialog and a refusal names who uses the item;
unsaved edits are asked about before they are left; pool input is refused in our words and a retired number comes back
only when reinstated; the pool, agents and incidents views refresh while open; the audit log is one row per change,
readable, filtered on the server; the agent form speaks in labels; times carry the viewer's zone. axe-core finds no
violation (serious, critical or other) in any of these states, dialogs included, and the dialogs work from the keyboard.

Screenshots go to artifacts/screenshots/safety-*.png. Fictional 555-01xx numbers and example.com addresses only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from local.stack import LocalStack
from shared.agent_access import DIALER
from tests.browser import pages
from tests.browser.pages import expect, fresh_page, no_violations, open_page

CHICAGO = {"timezone_id": "America/Chicago", "locale": "en-US"}  # the viewer's zone: times say CST
SECOND_ADMIN = {"userId": "00000000-0000-0000-0000-0000000000a4", "userDetails": "second-admin@example.com",
                "roles": ["EmergencyCalling.Admin"]}
DIALER_USER = {"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]}
RULE = "/api/manage/voice-config/routing-rules/emergency-911"


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    """A page signed in as the stack's admin, in Chicago; no script error allowed."""
    yield from fresh_page(browser, stack, **CHICAGO)


def shot(page: Any, name: str) -> None:
    pages.shot(page, f"safety-{name}")


def dialog(page: Any, name: str) -> Any:
    found = page.get_by_role("dialog", name=name)
    expect(found).to_be_visible()
    return found


# --- 5: destructive actions show their impact first ---------------------------------------------------------------

def test_deleting_the_profile_every_agent_has_shows_who_and_is_refused_without_changing_anything(
        page: Any, stack: LocalStack) -> None:
    # GIVEN the voice setup WHEN the admin presses Delete on the capacity profile the three agents have
    open_page(page, "setup", "Voice setup")
    opener = page.get_by_role("button", name="Delete voice-default")
    opener.focus()
    page.keyboard.press("Enter")
    asked = dialog(page, "Delete capacity profile voice-default?")
    # THEN before anything is done it says whom it would harm and who uses it, and refuses
    expect(asked.locator(".impact-summary")).to_have_text(
        "2 agents will become not ready: Alice Example, Bob Example. "
        "1 agent not ready already, will lose another check: Carol Example.")
    expect(asked.get_by_role("alert")).to_contain_text(
        "used by 3 agents (alice, bob, carol) and 1 outbound profile (voice-outbound-us)")
    expect(asked.get_by_role("button", name="Delete capacity profile voice-default")).to_be_hidden()
    expect(asked.get_by_role("button", name="Close")).to_be_focused()
    shot(page, "delete-refused")
    no_violations(page)
    # WHEN she presses Escape THEN the dialog closes, focus is back on Delete, and nothing changed
    page.keyboard.press("Escape")
    expect(asked).to_be_hidden()
    expect(opener).to_be_focused()
    assert stack.client.get("/api/manage/voice-config/capacity-profiles/voice-default")[0] == 200
    counts = stack.client.get("/api/manage/readiness")[1]["counts"]
    assert counts["fail"] == 1, counts


def test_an_unused_profile_is_deleted_from_the_keyboard_after_its_impact(page: Any, stack: LocalStack) -> None:
    assert stack.client.put("/api/manage/voice-config/capacity-profiles/spare", {"name": "Spare"})[0] == 200
    open_page(page, "setup", "Voice setup")
    page.get_by_role("button", name="Delete spare").focus()
    page.keyboard.press("Enter")
    asked = dialog(page, "Delete capacity profile spare?")
    expect(asked.locator(".impact-summary")).to_have_text("No agent's readiness changes.")
    confirm = asked.get_by_role("button", name="Delete capacity profile spare")
    cancel = asked.get_by_role("button", name="Cancel")
    # THEN the keyboard stays inside the dialog: the safe choice first, Tab and Shift+Tab go round
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(confirm).to_be_focused()
    no_violations(page)
    page.keyboard.press("Enter")
    expect(asked).to_be_hidden()
    expect(page.locator("#messages")).to_contain_text("Capacity profiles: spare deleted.")
    expect(page.get_by_role("heading", name="Capacity profiles")).to_be_focused()
    assert stack.client.get("/api/manage/voice-config/capacity-profiles/spare")[0] == 404


@pytest.fixture
def pool_relied_on(stack: LocalStack) -> Iterator[list[str]]:
    """A rule sends every US 911 to the SBC: the US agents' callbacks need a free +1 number. All but the last of the
    +1 numbers retired; everything back in service, and the rule gone, afterwards."""
    client = stack.client
    assert client.put(RULE, {"numberPattern": "^\\+?911$", "trunks": ["sbc1.example.com"]})[0] == 200
    numbers = [n["number"] for n in client.get("/api/manage/callback-numbers")[1]["numbers"]
               if n["region"] == "1" and not n["retired"]]
    for number in numbers[:-1]:
        assert client.post(f"/api/manage/callback-numbers/{quote(number)}/retire")[0] == 200
    yield numbers
    for number in numbers:
        assert client.post(f"/api/manage/callback-numbers/{quote(number)}/reinstate")[0] == 200
    assert client.delete(RULE)[0] == 204


def test_retiring_the_last_free_number_agents_rely_on_is_refused_in_the_dialog(
        page: Any, stack: LocalStack, pool_relied_on: list[str]) -> None:
    last = pool_relied_on[-1]
    open_page(page, "pool", "Callback pool")
    page.get_by_role("button", name=f"Retire {last}").click()
    asked = dialog(page, f"Retire {last}?")
    expect(asked).to_contain_text("A retired number is never leased to an emergency call again")
    expect(asked.get_by_role("alert")).to_contain_text("last free callback number of its region")
    expect(asked.locator("li[data-agent=alice]")).to_contain_text("Callback number available in the pool")
    expect(asked.get_by_role("button", name=f"Retire {last}")).to_be_hidden()
    shot(page, "retire-refused")
    no_violations(page)
    asked.get_by_role("button", name="Close").click()
    expect(page.get_by_role("button", name=f"Retire {last}")).to_be_focused()
    assert next(n for n in stack.client.get("/api/manage/callback-numbers")[1]["numbers"]
                if n["number"] == last)["state"] == "free"


# --- 6: unsaved edits are asked about -----------------------------------------------------------------------------

def test_leaving_an_edited_template_asks_first_and_stay_keeps_the_edit(page: Any) -> None:
    open_page(page, "agents", "Agents")
    page.get_by_role("link", name="Notification template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency call notification")
    subject = page.get_by_label("Subject", exact=True)
    subject.fill("Unsaved subject {{ agent_name }}")
    # WHEN she follows the navigation to Agents THEN she is asked, with Stay focused
    page.get_by_role("link", name="Agents").click()
    asked = dialog(page, "Leave without saving?")
    expect(asked).to_contain_text("Your changes to the notification template are not saved.")
    expect(asked.get_by_role("button", name="Stay and keep editing")).to_be_focused()
    shot(page, "leave-template")
    no_violations(page)
    # WHEN she stays (Escape) THEN the view and her edit are there, focus back on the link she pressed
    page.keyboard.press("Escape")
    expect(asked).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency call notification")
    expect(subject).to_have_value("Unsaved subject {{ agent_name }}")
    assert page.evaluate("location.hash") == "#/template"
    # WHEN she goes Back THEN she is asked too; leaving takes her there
    page.evaluate("history.back()")
    dialog(page, "Leave without saving?").get_by_role("button", name="Leave without saving").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents")


def test_closing_or_reloading_the_tab_with_unsaved_edits_asks_the_browser_question(page: Any) -> None:
    open_page(page, "template", "Emergency call notification")
    unload = "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); " \
             "return e.defaultPrevented; }"
    assert page.evaluate(unload) is False  # nothing edited: nothing asked
    page.get_by_label("Subject", exact=True).fill("Unsaved subject")
    assert page.evaluate(unload) is True
    asked: list[str] = []

    def stay(d: Any) -> None:
        asked.append(d.type)
        d.dismiss()
    page.on("dialog", stay)
    page.evaluate("setTimeout(() => location.reload(), 0)")
    page.wait_for_timeout(1_000)
    assert asked == ["beforeunload"]  # the browser asked, she stayed: the edit is still there
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Unsaved subject")
    # ... and once saved, nothing is asked
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text("Saved as version")
    assert page.evaluate(unload) is False


@pytest.mark.parametrize(("route", "title", "label", "what"), [
    ("agents/bob", "Bob Example", "Display name", "agent bob"),
    ("escalation", "Escalation policy", "Email addresses", "the escalation policy"),
])
def test_every_edited_form_asks_before_it_is_left(page: Any, route: str, title: str, label: str, what: str) -> None:
    open_page(page, route, title)
    expect(page.locator("main[aria-busy]")).to_have_count(0)
    page.get_by_label(label, exact=True).first.fill("edited@example.com")
    page.get_by_role("link", name="Callback pool").click()
    asked = dialog(page, "Leave without saving?")
    expect(asked).to_contain_text(f"Your changes to {what} are not saved.")
    asked.get_by_role("button", name="Leave without saving").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Callback pool")
    # ... and a view left without edits asks nothing
    page.get_by_role("link", name="Agents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents")


def test_an_edited_site_asks_before_the_editor_is_closed(page: Any, stack: LocalStack) -> None:
    status, answer = stack.client.put("/api/manage/sites/example-safety", {"name": "Example Safety", "address": {
        "country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example", "STS": "Plaza", "HNO": "1", "PC": "62701"}})
    assert status == 200, answer
    open_page(page, "sites", "Sites")
    page.get_by_role("button", name="Edit Example Safety").click()
    page.get_by_label("Name", exact=True).fill("Example Safety Annex")
    page.get_by_role("button", name="Cancel").click()
    asked = dialog(page, "Leave without saving?")
    expect(asked).to_contain_text("Your changes to site Example Safety are not saved.")
    asked.get_by_role("button", name="Stay and keep editing").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Example Safety Annex")


# --- 7: pool input and the retired number -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "reason"), [
    ("+12025550199x", "may hold only digits, spaces and - . ( ) after the +, not “x”"),
    ("555-1234", "must start with + and the country calling code, e.g. +1 202 555 0100"),
])
def test_bad_pool_input_is_refused_beside_the_field_in_our_words(page: Any, stack: LocalStack, typed: str,
                                                                 reason: str) -> None:
    open_page(page, "pool", "Callback pool")
    number = page.get_by_label("Number", exact=True)
    number.fill(typed)
    page.get_by_role("button", name="Add to pool").click()
    error = page.locator(f"#{number.get_attribute('id')}-error")
    expect(error).to_contain_text(reason)
    expect(error).not_to_contain_text("default region")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    no_violations(page)
    assert "+12025550199" not in [n["number"] for n in stack.client.get("/api/manage/callback-numbers")[1]["numbers"]]


def test_a_retired_number_added_again_is_refused_and_comes_back_only_by_reinstating_it(
        page: Any, stack: LocalStack) -> None:
    client = stack.client
    assert client.post("/api/manage/callback-numbers", {"number": "+1 202 555 0110"})[0] == 201
    assert client.post("/api/manage/callback-numbers/%2B12025550110/retire")[0] == 200
    open_page(page, "pool", "Callback pool")
    expect(page.locator(".lead")).to_contain_text("A retired number is never leased again: adding it again is refused")
    number = page.get_by_label("Number", exact=True)
    number.fill("+1 202 555 0110")
    page.get_by_role("button", name="Add to pool").click()
    error = page.locator(f"#{number.get_attribute('id')}-error")
    expect(error).to_contain_text("+12025550110 is retired: a retired number is never leased again")
    row = page.locator("tr[data-number='+12025550110']")
    expect(row.locator(".badge")).to_have_text("retired")
    shot(page, "add-retired")
    # WHEN she reinstates it from the refusal, and confirms THEN it is free, and the audit log says who did it
    error.get_by_role("button", name="Reinstate +12025550110").click()
    asked = dialog(page, "Reinstate +12025550110?")
    expect(asked).to_contain_text("Retired by admin@example.com")
    expect(asked).to_contain_text(re.compile(r"\d{1,2}:\d{2} [AP]M CST"))
    no_violations(page)
    asked.get_by_role("button", name="Reinstate +12025550110").click()
    expect(page.locator("#messages")).to_contain_text("+12025550110 is back in service (free).")
    expect(row.locator(".badge")).to_have_text("free")
    changes = client.get("/api/manage/audit?entity=callback-number&entityId=%2B12025550110")[1]["changes"]
    assert changes[0]["action"] == "reinstated" and changes[0]["actor"]["name"] == "admin@example.com"


# --- 8: the views refresh while open ------------------------------------------------------------------------------

def test_the_pool_shows_a_new_lease_while_open_linked_to_its_incident_and_stops_reading_once_left(
        page: Any, stack: LocalStack) -> None:
    open_page(page, "pool", "Callback pool")
    leases = page.get_by_role("table", name="Numbers leased to emergency calls")
    expect(leases.locator("tr[data-lease='safety-refresh']")).to_have_count(0)
    # WHEN a call leases a number while the view is open (no reload, no click)
    dialer = stack.client.as_user(DIALER_USER)
    call = {"agentId": "bob", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "safety-refresh"}
    status, answer = dialer.post("/api/outbound-calls", call)
    assert status == 200, answer
    try:
        # THEN its row appears within the refresh, its call id a link to the incident
        row = page.locator("tr[data-lease='safety-refresh']")
        expect(row).to_have_count(1, timeout=12_000)
        row.get_by_role("link", name=re.compile("Incident safety-refresh")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Emergency call 933 by Bob Example")
        # ... and once the view is left, the pool is not read again
        reads: list[str] = []
        page.on("request", lambda r: reads.append(r.url) if "/api/manage/callback-numbers" in r.url else None)
        page.wait_for_timeout(6_000)
        assert reads == []
    finally:
        assert dialer.post("/api/outbound-calls/safety-refresh/end", {})[0] == 200


def test_the_incidents_and_agents_views_show_changes_while_open(page: Any, stack: LocalStack) -> None:
    open_page(page, "incidents", "Emergency incidents")
    expect(page.locator("tr[data-incident='safety-listed']")).to_have_count(0)
    dialer = stack.client.as_user(DIALER_USER)
    call = {"agentId": "alice", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "safety-listed"}
    assert dialer.post("/api/outbound-calls", call)[0] == 200
    assert dialer.post("/api/outbound-calls/safety-listed/end", {})[0] == 200
    expect(page.locator("tr[data-incident='safety-listed']")).to_have_count(1, timeout=15_000)

    open_page(page, "agents", "Agents")
    bob = stack.client.get("/api/manage/agents/bob")[1]
    try:
        assert stack.client.put("/api/manage/agents/bob", {**bob, "mailboxEnabled": False})[0] == 200
        expect(page.locator("tr[data-agent='bob']")).to_contain_text("Mailbox enabled", timeout=20_000)
    finally:
        assert stack.client.put("/api/manage/agents/bob", bob)[0] == 200


# --- 9: the audit log ---------------------------------------------------------------------------------------------

def test_the_audit_log_is_one_readable_row_per_change_filtered_on_the_server(page: Any, stack: LocalStack) -> None:
    # GIVEN another admin changed two of Carol's fields in one save
    second = stack.client.as_user(SECOND_ADMIN)
    carol = second.get("/api/manage/agents/carol")[1]
    changed = {**carol, "displayName": "Carol Example-Jensen", "timezone": "Europe/London"}
    assert second.put("/api/manage/agents/carol", changed)[0] == 200
    open_page(page, "audit", "Audit log")
    # THEN no cell holds a JSON blob, and the seeding of each agent is one row
    rows = page.locator("#audit-results tbody tr")
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert '{"' not in text and '["' not in text, text
    created = page.locator("#audit-results tbody tr", has_text="Created agent")
    expect(created).to_have_count(3)
    # WHEN she filters by who and entity THEN the one change, with both fields old -> new
    page.get_by_label("Who").fill("second-admin@example.com")
    page.get_by_label("Entity").select_option("agent")
    page.get_by_label("ID or number").fill("carol")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("li[data-field=displayName]")).to_match_aria_snapshot(
        '- listitem: "Display name: Carol Example changed to Carol Example-Jensen"')
    expect(rows.first.locator("li[data-field=timezone]")).to_match_aria_snapshot(
        '- listitem: "Time zone: Europe/Copenhagen changed to Europe/London"')
    expect(rows.first).to_contain_text(re.compile(r"\d{4}, \d{1,2}:\d{2} [AP]M CST"))
    shot(page, "audit-filtered")
    # ... a location change reads as its parts, not as JSON
    page.get_by_label("Who").fill("")
    page.get_by_role("button", name="Show").click()
    located = rows.locator("li[data-field=lastLocation]").first
    expect(located).to_contain_text("Country")
    expect(located).to_contain_text("Denmark (DK)")
    # WHEN the range ends before it begins THEN the server's refusal is shown beside To
    page.get_by_label("From").fill("2026-03-02")
    page.get_by_label("To").fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    to = page.get_by_label("To")
    expect(page.locator(f"#{to.get_attribute('id')}-error")).to_contain_text("must be after from")
    expect(to).to_have_attribute("aria-invalid", "true")
    no_violations(page)
    assert second.put("/api/manage/agents/carol", carol)[0] == 200


# --- 10: the agent form in words, with the location's date --------------------------------------------------------

def test_the_agent_form_shows_labels_and_when_the_location_was_reported_in_the_viewer_s_zone(page: Any) -> None:
    open_page(page, "agents/alice", "Alice Example")
    facts = page.locator(".location-facts")
    expect(facts.locator("dt")).to_contain_text(["Street address", "Floor", "Room", "City", "State/province",
                                                 "Postal code", "Country"])
    expect(facts).not_to_contain_text("countryCode")
    expect(facts).to_contain_text("United States (US)")
    expect(facts.locator(".location-when")).to_have_text(
        re.compile(r"^Reported [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M CST$"))
    expect(page.locator("p", has_text="Checked ")).to_contain_text(re.compile(r"CST"))
    no_violations(page)


def test_saving_an_agent_keeps_her_language(page: Any, stack: LocalStack) -> None:
    # GIVEN Alice's profile says she and her contacts read French (Canada)
    alice = stack.client.get("/api/manage/agents/alice")[1]
    body = {k: v for k, v in alice.items() if k not in ("agentId", "effectiveLocale", "warnings")}
    assert stack.client.put("/api/manage/agents/alice", {**body, "locale": "fr-CA"})[0] == 200
    try:
        # WHEN the admin changes another field on her page and saves
        open_page(page, "agents/alice", "Alice Example")
        expect(page.get_by_label("Language")).to_have_value("fr-CA")
        page.get_by_label("Routing worker").fill("alice-worker")
        page.get_by_role("button", name="Save agent").click()
        expect(page.locator("#messages")).to_contain_text("Saved Alice Example.")
        # THEN her language is still hers
        assert stack.client.get("/api/manage/agents/alice")[1]["locale"] == "fr-CA"
    finally:
        assert stack.client.put("/api/manage/agents/alice", {**body, "locale": alice.get("locale")})[0] == 200
