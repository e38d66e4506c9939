"""Realistic notification contexts a template must render with before it is saved, not only the preview's sample.

A template that behaves only on the sample (`{% if agent_id != '<sample>' %}…`) is caught here: each context has
its own agent, call id, country, number and time zone; some lack a location or a callback number; one has a long
name and a long location (the incident context keeps each part of a location to 200 characters).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

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
    )
