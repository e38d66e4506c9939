"""Safe administration with in-memory fakes: a destructive change shows its impact first and is refused while
something uses the item or an agent would be left unable to call; a retired number comes back only when reinstated;
pool input is refused with our own words. Fictional 555-01xx numbers and example.com addresses only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import admin_commands
from shared.domain.audit import Actor
from shared.domain.calls import Agent
from shared.domain.lease import Lease, PoolNumber
from shared.domain.voice_config import CapacityProfile, NumberType, OutboundProfile, ResourceNumber, RoutingRule
from shared.errors import NotFound, StateConflict, ValidationError
from shared.services import admin, readiness, voice_setup
from tests.fakes import T0
from tests.fakes_admin import AdminDeps

ADA = Actor("u-ada", "ada.admin@example.com")
HERE = {"countryCode": "US", "address": "1 Example Plaza", "city": "Springfield", "enabled": True}


def agent(agent_id: str, name: str, number: str = "+12025550180", **changes: object) -> Agent:
    fields: dict[str, object] = {"email_recipients": "desk@example.com", "outbound_number": number,
                                 "capacity_profile": "voice-default", "last_location": HERE,
                                 "sign_in_id": f"oid-{agent_id}"} | changes
    return Agent(agent_id, name, **fields)  # type: ignore[arg-type]


@pytest.fixture
def deps() -> AdminDeps:
    """Alice calls from a Microsoft number, Dora from a direct-routing number; the rule for 911 sends both calls to
    the SBC (direct routing, whatever the number), so their callbacks come to a pool number of +1: two are free."""
    d = AdminDeps()
    d.configure(CapacityProfile("voice-default", "Voice - default"), CapacityProfile("spare", "Spare"),
                OutboundProfile("voice-outbound-us", "Voice outbound (US)", "voice", "+12025550180",
                                ("voice-default",)),
                ResourceNumber("+12025550180", NumberType.MICROSOFT, "US"),
                ResourceNumber("+12025550182", NumberType.DIRECT_ROUTING, "US"),
                RoutingRule("emergency-911", r"^\+?911$", ("sbc1.example.com",)))
    for a in (agent("alice", "Alice Example"), agent("dora", "Dora Example", "+12025550182")):
        d.agents.put(a)
    d.add_numbers("+12025550100", "+12025550101")
    return d


def statuses(deps: AdminDeps) -> dict[str, str]:
    return {a["agentId"]: a["status"] for a in readiness.all_readiness(deps, deps.policy)["agents"]}


# --- deleting voice setup -----------------------------------------------------------------------------------------

def test_the_impact_of_deleting_a_profile_in_use_names_who_uses_it_and_who_becomes_not_ready(deps: AdminDeps) -> None:
    # WHEN the admin asks what deleting the capacity profile every agent has would do
    view = readiness.impact_view(voice_setup.delete_impact("capacity-profiles", "voice-default", deps, deps.policy))
    # THEN both agents and the outbound profile that lists it are named, both agents would become not ready
    assert [(u["kind"], u["id"], u["field"]) for u in view["usedBy"]] == [
        ("agent", "alice", "capacityProfile"), ("agent", "dora", "capacityProfile"),
        ("outbound-profile", "voice-outbound-us", "capacityProfiles")]
    assert view["becomeNotReady"] == 2 and view["allowed"] is False
    assert view["summary"] == "2 agents will become not ready: Alice Example, Dora Example."
    assert [c["id"] for c in view["agents"][0]["checks"]] == ["voice_profile"]
    assert "used by 2 agents (alice, dora) and 1 outbound profile (voice-outbound-us)" in view["refusal"]


def test_a_profile_in_use_is_not_deleted_and_nothing_is_audited(deps: AdminDeps) -> None:
    before = statuses(deps)
    with pytest.raises(StateConflict) as refused:
        voice_setup.delete_record("capacity-profiles", "voice-default", ADA, deps, deps.policy)
    said = "Capacity profile voice-default cannot be deleted: it is used by 2 agents (alice, dora)"
    assert said in str(refused.value)
    assert deps.voice_config.load().capacity_profile("voice-default") is not None
    assert deps.audit.entries == [] and statuses(deps) == before


def test_an_outbound_profile_an_agent_relies_on_without_naming_it_is_not_deleted(deps: AdminDeps) -> None:
    # GIVEN Alice names no outbound profile: her capacity profile's voice profile is hers
    view = readiness.impact_view(voice_setup.delete_impact("outbound-profiles", "voice-outbound-us", deps,
                                                           deps.policy))
    assert view["usedBy"] == [] and view["allowed"] is False
    assert "2 agents (alice, dora) would fail a readiness check (Capacity profile with a voice outbound profile)" \
        in view["refusal"]
    with pytest.raises(StateConflict):
        voice_setup.delete_record("outbound-profiles", "voice-outbound-us", ADA, deps, deps.policy)


def test_an_unused_profile_is_deleted_and_audited_after_an_empty_impact(deps: AdminDeps) -> None:
    view = readiness.impact_view(voice_setup.delete_impact("capacity-profiles", "spare", deps, deps.policy))
    assert (view["allowed"], view["usedBy"], view["agents"], view["summary"]) == (
        True, [], [], "No agent's readiness changes.")
    voice_setup.delete_record("capacity-profiles", "spare", ADA, deps, deps.policy)
    assert [(e.action, e.entity_id) for e in deps.audit.entries][0] == ("deleted", "spare")


def test_a_rule_whose_loss_only_warns_is_deleted_and_the_impact_says_who_is_at_risk(deps: AdminDeps) -> None:
    # GIVEN without the 911 rule Dora's direct-routing number falls back to direct offer (a warning)
    deps.agents.put(agent("dora", "Dora Example", "+12025550182"))
    view = readiness.impact_view(voice_setup.delete_impact("routing-rules", "emergency-911", deps, deps.policy))
    assert view["allowed"] is True and view["becomeNotReady"] == 0
    assert [(a["agentId"], [c["status"] for c in a["checks"]]) for a in view["agents"]] == [("dora", ["warning"])]
    voice_setup.delete_record("routing-rules", "emergency-911", ADA, deps, deps.policy)


def test_the_impact_of_an_unknown_record_is_404(deps: AdminDeps) -> None:
    with pytest.raises(NotFound):
        voice_setup.delete_impact("capacity-profiles", "ghost", deps, deps.policy)


# --- retiring callback numbers ------------------------------------------------------------------------------------

def test_retiring_one_of_two_free_numbers_changes_nobody_s_readiness(deps: AdminDeps) -> None:
    view = readiness.impact_view(admin.retire_impact("+12025550100", deps, deps.policy))
    assert (view["allowed"], view["lastFree"], view["agents"]) == (True, False, [])
    assert admin.retire_number("+12025550100", ADA, deps, deps.policy)["state"] == "retired"


def test_the_last_free_number_of_a_region_an_agent_relies_on_is_not_retired(deps: AdminDeps) -> None:
    admin.retire_number("+12025550100", ADA, deps, deps.policy)
    view = readiness.impact_view(admin.retire_impact("+12025550101", deps, deps.policy))
    assert view["lastFree"] is True and view["allowed"] is False
    assert [a["agentId"] for a in view["agents"]] == ["alice", "dora"]
    assert view["summary"] == "2 agents will become not ready: Alice Example, Dora Example."
    with pytest.raises(StateConflict) as refused:
        admin.retire_number("+12025550101", ADA, deps, deps.policy)
    assert "last free callback number of its region, which 2 agents (alice, dora) rely on" in str(refused.value)
    assert not deps.pool.get("+12025550101").retired  # type: ignore[union-attr]


def test_the_last_free_number_is_refused_even_when_it_only_makes_an_agent_at_risk(deps: AdminDeps) -> None:
    # GIVEN the other number rests in quarantine (in service, not free): retiring the free one leaves a warning
    deps.pool.rows["+12025550100"] = PoolNumber("+12025550100", "1", released_at=T0 - timedelta(minutes=1))
    view = readiness.impact_view(admin.retire_impact("+12025550101", deps, deps.policy))
    assert view["lastFree"] is True and view["becomeNotReady"] == 0 and view["allowed"] is False
    assert view["agents"][0]["checks"][0]["status"] == "warning"


def test_the_last_free_number_of_a_region_nobody_relies_on_is_retired(deps: AdminDeps) -> None:
    # GIVEN no rule for 911: Alice's Microsoft number needs no pool number (direct offer); Dora is gone
    deps.voice_config.delete("routing-rules", "emergency-911")
    deps.agents.rows.pop("dora")
    admin.retire_number("+12025550100", ADA, deps, deps.policy)
    view = readiness.impact_view(admin.retire_impact("+12025550101", deps, deps.policy))
    assert (view["lastFree"], view["allowed"]) == (True, True)
    admin.retire_number("+12025550101", ADA, deps, deps.policy)


def test_a_leased_number_is_retired_and_its_lease_runs_on(deps: AdminDeps) -> None:
    lease = Lease("call-1", "dora", None, T0, T0 + timedelta(minutes=60))
    deps.pool.rows["+12025550100"] = PoolNumber("+12025550100", "1", lease=lease)
    assert admin.retire_impact("+12025550100", deps, deps.policy).refusal is None
    view = admin.retire_number("+12025550100", ADA, deps, deps.policy)
    assert (view["state"], view["retired"], view["lease"]["emergencyCallId"]) == ("leased", True, "call-1")


def test_a_pool_replacement_that_retires_the_last_free_numbers_is_refused_whole(deps: AdminDeps) -> None:
    with pytest.raises(StateConflict):
        admin.put_pool(["+12025550103"], ADA, deps, deps.policy)
    assert deps.pool.get("+12025550103") is None and deps.audit.entries == []


# --- a retired number stays retired unless reinstated -------------------------------------------------------------

def test_adding_a_retired_number_again_is_refused_and_it_stays_retired(deps: AdminDeps) -> None:
    admin.retire_number("+12025550100", ADA, deps, deps.policy)
    with pytest.raises(StateConflict) as refused:
        admin.add_number("+12025550100", ADA, deps, deps.policy)
    assert "is retired: a retired number is never leased again" in str(refused.value)
    assert "reinstate" in str(refused.value)
    assert deps.pool.get("+12025550100").retired  # type: ignore[union-attr]


def test_a_pool_replacement_naming_a_retired_number_is_refused(deps: AdminDeps) -> None:
    admin.retire_number("+12025550100", ADA, deps, deps.policy)
    entries = len(deps.audit.entries)
    with pytest.raises(StateConflict) as refused:
        admin.put_pool(["+12025550100", "+12025550101"], ADA, deps, deps.policy)
    assert "+12025550100 is retired" in str(refused.value)
    assert deps.pool.get("+12025550100").retired and len(deps.audit.entries) == entries  # type: ignore[union-attr]


def test_reinstating_puts_a_retired_number_back_and_is_audited_once(deps: AdminDeps) -> None:
    admin.retire_number("+12025550100", ADA, deps, deps.policy)
    assert admin.reinstate_number("+12025550100", ADA, deps, deps.policy)["state"] == "free"
    admin.reinstate_number("+12025550100", ADA, deps, deps.policy)  # idempotent
    assert [(e.action, e.old, e.new) for e in deps.audit.entries] == [
        ("retired", "in service", "retired"), ("reinstated", "retired", "in service")]
    with pytest.raises(NotFound):
        admin.reinstate_number("+12025550199", ADA, deps, deps.policy)


# --- pool input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "reason"), [
    ("+12025550199x", "may hold only digits, spaces and - . ( ) after the +, not “x” (an extension or a pause"),
    ("+1 202 555 0199 ext. 5", "not “e” (an extension"),
    ("555-1234", "must start with + and the country calling code, e.g. +1 202 555 0100"),
    ("+1 202 555", "has too few digits for a phone number of +1"),
    ("+1 202 555 0199 0199", "has too many digits for a phone number of +1"),
    ("+999 202 555 0199", "a country calling code that does not exist"),
    ("", "is required"),
    ("+1 911", "has too few digits"),
])
def test_a_bad_pool_number_is_refused_naming_the_field_in_our_words(raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        admin_commands.callback_number({"number": raw})
    assert refused.value.field == "number"
    assert reason in refused.value.message
    assert "(0)" not in refused.value.message and "default region" not in refused.value.message


def test_a_well_formed_pool_number_is_kept_in_e164() -> None:
    assert admin_commands.callback_number({"number": " +1 (202) 555-0199 "}) == "+12025550199"
