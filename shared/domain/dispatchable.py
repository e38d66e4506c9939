"""The location in force on an emergency call (issue 19, part 3): what the operator is told, where it comes from,
and how old it is. Decided at the dial from what the dial already reads (the location the panel sent, her profile's
last confirmation): no round trip of its own.

Sources: `confirmed` (she confirmed it within `CONFIRMED_FOR`), `unconfirmed` (her confirmation is older, or she
turned location off: said so, still the best known), `typed` (the panel sent a location she has not confirmed),
`none`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.domain.addresses import readout
from shared.domain.civic import from_json
from shared.domain.incident_context import describe_location, instant

CONFIRMED_FOR = timedelta(hours=12)
SAME_PLACE = ("countryCode", "address", "floor", "room")


def in_force(sent: dict[str, Any] | None, confirmed: dict[str, Any] | None, now: datetime,
             confirmed_for: timedelta = CONFIRMED_FOR, network: str | None = None,
             near: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The call's location: the place with `source`, `readout` (the line she reads out) and, when confirmed,
    `confirmedAt`; None when nothing is known. `network`: where the dial comes from (sites.network_of); a
    confirmation made from another network counts as unconfirmed (she may have moved: home, another building).
    `near`: the site whose network holds the dial's address; without a fresh confirmation it is the location
    (`network-suggested`: the building, not her floor), unless she confirmed that very site (her floor and room
    then, unconfirmed)."""
    mine = confirmed if confirmed and confirmed.get("enabled") is not False and _has_place(confirmed) else None
    if sent and sent.get("enabled") is False:
        sent = None  # she turned sharing off: what came with it locates nothing
    if sent and _has_place(sent) and not (mine and _same_place(sent, mine)):
        return _with(sent, "typed", None)
    at = instant(mine.get("reportedAt")) if mine else None
    moved = bool(mine and network and mine.get("fromNetwork") and mine.get("fromNetwork") != network)
    fresh = at is not None and timedelta(0) <= now - at <= confirmed_for and not moved
    if mine is not None and fresh:
        return _with((sent or {}) | mine, "confirmed", at)
    if near and near.get("civic") and (mine is None or mine.get("siteId") != near.get("siteId")):
        return _with(dict(near), "network-suggested", None)  # the building alone: no floor or room of elsewhere
    if mine is None:
        return None
    return _with((sent or {}) | mine, "unconfirmed", at)


def read_out(location: dict[str, Any] | None) -> str | None:
    """The line she reads to the operator: the site's civic address with her floor and room when she confirmed a
    site, else what she typed."""
    if not location:
        return None
    civic = location.get("civic")
    if isinstance(civic, dict) and civic.get("country"):
        try:
            return readout(from_json(civic))
        except (TypeError, ValueError):
            pass
    return describe_location(location) or None


def _with(location: dict[str, Any], source: str, at: datetime | None) -> dict[str, Any]:
    return location | {"source": source, "readout": read_out(location),
                       "confirmedAt": at.isoformat() if at else None}


def _has_place(location: dict[str, Any]) -> bool:
    return bool(str(location.get("address") or "").strip()) or isinstance(location.get("civic"), dict)


def _same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(str(a.get(k) or "").strip().lower() == str(b.get(k) or "").strip().lower() for k in SAME_PLACE)
