"""What an escalation voice call says (issue 20), written for the ear: short sentences, the action first, numbers
read digit by digit, and the keys to press said last so they are the freshest in mind. Pure.

The call reads `alert_script` and then asks for a key; `acknowledged_script` thanks the person and `goodbye_script`
ends a call nobody acknowledged on. Text-to-speech reads what it is given: no markup, no abbreviations it might
misread ("fl." or "rm."), no URLs.
"""

from __future__ import annotations

from shared.domain.notification_context import NotificationContext

PRESS = "Press 1 to acknowledge that you are handling it. Press 2 to hear this message again."
NOT_RECORDED = "Sorry, your key could not be recorded. Press 1 again to acknowledge."


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
    """The alert: who called which number, where she is, how long ago, how responders call back; then the keys."""
    test = "This is a test. " if c.is_test else ""
    number = " ".join(c.dialed_number)
    where = _where(c)
    callback = (f"Responders can call her back on {spoken_digits(c.callback_number)}."
                if c.callback_number else "She has no callback number.")
    return (f"{test}Emergency call alert. {c.agent_name} dialed {number}, and nobody has acknowledged it yet. "
            f"{where} {callback} {PRESS}")


def acknowledged_script(c: NotificationContext) -> str:
    return f"Thank you. Your acknowledgement is recorded, and {c.agent_name} is told that help is coming. Goodbye."


def goodbye_script() -> str:
    return "No key was pressed, so nothing is acknowledged. The alert continues to others. Goodbye."


def _where(c: NotificationContext) -> str:
    if not c.location:
        return "Her location is not known: go to her desk or ask her supervisor."
    parts = [f"She is at {c.location_site}." if c.location_site else f"She is at {c.location}."]
    if c.location_site and c.location_floor:
        parts.append(f"Floor {c.location_floor}.")
    if c.location_site and c.location_room:
        parts.append(f"Room {' '.join(c.location_room) if c.location_room.isdigit() else c.location_room}.")
    return " ".join(parts)
