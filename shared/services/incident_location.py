"""Use case: an incident's location in a standard form, a PIDF-LO document (issue 19)."""

from __future__ import annotations

import logging

from shared.domain.calls import EmergencyCall
from shared.domain.civic import from_json
from shared.domain.pidf import civic_from_location, pidf_lo
from shared.errors import NotFound

log = logging.getLogger(__name__)


def pidf_document(call: EmergencyCall) -> bytes:
    """The location in force on the call: her site's civic address (with her floor and room) when she confirmed a
    site, else the street address sent with the call or her last one, as she confirmed it by hand; NotFound when the
    incident holds none a document can say (no country and street, no coordinates, or values out of range)."""
    location = call.location or {}
    confirmed = location.get("civic")  # her site's civic address with her floor and room, when she confirmed one
    site = from_json(confirmed) if isinstance(confirmed, dict) else None
    civic = site if site is not None and len(site.country) == 2 and site.rd else civic_from_location(location)
    latitude, longitude = _float(location.get("latitude")), _float(location.get("longitude"))
    point = (latitude, longitude) if latitude is not None and longitude is not None else None
    if civic is None and point is None:
        raise NotFound(f"emergency incident {call.call_id} has no location a PIDF-LO document can hold")
    radius = _float(location.get("accuracyMeters")) if point is not None else None
    try:
        return pidf_lo(f"pres:call-{call.call_id}@emergency-calling.example", civic, point, radius or None,
                       call.dialed_at, "Manual", note="TEST call (933)" if call.test else None)
    except (ValueError, TypeError) as exc:
        log.warning("emergency incident %s: its location cannot be a PIDF-LO document: %s", call.call_id, exc)
        raise NotFound(f"emergency incident {call.call_id} has no location a PIDF-LO document can hold") from exc


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
