"""The notification's facts from the call record and the agent; delivery record decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.calls import Agent, EmergencyCall
from shared.domain.delivery import REPEATABILITY_WINDOW, SendResult, claim, first_sent, settle
from shared.domain.incident_context import context_for, describe_location
from tests.fakes import T0

CALL = EmergencyCall("ec-1", "alice", "112", "dk", False, T0, agent_name="Alice Example")


@pytest.mark.parametrize(("location", "text"), [
    (None, ""),
    ({}, ""),
    ({"countryCode": "US"}, ""),
    ({"address": "1 Example Plaza", "floor": 3, "room": "301", "city": "Springfield", "state": "IL",
      "postalCode": "62701"}, "1 Example Plaza, Floor 3, Room 301, Springfield, IL 62701"),
    ({"floor": "3rd floor"}, "3rd floor"),
    ({"lat": 41.8789, "lon": -87.6359, "accuracy": 25.4}, "coordinates 41.87890, -87.63590, accuracy 25 m"),
    ({"address": "1 Example Plaza", "latitude": 41.8789, "longitude": -87.6359},
     "1 Example Plaza (coordinates 41.87890, -87.63590)"),
    ({"lat": 141.0, "lon": 0.0}, ""),
    ({"lat": True, "lon": 0.0, "address": {"nested": "object"}}, ""),
    ({"address": "  1 Example\nPlaza  "}, "1 Example Plaza"),
])
def test_location_is_described_as_one_readable_line(location: dict | None, text: str) -> None:
    assert describe_location(location) == text


def test_context_takes_callback_country_and_time_zone_from_record_and_agent() -> None:
    call = replace(CALL, callback_number="+4512345678", callback_until=T0 + timedelta(minutes=90))
    ctx = context_for(call, Agent("alice", "Alice", timezone="Europe/Copenhagen"))
    assert (ctx.country, ctx.country_name, ctx.agent_timezone) == ("DK", "Denmark", "Europe/Copenhagen")
    assert ctx.callback_number == "+4512345678" and ctx.callback_window_ends == T0 + timedelta(minutes=90)
    assert ctx.agent_name == "Alice Example" and not ctx.is_test


def test_context_without_agent_callback_or_country_still_renders() -> None:
    ctx = context_for(replace(CALL, country=None, agent_name=""), None)
    assert (ctx.country, ctx.country_name, ctx.agent_name, ctx.callback_number) == (
        "unknown", "unknown country", "alice", "")
    assert ctx.callback_window_ends == T0 + timedelta(minutes=60)


def test_first_sent_is_kept_inside_the_repeatability_window_only() -> None:
    record = claim(None, "ec-1", "sms", "+12025550142", T0)
    assert first_sent(record, T0 + REPEATABILITY_WINDOW - timedelta(seconds=1)) == T0
    late = T0 + REPEATABILITY_WINDOW
    assert first_sent(record, late) == late


def test_a_claim_counts_attempts_and_keeps_the_first_attempt_time() -> None:
    first = claim(None, "ec-1", "email", "a@example.com", T0)
    again = claim(settle(first, SendResult(False, reason="503", transient=True), T0), "ec-1", "email",
                  "a@example.com", T0 + timedelta(minutes=1))
    assert (again.status, again.attempts, again.first_attempt_at, again.operation_id) == (
        "queued", 2, T0, first.operation_id)
