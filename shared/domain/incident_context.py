"""The facts a notification shows, taken from the emergency call record and the agent: pure, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.domain.calls import Agent, EmergencyCall
from shared.domain.emergency_path import PathKind
from shared.domain.notification_context import NotificationContext

# The countries ACS places emergency calls from (FACTS.md); anything else shows its code.
COUNTRY_NAMES = {
    "US": "United States", "PR": "Puerto Rico", "CA": "Canada", "DK": "Denmark", "GB": "United Kingdom",
    "AU": "Australia",
}
# ACS keeps the temporary callback route for at least 60 minutes; used when the record has no window of its own.
DEFAULT_CALLBACK_WINDOW = timedelta(minutes=60)
_MAX_PART = 200  # the location comes from a browser: keep each part of it short


def context_for(call: EmergencyCall, agent: Agent | None) -> NotificationContext:
    """The notification context of one emergency call; the agent adds the name and time zone when known."""
    country = (call.country or "").upper()
    name = call.agent_name or (agent.display_name if agent else "") or call.agent_id
    until = call.callback_until or call.dialed_at + DEFAULT_CALLBACK_WINDOW
    return NotificationContext(
        agent_name=name,
        agent_id=call.agent_id,
        dialed_number=call.dialed_number,
        country=country or "unknown",
        country_name=COUNTRY_NAMES.get(country, country or "unknown country"),
        dialed_at=call.dialed_at,
        agent_timezone=agent.timezone if agent else "UTC",
        callback_number=call.callback_number or "",
        callback_window_ends=until,
        location=_readout(call.location),
        is_test=call.test,
        emergency_call_id=call.call_id,
        callback_path=call.path if call.path in {k.value for k in PathKind} else PathKind.UNKNOWN.value,
        callback_source=call.callback_source or "other",  # its words are the recipient's (notification_locale)
        **_location_facts(call.location),
    )


def _location_facts(location: dict[str, Any] | None) -> dict[str, Any]:
    """The location's parts a notification shows on their own: site, floor, room, source, age, coordinates."""
    if not location:
        return {}
    lat = _number(location.get("lat", location.get("latitude")))
    lon = _number(location.get("lon", location.get("longitude")))
    accuracy = _number(location.get("accuracy", location.get("accuracyMeters")))
    if accuracy is not None and accuracy > VAGUE_METERS:  # a city-wide guess: a map of it would mislead
        lat = lon = None
    source = _text(location.get("source"))
    return {"location_site": _text(location.get("siteName")), "location_floor": _text(location.get("floor")),
            "location_room": _text(location.get("room")),
            "location_source": source if source in SOURCES else "none" if not source else "typed",
            "location_confirmed_at": instant(location.get("confirmedAt")),
            "latitude": lat if lon is not None else None, "longitude": lon if lat is not None else None}


def _readout(location: dict[str, Any] | None) -> str:
    """The line she reads out (decided at the dial; coordinates go with the map link), else the location described
    from its parts."""
    readout = _text((location or {}).get("readout")) if location else ""
    return readout or describe_location(location)


def describe_location(location: dict[str, Any] | None) -> str:
    """'1 Example Plaza, Floor 3, Room 301, Springfield, IL 62701 (coordinates ...)' or ''."""
    if not location:
        return ""
    parts = [_text(location.get("address")), _text(location.get("building")),
             _labelled("Floor", location.get("floor")), _wing(location.get("wing")),
             _labelled("Room", location.get("room")),
             _city(location)]
    described = ", ".join(p for p in parts if p)
    coordinates = _coordinates(location)
    if coordinates:
        described = f"{described} ({coordinates})" if described else coordinates
    return described


def _text(value: Any) -> str:
    """A scalar as trimmed, one-line text; anything else as ''."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return " ".join(str(value).split())[:_MAX_PART]


def _labelled(label: str, value: Any) -> str:
    """'Floor 3' from 3 or '3'; kept as is when it already names itself ('3rd floor')."""
    text = _text(value)
    return text if not text or label.lower() in text.lower() else f"{label} {text}"


def _wing(value: Any) -> str:
    """'north wing' from 'north'; kept as is when it says wing already."""
    text = _text(value)
    return text if not text or "wing" in text.lower() else f"{text} wing"


def _city(location: dict[str, Any]) -> str:
    """'Springfield, IL 62701' from city, state and postal code, whichever are present."""
    region = " ".join(p for p in (_text(location.get("state")), _text(location.get("postalCode"))) if p)
    return ", ".join(p for p in (_text(location.get("city")), region) if p)


def _coordinates(location: dict[str, Any]) -> str:
    """'coordinates 41.87890, -87.63590, accuracy 25 m' when both lat and lon are numbers in range."""
    # Plain ASCII (no plus-minus sign): the text part feeds the SMS, where non-GSM characters halve its length.
    lat = _number(location.get("lat", location.get("latitude")))
    lon = _number(location.get("lon", location.get("longitude")))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    accuracy = _number(location.get("accuracy"))
    suffix = f", accuracy {accuracy:.0f} m" if accuracy is not None and accuracy >= 0 else ""
    return f"coordinates {lat:.5f}, {lon:.5f}{suffix}"


def _number(value: Any) -> float | None:
    """A real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


SOURCES = ("confirmed", "unconfirmed", "typed", "network-suggested", "none")
VAGUE_METERS = 1000.0  # coordinates less accurate than this get no map link


def instant(value: Any) -> datetime | None:
    """An ISO 8601 instant with its offset, or None (absent, malformed or naive)."""
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None
