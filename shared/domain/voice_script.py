"""What an escalation voice call says (issue 20), written for the ear: short sentences, the action first ("go to her
now at" the site, floor and room a local reader knows), numbers and rooms read sign by sign, the time as a clock time
("7:07 PM"), a word of caution when she has not confirmed the place, and the keys to press said last so they are the
freshest in mind. Pure.

The call reads `alert_script` and then asks for a key; `acknowledged_script` thanks the person and `goodbye_script`
ends a call nobody acknowledged on. Text-to-speech reads what it is given: no markup, no abbreviations it might
misread ("fl." or "rm."), no URLs.
"""

from __future__ import annotations

from shared.domain.notification_context import NotificationContext, resolve_zone

PRESS = "Press 1 to acknowledge that you are handling it. Press 2 to hear this message again."
NOT_RECORDED = "Sorry, your key could not be recorded. Press 1 again to acknowledge."
# When the call's details cannot be read (storage down): the alert still goes out, in general words.
GENERAL_ALERT = ("Emergency call alert from your contact center. An agent dialed an emergency number, and nobody has "
                 "acknowledged it yet. Check your email or text messages for who and where. " + PRESS)
GENERAL_THANKS = "Thank you. Your acknowledgement is recorded. Goodbye."


def spoken_digits(number: str) -> str:
    """'+12025550142' → '2 0 2, 5 5 5, 0 1 4 2' for a NANP number; other numbers digit by digit in threes."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return ", ".join(" ".join(g) for g in groups if g)


def alert_script(c: NotificationContext) -> str:
    """The alert: who dialed which number and when, where to go and how sure that place is, how responders call her
    back; then the keys. A test call says first that nobody needs to go."""
    number = " ".join(c.dialed_number)
    if c.is_test:
        opening = f"This is a test call alert. Nobody needs to go. {c.agent_name} dialed {number} at {_time(c)}."
    else:
        opening = (f"Emergency call alert. {c.agent_name} dialed {number} at {_time(c)}, and nobody has acknowledged "
                   "it yet.")
    return " ".join(part for part in (opening, _where(c), _caveat(c), _callback(c), PRESS) if part)


def acknowledged_script(c: NotificationContext) -> str:
    return f"Thank you. Your acknowledgement is recorded, and {c.agent_name} is told that help is coming. Goodbye."


def goodbye_script() -> str:
    return "No key was pressed, so nothing is acknowledged. The alert continues to others. Goodbye."


def _time(c: NotificationContext) -> str:
    """'7:07 PM' in her time zone: a clock time is what a listener takes in at once."""
    local = c.dialed_at.astimezone(resolve_zone(c.agent_timezone)[1])
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _where(c: NotificationContext) -> str:
    """Where to go: the site's name, her floor and her room said one by one, else the address she gave."""
    if not c.location.strip():
        return "Her location is not known: go to her desk or ask her supervisor."
    lead = "She is at" if c.is_test else "Go to her now at"
    if not c.location_site:
        return f"{lead} {c.location}."
    floor = f" Floor {c.location_floor}." if c.location_floor.isdigit() else (
        f" {c.location_floor}." if c.location_floor else "")
    room = f" Room {_spelled(c.location_room)}." if c.location_room else ""
    return f"{lead} {c.location_site}.{floor}{room}"


def _caveat(c: NotificationContext) -> str:
    """How sure the place is, when she has not confirmed it recently."""
    if not c.location.strip() or c.location_source == "confirmed":
        return ""
    return {
        "unconfirmed": "She has not confirmed this place recently: check it with her.",
        "typed": "She typed this address and did not confirm it: check it with her.",
        "network-suggested": "This is the building of the network she called from: ask her floor and room.",
    }.get(c.location_source, "This place is not confirmed: check it with her.")


def _callback(c: NotificationContext) -> str:
    if c.callback_path == "direct_offer":
        also = f" She can also give them {spoken_digits(c.callback_number)}." if c.callback_number else ""
        return f"Responders call her back on the temporary number the emergency service gave her call.{also}"
    if c.callback_number:
        return f"Responders can call her back on {spoken_digits(c.callback_number)}."
    return "Her call has no callback number."


def _spelled(room: str) -> str:
    """'1204B' → '1 2 0 4 B': a room number is said sign by sign, not as twelve hundred and four."""
    return " ".join(room) if room.isalnum() and any(ch.isdigit() for ch in room) else room
