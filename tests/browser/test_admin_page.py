"""The admin page in a real browser: Playwright driving Debian's Chromium (installed by `make test`), headless.

One local stack and one browser for the module; each test gets a fresh page. A screenshot of each page goes to
artifacts/screenshots/. Fictional 555-01xx numbers and example.com / example.org addresses only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.seed import seeded_stack
from local.stack import ADMIN_PRINCIPAL, LocalStack
from shared.agent_access import AGENT, DIALER
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


# Sites (issue 19, parts 1 and 2): the contact center's buildings with their civic addresses, places and networks.
BOB = {"userId": "00000000-0000-0000-0000-000000000b0b", "userDetails": "bob@example.com", "roles": [AGENT]}
PLAZA = {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example", "STS": "Plaza", "HNO": "1", "PC": "62701"}
# axe-core's browser script (npm axe-core); AXE_CORE names another copy of axe.min.js.
AXE = Path(os.environ.get("AXE_CORE", Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"))


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
    error = page.locator(f"#{networks.get_attribute('id')}-error")
    expect(error).to_contain_text("Line 3 (10.0.0.0/8) overlaps 10.20.0.0/16 of site example-depot")
    expect(networks).to_have_attribute("aria-invalid", "true")
    expect(networks).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Example Tower saved, but not its networks: Line 3")
    shot(page, "site-network-overlap")
    assert stack.client.get("/api/manage/sites/example-tower")[1]["networks"] == ["192.0.2.0/24", "2001:db8:1::/48"]


def test_a_site_an_agent_confirmed_is_not_deleted_until_she_confirms_another(page: object, stack: LocalStack) -> None:
    # GIVEN Bob confirmed he works at Example Hall
    put_site(stack, "example-hall", "Example Hall")
    bob = stack.client.as_user(BOB)
    here = {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301"}
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


def axe_violations(page: object) -> list[dict[str, object]]:
    assert AXE.exists(), f"{AXE} is missing: `make test` installs axe-core from package.json (or set AXE_CORE)"
    # Evaluated through the DevTools protocol: the page's Content-Security-Policy refuses an injected script tag.
    page.evaluate(f"{AXE.read_text()}\n;undefined")  # type: ignore[attr-defined]
    script = ("async () => (await axe.run(document)).violations"
              ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return list(page.evaluate(script))  # type: ignore[attr-defined]


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
    # ... nor in the confirmation dialog
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Delete Example Works").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert axe_violations(page) == []


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
