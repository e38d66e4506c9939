"""Realistic notification contexts a template must render with before it is saved, not only the preview's sample.

A template that behaves only on the sample (`{% if agent_id != '<sample>' %}…`) is caught here: each context has
its own agent, call id, country, number and time zone; some lack a location or a callback number; one has a long
name and a long location (the incident context keeps each part of a location to 200 characters).

`longest_contexts` are the longest a real call of each supported country is likely to carry: the SMS of a template
must fit in two segments with each of them, and the template editor previews every channel with them. Fictional
numbers only: 555-01xx in the NANP countries, Ofcom's drama range (020 7946 0xxx) in GB, ACMA's (02 5550 xxxx) in AU.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unicodedata import normalize

from shared.domain.notification_context import NotificationContext, sample_context

LONG_NAME = "Maria-Alejandra Montserrat de los Ángeles Fernández-Castellanos y Villalobos-Øresund " * 2


def validation_contexts() -> tuple[tuple[str, NotificationContext], ...]:
    """(label, context) pairs; the first is the preview's sample."""
    base = sample_context()
    at = datetime(2027, 3, 14, 3, 7, tzinfo=UTC)

    def call(agent: str, number: str, country: str, name: str, zone: str, **changes: object) -> NotificationContext:
        ctx = replace(base, agent_id=agent, agent_name=agent.split("@")[0].replace(".", " ").title(),
                      dialed_number=number, country=country, country_name=name, agent_timezone=zone,
                      dialed_at=at, callback_window_ends=at + timedelta(minutes=60),
                      emergency_call_id=f"ec-{country.lower()}-{agent.split('@')[0]}-0001",
                      location_confirmed_at=at - (base.dialed_at - base.location_confirmed_at)
                      if base.location_confirmed_at else None)
        if changes.get("location") == "":
            ctx = replace(ctx, location_site="", location_floor="", location_room="", location_source="none",
                          location_confirmed_at=None, latitude=None, longitude=None)
        return replace(ctx, **changes)  # type: ignore[arg-type]

    return (
        ("sample (US)", base),
        ("CA without location", call("bob.agent@example.org", "911", "CA", "Canada", "America/Toronto",
                                     location="", callback_number="+16135550188")),
        ("GB without callback number, typed location", call(
            "carol@example.co.uk", "999", "GB", "United Kingdom", "Europe/London", callback_number="",
            location="10 Example Street, Floor 2, London", location_source="typed", location_site="",
            location_room="", location_floor="2", location_confirmed_at=None, latitude=None, longitude=None)),
        ("DK, 112", call("dorte@example.dk", "112", "DK", "Denmark", "Europe/Copenhagen",
                         location="Eksempelvej 1, 2. sal, København", callback_number="+4570100100")),
        ("AU, no location or callback number", call("ed@example.com.au", "000", "AU", "Australia",
                                                    "Australia/Sydney", location="", callback_number="")),
        ("US test call to 933, long name", call("x" * 60 + "@example.com", "933", "US", "United States",
                                                "Pacific/Honolulu", is_test=True, agent_name=LONG_NAME.strip(),
                                                location=("Suite 1200, " * 20)[:200])),
        ("US direct offer, no pool number", call("gina@example.com", "911", "US", "United States", "America/Denver",
                                                 callback_path="direct_offer", callback_number="")),
        ("CA direct offer with a read-out number", call("hugo@example.org", "911", "CA", "Canada",
                                                        "America/Vancouver", callback_path="direct_offer",
                                                        callback_number="+16045550177")),
        ("unknown time zone, location confirmed long ago", call(
            "frank@example.com", "911", "PR", "Puerto Rico", "Not/AZone", location_source="unconfirmed",
            location_confirmed_at=at - timedelta(days=9))),
        ("US, the network's site only", call("ivy@example.com", "911", "US", "United States", "America/New_York",
                                             location="1 Example Plaza, Springfield IL 62701",
                                             location_source="network-suggested", location_floor="",
                                             location_room="", location_confirmed_at=None, latitude=None,
                                             longitude=None)),
        *longest_contexts(),
    )


