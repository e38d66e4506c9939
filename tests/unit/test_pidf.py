"""The incident's location as PIDF-LO (RFC 4119, RFC 5139 civic address, RFC 5491 shapes), checked against the RFCs'
XML schemas (tests/schemas/pidf-lo/, README there), and the agent's free-form location mapped to RFC 5139 fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from shared.commands import AgentLocation
from shared.domain.civic import CivicAddress
from shared.domain.pidf import CA, GBP, GML, GP, GS, PIDF, civic_from_location, pidf_lo

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "pidf-lo"
NS = {"p": PIDF, "gp": GP, "gbp": GBP, "ca": CA, "gml": GML, "gs": GS}
AT = datetime(2025, 3, 4, 15, 16, 17, tzinfo=UTC)
ENTITY = "pres:agent-42@contact.example.com"
PLAZA = CivicAddress(country="US", a1="IL", a3="Springfield", rd="Example", sts="Plaza", hno="1", pc="62701",
                     flr="3", room="301", nam="Example Contact Center")
AARHUS = CivicAddress(country="DK", a3="Århus", rd="Eksempelvej", hno="12", hns="B", pc="8000", flr="2",
                      loc='Desk 7 & 8 <north> "quiet" wing', nam="Example & Søn's <Center>")


class _LocalCopies(etree.Resolver):
    """The RFC schemas import xml.xsd from w3.org; the check never goes to the network, it reads the copy here."""

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if url == "http://www.w3.org/2001/xml.xsd":
            return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
        return None


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalCopies())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "pidf-lo.xsd"), parser))


def check(schema: etree.XMLSchema, document: bytes | etree._Element) -> list[str]:
    """The schema's complaints about a document (none when valid)."""
    tree = etree.fromstring(document) if isinstance(document, bytes) else document
    schema.validate(tree)
    return [error.message for error in schema.error_log]


def civic_values(document: bytes) -> dict[str, str]:
    civic = etree.fromstring(document).find(".//ca:civicAddress", NS)
    assert civic is not None
    return {etree.QName(child).localname: child.text or "" for child in civic}


# --- documents the schemas accept, read back as written -----------------------------------------------------------

def test_a_civic_only_location_is_valid_and_reads_back_as_written(schema: etree.XMLSchema) -> None:
    # GIVEN the site's address; WHEN it is written as PIDF-LO without coordinates
    document = pidf_lo(ENTITY, PLAZA, None, None, AT, "Manual")
    # THEN the RFC schemas accept it, it carries no shape, and every part reads back under its RFC 5139 name
    assert check(schema, document) == []
    tree = etree.fromstring(document)
    assert tree.find(".//gml:Point", NS) is None and tree.find(".//gs:Circle", NS) is None
    assert civic_values(document) == PLAZA.as_json()


def test_a_point_only_location_is_a_gml_point_in_wgs84_latitude_first(schema: etree.XMLSchema) -> None:
    document = pidf_lo(ENTITY, None, (39.7817, -89.6501), None, AT, "GPS")
    assert check(schema, document) == []
    point = etree.fromstring(document).find("p:tuple/p:status/gp:geopriv/gp:location-info/gml:Point", NS)
    assert point is not None and point.get("srsName") == "urn:ogc:def:crs:EPSG::4326"
    assert [float(x) for x in point.findtext("gml:pos", namespaces=NS).split()] == [39.7817, -89.6501]
    assert etree.fromstring(document).find(".//ca:civicAddress", NS) is None


