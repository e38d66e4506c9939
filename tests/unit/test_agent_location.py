"""The agent confirms her dispatchable location on her panel: strict validation, kept on her profile."""

from __future__ import annotations

from typing import Any

import pytest

from shared import commands
from shared.domain.calls import Agent
from shared.errors import NotFound, ValidationError
from shared.services.agent_profile import save_location
from tests.fakes import T0, FakeDeps

GOOD = {"countryCode": "us", "address": "1 Example Plaza", "floor": "3", "room": "301", "city": "Springfield, IL",
        "latitude": 39.78, "longitude": -89.65, "accuracyMeters": 25}


def refused(body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        commands.agent_location(body)
    return caught.value


def test_a_confirmed_location_is_parsed_with_its_country_upper_cased() -> None:
    location = commands.agent_location(GOOD)
    assert location.country_code == "US" and location.address == "1 Example Plaza" and location.enabled is True
    assert location.as_profile()["floor"] == "3" and location.as_profile()["latitude"] == 39.78


@pytest.mark.parametrize("body, field, words", [
    ({**GOOD, "countryCode": "USA"}, "countryCode", "ISO 3166-1 alpha-2"),
    ({**GOOD, "countryCode": None}, "countryCode", "required"),
    ({**GOOD, "address": "  "}, "address", "required"),
    ({**GOOD, "address": "1 Example Plaza\nFloor 9"}, "address", "one line"),
    ({**GOOD, "floor": "x" * 33}, "floor", "at most 32"),
    ({**GOOD, "room": 301}, "room", "string"),
    ({**GOOD, "latitude": 91}, "latitude", "between -90 and 90"),
    ({**GOOD, "longitude": "east"}, "longitude", "number"),
    ({**GOOD, "latitude": True}, "latitude", "number"),
    ({**GOOD, "accuracyMeters": -1}, "accuracyMeters", "between 0"),
    ({**GOOD, "enabled": "yes"}, "enabled", "true or false"),
    ({**GOOD, "latitude": 39.78, "longitude": None}, "longitude", "both"),
    ({**GOOD, "signInId": "someone-else"}, "signInId", "not a field"),
])
def test_bad_input_is_refused_naming_the_field(body: dict[str, Any], field: str, words: str) -> None:
    error = refused(body)
    assert error.field == field and words in error.message, (error.field, error.message)


def test_location_sharing_off_needs_no_address() -> None:
    location = commands.agent_location({"enabled": False})
    assert location.enabled is False and location.country_code is None


def test_saving_keeps_the_location_on_her_profile_with_the_time_and_leaves_the_rest() -> None:
    deps = FakeDeps()
    deps.agents.put(Agent(agent_id="alice", display_name="Alice", email_recipients="a@example.com",
                          last_location={"countryCode": "DK", "address": "old"}))
    saved = save_location("alice", commands.agent_location(GOOD), deps)
    agent = deps.agents.get("alice")
    assert agent is not None and agent.last_location == saved
    assert saved["countryCode"] == "US" and saved["reportedAt"] == T0.isoformat() and saved["confirmedBy"] == "agent"
    assert agent.email_recipients == "a@example.com" and agent.display_name == "Alice"


def test_an_agent_without_a_profile_cannot_save_a_location() -> None:
    with pytest.raises(NotFound):
        save_location("nobody", commands.agent_location(GOOD), FakeDeps())
