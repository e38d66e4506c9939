"""The admin page in a real browser: Playwright driving Debian's Chromium (installed by `make test`), headless.

One local stack and one browser for the module; each test gets a fresh page. A screenshot of each page goes to
artifacts/screenshots/. Fictional 555-01xx numbers and example.com / example.org addresses only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from shared.agent_access import DIALER
from tests.browser.pages import (
    AUDITOR,
    BOB,
    axe_violations,
    expect,
    fresh_page,
    no_violations,
    open_page,
    shot,
)


def refused_beside(page: Any, control: Any, reason: str, message: str) -> None:
    """The server's refusal shown beside `control` (marked invalid, focused) and summed up in the messages."""
    expect(page.locator(f"#{control.get_attribute('id')}-error")).to_contain_text(reason)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_be_focused()
    expect(page.locator("#messages")).to_contain_text(message)


def test_admin_fixes_a_bad_recipient_saves_and_sees_the_audit_entry(page: object) -> None:
    open_page(page, "agents", "Agents")
    expect(page.locator("tr[data-agent]")).to_have_count(3)
    shot(page, "agents")
    page.get_by_role("link", name="Bob Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob Example")
    recipients = page.get_by_label("Email recipients")
    recipients.fill("a@example.com; bad@; b@example.org")
    page.get_by_role("button", name="Save agent").click()
    refused_beside(page, recipients, "“bad@” (item 2)", "Not saved")
    shot(page, "agent-validation")

    recipients.fill("a@example.com; b@example.org")
    page.get_by_role("button", name="Save agent").click()
    expect(page.locator("#messages")).to_contain_text("Saved Bob Example.")
    expect(page.locator(f"#{recipients.get_attribute('id')}-error")).to_be_empty()
    # THEN the change history shows it as one change, its field in words, old -> new
    history = page.locator("section[aria-labelledby=history-title] tbody tr")
    expect(history.first.locator("li[data-field=emailRecipients]")).to_match_aria_snapshot(
        '- listitem: "Email recipients: security-desk@example.com changed to a@example.com; b@example.org"')
    expect(history.first.locator("li")).to_have_count(1)
    expect(history.first).to_contain_text("admin@example.com")
    shot(page, "agent")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("tbody tr", has_text="Email recipients").first).to_contain_text("a@example.com; b@example.org")
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
    dialog = page.get_by_role("dialog", name="Retire +12025550107?")
    expect(dialog).to_contain_text("No agent's readiness changes.")
    dialog.get_by_role("button", name="Retire +12025550107").click()
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
    expect(page.get_by_role("link", name="Emergency board")).to_be_focused()  # the first section
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


