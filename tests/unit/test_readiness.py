"""Readiness of an agent's emergency call: one case per prerequisite and per routing path."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.calls import Agent
from shared.domain.civic import CivicAddress
from shared.domain.emergency_path import PathKind, Status
from shared.domain.lease import Lease, PoolNumber
from shared.domain.readiness import assess, counts
from shared.domain.sites import Site
from shared.domain.voice_config import (
    CapacityProfile,
    NumberType,
    OutboundProfile,
    ResourceNumber,
    RoutingRule,
    VoiceConfig,
)
from tests.fakes import T0

MS_NUMBER, DR_NUMBER = "+12025550180", "+12025550181"
QUARANTINE = timedelta(minutes=10)
CONFIG = VoiceConfig(
    capacity_profiles=(CapacityProfile("voice-default", "Voice"),),
    outbound_profiles=(OutboundProfile("voice-us", "Voice US", "voice", MS_NUMBER, ("voice-default",)),),
    numbers=(ResourceNumber(MS_NUMBER, NumberType.MICROSOFT, "US"),
             ResourceNumber(DR_NUMBER, NumberType.DIRECT_ROUTING, "US")),
)
RULE_911 = RoutingRule("emergency-911", r"^\+?911$", ("sbc1.example.com",))
POOL = [PoolNumber("+12025550100", "1")]
ALICE = Agent("alice", "Alice Example", outbound_number=MS_NUMBER, email_recipients="desk@example.com",
              outbound_profile="voice-us", capacity_profile="voice-default",
              sign_in_id="00000000-0000-0000-0000-0000000a11ce",
              last_location={"countryCode": "US", "address": "1 Example Plaza", "enabled": True, "floor": "3",
                             "siteId": "springfield", "reportedAt": (T0 - timedelta(hours=2)).isoformat(),
                             "confirmedBy": "agent"})


def check(agent: Agent = ALICE, config: VoiceConfig = CONFIG, pool: list[PoolNumber] | None = None,
          which: str = "", lease_on_direct_offer: bool = True) -> tuple[Status, str, str | None]:
    result = assess(agent, config, POOL if pool is None else pool, T0, QUARANTINE, lease_on_direct_offer)
    found = next(c for c in result.checks if c.check_id == which)
    return found.status, found.reason, found.fix


def test_an_agent_with_everything_in_place_is_ready() -> None:
    result = assess(ALICE, CONFIG, POOL, T0, QUARANTINE)
    assert result.status is Status.PASS
    assert [c.check_id for c in result.checks] == ["sign_in", "voice_profile", "location", "dispatchable_location",
                                                   "mailbox", "recipients", "emergency_path", "callback_number"]
    assert all(c.status is Status.PASS and c.fix is None for c in result.checks)


# --- the signed-in user who is this agent (issue 17) ----------------------------------------------------------


def test_an_agent_no_signed_in_user_is_mapped_to_fails_with_the_reason_and_the_fix() -> None:
    # GIVEN a profile saved without signInId (she has not signed in yet)
    # WHEN readiness is checked
    status, reason, fix = check(replace(ALICE, sign_in_id=None), which="sign_in")
    # THEN it fails, says what happens to her signed-in call, and what to set
    assert status is Status.FAIL
    assert "No signed-in user is mapped to this agent" in reason and "fallback" in reason
    assert fix is not None and "Set signInId to the agent's Entra object id" in fix
    assert assess(replace(ALICE, sign_in_id=None), CONFIG, POOL, T0, QUARANTINE).status is Status.FAIL


def test_an_agent_a_signed_in_user_is_mapped_to_passes_naming_the_user() -> None:
    status, reason, fix = check(which="sign_in")
    assert status is Status.PASS and ALICE.sign_in_id in reason and fix is None


# --- capacity profile associated with a voice outbound profile -------------------------------------------------


@pytest.mark.parametrize("agent, reason", [
    (replace(ALICE, capacity_profile=None), "No capacity profile"),
    (replace(ALICE, capacity_profile="ghost"), "'ghost' does not exist"),
    (replace(ALICE, outbound_profile="ghost"), "Outbound profile 'ghost' does not exist"),
])
def test_a_missing_capacity_or_outbound_profile_fails(agent: Agent, reason: str) -> None:
    status, text, fix = check(agent, which="voice_profile")
    assert status is Status.FAIL and reason in text and fix


def test_an_outbound_profile_for_another_channel_fails() -> None:
    config = replace(CONFIG, outbound_profiles=(OutboundProfile("voice-us", "Chat", "chat", None, ("voice-default",)),))
    status, reason, _ = check(config=config, which="voice_profile")
    assert status is Status.FAIL and "chat channel, not voice" in reason


def test_a_capacity_profile_not_associated_with_the_outbound_profile_fails() -> None:
    config = replace(CONFIG, capacity_profiles=(*CONFIG.capacity_profiles, CapacityProfile("other", "Other")))
    status, reason, fix = check(replace(ALICE, capacity_profile="other"), config, which="voice_profile")
    assert status is Status.FAIL and "not associated with capacity profile 'other'" in reason
    assert fix is not None and "Associate 'other'" in fix


def test_without_an_outbound_profile_any_voice_profile_of_the_capacity_profile_counts() -> None:
    status, reason, _ = check(replace(ALICE, outbound_profile=None, outbound_number=None), which="voice_profile")
    assert status is Status.PASS and "'voice-us'" in reason
    # ... and its outbound number is the one whose emergency path is checked
    assert assess(replace(ALICE, outbound_number=None), CONFIG, POOL, T0, QUARANTINE).outbound_number == MS_NUMBER


# --- browser location -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("location, reason", [
    (None, "has not reported a location"),
    ({"countryCode": "US", "enabled": False}, "turned off"),
    ({"address": "somewhere"}, "no country"),
    ({"countryCode": "FR"}, "FR is not a country where ACS supports emergency calls"),
])
def test_a_missing_disabled_or_unsupported_location_fails(location: dict | None, reason: str) -> None:
    status, text, fix = check(replace(ALICE, last_location=location), which="location")
    assert status is Status.FAIL and reason in text and fix


@pytest.mark.parametrize("country", ["US", "PR", "CA", "DK", "GB", "AU"])
def test_every_supported_country_passes(country: str) -> None:
    assert check(replace(ALICE, last_location={"countryCode": country}), which="location")[0] is Status.PASS


def test_a_location_reported_long_ago_is_a_warning() -> None:
    old = {"countryCode": "US", "reportedAt": (T0 - timedelta(days=30)).isoformat()}
    status, reason, _ = check(replace(ALICE, last_location=old), which="location")
    assert status is Status.WARNING and "30 days ago" in reason


# --- mailbox and recipients -----------------------------------------------------------------------------------


def test_a_disabled_mailbox_fails() -> None:
    assert check(replace(ALICE, mailbox_enabled=False), which="mailbox")[0] is Status.FAIL


def test_no_recipient_fails_and_a_bad_one_is_named() -> None:
    assert check(replace(ALICE, email_recipients=""), which="recipients")[0] is Status.FAIL
    status, reason, _ = check(replace(ALICE, email_recipients="a@example.com; bad@"), which="recipients")
    assert status is Status.FAIL and "'bad@'" in reason


def test_sms_recipients_alone_are_enough() -> None:
    status, reason, _ = check(replace(ALICE, email_recipients="", sms_recipients="+12025550142"), which="recipients")
    assert status is Status.PASS and "0 email and 1 SMS" in reason


# --- emergency path -------------------------------------------------------------------------------------------


def path_of(agent: Agent, config: VoiceConfig = CONFIG) -> tuple[PathKind, Status, str]:
    path = assess(agent, config, POOL, T0, QUARANTINE).path
    return path.kind, path.status, path.explanation


def test_a_microsoft_number_goes_to_microsofts_emergency_service() -> None:
    kind, status, text = path_of(ALICE)
    assert (kind, status) == (PathKind.DIRECT_OFFER, Status.PASS)
    assert "Microsoft's emergency service (direct offer)" in text


def test_a_direct_routing_number_with_a_rule_for_the_emergency_number_goes_through_the_sbc() -> None:
    config = replace(CONFIG, routing_rules=(RULE_911,))
    kind, status, text = path_of(replace(ALICE, outbound_number=DR_NUMBER), config)
    assert (kind, status) == (PathKind.DIRECT_ROUTING, Status.PASS)
    assert "rule 'emergency-911'" in text and "sbc1.example.com" in text


def test_both_paths_and_no_rule_for_the_emergency_number_follows_the_direct_offer_path() -> None:
    kind, status, text = path_of(replace(ALICE, outbound_number=DR_NUMBER))
    assert (kind, status) == (PathKind.DIRECT_OFFER_FALLBACK, Status.WARNING)
    assert "falls back to the Microsoft network and follows the direct-offer path" in text


def test_a_direct_routing_number_with_no_rule_and_no_microsoft_number_has_no_path() -> None:
    config = replace(CONFIG, numbers=(ResourceNumber(DR_NUMBER, NumberType.DIRECT_ROUTING, "US"),))
    kind, status, text = path_of(replace(ALICE, outbound_number=DR_NUMBER), config)
    assert (kind, status) == (PathKind.UNKNOWN, Status.FAIL) and "no known emergency path" in text


def test_a_rule_for_the_emergency_number_takes_even_a_microsoft_numbers_call() -> None:
    kind, _, text = path_of(ALICE, replace(CONFIG, routing_rules=(RULE_911,)))
    assert kind is PathKind.DIRECT_ROUTING and "whatever the caller's number" in text


def test_a_number_the_resource_does_not_have_or_no_number_fails() -> None:
    assert path_of(replace(ALICE, outbound_number="+12025550199"))[:2] == (PathKind.UNKNOWN, Status.FAIL)
    no_number = replace(ALICE, outbound_number=None, outbound_profile=None)
    config = replace(CONFIG, outbound_profiles=(OutboundProfile("voice-us", "V", "voice", None, ("voice-default",)),))
    assert path_of(no_number, config)[:2] == (PathKind.UNKNOWN, Status.FAIL)


def test_gb_with_a_rule_for_999_only_is_mixed() -> None:
    config = replace(CONFIG, routing_rules=(RoutingRule("uk-999", "^999$", ("sbc-uk.example.com",)),))
    agent = replace(ALICE, outbound_number=DR_NUMBER, last_location={"countryCode": "GB"})
    kind, status, text = path_of(agent, config)
    assert (kind, status) == (PathKind.MIXED, Status.WARNING)
    assert "999 matches" in text and "No direct-routing rule matches 112" in text


# --- callback number in the pool ------------------------------------------------------------------------------


def test_no_callback_number_for_the_country_fails_on_direct_routing_and_warns_on_direct_offer() -> None:
    config = replace(CONFIG, routing_rules=(RULE_911,))
    agent = replace(ALICE, outbound_number=DR_NUMBER)
    assert check(agent, config, pool=[], which="callback_number")[0] is Status.FAIL
    assert check(ALICE, pool=[], which="callback_number")[0] is Status.WARNING
    gb = [PoolNumber("+442079460000", "44")]
    status, reason, fix = check(agent, config, pool=gb, which="callback_number")
    assert status is Status.FAIL and "+1" in reason and fix and "+1" in fix


def test_on_the_direct_offer_path_the_pool_is_not_needed_unless_numbers_are_leased_there_too() -> None:
    status, reason, _ = check(ALICE, pool=[], which="callback_number", lease_on_direct_offer=False)
    assert status is Status.PASS and "temporary number" in reason and "LEASE_POOL_NUMBER_ON_DIRECT_OFFER" in reason
    dr = replace(CONFIG, routing_rules=(RULE_911,))  # the rule wins over the Microsoft number: the pool is needed
    assert check(ALICE, dr, pool=[], which="callback_number", lease_on_direct_offer=False)[0] is Status.FAIL
    _, explanation, _ = check(ALICE, which="emergency_path")
    assert "temporary number" in explanation and "rings the agent's ACS identity directly" in explanation


def test_all_numbers_busy_is_a_warning_and_retired_ones_do_not_count() -> None:
    lease = Lease("ec-1", "bob", None, T0, T0 + timedelta(minutes=60))
    busy = [PoolNumber("+12025550100", "1", lease=lease), PoolNumber("+12025550101", "1", retired=True)]
    status, reason, _ = check(pool=busy, which="callback_number")
    assert status is Status.WARNING and "All 1 callback numbers" in reason


def test_counts_tally_agents_by_their_worst_check() -> None:
    results = [assess(a, CONFIG, POOL, T0, QUARANTINE) for a in
               (ALICE, replace(ALICE, mailbox_enabled=False), replace(ALICE, outbound_number=DR_NUMBER))]
    assert counts(results) == {"pass": 1, "warning": 1, "fail": 1}


# --- her dispatchable location, as she confirmed it (issue 19) ------------------------------------------------


def test_her_confirmation_says_the_site_the_place_and_how_long_ago() -> None:
    result = assess(ALICE, CONFIG, POOL, T0, QUARANTINE, sites={"springfield": SPRINGFIELD})
    found = next(c for c in result.checks if c.check_id == "dispatchable_location")
    assert (found.status, found.reason) == (Status.PASS, "Confirmed at site Springfield contact center, floor 3, "
                                                          "2 h ago.")


def test_a_confirmation_outside_every_site_is_said_so() -> None:
    home = {k: v for k, v in ALICE.last_location.items() if k != "siteId"} | {"address": "2 Example Road"}
    status, reason, _ = check(replace(ALICE, last_location=home), which="dispatchable_location")
    assert (status, reason) == (Status.PASS, "Confirmed outside every site (2 Example Road), floor 3, 2 h ago.")


def test_an_old_or_missing_confirmation_is_a_warning_with_the_fix() -> None:
    old = ALICE.last_location | {"reportedAt": (T0 - timedelta(hours=13)).isoformat()}
    status, reason, fix = check(replace(ALICE, last_location=old), which="dispatchable_location")
    assert status is Status.WARNING and reason.startswith("Not confirmed in the last 12 hours: last confirmed at "
                                                          "site springfield, floor 3, 13 h ago") and fix
    by_admin = {"countryCode": "US", "address": "1 Example Plaza"}  # set on the profile, never confirmed by her
    status, reason, fix = check(replace(ALICE, last_location=by_admin), which="dispatchable_location")
    assert status is Status.WARNING and reason.startswith("Never confirmed by the agent") and fix


SPRINGFIELD = Site("springfield", "Springfield contact center",
                   CivicAddress("US", a1="IL", a3="Springfield", rd="Example Plaza", hno="1", pc="62701"),
                   desk_sms=("+12025550177",))


def test_her_site_without_a_security_desk_is_a_warning_naming_the_site() -> None:
    def desk(sites: dict[str, Site]) -> tuple[Status, str]:
        found = next(c for c in assess(ALICE, CONFIG, POOL, T0, QUARANTINE, sites=sites).checks
                     if c.check_id == "site_desk")
        return found.status, found.reason
    assert desk({"springfield": SPRINGFIELD}) == (Status.PASS, "Site Springfield contact center: 0 email and 1 SMS "
                                                               "security-desk recipient(s) are told of a real "
                                                               "emergency call.")
    status, reason = desk({"springfield": replace(SPRINGFIELD, desk_sms=())})
    assert status is Status.WARNING and "has no security-desk recipient" in reason
    status, reason = desk({})
    assert status is Status.WARNING and "no longer exists" in reason
