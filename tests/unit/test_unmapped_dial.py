"""Issue 17, defect 2: the emergency dial of a signed-in agent whose user no profile names is answered, recorded
against what is known of her, notified to the fallback recipients, and its callback goes to the fallback desk."""

from __future__ import annotations

import pytest

from shared import commands
from shared.commands import OutboundCall
from shared.config import Settings, problems
from shared.domain.audit import Actor
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.dialed_by import DialedBy
from shared.domain.notify_plan import plan_notifications
from shared.domain.routing import Outcome, decide_pool_number
from shared.errors import ValidationError
from shared.services import admin
from shared.services.notify import notify_emergency
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeDeps
from tests.fakes_admin import AdminDeps
from tests.fakes_notify import NotifyDeps

CAROL_USER = "00000000-0000-0000-0000-0000000ca401"
CAROL = DialedBy(CAROL_USER, "carol@example.com", "carol")
CAROLS_ID = f"principal:{CAROL_USER}"
ALICE = Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice", outbound_number="+12025550199",
              email_recipients="security@example.com", sign_in_id="00000000-0000-0000-0000-0000000a11ce")
DESK = "8:acs:r_securitydesk"
LOCATION = {"countryCode": "US", "address": "2 Example Plaza", "floor": "5"}


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(ALICE)
    d.agents.put(Agent("carol", "Carol Example", acs_user_id="8:acs:r_carol", email_recipients="carol@example.org"))
    d.add_numbers("+12025550100", "+12025550101")
    return d


def dial(deps: FakeDeps, dialed_by: DialedBy | None, agent: str = "carol", number: str = "911") -> dict:
    return place_outbound_call(OutboundCall(agent, number, "US", LOCATION), deps, deps.policy, dialed_by)


def codes(answer: dict) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


def test_the_call_is_recorded_against_her_user_with_a_warning_and_a_pool_number(deps: FakeDeps) -> None:
    # GIVEN Carol, signed in, whom no profile names, her dialer naming agent carol
    # WHEN she dials 911
    answer = dial(deps, CAROL)
    # THEN the dial goes on, with the warning that says what is missing
    assert answer["dial"] is True and answer["emergency"] is True
    assert codes(answer)[0] == "agent_not_mapped" and "unknown_agent" not in codes(answer)
    # ... the incident is hers, as far as she is known, never agent carol's
    record = deps.calls.get(answer["emergencyCallId"])[0]
    assert (record.agent_id, record.agent_name, record.dialed_number) == (CAROLS_ID, "carol@example.com", "911")
    # what she sent, with where it comes from (she has no profile: typed) and the line she reads out
    assert {k: record.location[k] for k in LOCATION} == LOCATION and record.acs_user_id is None
    assert record.location["source"] == "typed" and record.location["readout"].startswith(LOCATION["address"])
    [(_, started)] = deps.events.published
    assert started["agentId"] == CAROLS_ID
    # ... and a pool number is leased to her, whose callback goes to the fallback desk (no identity to ring)
    assert answer["callbackNumberSource"] == "pool" and answer["callerId"] == answer["callbackNumber"]
    leased = deps.pool.get(answer["callbackNumber"])
    assert leased.lease.agent_id == CAROLS_ID
    decision = decide_pool_number(leased, T0, DESK)
    assert (decision.outcome, decision.target) == (Outcome.FALLBACK, DESK)


def test_a_made_up_agent_id_still_leases_nothing(deps: FakeDeps) -> None:
    answer = dial(deps, None, agent="nobody")
    assert "unknown_agent" in codes(answer) and answer["callbackNumberSource"] != "pool"


def test_a_signed_in_agent_whose_dialer_names_another_agent_dials_as_herself(deps: FakeDeps) -> None:
    # GIVEN Alice, signed in and named by her profile, whose dialer sends agent carol
    answer = dial(deps, DialedBy(ALICE.sign_in_id or "", "alice@example.com", "carol", "alice"))
    # THEN the call is Alice's: her record, her identity for the callback; Carol is untouched
    assert codes(answer) == ["agent_id_mismatch"]
    record = deps.calls.get(answer["emergencyCallId"])[0]
    assert (record.agent_id, record.agent_name, record.acs_user_id) == ("alice", "Alice Example", ALICE.acs_user_id)
    assert deps.pool.get(answer["callbackNumber"]).lease.acs_user_id == ALICE.acs_user_id


