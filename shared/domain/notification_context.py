"""What an emergency-call notification can say: the placeholder names, their values in a recipient's locale and
realistic sample data. The words and formats come from the catalogues and CLDR (notification_locale), loaded when a
notification is rendered, never when this module is imported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.locales import DEFAULT_LOCALE

PlaceholderValue = str | bool

PLACEHOLDERS: dict[str, str] = {
    "agent_name": "Display name of the agent who dialed.",
    "agent_id": "The agent's identifier in the contact center.",
    "dialed_number": "The emergency number dialed, e.g. 911 (933 is the US test number).",
    "country": "ISO 3166-1 alpha-2 code of the country the call was placed in, e.g. US.",
    "country_name": "Name of that country in the recipient's language, e.g. United States, États-Unis.",
    "dialed_at_utc": "When the number was dialed, in UTC, e.g. 2026-11-23 22:53 UTC.",
    "dialed_at_local": "When the number was dialed, in the agent's time zone with its abbreviation, e.g. "
    "2026-11-23 16:53 CST.",
    "dialed_time": "When the number was dialed, as a time of day in the agent's time zone with its abbreviation, "
    "written as the recipient's locale writes it, e.g. 4:53 PM CST, 16 h 53 HNC, 23.53 CET.",
    "dialed_at_local_text": "The date and time of the dial in the agent's time zone, in the recipient's locale, e.g. "
    "Nov 23, 2026, 4:53 PM CST.",
    "dialed_at_utc_text": "The same in UTC, e.g. Nov 23, 2026, 10:53 PM UTC.",
    "callback_until": "Until when the callback number reaches the agent, as a time of day in her time zone in the "
    "recipient's locale, e.g. 5:53 PM CST.",
    "locale": "The recipient's locale, e.g. en-US, fr-CA, da-DK: each recipient is told in hers (t() uses it).",
    "agent_timezone": "The agent's IANA time zone, e.g. America/Chicago (UTC when unknown).",
    "callback_number": "Number on which emergency responders reach the agent directly (E.164); empty if none.",
    "callback_window_ends_utc": "Until when the callback number reaches the agent, in UTC.",
    "callback_path": "How the call reached the emergency service: direct_offer (Microsoft's emergency service; the "
    "responder sees a temporary number it assigned, and a callback on it rings the agent directly), "
    "direct_routing (your carrier; the responder sees the callback number) or unknown.",
    "responder_callback": "How the responder reaches the agent on this call's path, to follow 'Callback number:', "
    "e.g. '+12025550142, which rings Alice directly until 5:53 PM CST', or on the direct-offer path 'a "
    "temporary number assigned by the emergency service (the responder sees it); a callback on it until … rings "
    "Alice directly'.",
    "location": "Where the agent is, as she reads it out: the civic address of the site she confirmed with her "
    "floor and room (e.g. '1 Example Plaza, Springfield IL 62701, floor 3, room 301'), or the address she typed; "
    "empty when unknown.",
    "location_known": "True when a location was reported (use it in {% if %}).",
    "location_site": "The name of the site (building) she confirmed, e.g. Springfield Plaza; empty when none.",
    "location_floor": "Her floor, e.g. 3; empty when unknown.",
    "location_room": "Her room, suite or unit, e.g. 301; empty when unknown.",
    "location_source": "Where the location comes from: confirmed (by her, recently, from the network she called "
    "from), unconfirmed (confirmed too long ago or from another network), typed (not confirmed), "
    "network-suggested (the site of the network she called from; floor and room unknown) or none.",
    "location_source_text": "The same in words with its age, e.g. 'confirmed by the agent 2 h 5 min before the "
    "call'; empty when there is no location.",
    "location_source_short": "The same in a few words for the SMS's first lines, e.g. 'confirmed 2 h 5 min "
    "earlier', 'last confirmed 14 h earlier: check it', 'typed, not confirmed: check it'.",
    "location_age": "How long before the call the location was confirmed, e.g. '2 h 5 min'; empty when unknown.",
    "location_coordinates": "Latitude and longitude when known, e.g. '39.78170, -89.65010'; else empty.",
    "map_link": "A map of the coordinates (OpenStreetMap) when they are known; else empty.",
    "is_test": "True for a test call (e.g. to 933); the subject then gets a [TEST] marker automatically.",
    "emergency_call_id": "Identifier of this emergency call's incident record.",
}

UTC_FORMAT = "%Y-%m-%d %H:%M UTC"
LOCAL_FORMAT = "%Y-%m-%d %H:%M %Z"


@dataclass(frozen=True)
class NotificationContext:
    """Facts about one emergency call that a notification may show; datetimes must be timezone-aware."""

    agent_name: str
    agent_id: str
    dialed_number: str
    country: str
    country_name: str
    dialed_at: datetime
    agent_timezone: str
    callback_number: str
    callback_window_ends: datetime
    location: str
    is_test: bool
    emergency_call_id: str
    callback_path: str = "unknown"
    responder_callback: str = ""
    location_site: str = ""
    location_floor: str = ""
    location_room: str = ""
    location_source: str = "none"
    location_confirmed_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    callback_source: str = "pool"  # "pool": a number leased for the call; anything else: the agent's own number

    def __post_init__(self) -> None:
        for name in ("dialed_at", "callback_window_ends"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")

    @property
    def location_known(self) -> bool:
        """True when a non-blank location was reported."""
        return bool(self.location.strip())

    def as_placeholders(self, locale: str = DEFAULT_LOCALE) -> dict[str, PlaceholderValue]:
        """One value per name in PLACEHOLDERS, words and times in `locale` (notification_locale); unknown time zones
        shown as UTC."""
        from shared.domain import notification_locale as words

        zone_name, zone = resolve_zone(self.agent_timezone)
        known = self.location_known
        age = self._age_delta()
        location_age = words.age(age, locale) if age is not None else ""
        values: dict[str, PlaceholderValue] = {
            "agent_name": self.agent_name,
            "agent_id": self.agent_id,
            "dialed_number": self.dialed_number,
            "country": self.country,
            "country_name": words.country_name(self.country, self.country_name, locale),
            "dialed_at_utc": format_utc(self.dialed_at),
            "dialed_at_local": self.dialed_at.astimezone(zone).strftime(LOCAL_FORMAT),
            "dialed_time": words.time_of_day(self.dialed_at, zone, locale),
            "dialed_at_local_text": words.date_time(self.dialed_at, zone, locale),
            "dialed_at_utc_text": words.date_time(self.dialed_at, UTC, locale),
            "agent_timezone": zone_name,
            "callback_number": self.callback_number,
            "callback_window_ends_utc": format_utc(self.callback_window_ends),
            "callback_until": words.time_of_day(self.callback_window_ends, zone, locale),
            "location": self.location.strip(),
            "location_known": known,
            "location_site": self.location_site,
            "location_floor": self.location_floor,
            "location_room": self.location_room,
            "location_source": self.location_source if known else "none",
            "location_source_text": words.source_words("source_text", self.location_source, location_age, locale)
            if known else "",
            "location_source_short": words.source_words("source_short", self.location_source, location_age, locale)
            if known else "",
            "location_age": location_age,
            "location_coordinates": self._coordinates(),
            "map_link": map_link(self.latitude, self.longitude),
            "is_test": self.is_test,
            "emergency_call_id": self.emergency_call_id,
            "callback_path": self.callback_path,
            "locale": locale,
        }
        values["responder_callback"] = self.responder_callback or words.responder_callback(
            self.callback_path, self.callback_number, self.callback_source, values, locale)
        return values

    def _age_delta(self) -> timedelta | None:
        at = self.location_confirmed_at
        return self.dialed_at - at if at is not None and at.utcoffset() is not None else None

    def _coordinates(self) -> str:
        if self.latitude is None or self.longitude is None:
            return ""
        return f"{self.latitude:.5f}, {self.longitude:.5f}"


def age_text(age: timedelta) -> str:
    """'12 min', '2 h 5 min', '3 days': how long before the call (never negative)."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes // (24 * 60)} days"