# Sites (issue 19, parts 1 and 2): the contact center's buildings with their civic addresses, places and networks.
PLAZA = {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example", "STS": "Plaza", "HNO": "1", "PC": "62701"}


def new_site(page: object, name: str, address: dict[str, str], site_id: str | None = None) -> None:
    """Open the editor with New site and fill the name and the address (plain-word labels)."""
    page.get_by_role("button", name="New site").click()  # type: ignore[attr-defined]
    editor = page.get_by_role("form", name="New site")  # type: ignore[attr-defined]
    editor.get_by_label("Name", exact=True).fill(name)
    if site_id:
        editor.get_by_label("Site ID").fill(site_id)
    civic = editor.get_by_role("group", name="Civic address (the dispatchable location)")
    civic.get_by_label("Country").select_option(address["country"])
    labels = {"HNO": "House number", "RD": "Street", "STS": "Street suffix", "A3": "City", "A1": "State/province",
              "PC": "Postal code"}
    for part, label in labels.items():
        if part in address:
            civic.get_by_label(label, exact=True).fill(address[part])


def put_site(stack: LocalStack, site_id: str, name: str, networks: list[str] | None = None) -> None:
    status, answer = stack.client.put(f"/api/manage/sites/{site_id}", {"name": name, "address": PLAZA})
    assert status == 200, answer
    if networks:
        status, answer = stack.client.put(f"/api/manage/sites/{site_id}/networks", {"networks": networks})
        assert status == 200, answer


def test_admin_creates_a_site_with_a_us_address_and_sees_it_listed_with_its_read_out(
        page: object, stack: LocalStack) -> None:
    # GIVEN the Sites view WHEN the admin fills a valid US address, a place inside, and saves
    open_page(page, "sites", "Sites")
    new_site(page, "Example Plaza", {**PLAZA, "A1": "il"})
    expect(page.get_by_label("Site ID")).to_have_value("example-plaza")  # made from the name
    page.get_by_role("button", name="Add a place").click()
    place = page.get_by_role("group", name="Place 1")
    expect(place.get_by_label("Floor")).to_be_focused()
    place.get_by_label("Floor").fill("3")
    place.get_by_label("Room").fill("301")
    shot(page, "site-editor")
    page.get_by_role("button", name="Save site").click()
    # THEN it is listed with the line an agent reads to the operator, and its place
    expect(page.locator("#messages")).to_contain_text("Saved Example Plaza: 1 Example Plaza, Springfield IL 62701.")
    row = page.locator("tr[data-site='example-plaza']")
    expect(row).to_contain_text("1 Example Plaza, Springfield IL 62701")
    expect(row).to_contain_text("Floor 3, room 301")
    expect(page.get_by_role("button", name="Edit Example Plaza")).to_be_focused()
    assert stack.client.get("/api/manage/sites/example-plaza")[1]["address"]["A1"] == "IL"
    shot(page, "sites")


def test_a_bad_postal_code_is_shown_beside_postal_code_and_nothing_is_saved(page: object, stack: LocalStack) -> None:
    open_page(page, "sites", "Sites")
    new_site(page, "Example Annex", {**PLAZA, "PC": "6270"}, site_id="example-annex")
    page.get_by_role("button", name="Save site").click()
    postal = page.get_by_label("Postal code")
    error = page.locator(f"#{postal.get_attribute('id')}-error")
    expect(error).to_have_text(re.compile(r"^Postal code is not a ZIP code of the United States"))
    expect(postal).to_have_attribute("aria-invalid", "true")
    expect(postal).to_have_attribute("aria-describedby", re.compile(f"{postal.get_attribute('id')}-error"))
    expect(postal).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Not saved: Postal code is not a ZIP code")
    shot(page, "site-validation")
    assert stack.client.get("/api/manage/sites/example-annex")[0] == 404
    expect(page.locator("tr[data-site='example-annex']")).to_have_count(0)


def test_every_address_problem_is_shown_beside_its_own_field(page: object, stack: LocalStack) -> None:
    open_page(page, "sites", "Sites")
    new_site(page, "Example Lodge", {k: v for k, v in PLAZA.items() if k != "HNO"} | {"PC": "6270"})
    page.get_by_role("button", name="Save site").click()
    number, postal = page.get_by_label("House number", exact=True), page.get_by_label("Postal code")
    expect(page.locator(f"#{number.get_attribute('id')}-error")).to_have_text(re.compile("^House number is required"))
    expect(page.locator(f"#{postal.get_attribute('id')}-error")).to_have_text(re.compile("^Postal code is not a ZIP"))
    expect(number).to_be_focused()  # the first in the address's order
    expect(postal).to_have_attribute("aria-invalid", "true")
    assert stack.client.get("/api/manage/sites/example-lodge")[0] == 404


def test_networks_are_saved_and_one_overlapping_another_site_s_is_refused_beside_the_field(
        page: object, stack: LocalStack) -> None:
    # GIVEN another site holds 10.20.0.0/16
    put_site(stack, "example-depot", "Example Depot", ["10.20.0.0/16"])
    open_page(page, "sites", "Sites")
    # WHEN the admin creates a site with a network of its own THEN it is saved
    new_site(page, "Example Tower", PLAZA)
    page.get_by_label("Networks").fill("192.0.2.0/24\n2001:db8:1::/48")
    page.get_by_role("button", name="Save site").click()
    row = page.locator("tr[data-site='example-tower']")
    expect(row).to_contain_text("192.0.2.0/24")
    expect(row).to_contain_text("2001:db8:1::/48")
    # WHEN she adds a broader network over the other site's THEN it is refused beside Networks, naming the line
    page.get_by_role("button", name="Edit Example Tower").click()
    networks = page.get_by_label("Networks")
    networks.fill("192.0.2.0/24\n\n10.0.0.0/8")
    page.get_by_role("button", name="Save site").click()
    refused_beside(page, networks, "Line 3 (10.0.0.0/8) overlaps 10.20.0.0/16 of site example-depot",
                   "Not saved: Line 3")
    shot(page, "site-network-overlap")
    assert stack.client.get("/api/manage/sites/example-tower")[1]["networks"] == ["192.0.2.0/24", "2001:db8:1::/48"]


def test_a_new_site_with_a_refused_network_is_not_saved_at_all_and_its_point_is_kept_on_edit(
        page: object, stack: LocalStack) -> None:
    put_site(stack, "example-yard", "Example Yard", ["10.30.0.0/16"])
    open_page(page, "sites", "Sites")
    new_site(page, "Example Mill", PLAZA)
    page.get_by_label("Latitude").fill("39.7817")
    page.get_by_label("Longitude").fill("-89.6501")
    page.get_by_label("Networks").fill("10.0.0.0/8")
    page.get_by_role("button", name="Save site").click()
    expect(page.locator("#messages")).to_contain_text("Not saved: Line 1")
    assert stack.client.get("/api/manage/sites/example-mill")[0] == 404  # the site and its networks, or nothing
    page.get_by_label("Networks").fill("100.64.7.0/24")
    page.get_by_label("Latitude").fill("north")
    page.get_by_role("button", name="Save site").click()
    latitude = page.get_by_label("Latitude")
    expect(page.locator(f"#{latitude.get_attribute('id')}-error")).to_contain_text("Latitude must be a number")
    expect(latitude).to_be_focused()
    latitude.fill("39.7817")
    page.get_by_role("button", name="Save site").click()
    expect(page.locator("#messages")).to_contain_text("Saved Example Mill")
    saved = stack.client.get("/api/manage/sites/example-mill")[1]
    assert (saved["latitude"], saved["longitude"], saved["networks"]) == (39.7817, -89.6501, ["100.64.7.0/24"])
    page.get_by_role("button", name="Edit Example Mill").click()
    expect(page.get_by_label("Latitude")).to_have_value("39.7817")
    page.get_by_role("button", name="Save site").click()  # saving again keeps the point
    expect(page.locator("#messages")).to_contain_text("Saved Example Mill")
    assert stack.client.get("/api/manage/sites/example-mill")[1]["longitude"] == -89.6501


def test_a_bad_desk_mobile_number_is_shown_beside_its_field_and_the_saved_ones_are_listed(
        page: object, stack: LocalStack) -> None:
    # GIVEN a site with no security desk: the list says what that means
    put_site(stack, "example-gate", "Example Gate")
    open_page(page, "sites", "Sites")
    row = page.locator("tr[data-site='example-gate']")
    expect(row).to_contain_text("none: an emergency call from here tells only the agent's own contacts")
    # WHEN the admin gives it a desk address and two mobile numbers, the second without its country code
    page.get_by_role("button", name="Edit Example Gate").click()
    page.get_by_label("Security desk email addresses").fill("gate-desk@example.com")
    sms = page.get_by_label("Security desk mobile numbers (SMS)")
    expect(page.locator(f"#{sms.get_attribute('id')}-hint")).to_have_text(
        "+1 202 555 0123 format, one per line or separated by ;")
    sms.fill("+1 202 555 0123\n\n202 555 0124")
    page.get_by_role("button", name="Save site").click()
    # THEN it is refused beside the field, naming the number, its position and why; nothing is saved
    refused_beside(page, sms, "“202 555 0124” (item 2): must be in international format",
                   "Not saved: Security desk mobile numbers (SMS): please correct")
    shot(page, "site-desk-sms-validation")
    assert stack.client.get("/api/manage/sites/example-gate")[1]["deskSms"] == []
    # WHEN she corrects it THEN both numbers are saved in E.164 and listed with the address
    sms.fill("+1 202 555 0123; +1 202 555 0124")
    page.get_by_role("button", name="Save site").click()
    expect(page.locator("#messages")).to_contain_text("Saved Example Gate")
    expect(row.locator("li[data-desk=sms]")).to_have_text(["SMS +12025550123", "SMS +12025550124"])
    expect(row.locator("li[data-desk=email]")).to_have_text(["gate-desk@example.com"])
    answer = stack.client.get("/api/manage/sites/example-gate")[1]
    assert (answer["deskEmails"], answer["deskSms"]) == (["gate-desk@example.com"], ["+12025550123", "+12025550124"])
    assert "no_desk_recipient" not in [w["code"] for w in answer["warnings"]]
    # ... and the editor shows them again, one per line
    page.get_by_role("button", name="Edit Example Gate").click()
    expect(page.get_by_label("Security desk mobile numbers (SMS)")).to_have_value("+12025550123\n+12025550124")


def test_a_site_an_agent_confirmed_is_not_deleted_until_she_confirms_another(page: object, stack: LocalStack) -> None:
    # GIVEN Bob confirmed he works at Example Hall
    put_site(stack, "example-hall", "Example Hall")
    bob = stack.client.as_user(BOB)
    here = {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301", "city": "Springfield",
            "state": "IL", "postalCode": "62701"}
    status, answer = bob.put("/api/agent/agents/bob/location", {**here, "siteId": "example-hall"})
    assert status == 200, answer
    open_page(page, "sites", "Sites")
    # WHEN the admin deletes it and confirms THEN it is refused, naming him, and the site stays
    page.get_by_role("button", name="Delete Example Hall").click()
    dialog = page.get_by_role("dialog", name="Delete site Example Hall?")
    expect(dialog).to_contain_text("This cannot be undone")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Delete site Example Hall").click()
    expect(dialog.get_by_role("alert")).to_contain_text("confirmed location of 1 agent(s): bob")
    shot(page, "site-delete-refused")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Delete Example Hall")).to_be_focused()
    assert stack.client.get("/api/manage/sites/example-hall")[0] == 200
    # WHEN Bob confirms another location THEN the deletion goes through
    assert bob.put("/api/agent/agents/bob/location", here)[0] == 200
    page.get_by_role("button", name="Delete Example Hall").click()
    dialog.get_by_role("button", name="Delete site Example Hall").click()
    expect(page.locator("#messages")).to_contain_text("Deleted Example Hall.")
    expect(page.locator("tr[data-site='example-hall']")).to_have_count(0)
    assert stack.client.get("/api/manage/sites/example-hall")[0] == 404


@pytest.fixture(scope="module")
def every_view_has_data(stack: LocalStack) -> dict[str, str]:
    """What makes every table of every view show rows: a site, an ended 933 test call (an incident, a lease), a
    retired pool number, a saved template version whose text preview scrolls. Answers the routes that name a
    record."""
    put_site(stack, "example-axe", "Example Axe House", ["192.0.2.128/25"])
    status, answer = stack.client.put("/api/manage/sites/example-axe", {
        "name": "Example Axe House", "address": PLAZA, "deskEmails": ["axe-desk@example.com"],
        "deskSms": ["+1 202 555 0125"]})
    assert status == 200, answer
    assert stack.client.post("/api/manage/callback-numbers", {"number": "+1 202 555 0108"})[0] == 201
    assert stack.client.post("/api/manage/callback-numbers/%2B12025550108/retire")[0] == 200
    dialer = stack.client.as_user({"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]})
    call = {"agentId": "carol", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "axe-incident"}
    status, answer = dialer.post("/api/outbound-calls", call)
    assert status == 200, answer
    assert dialer.post("/api/outbound-calls/axe-incident/end", {})[0] == 200
    status, answer = stack.client.put("/api/manage/templates/emergency-call-notification", {
        "subject": "Emergency call by {{ agent_name }}", "html": "<p>{{ agent_name }} dialed {{ dialed_number }}</p>",
        "text": "{{ agent_name }} dialed {{ dialed_number }}\n\n" + "Stay where you are.\n" * 40})
    assert status == 200, answer
    return {"incident": "incidents/axe-incident"}


VIEWS = [("agents", "Agents"), ("agents/alice", "Alice Example"), ("sites", "Sites"), ("pool", "Callback pool"),
         ("incidents", "Emergency incidents"), ("incident", "Emergency call 933 by Carol Example"),
         ("template", "Emergency call notification"), ("audit", "Audit log"), ("setup", "Voice setup")]


def test_axe_finds_no_violations_in_a_long_audit_value_opened(page: object,
                                                              every_view_has_data: dict[str, str]) -> None:
    # GIVEN the audit log with the saved template's long text WHEN the admin opens its full value
    open_page(page, "audit", "Audit log")
    long_value = page.locator("details", has_text="Stay where you are.").first  # type: ignore[attr-defined]
    long_value.locator("summary").click()
    full = long_value.locator("pre")
    expect(full).to_be_visible()
    assert full.evaluate("e => e.scrollHeight > e.clientHeight")
    # THEN the keyboard reaches it, as everything else
    no_violations(page)


@pytest.fixture
def auditor_page(browser: object, stack: LocalStack) -> Iterator[object]:
    """A fresh page of a signed-in auditor: every view read-only."""
    yield from fresh_page(browser, stack, AUDITOR)


@pytest.mark.parametrize(("route", "title"), VIEWS, ids=[route for route, _ in VIEWS])
def test_axe_finds_no_violations_on_the_view(page: object, every_view_has_data: dict[str, str], route: str,
                                             title: str) -> None:
    # GIVEN the view with rows in its tables, as an admin sees it (every change control shown)
    open_page(page, every_view_has_data.get(route, route), title)
    expect(page.locator("main[aria-busy]")).to_have_count(0)  # type: ignore[attr-defined]
    # THEN axe finds nothing against WCAG 2.1 A/AA nor its best practices
    no_violations(page)


@pytest.mark.parametrize(("route", "title"), VIEWS, ids=[route for route, _ in VIEWS])
def test_axe_finds_no_violations_on_the_read_only_view(auditor_page: object, every_view_has_data: dict[str, str],
                                                       route: str, title: str) -> None:
    # GIVEN the view as an auditor sees it (change controls disabled or left out)
    open_page(auditor_page, every_view_has_data.get(route, route), title)
    expect(auditor_page.locator("#who")).to_contain_text("Read-only")  # type: ignore[attr-defined]
    # THEN axe finds nothing either
    no_violations(auditor_page)


def test_axe_finds_no_violations_on_the_sites_view(page: object, stack: LocalStack) -> None:
    put_site(stack, "example-works", "Example Works", ["198.51.100.0/24"])
    open_page(page, "sites", "Sites")
    assert axe_violations(page) == []
    # ... nor with the editor open and the server's messages beside its fields
    page.get_by_role("button", name="Edit Example Works").click()
    page.get_by_role("button", name="Add a place").click()
    page.get_by_label("Postal code").fill("6270")
    page.get_by_role("button", name="Save site").click()
    expect(page.get_by_label("Postal code")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    # ... nor in the question before the unsaved edits are dropped
    page.get_by_role("button", name="Cancel").click()
    leave = page.get_by_role("dialog", name="Leave without saving?")
    expect(leave).to_contain_text("Your changes to site Example Works are not saved.")
    assert axe_violations(page) == []
    leave.get_by_role("button", name="Leave without saving").click()
    # ... nor in the confirmation dialog
    page.get_by_role("button", name="Delete Example Works").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert axe_violations(page) == []


# Issue 20: who acknowledged the notification, per delivery and in one line above them. The deliveries answer is
# routed (a real acknowledgement needs the token that only the sent email carries).
def delivery(channel: str, recipient: str, **acknowledgement: object) -> dict[str, object]:
    """A delivery as GET .../deliveries answers it: sent and delivered, not acknowledged unless told."""
    return {"channel": channel, "recipient": recipient, "status": "sent", "reason": None, "attempts": 1,
            "final": True, "operationId": "op-1", "messageId": "msg-1", "firstAttemptAt": None, "updatedAt": None,
            "deliveryStatus": "Delivered" if channel == "email" else None, "deliveryDetail": None,
            "delivered": True if channel == "email" else None, "deliveryStatusAt": None,
            "acknowledgedAt": None, "acknowledgedVia": None, "secondsToAcknowledge": None, **acknowledgement}


def test_the_incident_shows_who_acknowledged_the_notification_and_how_soon(
        page: Any, stack: LocalStack, every_view_has_data: dict[str, str]) -> None:
    # GIVEN the incident's three recipients: one acknowledged by email 42 s after the dial, one by SMS (a record
    # without the figure: the view counts from the two times), one not at all
    dialed = datetime.fromisoformat(stack.client.get("/api/manage/incidents/axe-incident")[1]["dialedAt"])
    acked_by_sms = (dialed + timedelta(seconds=75)).isoformat()
    answer = {"deliveries": [
        delivery("email", "guard@example.com", acknowledgedAt=(dialed + timedelta(seconds=42)).isoformat(),
                 acknowledgedVia="email", secondsToAcknowledge=42),
        delivery("sms", "+12025550123", acknowledgedAt=acked_by_sms, acknowledgedVia="sms"),
        delivery("email", "desk@example.com")]}
    page.route("**/api/manage/incidents/axe-incident/deliveries", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"emergencyCallId": "axe-incident", "warnings": [], **answer})))
    # WHEN the admin opens it
    open_page(page, every_view_has_data["incident"], "Emergency call 933 by Carol Example")
    # THEN the summary and each row say who acknowledged, how soon after the dial and on which channel
    expect(page.locator(".ack-summary")).to_have_text("Acknowledged by 2 of 3 recipients; first 0:42 after the dial")
    table = page.get_by_role("table", name="Notifications")
    expect(table.get_by_role("columnheader")).to_have_text(["Channel", "Recipient", "Status", "Delivery",
                                                            "Acknowledged"])
    expect(table.locator("tbody tr td:nth-child(5)")).to_have_text(["0:42 after the dial, by email",
                                                                     "1:15 after the dial, by SMS", "—"])
    shot(page, "incident-acknowledged")
    no_violations(page)

    # WHEN nobody has acknowledged THEN it says so
    answer["deliveries"] = [delivery("email", "guard@example.com"), delivery("email", "desk@example.com")]
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency call 933 by Carol Example")
    expect(page.locator(".ack-summary")).to_have_text("Not acknowledged yet")
    expect(table.locator("tbody tr td:nth-child(5)")).to_have_text(["—", "—"])
    no_violations(page)


def test_against_the_backend_an_incident_nobody_acknowledged_says_so(page: Any, stack: LocalStack) -> None:
    # GIVEN Alice's 933, whose notification went to her contacts (two emails and a text), none acknowledged
    dialer = stack.client.as_user({"userId": "svc-dialer", "userDetails": "dialer", "roles": [DIALER]})
    call = {"agentId": "alice", "dialedNumber": "933", "countryCode": "US", "emergencyCallId": "ack-backend"}
    status, answer = dialer.post("/api/outbound-calls", call)
    assert status == 200, answer

    def sent() -> list[dict[str, Any]]:
        return list(stack.client.get("/api/manage/incidents/ack-backend/deliveries")[1].get("deliveries") or [])
    assert wait_for(lambda: len(sent()) == 3), sent()
    assert all(d["acknowledgedAt"] is None and d["secondsToAcknowledge"] is None for d in sent()), sent()
    # WHEN the admin opens the incident THEN it says nobody acknowledged, and each row says "—"
    open_page(page, "incidents/ack-backend", "Emergency call 933 by Alice Example")
    expect(page.locator(".ack-summary")).to_have_text("Not acknowledged yet")
    expect(page.get_by_role("table", name="Notifications").locator("tbody tr td:nth-child(5)")).to_have_text(
        ["—", "—", "—"])
    assert dialer.post("/api/outbound-calls/ack-backend/end", {})[0] == 200


def test_an_auditor_sees_the_sites_without_change_controls(browser: object, stack: LocalStack) -> None:
    put_site(stack, "example-wing", "Example Wing", ["203.0.113.0/24"])
    context = browser.new_context(base_url=stack.client.base_url,  # type: ignore[attr-defined]
                                  extra_http_headers={"X-Local-Principal": json.dumps(AUDITOR)})
    try:
        page = context.new_page()
        open_page(page, "sites", "Sites")
        row = page.locator("tr[data-site='example-wing']")
        expect(row).to_contain_text("1 Example Plaza, Springfield IL 62701")
        expect(row).to_contain_text("203.0.113.0/24")
        expect(page.get_by_role("button")).to_have_count(0)
        expect(page.get_by_role("form")).to_have_count(0)
    finally:
        context.close()


# Who is told of an emergency call, per dialed number (issue 19 part 4): a section of the template view.
RULES = "/api/manage/notification-rules"
BOTH = "The agent's own contacts and the security desk of the site she confirmed"


@pytest.fixture
def default_rules(stack: LocalStack) -> Iterator[dict[str, list[str]]]:
    """Every dialed number with its default audiences, before the test and after it."""
    status, view = stack.client.get(RULES)
    assert status == 200, view
    defaults = view["defaults"]

    def restore() -> None:
        status, answer = stack.client.put(RULES, {"rules": defaults})
        assert status == 200, answer
    restore()
    yield defaults
    restore()


def rule_box(page: object, number: str, audience: str) -> object:
    return page.get_by_role("checkbox", name=f"{number}: {audience}")  # type: ignore[attr-defined]


def test_who_is_notified_shows_each_dialed_number_with_its_default(page: object,
                                                                   default_rules: dict[str, list[str]]) -> None:
    # GIVEN every number tells its default audiences WHEN the admin opens the template view
    open_page(page, "template", "Emergency call notification")
    section = page.get_by_role("region", name="Who is notified")
    # THEN a row per dialed number, with its description, a checkbox per audience and its default in words
    expect(section.locator("tbody tr")).to_have_count(len(default_rules))
    real, test = section.locator("tr[data-rule='911']"), section.locator("tr[data-rule='933']")
    expect(real.locator("th")).to_contain_text("emergency (US")
    expect(rule_box(page, "911", "the agent's own contacts")).to_be_checked()
    expect(rule_box(page, "911", "the security desk of the site she confirmed")).to_be_checked()
    expect(real.locator("td.rule-default")).to_have_text(BOTH)
    expect(test.locator("th")).to_contain_text("test call (US)")
    expect(rule_box(page, "933", "the agent's own contacts")).to_be_checked()
    expect(rule_box(page, "933", "the security desk of the site she confirmed")).not_to_be_checked()
    expect(test.locator("td.rule-default")).to_have_text("The agent's own contacts")
    shot(page, "notification-rules")


def test_a_number_left_with_no_audience_is_refused_beside_its_row(page: object, stack: LocalStack,
                                                                 default_rules: dict[str, list[str]]) -> None:
    # GIVEN the template view WHEN the admin unchecks every audience of 911 and saves
    open_page(page, "template", "Emergency call notification")
    agent = rule_box(page, "911", "the agent's own contacts")
    rule_box(page, "911", "the security desk of the site she confirmed").uncheck()  # type: ignore[attr-defined]
    agent.uncheck()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save who is notified").click()
    # THEN the server's refusal is shown beside 911's row, its checkboxes marked, and nothing is saved
    error = page.locator("tr[data-rule='911'] .field-error")
    expect(error).to_contain_text("911 must tell at least one audience")
    expect(error).to_have_attribute("role", "alert")
    expect(agent).to_have_attribute("aria-invalid", "true")
    expect(agent).to_have_attribute("aria-describedby", "rules-911-error")
    expect(agent).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Not saved: 911 must tell at least one audience")
    expect(page.locator("tr[data-rule='933'] .field-error")).to_be_empty()
    shot(page, "notification-rules-refused")
    assert stack.client.get(RULES)[1]["rules"]["911"] == default_rules["911"]
    no_violations(page)


def test_a_saved_change_of_who_is_notified_is_there_after_a_reload(page: object, stack: LocalStack,
                                                                  default_rules: dict[str, list[str]]) -> None:
    # GIVEN the template view WHEN the admin has a 933 test call tell the site's security desk too, and saves
    open_page(page, "template", "Emergency call notification")
    rule_box(page, "933", "the security desk of the site she confirmed").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save who is notified").click()
    # THEN it is announced and the row says it differs from its default
    expect(page.locator("#messages")).to_contain_text("Saved who is notified.")
    expect(page.locator("tr[data-rule='933'] td.rule-default")).to_contain_text("Changed from the default.")
    expect(page.locator("tr[data-rule='911'] td.rule-default")).not_to_contain_text("Changed")
    # ... the server has it, and so has the page after a reload
    assert stack.client.get(RULES)[1]["rules"]["933"] == ["agent", "siteDesk"]
    page.reload()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency call notification")
    expect(rule_box(page, "933", "the security desk of the site she confirmed")).to_be_checked()
    expect(rule_box(page, "933", "the agent's own contacts")).to_be_checked()
    expect(rule_box(page, "911", "the security desk of the site she confirmed")).to_be_checked()


def test_the_template_view_works_when_the_rules_cannot_be_loaded(page: object) -> None:
    # GIVEN the notification rules' API answers 404 (a backend without it)
    page.route("**/api/manage/notification-rules", lambda route: route.fulfill(  # type: ignore[attr-defined]
        status=404, content_type="application/json", body=json.dumps({"error": "not found"})))
    # WHEN the admin opens the template view THEN the section says so and the template is there as ever
    open_page(page, "template", "Emergency call notification")
    section = page.get_by_role("region", name="Who is notified")
    expect(section).to_contain_text("Notification rules could not be loaded")
    expect(section.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator("#preview-subject")).not_to_be_empty()
    expect(page.get_by_label("Subject", exact=True)).not_to_have_value("")
