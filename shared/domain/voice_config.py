"""The contact center's voice configuration that emergency readiness depends on. Pure.

- capacity profiles, assigned to agents;
- outbound profiles (channel `voice` or another), each associated with capacity profiles and an outbound number;
- the ACS resource's phone numbers: `microsoft` (a Microsoft calling-plan number: direct offer) or
  `direct_routing` (a third-party carrier's number reached through an SBC), with their country;
- direct-routing rules: an ACS voice route, a number pattern (regex, as ACS matches it) and the SBCs (trunks) it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class NumberType(StrEnum):
    MICROSOFT = "microsoft"
    DIRECT_ROUTING = "direct_routing"


@dataclass(frozen=True)
class CapacityProfile:
    KIND: ClassVar[str] = "capacity-profiles"
    profile_id: str
    name: str

    @property
    def key(self) -> str:
        return self.profile_id


@dataclass(frozen=True)
class OutboundProfile:
    KIND: ClassVar[str] = "outbound-profiles"
    profile_id: str
    name: str
    channel: str = "voice"
    outbound_number: str | None = None
    capacity_profiles: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.profile_id

    @property
    def is_voice(self) -> bool:
        return self.channel == "voice"


@dataclass(frozen=True)
class ResourceNumber:
    KIND: ClassVar[str] = "numbers"
    number: str  # E.164
    number_type: NumberType
    country: str  # ISO 3166-1 alpha-2

    @property
    def key(self) -> str:
        return self.number


@dataclass(frozen=True)
class RoutingRule:
    KIND: ClassVar[str] = "routing-rules"
    name: str
    number_pattern: str  # a regular expression, as in an ACS voice route
    trunks: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name

    def matches(self, dialed: str) -> bool:
        """ACS matches the dialed string against the pattern; try it with and without a leading '+'."""
        try:
            pattern = re.compile(self.number_pattern)
        except re.error:
            return False
        return any(pattern.search(candidate) for candidate in (dialed, "+" + dialed))


VoiceRecord = CapacityProfile | OutboundProfile | ResourceNumber | RoutingRule
KINDS: dict[str, type[VoiceRecord]] = {k.KIND: k for k in (CapacityProfile, OutboundProfile, ResourceNumber,
                                                          RoutingRule)}


@dataclass(frozen=True)
class VoiceConfig:
    capacity_profiles: tuple[CapacityProfile, ...] = ()
    outbound_profiles: tuple[OutboundProfile, ...] = ()
    numbers: tuple[ResourceNumber, ...] = ()
    routing_rules: tuple[RoutingRule, ...] = ()

    @classmethod
    def of(cls, records: list[VoiceRecord]) -> VoiceConfig:
        """Group stored records by kind, each kind sorted by key."""
        ordered = sorted(records, key=lambda r: r.key)
        return cls(tuple(r for r in ordered if isinstance(r, CapacityProfile)),
                   tuple(r for r in ordered if isinstance(r, OutboundProfile)),
                   tuple(r for r in ordered if isinstance(r, ResourceNumber)),
                   tuple(r for r in ordered if isinstance(r, RoutingRule)))

    def capacity_profile(self, profile_id: str | None) -> CapacityProfile | None:
        return next((p for p in self.capacity_profiles if p.profile_id == profile_id), None)

    def outbound_profile(self, profile_id: str | None) -> OutboundProfile | None:
        return next((p for p in self.outbound_profiles if p.profile_id == profile_id), None)

    def number(self, e164: str | None) -> ResourceNumber | None:
        return next((n for n in self.numbers if n.number == e164), None)

    def voice_profiles_for(self, capacity_profile: str) -> list[OutboundProfile]:
        return [p for p in self.outbound_profiles if p.is_voice and capacity_profile in p.capacity_profiles]

    @property
    def has_direct_offer(self) -> bool:
        return any(n.number_type is NumberType.MICROSOFT for n in self.numbers)

    def rule_for(self, dialed: str) -> RoutingRule | None:
        """The first rule (by name, as stored) whose pattern matches the dialed emergency number."""
        return next((r for r in self.routing_rules if r.trunks and r.matches(dialed)), None)
