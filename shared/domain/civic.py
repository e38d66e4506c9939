"""A dispatchable location's civic address, in the fields of RFC 5139 (the PIDF-LO civic address format).

RAY BAUM's Act (47 CFR 9.3, "dispatchable location") asks for a validated street address plus what locates the
caller within the building: floor, suite or room. RFC 5139 names each part: country (ISO 3166-1 alpha-2), A1 (state
or province), A3 (city), RD (road) with STS (street suffix), HNO/HNS (house number and suffix), PC (postal code),
BLD (building), FLR (floor), UNIT, ROOM, LOC (additional location information) and NAM (a name of the place). The
product keeps them under these names, so the PIDF-LO form (issue 19) is a direct mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# RFC 5139 element name -> our attribute, in the order of the RFC's schema.
RFC5139 = {
    "country": "country", "A1": "a1", "A3": "a3", "RD": "rd", "STS": "sts", "HNO": "hno", "HNS": "hns",
    "LOC": "loc", "FLR": "flr", "NAM": "nam", "PC": "pc", "BLD": "bld", "UNIT": "unit", "ROOM": "room",
}


@dataclass(frozen=True)
class CivicAddress:
    """A civic address; every part but the country optional (validation says what each country requires)."""

    country: str  # ISO 3166-1 alpha-2, upper case
    a1: str | None = None  # state, province, region
    a3: str | None = None  # city, town
    rd: str | None = None  # road or street name
    sts: str | None = None  # street suffix (Avenue, Street)
    hno: str | None = None  # house number
    hns: str | None = None  # house number suffix (A, 1/2)
    pc: str | None = None  # postal code
    bld: str | None = None  # building
    flr: str | None = None  # floor
    unit: str | None = None  # unit, suite
    room: str | None = None
    loc: str | None = None  # additional location information ("north wing, desk 14")
    nam: str | None = None  # a name of the place ("Example Contact Center")

    def as_json(self) -> dict[str, str]:
        """The RFC 5139 names with their values (unset parts left out), as the API shows them."""
        values = asdict(self)
        return {name: values[attr] for name, attr in RFC5139.items() if values[attr]}

    def with_place(self, floor: str | None = None, unit: str | None = None, room: str | None = None,
                   loc: str | None = None) -> CivicAddress:
        """The same building, a place inside it (what the agent confirms: her floor and room)."""
        values = asdict(self)
        for attr, value in (("flr", floor), ("unit", unit), ("room", room), ("loc", loc)):
            if value:
                values[attr] = value
        return CivicAddress(**values)


def from_json(body: dict[str, Any]) -> CivicAddress:
    """A civic address from its RFC 5139 names, unchecked (validation is `shared.domain.addresses.validate`): text
    parts only (anything else is left out, as is a blank part); no country is ''."""
    attrs = {f.name for f in fields(CivicAddress)}
    values = {RFC5139[name]: value.strip() for name, value in body.items()
              if name in RFC5139 and RFC5139[name] in attrs and isinstance(value, str) and value.strip()}
    values.setdefault("country", "")
    return CivicAddress(**values)
