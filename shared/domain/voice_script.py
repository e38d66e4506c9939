"""What an escalation voice call says (issue 20), written for the ear: short sentences, the action first ("go to her
now at" the site, floor and room a local reader knows), numbers and rooms read sign by sign, the time as a clock time
("7:07 PM", "19 h 07"), a word of caution when she has not confirmed the place, and the keys to press said last so
they are the freshest in mind.

Every sentence is the catalogue's (`voice.*` in shared/locales/), in the called person's locale, and read by the
text-to-speech voice of that locale (locales.VOICES). The call reads `alert_script` and then asks for a key;
`acknowledged_script` thanks the person and `goodbye_script` ends a call nobody acknowledged on. Text-to-speech reads
what it is given: no markup, no abbreviations it might misread ("fl." or "rm."), no URLs.
"""

from __future__ import annotations

from shared.domain.locales import DEFAULT_LOCALE
from shared.domain.notification_context import NotificationContext, resolve_zone
from shared.domain.notification_locale import spoken_time, text

CAVEATS = {"unconfirmed": "voice.caveat_unconfirmed", "typed": "voice.caveat_typed",
           "network-suggested": "voice.caveat_network"}


def press(locale: str = DEFAULT_LOCALE) -> str:
    """'Press 1 to acknowledge …, press 2 to hear this message again.'"""
    return text(locale, "voice.press")


def not_recorded(locale: str = DEFAULT_LOCALE) -> str:
    """A 1 that could not be recorded: asked for again."""
    return text(locale, "voice.not_recorded")


def general_alert(locale: str = DEFAULT_LOCALE) -> str:
    """The alert in general words, when the call's details cannot be read (storage down), then the keys."""
    return f"{text(locale, 'voice.general_alert')} {press(locale)}"


def general_thanks(locale: str = DEFAULT_LOCALE) -> str:
    return text(locale, "voice.general_thanks")


def spoken_digits(number: str) -> str:
    """'+12025550142' → '2 0 2, 5 5 5, 0 1 4 2' for a NANP number; other numbers digit by digit in threes."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return ", ".join(" ".join(g) for g in groups if g)


def alert_script(c: NotificationContext, locale: str = DEFAULT_LOCALE) -> str:
    """The alert: who dialed which number and when, where to go and how sure that place is, how responders call her
    back; then the keys. A test call says first that nobody needs to go."""
    words = {"agent_name": c.agent_name, "number": " ".join(c.dialed_number), "time": _time(c, locale)}
    opening = text(locale, "voice.opening_test" if c.is_test else "voice.opening", words)
    parts = (opening, _where(c, locale), _caveat(c, locale), _callback(c, locale), press(locale))
    return " ".join(part for part in parts if part)


def acknowledged_script(c: NotificationContext, locale: str = DEFAULT_LOCALE) -> str:
    return text(locale, "voice.thanks", {"agent_name": c.agent_name})


def goodbye_script(locale: str = DEFAULT_LOCALE) -> str:
    return text(locale, "voice.goodbye")


def _time(c: NotificationContext, locale: str) -> str:
    """'7:07 PM', '19 h 07' in her time zone: a clock time is what a listener takes in at once."""
    return spoken_time(c.dialed_at, resolve_zone(c.agent_timezone)[1], locale)


def _where(c: NotificationContext, locale: str) -> str:
    """Where to go: the site's name, her floor and her room said one by one, else the address she gave."""
    if not c.location.strip():
        return text(locale, "voice.location_unknown")
    lead = "voice.she_is_at" if c.is_test else "voice.go_to"
    if not c.location_site:
        return text(locale, lead, {"place": c.location})
    floor = (text(locale, "voice.floor", {"floor": c.location_floor}) if c.location_floor.isdigit()
             else f"{c.location_floor}." if c.location_floor else "")  # "Level 12", "4. sal": said as written
    room = text(locale, "voice.room", {"room": _spelled(c.location_room)}) if c.location_room else ""
    return " ".join(part for part in (text(locale, lead, {"place": c.location_site}), floor, room) if part)


def _caveat(c: NotificationContext, locale: str) -> str:
    """How sure the place is, when she has not confirmed it recently."""
    if not c.location.strip() or c.location_source == "confirmed":
        return ""
    return text(locale, CAVEATS.get(c.location_source, "voice.caveat_other"))


def _callback(c: NotificationContext, locale: str) -> str:
    if c.callback_path == "direct_offer":
        also = text(locale, "voice.callback_also", {"digits": spoken_digits(c.callback_number)})
        direct = text(locale, "voice.callback_direct_offer")
        return f"{direct} {also}" if c.callback_number else direct
    if c.callback_number:
        return text(locale, "voice.callback", {"digits": spoken_digits(c.callback_number)})
    return text(locale, "voice.callback_none")


def _spelled(room: str) -> str:
    """'1204B' → '1 2 0 4 B': a room number is said sign by sign, not as twelve hundred and four."""
    return " ".join(room) if room.isalnum() and any(ch.isdigit() for ch in room) else room