def map_link(latitude: float | None, longitude: float | None) -> str:
    """An OpenStreetMap link centred on the point, or '' when either coordinate is missing or out of range."""
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return ""
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def format_utc(moment: datetime) -> str:
    """An aware datetime as '2026-11-23 22:53 UTC'."""
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


def resolve_zone(name: str) -> tuple[str, tzinfo]:
    """(name, zone) for a known IANA zone, else ('UTC', UTC): a bad setting must not stop a notification."""
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory such as 'America'
        return "UTC", UTC


def sample_context() -> NotificationContext:
    """Fictional but realistic data for template previews and validation (555-01xx numbers, example.com)."""
    dialed_at = datetime(2026, 11, 23, 22, 53, tzinfo=UTC)
    return NotificationContext(
        agent_name="Alice Example",
        agent_id="alice.example@example.com",
        dialed_number="911",
        country="US",
        country_name="United States",
        dialed_at=dialed_at,
        agent_timezone="America/Chicago",
        callback_number="+12025550123",
        callback_window_ends=dialed_at + timedelta(minutes=60),
        location="1 Example Plaza, Springfield IL 62701, floor 3, room 301",
        is_test=False,
        emergency_call_id="ec-7f3a2b1c-0d4e-4f5a-9b6c-8d7e6f5a4b3c",
        location_site="Springfield Plaza",
        location_floor="3",
        location_room="301",
        location_source="confirmed",
        location_confirmed_at=dialed_at - timedelta(hours=2, minutes=5),
        latitude=39.7817,
        longitude=-89.6501,
    )
