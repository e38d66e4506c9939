"""The incident's location as a PIDF-LO document through the local host (issue 19, part 5): what the dial sent,
valid against the RFCs' schemas, for admins and auditors only."""

from __future__ import annotations

import urllib.request
from typing import Any

from lxml import etree

from local.stack import Client, as_principal
from tests.e2e.test_admin_api import AUDITOR, NO_ROLE
from tests.unit.test_pidf import NS, SCHEMAS, _LocalCopies, check

LOCATION = {"countryCode": "US", "address": "1 Example Plaza", "city": "Springfield", "postalCode": "62701",
            "floor": "3", "room": "301", "latitude": 39.7817, "longitude": -89.6501, "accuracyMeters": 25}


def fetch(client: Client, path: str, principal: dict[str, Any] | None = None) -> tuple[int, str, bytes]:
    headers = dict(client.headers) | (as_principal(principal) if principal else {})
    request = urllib.request.Request(client.base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_the_location_a_dial_sent_is_a_valid_pidf_lo_document(client: Client) -> None:
    status, answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                         "countryCode": "US", "location": LOCATION})
    assert status == 200, answer
    path = f"/api/manage/incidents/{answer['emergencyCallId']}/location.xml"
    status, content_type, body = fetch(client, path)
    assert status == 200 and content_type.startswith("application/pidf+xml"), (status, content_type, body[:200])
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalCopies())
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "pidf-lo.xsd"), parser))
    assert check(schema, body) == []
    document = etree.fromstring(body)
    civic = {etree.QName(e).localname: e.text for e in document.find(".//ca:civicAddress", NS)}
    assert civic == {"country": "US", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1", "FLR": "3",
                     "PC": "62701", "ROOM": "301"}
    assert document.find(".//gs:Circle", NS) is not None  # the coordinates with their accuracy
    assert document.findtext(".//gp:method", namespaces=NS) == "Manual"
    assert fetch(client, path, AUDITOR)[0] == 200
    assert fetch(client, path, NO_ROLE)[0] == 403


def test_an_unknown_incident_is_404(client: Client) -> None:
    status, _, body = fetch(client, "/api/manage/incidents/no-such-call/location.xml")
    assert status == 404 and b"no emergency incident" in body


def test_a_confirmed_site_s_civic_address_is_the_document_s_and_junk_sent_as_one_is_not_believed(
        client: Client) -> None:
    civic = {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1", "PC": "62701",
             "FLR": "3", "ROOM": "301"}
    status, answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                         "countryCode": "US", "location": LOCATION | {"civic": civic}})
    assert status == 200, answer
    status, _, body = fetch(client, f"/api/manage/incidents/{answer['emergencyCallId']}/location.xml")
    assert status == 200
    document = etree.fromstring(body)
    found = {etree.QName(e).localname: e.text for e in document.find(".//ca:civicAddress", NS)}
    assert found == civic
    junk = {"country": {"x": 1}, "RD": ["a"], "HNO": 7}
    status, answer = client.post("/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933",
                                                         "countryCode": "US", "location": LOCATION | {"civic": junk}})
    assert status == 200, answer
    status, _, body = fetch(client, f"/api/manage/incidents/{answer['emergencyCallId']}/location.xml")
    assert status == 200  # the street address sent with the call instead
    assert etree.fromstring(body).findtext(".//ca:RD", namespaces=NS) == "Example Plaza"