def test_a_point_with_an_uncertainty_and_an_address_share_one_location_info(schema: etree.XMLSchema) -> None:
    # GIVEN coordinates with a 25 m accuracy and the civic address of the same place
    document = pidf_lo(ENTITY, PLAZA, (39.7817, -89.6501), 25.0, AT, "Manual")
    # THEN one location-info holds a GeoShape circle (radius in metres, EPSG 9001) and the civic address
    assert check(schema, document) == []
    infos = etree.fromstring(document).findall(".//gp:location-info", NS)
    assert len(infos) == 1
    circle = infos[0].find("gs:Circle", NS)
    assert circle is not None and circle.get("srsName") == "urn:ogc:def:crs:EPSG::4326"
    assert circle.findtext("gml:pos", namespaces=NS) == "39.7817 -89.6501"
    radius = circle.find("gs:radius", NS)
    assert radius is not None and radius.get("uom") == "urn:ogc:def:uom:EPSG::9001" and float(radius.text or "") == 25
    assert infos[0].find("ca:civicAddress", NS) is not None and infos[0].find("gml:Point", NS) is None


def test_characters_that_need_escaping_are_escaped_and_read_back_unchanged(schema: etree.XMLSchema) -> None:
    # GIVEN a Danish address with &, <, >, quotes, an apostrophe and non-ASCII letters, and such a note
    note = 'Agent said: "2nd floor" & <desk 7>, Århus'
    document = pidf_lo(ENTITY, AARHUS, (56.1572, 10.2107), 10.0, AT, "Manual", note=note)
    # THEN the document is well-formed UTF-8 the schemas accept, and the values parse back as they were
    assert check(schema, document) == []
    assert b"&amp;" in document and b"&lt;" in document and "Århus".encode() in document
    assert civic_values(document) == AARHUS.as_json()
    assert etree.fromstring(document).findtext("p:tuple/p:note", namespaces=NS) == note


def test_the_document_is_utf8_with_a_declaration_and_the_entity_is_the_pres_uri() -> None:
    document = pidf_lo(ENTITY, PLAZA, None, None, AT, "Manual")
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    tree = etree.fromstring(document)
    assert tree.tag == f"{{{PIDF}}}presence" and tree.get("entity") == ENTITY


def test_civic_parts_are_written_in_the_order_of_rfc_5139s_schema() -> None:
    document = pidf_lo(ENTITY, PLAZA, None, None, AT, "Manual")
    assert list(civic_values(document)) == ["country", "A1", "A3", "RD", "STS", "HNO", "FLR", "NAM", "PC", "ROOM"]


def test_usage_rules_forbid_retransmission_and_expire_a_day_after_the_location_was_found() -> None:
    document = pidf_lo(ENTITY, PLAZA, None, None, AT, "Wiremap")
    geopriv = etree.fromstring(document).find("p:tuple/p:status/gp:geopriv", NS)
    assert geopriv is not None
    assert geopriv.findtext("gp:usage-rules/gbp:retransmission-allowed", namespaces=NS) == "false"
    expiry = geopriv.findtext("gp:usage-rules/gbp:retention-expiry", namespaces=NS) or ""
    assert datetime.fromisoformat(expiry.replace("Z", "+00:00")) == AT + timedelta(hours=24)
    assert geopriv.findtext("gp:method", namespaces=NS) == "Wiremap"


def test_the_tuple_timestamp_is_when_the_location_was_found_in_utc() -> None:
    found = datetime(2025, 3, 4, 10, 16, 17, tzinfo=timezone(timedelta(hours=-5)))
    document = pidf_lo(ENTITY, PLAZA, None, None, found, "Manual")
    assert etree.fromstring(document).findtext("p:tuple/p:timestamp", namespaces=NS) == "2025-03-04T15:16:17Z"


def test_characters_xml_cannot_carry_are_dropped_and_whitespace_collapsed(schema: etree.XMLSchema) -> None:
    address = CivicAddress(country="us", rd="Example\x00 \x1b Plaza\t\n", room="  ", flr="3\ufffe")
    document = pidf_lo(ENTITY, address, None, None, AT, "Manual", note="\x08")
    assert check(schema, document) == []
    assert civic_values(document) == {"country": "US", "RD": "Example Plaza", "FLR": "3"}
    assert etree.fromstring(document).find("p:tuple/p:note", NS) is None