# The longest values a call of each country is likely to carry: a double-barrelled name with a middle name, a long
# site name, the site's civic address as the agent reads it out (addresses.readout: street, locality, building,
# floor, suite, room), a location last confirmed the day before (the longest caveat that keeps floor and room), a
# four-letter time zone where the country has one, and the country's longest callback number.
_LONGEST = (
    ("US", "United States", "911", "America/Anchorage", "Maria-Alejandra P. Fernández-Castellanos", "+19075550123",
     "Anchorage North Customer Contact Center", "12345 North Example Boulevard, Anchorage AK 99501, Building C, "
     "floor 12, Suite 1200, room 1204", "12", "1204"),
    ("PR", "Puerto Rico", "911", "America/Puerto_Rico", "María de los Ángeles Rodríguez-Santiago", "+17875550123",
     "Centro de Servicio al Cliente de Bayamón", "1234 Calle Ejemplo de la Fortaleza, Bayamón PR 00961, building "
     "Torre B, floor 10, Suite 1000, room 1012", "10", "1012"),
    ("CA", "Canada", "911", "America/Toronto", "Geneviève Tremblay-Bélanger-Desrosiers", "+15145550123",
     "Centre de contact Montréal Centre-Ville", "1234 rue Sainte-Catherine Ouest, Montréal QC H3B 1A7, building "
     "Tour Ouest, floor 22, Suite 2200, room 2215", "22", "2215"),
    ("GB", "United Kingdom", "999", "Europe/London", "Alexandra Fitzgerald-Montgomery-Smythe", "+442079460123",
     "Riverside House Customer Service Centre", "123 Example Road, Stratford-upon-Avon, CV37 6AB, Riverside House, "
     "floor 3, Suite 310, room 312", "3", "312"),
    ("DK", "Denmark", "112", "Europe/Copenhagen", "Anne-Sofie Østergaard Christiansen-Bæk", "+4535550123",
     "Kundeservicecenter København Nordvest", "Eksempelvej 123B, 2400 København NV, building C, 4. sal, suite 12, "
     "room 415", "4. sal", "415"),
    ("AU", "Australia", "000", "Australia/Sydney", "Alexandra Konstantinidis-Papadopoulos", "+61255500123",
     "Parramatta Customer Contact Centre", "345 Example Parade, Parramatta NSW 2150, Building A, Level 12, "
     "Suite 1204, room 1204B", "Level 12", "1204B"),
)


def longest_contexts() -> tuple[tuple[str, NotificationContext], ...]:
    """(label, context) per supported country, with the longest values a real call there is likely to carry."""
    at = datetime(2027, 7, 14, 3, 7, tzinfo=UTC)  # northern summer: the four-letter zones (AKDT, CEST, AEST)
    cases = []
    for country, name, number, zone, agent, callback, site, location, floor, room in _LONGEST:
        local = normalize("NFKD", agent.split()[0].split("-")[0].lower()).encode("ascii", "ignore").decode()
        cases.append((f"{country}, longest", NotificationContext(
            agent_name=agent, agent_id=f"{local}.{country.lower()}@example.com", dialed_number=number,
            country=country, country_name=name, dialed_at=at, agent_timezone=zone, callback_number=callback,
            callback_window_ends=at + timedelta(minutes=60), location=location, is_test=False,
            emergency_call_id=f"ec-{country.lower()}-longest-7f3a2b1c-0d4e-4f5a-9b6c-8d7e6f5a4b3c",
            callback_path="direct_routing", location_site=site, location_floor=floor, location_room=room,
            location_source="unconfirmed", location_confirmed_at=at - timedelta(hours=23, minutes=55),
            latitude=None, longitude=None)))
    return tuple(cases)


def sms_contexts() -> tuple[tuple[str, NotificationContext], ...]:
    """What a template's SMS must fit in two segments with: each country's longest call, the same on the direct-offer
    path without a pool number (no number to show), and the longest US call as a test call to 933."""
    longest = longest_contexts()
    direct_offer = tuple((f"{label}, direct offer", replace(c, callback_path="direct_offer", callback_number=""))
                         for label, c in longest)
    us_label, us = longest[0]
    return (*longest, *direct_offer, (f"{us_label}, test call to 933", replace(us, dialed_number="933", is_test=True)))
