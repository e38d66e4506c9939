"""The agent's panel in her language (agent_ui/locales/<locale>.json) with dates and numbers in her locale: her
profile's locale (GET /api/agent/me `locale`), else the browser's languages; and the dialer with no catalogue at all
(slow or failing): labelled in the page's English, it dials at once. Fictional 555-01xx numbers only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from tests.browser.pages import ALICE, BOB, agents_signed_in, closed, expect, open_panel


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


def me_with(locale: str | None) -> Callable[[Any], None]:
    """GET /api/agent/me as the backend answers it, with `locale` (None: without one)."""
    def handle(route: Any) -> None:
        response = route.fetch()
        body = {k: v for k, v in response.json().items() if k != "locale"} | ({"locale": locale} if locale else {})
        route.fulfill(response=response, body=json.dumps(body))
    return handle


def dial(page: Any, label: str, number: str) -> dict[str, Any]:
    """Types `number` in the field labelled `label` (her language's) and presses Enter: the dial's answer."""
    page.get_by_label(label).fill(number)
    with page.expect_response("**/api/agent/outbound-calls") as dialed:
        page.get_by_label(label).press("Enter")
    return dict(dialed.value.json())


def test_without_a_locale_on_her_profile_the_browser_s_language_is_used(browser: Any, stack: LocalStack) -> None:
    # GIVEN a browser in Canadian French and a profile that names no locale
    page = open_panel(browser, stack, ALICE, routes={"**/api/agent/me": me_with(None)}, locale="fr-CA",
                      timezone_id="America/Toronto")
    # THEN the panel speaks French
    expect(page.get_by_role("heading", level=1)).to_have_text("Panneau de l'agent : Alice Example")
    expect(page.locator("html")).to_have_attribute("lang", "fr-CA")
    expect(page.get_by_role("button", name="Appeler", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Chiffre 9")).to_be_visible()
    expect(page.get_by_label("Pays")).to_contain_text("États-Unis")  # country names from Intl, in French
    # WHEN she dials 933 and ends the call THEN the alert and her window are French, times as Quebec writes them
    number = dial(page, "Numéro à composer", "933")["callbackNumber"]
    expect(page.get_by_role("alert").filter(has_text="Appel de test (933) en cours")).to_be_visible()
    expect(page.locator("#callback-words")).to_contain_text("Dites-le chiffre par chiffre : deux zéro deux")
    page.get_by_role("button", name="Terminer l'appel").click()
    window = page.locator("#window")
    expect(window).to_contain_text(f"Votre numéro de rappel : {number}")
    expect(window).to_contain_text(re.compile(r"Les services d'urgence peuvent vous rappeler jusqu'à \d{1,2} h \d\d "
                                              r"H[NA]E; l'appel sonnera quelle que soit votre présence\."))
    expect(page.locator("#window-left")).to_have_text(re.compile(r"^Il reste \d+ minutes?\.$"))
    closed(page)


def test_her_profile_s_locale_comes_before_the_browser_s(browser: Any, stack: LocalStack) -> None:
    # GIVEN a browser in American English and a profile in Danish
    page = open_panel(browser, stack, BOB, routes={"**/api/agent/me": me_with("da-DK")}, locale="en-US",
                      timezone_id="Europe/Copenhagen")
    # THEN the panel speaks Danish
    expect(page.get_by_role("heading", level=1)).to_have_text("Agentpanel: Bob Example")
    expect(page.locator("html")).to_have_attribute("lang", "da-DK")
    expect(page.get_by_label("Nummer, der skal ringes til")).to_be_visible()
    expect(page.get_by_role("heading", name="Test mine nødopkald")).to_be_visible()
    # and a 933 reads out in Danish, with a Danish clock (CET, 24 hours)
    dial(page, "Nummer, der skal ringes til", "933")
    expect(page.get_by_role("alert").filter(has_text="Testopkald (933) i gang")).to_be_visible()
    page.get_by_role("button", name="Afslut opkald").click()
    expect(page.locator("#window")).to_contain_text(
        re.compile(r"Alarmcentralen kan ringe dig op indtil \d\d[.:]\d\d CES?T; opkaldet ringer igennem"))
    expect(page.locator("#window-left")).to_have_text(re.compile(r"^\d+ minut(ter)? tilbage\.$"))
    closed(page)


def test_with_no_catalogue_the_dialer_is_labelled_in_english_and_dials_at_once(browser: Any,
                                                                               stack: LocalStack) -> None:
    # GIVEN catalogues that cannot be loaded (the server answers 503 for every one)
    asked: list[str] = []

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=503, body="{}", content_type="application/json")

    page = open_panel(browser, stack, ALICE, routes={"**/api/agent/ui/locales/*.json": refuse}, locale="fr-CA")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
    assert wait_for(lambda: page.evaluate("true") and asked), "no catalogue was asked for"
    # THEN the page's own English labels the dialer, and a 911 dials from the keyboard at once
    expect(page.get_by_label("Number to dial")).to_be_focused()
    expect(page.get_by_role("button", name="Call", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Digit 9")).to_be_visible()
    page.keyboard.type("911")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="Emergency call in progress")
    expect(alert).to_be_visible(timeout=1000)
    expect(page.get_by_role("button", name="End call")).to_be_focused()
    assert wait_for(lambda: page.evaluate("globalThis.agentPanel.calling.placed.length") == 1)
    # and the call's words are English, never a catalogue's keys
    expect(page.locator("#call-status")).to_have_text("On the line with emergency services (911)")
    expect(alert).not_to_contain_text("alert.")
    expect(alert).to_contain_text("Callback number:")
    page.keyboard.press("Escape")
    expect(alert).to_be_hidden()
    closed(page)


def test_a_catalogue_that_comes_late_never_holds_the_dial_and_then_translates_the_call(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN the French catalogue held back while the page loads
    held: list[Any] = []
    routes = {"**/api/agent/ui/locales/fr-CA.json": lambda route: held.append(route),
              "**/api/agent/me": me_with("fr-CA")}
    page = open_panel(browser, stack, BOB, routes=routes)
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    # (evaluate lets Playwright hand over the route meanwhile)
    assert wait_for(lambda: page.evaluate("true") and held), "the French catalogue was not asked for"
    # WHEN she dials 933 meanwhile THEN the call is placed at once, in the page's English
    page.get_by_label("Number to dial").fill("933")
    page.get_by_label("Number to dial").press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_visible(timeout=1000)
    assert wait_for(lambda: page.evaluate("globalThis.agentPanel.calling.placed.length") == 1)
    # WHEN the catalogue comes THEN what is on screen is said again in French
    held[0].continue_()
    expect(page.get_by_role("alert").filter(has_text="Appel de test (933) en cours")).to_be_visible()
    expect(page.locator("#call-status")).to_have_text("En ligne avec le numéro de test (933)")
    page.get_by_role("button", name="Terminer l'appel").click()
    closed(page)
