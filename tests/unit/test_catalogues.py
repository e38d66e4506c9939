"""Message catalogues: every locale has every key, with the same placeholders, and nothing left untranslated.

The notification's catalogues (shared/locales/<ll_CC>/LC_MESSAGES/notification.po) are checked here, one function
per property; the pages' catalogues may be checked in this file too, in functions of their own.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from shared.domain.locales import DEFAULT_LOCALE, LOCALES
from shared.domain.notification_locale import placeholders
from shared.domain.notification_sms import gsm_form, sms_size
from shared.locales import NOTIFICATION, catalogue_path, messages

# Placeholders a message may use besides the template's own (notification_context.PLACEHOLDERS): the values the
# code passes with those messages.
EXTRA = {"label", "value", "url", "minutes", "hours", "days", "number", "time", "place", "floor", "room", "digits"}
SMS_KEYS = ("sms.", "source_short.", "age.")  # what the SMS's first lines are made of


def _po(locale: str) -> dict[str, str]:
    with catalogue_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale.replace("-", "_"))
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_there_is_a_notification_catalogue_for_every_locale() -> None:
    for locale in LOCALES:
        assert catalogue_path(locale, NOTIFICATION).is_file(), locale


@pytest.mark.parametrize("locale", LOCALES)
def test_every_notification_catalogue_has_every_key_of_en_us_and_no_other(locale: str) -> None:
    assert sorted(_po(locale)) == sorted(_po(DEFAULT_LOCALE))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_notification_message_is_translated_and_not_fuzzy(locale: str) -> None:
    with catalogue_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale.replace("-", "_"))
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert len(messages(locale)) == len(_po(DEFAULT_LOCALE))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_notification_message_has_the_same_placeholders_as_en_us(locale: str) -> None:
    reference, translated = _po(DEFAULT_LOCALE), _po(locale)
    different = {key: (sorted(placeholders(text)), sorted(placeholders(translated[key])))
                 for key, text in reference.items() if placeholders(text) != placeholders(translated[key])}
    assert different == {}


def test_notification_messages_use_only_known_placeholders() -> None:
    from shared.domain.notification_context import PLACEHOLDERS

    unknown = {key: sorted(placeholders(text) - PLACEHOLDERS.keys() - EXTRA)
               for key, text in _po(DEFAULT_LOCALE).items() if placeholders(text) - PLACEHOLDERS.keys() - EXTRA}
    assert unknown == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_notification_messages_have_balanced_braces(locale: str) -> None:
    # a placeholder written "{name" or "name}" would be read out as it is
    for key, text in _po(locale).items():
        assert text.count("{") == text.count("}") == len(re.findall(r"\{[a-z_]+\}", text)), (key, text)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_sms_words_of_every_locale_are_gsm7_as_written(locale: str) -> None:
    # GIVEN the messages the SMS's first lines are made of; THEN no letter of theirs is changed or makes it UCS-2
    # (Danish æ ø å and French é è à É are GSM-7; ê ô ç î are not, and the catalogues avoid them there)
    for key, text in _po(locale).items():
        if key.startswith(SMS_KEYS):
            assert gsm_form(text) == text and sms_size(text).encoding == "GSM-7", (key, text)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_test_call_says_test_first_in_every_locale(locale: str) -> None:
    assert "TEST" in _po(locale)["sms.lead_test"] and "TEST" in _po(locale)["email.test_call"]


# ---- the admin page's catalogues (admin_ui/locales/<locale>.json) ------------------------------------------------

ADMIN_UI = __import__("pathlib").Path(__file__).resolve().parents[2] / "admin_ui"
# t("key", …), plural(n, "one.key", "other.key") and cond ? "a.key" : "b.key" handed to t(); data-i18n="key" and
# data-i18n-attr="attr:key;…" in the HTML.
ADMIN_T_CALL = re.compile(r"\bt\(\s*\"([^\"]+)\"")
ADMIN_PLURAL = re.compile(r"\bplural\([^,]+,\s*\"([^\"]+)\",\s*\"([^\"]+)\"")
ADMIN_CHOICE = re.compile(r"\?\s*\"([a-z]+\.[\w.]+)\"\s*:\s*\"([a-z]+\.[\w.]+)\"")
ADMIN_DATA_I18N = re.compile(r"data-i18n=\"([^\"]+)\"")
ADMIN_DATA_I18N_ATTR = re.compile(r"data-i18n-attr=\"([^\"]+)\"")


def _admin_catalogue(locale: str) -> dict[str, str]:
    import json

    return dict(json.loads((ADMIN_UI / "locales" / f"{locale}.json").read_text(encoding="utf-8")))


def _admin_keys_in_code() -> set[str]:
    used: set[str] = set()
    for path in ADMIN_UI.rglob("*.js"):
        code = path.read_text(encoding="utf-8")
        used |= set(ADMIN_T_CALL.findall(code))
        for pair in ADMIN_PLURAL.findall(code) + ADMIN_CHOICE.findall(code):
            used |= set(pair)
    html = (ADMIN_UI / "index.html").read_text(encoding="utf-8")
    used |= set(ADMIN_DATA_I18N.findall(html))
    for pairs in ADMIN_DATA_I18N_ATTR.findall(html):
        used |= {pair.split(":", 1)[1].strip() for pair in pairs.split(";") if ":" in pair}
    return used


def _braces(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_there_is_an_admin_catalogue_for_every_locale() -> None:
    assert sorted(p.stem for p in (ADMIN_UI / "locales").glob("*.json")) == sorted(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_admin_catalogue_has_exactly_the_keys_of_en_us(locale: str) -> None:
    assert set(_admin_catalogue(locale)) == set(_admin_catalogue(DEFAULT_LOCALE))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_admin_message_has_the_same_placeholders_as_en_us(locale: str) -> None:
    english = _admin_catalogue(DEFAULT_LOCALE)
    different = {key: (sorted(_braces(english[key])), sorted(_braces(text)))
                 for key, text in _admin_catalogue(locale).items() if _braces(text) != _braces(english.get(key, ""))}
    assert different == {}


def test_every_key_the_admin_page_uses_is_in_en_us() -> None:
    used = _admin_keys_in_code()
    assert len(used) > 100  # the scan found the page's keys (a regex that finds nothing would pass below)
    assert sorted(used - set(_admin_catalogue(DEFAULT_LOCALE))) == []


def test_every_en_us_admin_key_is_used_by_the_page() -> None:
    assert sorted(set(_admin_catalogue(DEFAULT_LOCALE)) - _admin_keys_in_code()) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_admin_message_is_empty(locale: str) -> None:
    assert [key for key, text in _admin_catalogue(locale).items() if not text.strip()] == []


@pytest.mark.parametrize("locale", ["fr-CA", "da-DK"])
def test_the_admin_page_s_french_and_danish_are_translated(locale: str) -> None:
    # GIVEN words people read first (a few are spelt alike in French: "Agents", "Sites", "Incidents")
    # THEN none of these is left in English, and at most a tenth of all the messages read as in en-US
    english, own = _admin_catalogue(DEFAULT_LOCALE), _admin_catalogue(locale)
    first = ["page.title", "nav.board", "nav.template", "nav.pool", "nav.audit", "board.title", "board.acknowledge",
             "pool.title", "audit.title", "unsaved.title", "unsaved.leave", "unsaved.stay"]
    assert [key for key in first if own[key] == english[key]] == []
    assert sum(own[key] == english[key] for key in english) < len(english) / 10
