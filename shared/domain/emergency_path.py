"""Which path an agent's emergency call would take through ACS, explained in words. Pure.

How ACS decides (FACTS.md; ACS "Emergency calling concepts" and "Direct routing provisioning", outbound voice
routing considerations):
- A resource with direct routing tries its voice routes first, on the dialed number: a route whose pattern matches
  the emergency number sends the call to that route's SBC (direct routing), whatever the caller's number is; the call
  is then an ordinary call, and the carrier behind the SBC must handle emergency calls.
- With no matching route, a call from a Microsoft number goes to Microsoft's emergency service (direct offer):
  a temporary caller ID for at least 60 minutes, callbacks to the caller's ACS identity, and in US/PR/CA a screening
  center that asks for the address first.
- With no matching route, a call from a direct-routing number falls back to the Microsoft network, and follows the
  direct-offer path, only when the resource has at least one Microsoft number; otherwise there is no known path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.domain.numbers import ACS_EMERGENCY_NUMBERS, SUPPORTED_COUNTRIES
from shared.domain.voice_config import NumberType, ResourceNumber, RoutingRule, VoiceConfig


class Status(StrEnum):
    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"


def worst(statuses: list[Status]) -> Status:
    order = [Status.PASS, Status.WARNING, Status.FAIL]
    return max(statuses, key=order.index, default=Status.PASS)


class PathKind(StrEnum):
    DIRECT_OFFER = "direct_offer"
    DIRECT_ROUTING = "direct_routing"
    DIRECT_OFFER_FALLBACK = "direct_offer_fallback"
    MIXED = "mixed"  # the country has several emergency numbers and they take different paths
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Leg:
    """The path of one emergency number from the agent's outbound number."""

    emergency_number: str
    kind: PathKind
    rule: RoutingRule | None = None


@dataclass(frozen=True)
class EmergencyPath:
    kind: PathKind
    status: Status
    explanation: str
    fix: str | None
    number: str | None = None
    number_type: NumberType | None = None
    country: str | None = None
    legs: tuple[Leg, ...] = ()


def emergency_path(number: str | None, location_country: str | None, config: VoiceConfig) -> EmergencyPath:
    """The path of the agent's emergency call from `number` (E.164), for the country the agent is in."""
    if not number:
        return EmergencyPath(PathKind.UNKNOWN, Status.FAIL, "The agent has no outbound number, so the path of an "
                             "emergency call cannot be known.", "Set the agent's outbound number (or one on the "
                             "agent's outbound profile).")
    resource = config.number(number)
    if resource is None:
        return EmergencyPath(PathKind.UNKNOWN, Status.FAIL, f"{number} is not one of the resource's phone numbers, "
                             "so whether it is a Microsoft or a direct-routing number is unknown.",
                             f"Add {number} under Voice setup > Resource numbers with its type.", number)
    country = next((c for c in (location_country, resource.country) if c in SUPPORTED_COUNTRIES), None)
    if country is None:
        return EmergencyPath(PathKind.UNKNOWN, Status.FAIL, f"Neither the agent's location nor the number's country "
                             f"({resource.country}) is one where ACS supports emergency calls, so no emergency number "
                             "applies.", "Make sure the agent works from the US, PR, CA, DK, GB or AU.", number,
                             resource.number_type)
    legs = tuple(_leg(n, resource, config) for n in sorted(ACS_EMERGENCY_NUMBERS[country]))
    return _combine(legs, resource, country, config)


def _leg(emergency: str, resource: ResourceNumber, config: VoiceConfig) -> Leg:
    rule = config.rule_for(emergency)
    if rule is not None:
        return Leg(emergency, PathKind.DIRECT_ROUTING, rule)
    if resource.number_type is NumberType.MICROSOFT:
        return Leg(emergency, PathKind.DIRECT_OFFER)
    if config.has_direct_offer:
        return Leg(emergency, PathKind.DIRECT_OFFER_FALLBACK)
    return Leg(emergency, PathKind.UNKNOWN)


def _combine(legs: tuple[Leg, ...], resource: ResourceNumber, country: str, config: VoiceConfig) -> EmergencyPath:
    kinds = {leg.kind for leg in legs}
    kind = kinds.pop() if len(kinds) == 1 else PathKind.MIXED
    sentences = [_describe(leg, resource) for leg in legs]
    statuses = [_STATUS[leg.kind] for leg in legs]
    fixes = [_fix(leg) for leg in legs if _fix(leg)]
    kind_text = "a Microsoft number" if resource.number_type is NumberType.MICROSOFT else "a direct-routing number"
    explanation = f"{resource.number} is {kind_text}; the agent is treated as calling from {country}. " + " ".join(
        sentences)
    return EmergencyPath(kind, worst(statuses), explanation, fixes[0] if fixes else None, resource.number,
                         resource.number_type, country, legs)