def unmapped_call() -> EmergencyCall:
    return EmergencyCall("ec-9", CAROLS_ID, "911", "US", False, T0, agent_name="carol@example.com",
                         callback_number="+12025550100", callback_source="pool", location=LOCATION)


def test_the_fallback_recipients_are_told_of_a_call_whose_agent_nobody_configured() -> None:
    # GIVEN the call of a user no profile names, and the tenant's fallback recipients
    deps = NotifyDeps()
    deps.calls.create(unmapped_call())
    # WHEN CallStarted is handled
    report = notify_emergency("ec-9", deps, fallback_emails="desk@example.com; lead@example.org")
    # THEN they are emailed, naming who dialed and where, and the incident says why they and not hers
    assert deps.mailer.accepted_to() == ["desk@example.com", "lead@example.org"]
    assert "carol@example.com" in deps.mailer.sent[0].body and "2 Example Plaza" in deps.mailer.sent[0].body
    assert report.warnings == ("unknown_agent",)
    [warning] = deps.deliveries.of("none")
    assert "fallback recipient(s)" in warning.reason


def test_without_fallback_recipients_nobody_is_told_and_the_incident_says_so() -> None:
    plan = plan_notifications(None, CAROLS_ID, sms_enabled=True)
    assert plan.jobs == () and "FALLBACK_EMAIL_RECIPIENTS" in plan.warnings[0].message


def test_a_bad_fallback_address_is_skipped_the_others_are_told() -> None:
    plan = plan_notifications(None, CAROLS_ID, True, "desk@example.com; not-an-address")
    assert plan.jobs == (("email", "desk@example.com"),)
    assert [w.code for w in plan.warnings] == ["invalid_fallback_email_recipients", "unknown_agent"]


def test_a_configured_agents_own_recipients_are_told_not_the_fallback() -> None:
    plan = plan_notifications(ALICE, "alice", True, "desk@example.com")
    assert plan.jobs == (("email", "security@example.com"),)


def test_the_fallback_recipients_setting_is_checked_without_quoting_it() -> None:
    settings = Settings.from_env({"FALLBACK_EMAIL_RECIPIENTS": "desk@example.com; secret-typo@"})
    [problem] = problems(settings)
    assert problem["setting"] == "FALLBACK_EMAIL_RECIPIENTS" and "#2" in problem["problem"]
    assert "secret-typo" not in problem["problem"]
    assert settings.fallback_email_recipients_as_typed == "desk@example.com; secret-typo@"
    assert Settings.from_env({}).fallback_email_recipients == ""


def test_no_profile_can_take_the_agent_id_of_a_signed_in_user() -> None:
    with pytest.raises(ValidationError) as err:
        commands.agent(CAROLS_ID, {"displayName": "Carol"})
    assert err.value.field == "agentId"


def test_an_emergency_dial_by_nobody_special_is_unchanged(deps: FakeDeps) -> None:
    answer = dial(deps, None, agent="alice")
    assert answer["warnings"] == [] and deps.calls.get(answer["emergencyCallId"])[0].agent_id == "alice"


def test_a_profile_saved_without_sign_in_is_saved_with_a_warning_that_says_what_to_set() -> None:
    # GIVEN an admin saving an agent who has not signed in yet
    deps, ada = AdminDeps(), Actor("u-ada", "ada.admin@example.com")
    # WHEN the profile has no signInId THEN it is saved, and the answer says what that means and what to set
    saved = admin.put_agent(Agent("carol", "Carol Example"), ada, deps)
    assert deps.agents.get("carol") is not None
    [warning] = saved["warnings"]
    assert warning["code"] == "no_sign_in" and "Set signInId" in warning["message"]
    # ... and with it, no warning
    assert admin.put_agent(ALICE, ada, deps)["warnings"] == []
