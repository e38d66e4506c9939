"""The agent panel's message catalogues (agent_ui/locales/<locale>.json): one per supported locale, each with exactly
en-US's keys and the same {placeholders} per key; every key the panel's code and page use is in en-US, and the
English the page carries before its catalogue arrives is en-US's."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "agent_ui"
LOCALES = ["en-US", "en-CA", "fr-CA", "en-GB", "da-DK", "en-AU"]  # ui_common/i18n.js LOCALES
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A string literal of the code that names a key: "namespace.rest" (paths such as "./dom.js" start with a dot).
LITERAL = re.compile(r"""["']([a-z][A-Za-z]*\.[A-Za-z0-9.]+)["']""")


def catalogue(locale: str) -> dict[str, str]:
    data = json.loads((PANEL / "locales" / f"{locale}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()), locale
    return data


EN = catalogue("en-US")


def code(but: str = "") -> str:
    """The panel's JavaScript, `but` that file."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((PANEL / "js").rglob("*.js")) if p.name != but)


class _Keys(HTMLParser):
    """data-i18n keys with their English text, and data-i18n-attr keys, of index.html (template content included)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.attrs: set[str] = set()
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for pair in (found.get("data-i18n-attr") or "").split(";"):
            if ":" in pair:
                self.attrs.add(pair.split(":", 1)[1].strip())
        if tag not in ("input", "meta", "link", "br"):
            self._open.append((tag, found.get("data-i18n"), []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, key, parts = self._open.pop()
            text = "".join(parts)
            if self._open:
                self._open[-1][2].append(text)
            if key:
                self.texts[key] = " ".join(text.split())
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def page_keys() -> _Keys:
    parser = _Keys()
    parser.feed((PANEL / "index.html").read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalogue_has_exactly_en_us_s_keys(locale: str) -> None:
    keys = set(catalogue(locale))
    assert sorted(set(EN) - keys) == [], f"{locale} lacks these keys"
    assert sorted(keys - set(EN)) == [], f"{locale} has keys en-US has not"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_has_en_us_s_placeholders(locale: str) -> None:
    differ = {k: v for k, v in catalogue(locale).items()
              if k in EN and set(PLACEHOLDER.findall(v)) != set(PLACEHOLDER.findall(EN[k]))}
    assert differ == {}, f"{locale}: placeholders differ from en-US's"


@pytest.mark.parametrize("locale", ["fr-CA", "da-DK"])
def test_french_and_danish_are_translated(locale: str) -> None:
    same = [k for k, v in catalogue(locale).items() if v == EN[k] and PLACEHOLDER.sub("", v).strip(" :,.;()")]
    # the few words the languages share ("Conversation", "Microphone", "Offline") and nothing more
    assert len(same) <= 6, same


def known(key: str) -> bool:
    """A key of en-US, or the base of a plural key (key.one, key.other)."""
    return key in EN or {f"{key}.one", f"{key}.other"} <= set(EN)


def test_every_key_the_code_uses_is_in_en_us() -> None:
    source = code()
    # where text is asked for: t("key"), plural("key"), show(element, "key")
    called = set(re.findall(r"""\b(?:t|plural)\(\s*["']([^"']+)["']""", source))
    called |= set(re.findall(r"""\bshow\([^,()]+(?:\([^()]*\))?,\s*["']([^"']+)["']""", source))
    assert called, "no key found where text is asked for"
    # and the keys kept in tables (presence, audiences, digits…), named like the catalogue's
    namespaces = {k.split(".")[0] for k in EN}
    listed = {k for k in LITERAL.findall(source) if k.split(".")[0] in namespaces}
    assert sorted(k for k in called | listed if not known(k)) == []
    # keys are named in full where they are used, so this test sees them all (text.js's plural() adds the form)
    assert re.findall(r"\b(?:t|show|plural)\(\s*`", code(but="text.js")) == []


def test_every_key_the_page_uses_is_in_en_us_with_the_same_english() -> None:
    page = page_keys()
    assert sorted((set(page.texts) | page.attrs) - set(EN)) == []
    # the page's English is what stands before (or without) the catalogue: it must be en-US's words
    differ = {k: (text, EN[k]) for k, text in page.texts.items() if k in EN and text != EN[k]}
    assert differ == {}


def test_no_key_of_en_us_is_left_unused() -> None:
    source = code()
    page = page_keys()
    used = set(LITERAL.findall(source)) | set(page.texts) | page.attrs
    unused = sorted(k for k in EN if k not in used and k.rsplit(".", 1)[0] not in used)
    assert unused == []
