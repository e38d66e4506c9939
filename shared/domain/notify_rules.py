"""Who is told of an emergency call, per dialed number (issue 19 part 4): the agent's own contacts, the security
desk of the site she confirmed, or both. Pure.

By default a real call (911, 112, 999, 000) tells both, and a 933 test tells only her own contacts (a drill must
not send the security desk running). An admin may change that per number; every number tells at least one
audience, because an emergency call that tells nobody is what Kari's Law forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ValidationError

AGENT, SITE_DESK = "agent", "siteDesk"
AUDIENCES = {AGENT: "the agent's own contacts", SITE_DESK: "the security desk of the site she confirmed"}
NUMBERS = {
    "911": "emergency (US, Puerto Rico, Canada)",
    "112": "emergency (Denmark, United Kingdom)",
    "999": "emergency (United Kingdom)",
    "000": "emergency (Australia)",
    "933": "test call (US)",
}
TEST_NUMBERS = frozenset({"933"})
DEFAULTS: dict[str, tuple[str, ...]] = {n: (AGENT,) if n in TEST_NUMBERS else (AGENT, SITE_DESK) for n in NUMBERS}


@dataclass(frozen=True)
class NotifyRules:
    """The admin's rules; a number the admin never set keeps its default."""

    rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def audiences(self, dialed_number: str, test: bool = False) -> tuple[str, ...]:
        """Who is told of a call to `dialed_number`; a number with no rule of its own (one ACS may add) is told as
        a test when the call is a test, else as a real emergency: never nobody."""
        found = self.rules.get(dialed_number) or DEFAULTS.get(dialed_number)
        if found:
            return found
        return DEFAULTS["933"] if test else DEFAULTS["911"]

    def as_json(self) -> dict[str, list[str]]:
        return {n: list(self.audiences(n)) for n in NUMBERS}


def parse_rules(body: Any) -> NotifyRules:
    """`{"rules": {"933": ["agent", "siteDesk"], ...}}`: numbers left out keep their default; every problem named by
    its field (`rules.933`)."""
    if not isinstance(body, dict) or set(body) - {"rules"}:
        raise ValidationError("rules", "the body must be {\"rules\": {\"<dialed number>\": [audiences]}}")
    raw = body.get("rules")
    if not isinstance(raw, dict):
        raise ValidationError("rules", "must be an object from dialed number to audiences, e.g. "
                              "{\"933\": [\"agent\"]}")
    parsed: dict[str, tuple[str, ...]] = {}
    for number, audiences in raw.items():
        where = f"rules.{number}"
        if number not in NUMBERS:
            raise ValidationError(where, f"is not an emergency number the product places (one of "
                                  f"{', '.join(NUMBERS)})")
        if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
            raise ValidationError(where, f"must be a list of audiences ({', '.join(AUDIENCES)})")
        unknown = [a for a in audiences if a not in AUDIENCES]
        if unknown:
            raise ValidationError(where, f"{unknown[0]!r} is not an audience (one of {', '.join(AUDIENCES)})")
        if not audiences:
            raise ValidationError(where, "must tell at least one audience: a call nobody hears of is what Kari's "
                                  "Law forbids")
        parsed[number] = tuple(a for a in AUDIENCES if a in audiences)  # in a fixed order, once each
    return NotifyRules(parsed)


def from_stored(raw: Mapping[str, Any]) -> NotifyRules:
    """Stored rules, leniently: a number or audience this version does not know is skipped, never fatal (the
    rules are read on every emergency call)."""
    kept: dict[str, tuple[str, ...]] = {}
    for number, audiences in raw.items():
        known = tuple(a for a in AUDIENCES if isinstance(audiences, list) and a in audiences)
        if number in NUMBERS and known:
            kept[number] = known
    return NotifyRules(kept)