_STATUS = {PathKind.DIRECT_OFFER: Status.PASS, PathKind.DIRECT_ROUTING: Status.PASS,
           PathKind.DIRECT_OFFER_FALLBACK: Status.WARNING, PathKind.UNKNOWN: Status.FAIL}


def _describe(leg: Leg, resource: ResourceNumber) -> str:
    n = leg.emergency_number
    if leg.kind is PathKind.DIRECT_ROUTING and leg.rule is not None:
        trunks = ", ".join(leg.rule.trunks)
        first = " (ACS tries direct-routing rules first, whatever the caller's number)" \
            if resource.number_type is NumberType.MICROSOFT else ""
        return (f"A call to {n} matches direct-routing rule '{leg.rule.name}' ({leg.rule.number_pattern}){first} and "
                f"goes through {trunks} as an ordinary call: the carrier behind it must handle emergency calls, and "
                "the responder calls back the pool number the backend presents.")
    if leg.kind is PathKind.DIRECT_OFFER:
        return (f"With no direct-routing rule for {n}, a call to {n} goes to Microsoft's emergency service (direct "
                "offer): the responder sees a temporary number that service assigns, not the caller ID the dialer "
                "presents, and a callback on it for at least 60 minutes rings the agent's ACS identity directly.")
    if leg.kind is PathKind.DIRECT_OFFER_FALLBACK:
        return (f"No direct-routing rule matches {n}; because the resource also has Microsoft (direct-offer) "
                f"numbers, a call to {n} falls back to the Microsoft network and follows the direct-offer path to "
                "Microsoft's emergency service, not your carrier: the responder sees that service's temporary "
                "number, and a callback on it rings the agent's ACS identity directly.")
    return (f"No direct-routing rule matches {n} and the resource has no Microsoft number to fall back on: a call "
            f"to {n} has no known emergency path.")


def _fix(leg: Leg) -> str | None:
    n = leg.emergency_number
    if leg.kind is PathKind.DIRECT_OFFER_FALLBACK:
        return (f"If emergency calls should use your carrier, add a direct-routing rule for {n} to an SBC whose "
                "carrier handles emergency calls; otherwise nothing needs to change.")
    if leg.kind is PathKind.UNKNOWN:
        return (f"Add a direct-routing rule for {n} to an SBC whose carrier handles emergency calls, or acquire a "
                "Microsoft number for the resource.")
    return None


# --- the path of one dial, decided at the dial; how the responder reaches the agent on it ------------------------


@dataclass(frozen=True)
class DialPath:
    """The path one emergency call takes: DIRECT_ROUTING, DIRECT_OFFER or UNKNOWN, and why."""

    kind: PathKind
    reason: str

    @property
    def direct_offer(self) -> bool:
        return self.kind is PathKind.DIRECT_OFFER


def dial_path(number: str | None, dialed: str, config: VoiceConfig) -> DialPath:
    """Decided as ACS decides (module docstring): a direct-routing rule for the dialed number first, whatever the
    caller's number; then a Microsoft number (or, from a direct-routing number, the fallback to the Microsoft
    network when the resource has one) goes to Microsoft's emergency service; anything else is unknown."""
    rule = config.rule_for(dialed)
    if rule is not None:
        return DialPath(PathKind.DIRECT_ROUTING, f"direct-routing rule '{rule.name}' matches {dialed}")
    resource = config.number(number)
    if resource is None:
        return DialPath(PathKind.UNKNOWN, "the agent's outbound number is not a known number of the resource"
                        if number else "the agent has no outbound number")
    if resource.number_type is NumberType.MICROSOFT:
        return DialPath(PathKind.DIRECT_OFFER, f"a Microsoft number and no direct-routing rule for {dialed}")
    if config.has_direct_offer:
        return DialPath(PathKind.DIRECT_OFFER, f"no direct-routing rule for {dialed}: the call falls back to the "
                        "Microsoft network")
    return DialPath(PathKind.UNKNOWN, f"no direct-routing rule for {dialed} and no Microsoft number")


def responder_reach(path: str | None, callback_number: str | None, source: str | None, agent: str,
                    until: str) -> str:
    """What follows "Callback number:" on this call's path: what the responder sees and where a callback goes
    (`until`: when the window ends, as text)."""
    if path == PathKind.DIRECT_OFFER.value:
        phrase = (f"a temporary number assigned by the emergency service (the responder sees it); a callback on it "
                  f"until {until} rings {agent} directly")
        return phrase + (f"; {agent} can also give the responder {callback_number}" if callback_number else "")
    if callback_number and source == "pool":
        return f"{callback_number}, which rings {agent} directly until {until}"
    if callback_number:
        return f"{callback_number}, the agent's own number (a callback on it follows the normal routing)"
    return "none was assigned to this call (the network presents the resource's default number)"