# --- the check can fail: wrong documents are refused by the schemas -------------------------------------------------

def _civic(tree: etree._Element) -> etree._Element:
    civic = tree.find(".//ca:civicAddress", NS)
    assert civic is not None
    return civic


def _floor_before_road(tree: etree._Element) -> None:
    civic = _civic(tree)
    floor = civic.find("ca:FLR", NS)
    assert floor is not None
    civic.insert(1, floor)  # lxml moves the element: FLR now comes before A1, A3, RD


def _unknown_civic_element(tree: etree._Element) -> None:
    etree.SubElement(_civic(tree), f"{{{CA}}}ELEVATOR").text = "B"


def _lower_case_country(tree: etree._Element) -> None:
    country = _civic(tree).find("ca:country", NS)
    assert country is not None
    country.text = "us"


def _circle_without_radius(tree: etree._Element) -> None:
    radius = tree.find(".//gs:radius", NS)
    assert radius is not None
    radius.getparent().remove(radius)


def _radius_without_unit(tree: etree._Element) -> None:
    radius = tree.find(".//gs:radius", NS)
    assert radius is not None
    del radius.attrib["uom"]


def _position_not_numbers(tree: etree._Element) -> None:
    pos = tree.find(".//gml:pos", NS)
    assert pos is not None
    pos.text = "north-east"


def _retransmission_no(tree: etree._Element) -> None:
    allowed = tree.find(".//gbp:retransmission-allowed", NS)
    assert allowed is not None
    allowed.text = "no"  # xs:boolean: true, false, 1 or 0


def _no_usage_rules(tree: etree._Element) -> None:
    rules = tree.find(".//gp:usage-rules", NS)
    assert rules is not None
    rules.getparent().remove(rules)


def _timestamp_not_a_time(tree: etree._Element) -> None:
    stamp = tree.find("p:tuple/p:timestamp", NS)
    assert stamp is not None
    stamp.text = "yesterday"


@pytest.mark.parametrize("spoil, words", [
    (_floor_before_road, "civicAddr}A1': This element is not expected"),
    (_unknown_civic_element, "civicAddr}ELEVATOR': This element is not expected"),
    (_lower_case_country, "pattern '[A-Z]{2}'"),
    (_circle_without_radius, "Missing child element(s). Expected is ( {http://www.opengis.net/pidflo/1.0}radius )"),
    (_radius_without_unit, "attribute 'uom' is required"),
    (_position_not_numbers, "'north-east' is not a valid value of the atomic type 'xs:double'"),
    (_retransmission_no, "'no' is not a valid value of the atomic type 'xs:boolean'"),
    (_no_usage_rules, "Expected is ( {urn:ietf:params:xml:ns:pidf:geopriv10}usage-rules )"),
    (_timestamp_not_a_time, "'yesterday' is not a valid value of the atomic type 'xs:dateTime'"),
])
def test_the_schema_check_refuses_a_spoiled_document(schema: etree.XMLSchema,
                                                     spoil: Callable[[etree._Element], None], words: str) -> None:
    # GIVEN a document the schemas accept
    tree = etree.fromstring(pidf_lo(ENTITY, PLAZA, (39.7817, -89.6501), 25.0, AT, "Manual"))
    assert check(schema, tree) == []
    # WHEN one thing in it is made wrong; THEN the check fails, for that reason
    spoil(tree)
    assert any(words in message for message in check(schema, tree))


