"""The admin page in the administrator's language (admin_ui/locales/<locale>.json): chosen with the header's "Page
in" selector, kept in this browser across reloads, English (US) until chosen when the browser speaks en-US; unsaved
edits are asked about before the language changes the view. Fictional 555-01xx numbers only.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.pages import closed, expect, new_page, no_violations, open_page, shot

# Per locale: the view, its heading, and one more text of it (a button, a legend, a status line) in that language.
WORDS = {
    "fr-CA": {
        "option": "Français (Canada)",
        "nav": ["Tableau des urgences", "Modèle de notification", "Journal d'audit"],
        "views": [("board", "Tableau des urgences", "Activer le son"),
                  ("agents", "Agents", "Ajouter un agent"),
                  ("pool", "Numéros de rappel", "Ajouter à la réserve"),
                  ("audit", "Journal d'audit", "Afficher")],
        "label": "Page en",
    },
    "da-DK": {
        "option": "Dansk",
        "nav": ["Nødtavle", "Beskedskabelon", "Revisionslog"],
        "views": [("board", "Nødtavle", "Slå lyd til"),
                  ("agents", "Agenter", "Tilføj en agent"),
                  ("pool", "Tilbagekaldsnumre", "Tilføj til puljen"),
                  ("audit", "Revisionslog", "Vis")],
        "label": "Side på",
    },
}


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def choose_language(page: Any, option: str) -> None:
    """Chooses `option` ("Dansk") in the header's language selector, from the keyboard's reach (a labelled select)."""
    page.get_by_role("combobox", name=re.compile("^(Page in|Page en|Side på)$")).select_option(label=option)


@pytest.mark.parametrize("locale", list(WORDS))
def test_the_admin_reads_every_view_in_the_language_she_chose_and_keeps_it(browser: Any, stack: Any,
                                                                           locale: str) -> None:
    words = WORDS[locale]
    page = new_page(browser, stack, locale="en-US")
    try:
        # GIVEN the page in English (US), the browser's language
        open_page(page, "board", "Emergency board")
        expect(page.locator("html")).to_have_attribute("lang", "en-US")
        # WHEN she chooses her language in the header
        choose_language(page, words["option"])
        # THEN the view on screen is drawn again in it, the page says its language, and the selector keeps the focus
        expect(heading(page)).to_have_text(words["views"][0][1])
        expect(page.locator("html")).to_have_attribute("lang", locale)
        expect(page.get_by_role("combobox", name=words["label"])).to_be_focused()
        nav = page.get_by_role("navigation")
        for text in words["nav"]:
            expect(nav.get_by_role("link", name=text, exact=True)).to_be_visible()
        # AND every view reads in it, with no accessibility violation
        for route, title, text in words["views"]:
            open_page(page, route, title)
            expect(page.locator("main")).to_contain_text(text)
            no_violations(page)
        shot(page, f"admin-{locale}")
        # WHEN she reloads the page THEN her choice is kept
        page.reload()
        expect(heading(page)).to_have_text(words["views"][-1][1])
        expect(page.locator("html")).to_have_attribute("lang", locale)
        expect(page.locator("#page-language")).to_have_value(locale)
        expect(page).to_have_title(re.compile(re.escape(words["views"][-1][1])))
    finally:
        closed(page)


def test_dates_and_numbers_follow_the_chosen_language(browser: Any, stack: Any) -> None:
    page = new_page(browser, stack, locale="en-US", timezone_id="America/Toronto")
    try:
        open_page(page, "pool", "Callback pool")
        expect(page.locator(".refresh-status")).to_contain_text(re.compile(r"Updated \d{1,2}:\d\d [AP]M E[SD]T"))
        choose_language(page, "Français (Canada)")
        # THEN the time is written as Quebec writes it ("14 h 03 HAE"), in the French status line
        expect(page.locator(".refresh-status")).to_contain_text(re.compile(r"Mis à jour à \d{1,2} h \d\d H[NA]E"))
    finally:
        closed(page)


def test_a_browser_in_french_opens_the_page_in_french(browser: Any, stack: Any) -> None:
    page = new_page(browser, stack, locale="fr-CA")
    try:
        open_page(page, "board", "Tableau des urgences")
        expect(page.locator("#page-language")).to_have_value("fr-CA")
        expect(page.locator("html")).to_have_attribute("lang", "fr-CA")
    finally:
        closed(page)


def test_unsaved_edits_are_asked_about_before_the_language_changes(browser: Any, stack: Any) -> None:
    page = new_page(browser, stack, locale="en-US")
    try:
        # GIVEN an unsaved change to the notification template
        open_page(page, "template", "Emergency call notification")
        page.get_by_label("Subject").fill("Changed, not saved")
        # WHEN she chooses Dansk THEN she is asked first; staying keeps her edit and the language
        choose_language(page, "Dansk")
        asked = page.get_by_role("dialog", name="Leave without saving?")
        expect(asked).to_be_visible()
        asked.get_by_role("button", name="Stay and keep editing").click()
        expect(asked).to_be_hidden()
        expect(page.get_by_label("Subject")).to_have_value("Changed, not saved")
        expect(page.locator("#page-language")).to_have_value("en-US")
        expect(page.locator("html")).to_have_attribute("lang", "en-US")
        # WHEN she chooses it again and leaves her edit THEN the view is drawn again in Danish
        choose_language(page, "Dansk")
        page.get_by_role("dialog", name="Leave without saving?").get_by_role(
            "button", name="Leave without saving").click()
        expect(heading(page)).to_have_text("Besked om nødopkald")
        expect(page.get_by_label("Emne", exact=True)).not_to_have_value("Changed, not saved")
    finally:
        closed(page)
