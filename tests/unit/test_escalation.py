"""Escalation when nobody acknowledges (issue 20): the policy an admin may save, the steps a call schedules, and each
step run once when due, never after the acknowledgement that makes it unnecessary, taken over when its run died."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.escalation import DEFAULT_POLICY, acknowledged_enough, parse_policy, steps_for
from shared.errors import ValidationError
from shared.services import acknowledge, escalation, escalation_policy
from shared.services.notify import notify_emergency
from tests.fakes import T0
from tests.fakes_escalation import EscalationDeps
from tests.unit.test_notify_service import ALICE, emergency_call

ON_CALL = {"tiers": [{"name": "On call", "afterSeconds": 120, "audiences": ["onCall"], "channels": ["sms", "email"]},
                     {"name": "Site desk", "afterSeconds": 300, "audiences": ["siteDesk"], "channels": ["email"]}],
           "mode": "any", "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}


@pytest.fixture
def deps() -> EscalationDeps:
    d = EscalationDeps()
    d.agents.put(ALICE)
    d.sites.put_escalation_policy(parse_policy(ON_CALL))
    d.calls.create(emergency_call())
    notify_emergency("ec-1", d)
    assert escalation.schedule(d.calls.get("ec-1")[0], d) == 2  # type: ignore[index]
    return d


def told(deps: EscalationDeps) -> list[str]:
    return sorted(deps.mailer.accepted_to() + deps.sms.accepted_to())  # type: ignore[union-attr]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"tiers": []}, "tiers", "at least one tier"),
    ({"tiers": [{**ON_CALL["tiers"][0], "afterSeconds": 10}]}, "tiers[0].afterSeconds", "from 30 to 3600"),
    ({"tiers": [ON_CALL["tiers"][1], ON_CALL["tiers"][0]]}, "tiers[1].afterSeconds", "must come after the tier"),
    ({"tiers": [{**ON_CALL["tiers"][0], "channels": ["fax"]}]}, "tiers[0].channels", "'fax' is not one of"),
    ({"tiers": [{**ON_CALL["tiers"][0], "audiences": []}]}, "tiers[0].audiences", "at least one of"),
    ({"voiceCallsPerRecipient": 0}, "voiceCallsPerRecipient", "from 1 to 5"),
    ({"voiceCallsPerRecipient": True}, "voiceCallsPerRecipient", "from 1 to 5"),
    ({"onCall": {"sms": ["555-0166"]}}, "onCall.sms", "555-0166"),
    ({"onCall": {}}, "onCall", "names no recipient"),
    ({"mode": "most"}, "mode", "must be one of"),
])
def test_a_bad_policy_is_refused_naming_the_field(change: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_policy(ON_CALL | change)
    assert refused.value.field == field and words in refused.value.message, refused.value.message


def test_a_test_call_never_escalates_unless_the_policy_says_so() -> None:
    assert steps_for("ec-t", T0, True, DEFAULT_POLICY) == []
    assert len(steps_for("ec-t", T0, True, replace(DEFAULT_POLICY, escalate_tests=True))) == 1


def test_nothing_runs_before_its_due_time_and_each_step_runs_once_when_due(deps: EscalationDeps) -> None:
    before = told(deps)
    deps.clock.advance(timedelta(seconds=119))  # type: ignore[attr-defined]
    assert escalation.run_due(deps) == [] and told(deps) == before
    deps.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    [step] = escalation.run_due(deps)
    assert (step.index, step.status, step.outcome) == (1, "done", "told 2")
    assert sorted(set(told(deps)) - set(before)) == ["+12025550166", "oncall@example.com"]
    assert escalation.run_due(deps) == []  # once
    events = [d for t, d in deps.events.published if t == escalation.STEP_EVENT]
    assert [(e["tier"], e["status"], e["lateSeconds"]) for e in events] == [(1, "done", 0.0)]


def test_an_acknowledgement_before_the_due_time_stops_the_escalation(deps: EscalationDeps) -> None:
    deps.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
    assert acknowledge.acknowledge_reply("+12025550142", "1", deps) == "acknowledged"
    before = told(deps)
    deps.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    steps = escalation.run_due(deps)
    assert [(s.status, s.outcome) for s in steps] == [("skipped", "acknowledged")] * 2 and told(deps) == before


def test_every_first_recipient_must_acknowledge_in_the_all_mode(deps: EscalationDeps) -> None:
    step = deps.escalations.of_call("ec-1")[0]
    records = deps.deliveries.list("ec-1")
    one = [replace(d, acknowledged_at=T0) if d.recipient == "+12025550142" else d for d in records]
    assert acknowledged_enough(step, one) and not acknowledged_enough(replace(step, mode="allFirstTier"), one)
    everyone = [replace(d, acknowledged_at=T0) for d in records]
    assert acknowledged_enough(replace(step, mode="allFirstTier"), everyone)


def test_a_step_whose_run_died_is_taken_over_later_and_tells_nobody_twice(deps: EscalationDeps) -> None:
    deps.clock.advance(timedelta(seconds=120))  # type: ignore[attr-defined]
    [due] = deps.escalations.due(deps.clock.now(), escalation.STUCK_AFTER)
    deps.escalations.save(replace(due, status="running"), claimed_at=deps.clock.now())  # claimed, then the host died
    deps.sms.send("+12025550166", "sent just before it died", "op", deps.clock.now())  # type: ignore[union-attr]
    assert escalation.run_due(deps) == []  # still within its claim
    deps.clock.advance(escalation.STUCK_AFTER)  # type: ignore[attr-defined]
    [step] = escalation.run_due(deps)
    assert step.status == "done" and told(deps).count("oncall@example.com") == 1


def test_an_edit_of_the_policy_never_changes_a_call_already_escalating(deps: EscalationDeps) -> None:
    deps.sites.put_escalation_policy(parse_policy(ON_CALL | {"onCall": {"emails": ["someone-else@example.com"]},
                                                             "tiers": [ON_CALL["tiers"][0]]}))
    deps.clock.advance(timedelta(seconds=120))  # type: ignore[attr-defined]
    escalation.run_due(deps)
    assert "oncall@example.com" in told(deps) and "someone-else@example.com" not in told(deps)


def test_no_step_runs_after_the_call_s_window(deps: EscalationDeps) -> None:
    deps.clock.advance(timedelta(minutes=61))  # type: ignore[attr-defined]
    before = told(deps)
    assert {s.outcome for s in escalation.run_due(deps)} == {"window_ended"} and told(deps) == before


def test_the_policy_api_reads_the_default_and_audits_a_change() -> None:
    d = EscalationDeps()
    assert escalation_policy.get_policy(d)["policy"] == DEFAULT_POLICY.as_json()
    from shared.domain.audit import Actor

    saved = escalation_policy.put_policy(parse_policy(ON_CALL), Actor("u1", "Carol Admin"), d)
    assert saved["policy"]["onCall"]["sms"] == ["+12025550166"] and d.audit.entries


def test_the_default_policy_as_the_admin_page_shows_it_can_be_saved_unchanged() -> None:
    assert parse_policy(DEFAULT_POLICY.as_json()) == DEFAULT_POLICY
