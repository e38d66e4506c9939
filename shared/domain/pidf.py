"""The incident's location as a PIDF-LO document, for a security desk or a location service to take as it is.

RFC 4119 carries a location in a PIDF presence document (RFC 3863): one `tuple` whose `status` holds a `gp:geopriv`
with the location (`gp:location-info`), the rules for its use (`gp:usage-rules`) and how it was found (`gp:method`).
The civic part is RFC 5139's `ca:civicAddress`; the geodetic part follows RFC 5491: a GML point, or a GeoShape circle
whose radius is the uncertainty, in WGS 84 (EPSG 4326, latitude then longitude) with the radius in metres; civic and
geodetic go in one `location-info` when both describe the place. RFC 5491 also puts the time the location was found
in the tuple's `timestamp`. Built with ElementTree, so every value is escaped; characters XML cannot carry (control
characters) are dropped and runs of whitespace collapsed, as the civic schema's token type reads them anyway.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.civic import RFC5139, CivicAddress

PIDF = "urn:ietf:params:xml:ns:pidf"
GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
GBP = "urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy"
CA = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML = "http://www.opengis.net/gml"
GS = "http://www.opengis.net/pidflo/1.0"
WGS84 = "urn:ogc:def:crs:EPSG::4326"  # RFC 5491: 2-D shapes in WGS 84, latitude then longitude
METRES = "urn:ogc:def:uom:EPSG::9001"
RETENTION = timedelta(hours=24)  # usage rule: a recipient keeps the location no longer than a day
# gp:method takes a token of the IANA "Method Tokens" registry that RFC 4119 set up (how the location was found).
METHODS = frozenset({"GPS", "A-GPS", "Manual", "DHCP", "Triangulation", "Cell", "802.11", "Wiremap"})

for _prefix, _uri in (("gp", GP), ("gbp", GBP), ("ca", CA), ("gml", GML), ("gs", GS)):
    ET.register_namespace(_prefix, _uri)

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HOUSE_NUMBER = re.compile(r"(?P<hno>[0-9]+)(?:(?P<letter>[A-Za-z])|\s+(?P<fraction>[0-9]/[0-9]))?[\s,]+(?P<rd>\S.*)")
_COUNTRY = re.compile("[A-Z]{2}")


def pidf_lo(entity: str, address: CivicAddress | None, point: tuple[float, float] | None, radius_m: float | None,
            at: datetime, method: str, note: str | None = None) -> bytes:
    """A PIDF-LO document (UTF-8, with declaration) for `entity` (a pres: URI) located at `at`; pure.

    `point` is (latitude, longitude) in WGS 84; with `radius_m` it becomes a circle of that radius (the uncertainty).
    Raises ValueError for what would make a wrong document: no location at all, a radius without a point, coordinates
    out of range, a naive `at`, a method that is not a registered token, an entity that is not a pres: URI.
    """
    _check(entity, address, point, radius_m, at, method)
    # PIDF is the default namespace, as in the RFCs' examples. ElementTree's `default_namespace` refuses unprefixed
    # attributes (entity, id), so the root declares it and PIDF's own elements are written unprefixed under it.
    presence = ET.Element("presence", xmlns=PIDF, entity=entity)
    tuple_ = ET.SubElement(presence, "tuple", id="location")
    geopriv = ET.SubElement(ET.SubElement(tuple_, "status"), f"{{{GP}}}geopriv")
    info = ET.SubElement(geopriv, f"{{{GP}}}location-info")
    if point is not None:
        _shape(info, point, radius_m)
    if address is not None:
        _civic(info, address)
    rules = ET.SubElement(geopriv, f"{{{GP}}}usage-rules")
    ET.SubElement(rules, f"{{{GBP}}}retransmission-allowed").text = "false"
    ET.SubElement(rules, f"{{{GBP}}}retention-expiry").text = _datetime(at + RETENTION)
    ET.SubElement(geopriv, f"{{{GP}}}method").text = method
    if _text(note):
        ET.SubElement(tuple_, "note").text = _text(note)
    ET.SubElement(tuple_, "timestamp").text = _datetime(at)
    ET.indent(presence)
    document: bytes = ET.tostring(presence, encoding="UTF-8", xml_declaration=True)
    return document


def civic_from_location(location: dict[str, Any]) -> CivicAddress | None:
    """The agent's free-form location (`AgentLocation.as_profile()`) as an RFC 5139 address; None without a country
    (ISO 3166-1 alpha-2) or a street line. A leading house number ("1 Example Plaza", "221B …", "12 1/2 …") becomes
    HNO (and HNS), the rest of the line RD; a line without one ("Example Plaza 1", "1st Avenue") stays whole in RD."""
    country, line = _text(location.get("countryCode")).upper(), _text(location.get("address"))
    if not _COUNTRY.fullmatch(country) or not line:
        return None
    number = _HOUSE_NUMBER.fullmatch(line)
    return CivicAddress(
        country=country, a3=_text(location.get("city")) or None, pc=_text(location.get("postalCode")) or None,
        rd=number["rd"] if number else line, hno=number["hno"] if number else None,
        hns=(number["letter"] or number["fraction"]) if number else None,
        flr=_text(location.get("floor")) or None, room=_text(location.get("room")) or None)


def _check(entity: str, address: CivicAddress | None, point: tuple[float, float] | None, radius_m: float | None,
           at: datetime, method: str) -> None:
    if not entity.startswith("pres:") or _text(entity) != entity or " " in entity:
        raise ValueError(f"entity must be a pres: URI, not {entity!r}")
    if address is None and point is None:
        raise ValueError("a location needs a civic address, a point, or both")
    if radius_m is not None and (point is None or not math.isfinite(radius_m) or radius_m <= 0):
        raise ValueError("a radius needs a point and must be a positive number of metres")
    if point is not None and not (_finite_within(point[0], 90) and _finite_within(point[1], 180)):
        raise ValueError(f"latitude and longitude out of range: {point!r}")
    if address is not None and not _COUNTRY.fullmatch(_text(address.country).upper()):
        raise ValueError(f"country must be an ISO 3166-1 alpha-2 code, not {address.country!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the time must carry its time zone")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, not {method!r}")


def _shape(info: ET.Element, point: tuple[float, float], radius_m: float | None) -> None:
    """A gml:Point, or with a radius a gs:Circle around it (RFC 5491)."""
    tag = f"{{{GML}}}Point" if radius_m is None else f"{{{GS}}}Circle"
    shape = ET.SubElement(info, tag, srsName=WGS84)
    ET.SubElement(shape, f"{{{GML}}}pos").text = f"{_number(point[0])} {_number(point[1])}"
    if radius_m is not None:
        ET.SubElement(shape, f"{{{GS}}}radius", uom=METRES).text = _number(radius_m)


def _civic(info: ET.Element, address: CivicAddress) -> None:
    """ca:civicAddress with the set parts, in the order of RFC 5139's schema (a sequence: order is checked)."""
    civic = ET.SubElement(info, f"{{{CA}}}civicAddress")
    values = asdict(address)
    for name, attr in RFC5139.items():
        value = _text(values[attr])
        if value:
            ET.SubElement(civic, f"{{{CA}}}{name}").text = value.upper() if name == "country" else value


def _text(value: object) -> str:
    """Text XML can carry, whitespace collapsed (what xs:token reads anyway); "" for anything but text or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return " ".join(_NOT_XML.sub("", str(value)).split())


def _number(value: float) -> str:
    return repr(float(value))  # the shortest text that reads back as the same double


def _finite_within(value: float, limit: float) -> bool:
    return math.isfinite(value) and -limit <= value <= limit


def _datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