# --- what pidf_lo refuses to write ----------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, words", [
    ({"address": None, "point": None}, "civic address, a point"),
    ({"point": None, "radius_m": 25.0}, "radius needs a point"),
    ({"point": (39.78, -89.65), "radius_m": 0.0}, "positive"),
    ({"point": (39.78, -89.65), "radius_m": float("nan")}, "positive"),
    ({"point": (91.0, 0.0)}, "out of range"),
    ({"point": (0.0, 180.5)}, "out of range"),
    ({"point": (float("inf"), 0.0)}, "out of range"),
    ({"at": datetime(2025, 3, 4, 15, 16, 17)}, "time zone"),
    ({"method": "Guess"}, "method must be one of"),
    ({"entity": "agent-42@contact.example.com"}, "pres: URI"),
    ({"entity": "pres:agent 42@contact.example.com"}, "pres: URI"),
    ({"address": CivicAddress(country="USA")}, "ISO 3166-1 alpha-2"),
])
def test_a_document_that_would_be_wrong_is_refused(arguments: dict[str, Any], words: str) -> None:
    call: dict[str, Any] = {"entity": ENTITY, "address": PLAZA, "point": None, "radius_m": None, "at": AT,
                            "method": "Manual", **arguments}
    with pytest.raises(ValueError, match=words):
        pidf_lo(**call)


# --- the agent's free-form location as an RFC 5139 address -----------------------------------------------------------

PROFILE = AgentLocation(enabled=True, country_code="US", address="1 Example Plaza", floor="3", room="301",
                        city="Springfield", postal_code="62701", latitude=39.7817, longitude=-89.6501,
                        accuracy_meters=25).as_profile()


def test_the_profile_location_maps_to_civic_fields_with_the_house_number_split_off() -> None:
    assert civic_from_location(PROFILE) == CivicAddress(country="US", a3="Springfield", rd="Example Plaza", hno="1",
                                                        pc="62701", flr="3", room="301")


@pytest.mark.parametrize("line, hno, hns, rd", [
    ("1 Example Plaza", "1", None, "Example Plaza"),
    ("221B Example Street", "221", "B", "Example Street"),
    ("12 1/2 Example Lane", "12", "1/2", "Example Lane"),
    ("12, Example Road", "12", None, "Example Road"),
    ("  7   Example   Way ", "7", None, "Example Way"),
    ("1 A Street", "1", None, "A Street"),
    ("1st Avenue", None, None, "1st Avenue"),
    ("Eksempelvej 12", None, None, "Eksempelvej 12"),
    ("12-14 Example Road", None, None, "12-14 Example Road"),
    ("Example Plaza", None, None, "Example Plaza"),
])
def test_only_a_leading_house_number_is_split_from_the_street(line: str, hno: str | None, hns: str | None,
                                                              rd: str) -> None:
    civic = civic_from_location({"countryCode": "US", "address": line})
    assert civic is not None and (civic.hno, civic.hns, civic.rd) == (hno, hns, rd)


@pytest.mark.parametrize("location", [
    {"address": "1 Example Plaza"},
    {"countryCode": "US"},
    {"countryCode": "US", "address": "   "},
    {"countryCode": "", "address": "1 Example Plaza"},
    {"countryCode": "USA", "address": "1 Example Plaza"},
    {"countryCode": None, "address": None},
    {},
])
def test_without_a_country_or_a_street_line_there_is_no_civic_address(location: dict[str, Any]) -> None:
    assert civic_from_location(location) is None


def test_the_country_is_upper_cased_and_unset_parts_stay_unset() -> None:
    civic = civic_from_location({"countryCode": "dk", "address": "Eksempelvej 12", "city": "Århus", "floor": ""})
    assert civic == CivicAddress(country="DK", a3="Århus", rd="Eksempelvej 12")


def test_a_mapped_profile_location_makes_a_valid_document(schema: etree.XMLSchema) -> None:
    # GIVEN what the agent confirmed on her panel; WHEN the endpoint would write it with her coordinates
    civic = civic_from_location(PROFILE)
    document = pidf_lo(ENTITY, civic, (PROFILE["latitude"], PROFILE["longitude"]), PROFILE["accuracyMeters"], AT,
                       "Manual")
    # THEN the schemas accept it and it says 1 Example Plaza, floor 3, room 301
    assert check(schema, document) == []
    assert civic_values(document) == {"country": "US", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1",
                                      "FLR": "3", "PC": "62701", "ROOM": "301"}
