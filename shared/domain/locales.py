"""The locales the product speaks, which one an agent, a site and each recipient of a notification get: pure.

One locale per supported country, with Canada in English and in French. An agent's and a site's `locale` is set by
an admin; without one it follows the country (the agent's: where her call or her confirmed location is; the site's:
its civic address), and en-US when no country is known. Cheap to import (no Babel): the dial's modules may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.errors import ValidationError

if TYPE_CHECKING:
    from shared.domain.calls import Agent
    from shared.domain.sites import Site

LOCALES = ("en-US", "en-CA", "fr-CA", "en-GB", "da-DK", "en-AU")
DEFAULT_LOCALE = "en-US"
COUNTRY_LOCALES = {"US": "en-US", "PR": "en-US", "CA": "en-CA", "GB": "en-GB", "DK": "da-DK", "AU": "en-AU"}
# Azure AI Speech neural voices (ACS text-to-speech `voice_name`), one per locale; `source_locale` is the locale.
VOICES = {"en-US": "en-US-JennyNeural", "en-CA": "en-CA-ClaraNeural", "fr-CA": "fr-CA-SylvieNeural",
          "en-GB": "en-GB-SoniaNeural", "da-DK": "da-DK-ChristelNeural", "en-AU": "en-AU-NatashaNeural"}
_BY_FOLDED = {name.casefold(): name for name in LOCALES}


def parse_locale(raw: object, field: str = "locale") -> str | None:
    """A supported locale as the admin typed it ('fr-CA', 'fr_ca'), canonical; None when absent or empty (the
    default applies); ValidationError naming `field` otherwise."""
    if raw is None or raw == "":
        return None
    found = _BY_FOLDED.get(raw.strip().replace("_", "-").casefold()) if isinstance(raw, str) else None
    if found is None:
        raise ValidationError(field, f"must be one of {', '.join(LOCALES)} (or null: from the country)")
    return found


def known_locale(value: str | None) -> str | None:
    """A stored locale when this release supports it, else None (a row written by another release)."""
    return _BY_FOLDED.get(value.casefold()) if isinstance(value, str) else None


def locale_for_country(country: str | None) -> str:
    """The default locale of an ISO 3166-1 country (en-US for an unknown one)."""
    return COUNTRY_LOCALES.get((country or "").strip().upper(), DEFAULT_LOCALE)


def agent_country(agent: Agent | None) -> str | None:
    """The country of her confirmed location, when her profile holds one."""
    code = ((agent.last_location or {}) if agent else {}).get("countryCode")
    return code.strip().upper() if isinstance(code, str) and code.strip() else None


def agent_locale(agent: Agent | None, country: str | None = None) -> str:
    """Her profile's locale; else the one of `country` (her call's, when there is one), else of her confirmed
    location's country, else en-US."""
    chosen = known_locale(agent.locale) if agent else None
    return chosen or locale_for_country(country or agent_country(agent))


def site_locale(site: Site) -> str:
    """The site's locale; else its civic address's country's."""
    return known_locale(site.locale) or locale_for_country(site.address.country)


@dataclass(frozen=True)
class RecipientLocales:
    """Which locale each recipient of a call's notification gets: her own contacts (the recipients on her profile)
    hers; everyone else (her site's security desk, the on-call recipients, the fallback recipients) the locale of
    the site her call names, else hers. Someone on both lists is her own contact."""

    agent: str
    site: str | None = None
    own: frozenset[str] = frozenset()  # her own recipients, case-folded as the delivery records key them

    @classmethod
    def of_call(cls, agent_locale: str, site_locale: str | None, own: Iterable[str]) -> RecipientLocales:
        return cls(agent_locale, site_locale, frozenset(r.casefold() for r in own))

    def of(self, recipient: str) -> str:
        """The locale `recipient` is told in."""
        if recipient.casefold() in self.own or self.site is None:
            return self.agent
        return self.site
