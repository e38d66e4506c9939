"""The server's message catalogues: one gettext catalogue per locale, `<ll_CC>/LC_MESSAGES/<domain>.po`.

The .po files are read at run time with Babel's `read_po`, once per locale and process, on first use: nothing is
compiled at build or deploy, and what is deployed is what the tests read. Message ids are keys ("sms.dialed"), not
English; `{name}` in a message is filled by the caller (shared/domain/notification_locale.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from shared.domain.locales import LOCALES

DIRECTORY = Path(__file__).resolve().parent
NOTIFICATION = "notification"  # the notification's email, SMS and voice messages
_loaded: dict[tuple[str, str], Mapping[str, str]] = {}
_lock = threading.Lock()


def catalogue_path(locale: str, domain: str = NOTIFICATION) -> Path:
    """Where the catalogue of `locale` ('fr-CA') is kept."""
    return DIRECTORY / locale.replace("-", "_") / "LC_MESSAGES" / f"{domain}.po"


def messages(locale: str, domain: str = NOTIFICATION) -> Mapping[str, str]:
    """Key -> message of one catalogue (translated, not fuzzy); read once per process. ValueError for a locale the
    product does not speak; OSError when the file is missing (a broken deployment)."""
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    key = (locale, domain)
    found = _loaded.get(key)
    if found is None:
        with _lock:  # read once, even when several notifications start at the same moment
            found = _loaded.get(key)
            if found is None:
                found = _loaded[key] = _read(catalogue_path(locale, domain), locale)
    return found


def _read(path: Path, locale: str) -> Mapping[str, str]:
    from babel.messages.pofile import read_po  # Babel loads on the notification's path only

    with path.open("rb") as source:
        catalog = read_po(source, locale=locale.replace("-", "_"))
    return MappingProxyType({str(m.id): str(m.string) for m in catalog
                             if m.id and isinstance(m.id, str) and m.string and not m.fuzzy})
