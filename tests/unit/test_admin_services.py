"""Admin use cases with in-memory fakes: every change is audited (who, when, field, old -> new)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.auth import ADMIN, Principal, acting_as
from shared.domain.audit import Actor, AuditQuery
from shared.domain.calls import Agent
from shared.domain.voice_config import CapacityProfile, NumberType, ResourceNumber
from shared.errors import NotFound, StateConflict
from shared.services import admin, readiness, voice_setup
from shared.services.audit import AuditedTemplateStore, list_audit
from shared.services.templates import restore, save_template
from tests.fakes import T0
from tests.fakes_admin import AdminDeps, FakeAudit
from tests.fakes_notify import NotifyDeps

ADA = Actor("u-ada", "ada.admin@example.com")
ALICE = Agent("alice", "Alice Example", email_recipients="a@example.com", outbound_number="+12025550180")


@pytest.fixture
def deps() -> AdminDeps:
    return AdminDeps()


def changes(deps: AdminDeps) -> list[tuple[str, str, str, str | None, str | None]]:
    return [(e.action, e.entity_id, e.field, e.old, e.new) for e in deps.audit.entries]


def test_creating_an_agent_records_each_field_with_who_and_when(deps: AdminDeps) -> None:
    admin.put_agent(ALICE, ADA, deps)
    entries = deps.audit.entries
    assert {e.actor for e in entries} == {ADA} and {e.at for e in entries} == {T0}
    assert len({e.change_id for e in entries}) == 1
    assert ("created", "alice", "emailRecipients", None, "a@example.com") in changes(deps)
    assert ("created", "alice", "mailboxEnabled", None, "true") in changes(deps)


def test_changing_recipients_records_only_that_field_old_to_new(deps: AdminDeps) -> None:
    admin.put_agent(ALICE, ADA, deps)
    deps.audit.entries.clear()
    deps.clock.advance(timedelta(minutes=3))
    admin.put_agent(Agent("alice", "Alice Example", email_recipients="a@example.com; b@example.org",
                          outbound_number="+12025550180"), ADA, deps)
    assert changes(deps) == [("updated", "alice", "emailRecipients", "a@example.com",
                              "a@example.com; b@example.org")]
    assert deps.audit.entries[0].at == T0 + timedelta(minutes=3)


def test_saving_an_unchanged_agent_records_nothing(deps: AdminDeps) -> None:
    admin.put_agent(ALICE, ADA, deps)
    before = len(deps.audit.entries)
    admin.put_agent(ALICE, ADA, deps)
    assert len(deps.audit.entries) == before


def test_adding_and_retiring_callback_numbers_is_audited(deps: AdminDeps) -> None:
    added = admin.add_number("+12025550107", ADA, deps, deps.policy)
    assert (added["state"], added["region"]) == ("free", "1")
    with pytest.raises(StateConflict):
        admin.add_number("+12025550107", ADA, deps, deps.policy)
    assert admin.retire_number("+12025550107", ADA, deps, deps.policy)["state"] == "retired"
    admin.retire_number("+12025550107", ADA, deps, deps.policy)  # idempotent: nothing more to record
    assert admin.reinstate_number("+12025550107", ADA, deps, deps.policy)["state"] == "free"
    assert changes(deps) == [
        ("added", "+12025550107", "state", None, "in service"),
        ("retired", "+12025550107", "state", "in service", "retired"),
        ("reinstated", "+12025550107", "state", "retired", "in service")]
    with pytest.raises(NotFound):
        admin.retire_number("+12025550199", ADA, deps, deps.policy)


def test_replacing_the_pool_audits_each_number(deps: AdminDeps) -> None:
    deps.add_numbers("+12025550100", "+12025550101")
    admin.put_pool(["+12025550101", "+12025550102"], ADA, deps, deps.policy)
    assert sorted((a, n) for a, n, *_ in changes(deps)) == [("added", "+12025550102"), ("retired", "+12025550100")]


def test_voice_setup_changes_are_audited_and_unknown_records_are_404(deps: AdminDeps) -> None:
    voice_setup.put_record(ResourceNumber("+12025550181", NumberType.DIRECT_ROUTING, "US"), ADA, deps)
    voice_setup.put_record(ResourceNumber("+12025550181", NumberType.MICROSOFT, "US"), ADA, deps)
    voice_setup.delete_record("numbers", "+12025550181", ADA, deps, deps.policy)
    assert [c for c in changes(deps) if c[2] == "type"] == [
        ("created", "+12025550181", "type", None, "direct_routing"),
        ("updated", "+12025550181", "type", "direct_routing", "microsoft"),
        ("deleted", "+12025550181", "type", "microsoft", None)]
    with pytest.raises(NotFound):
        voice_setup.delete_record("capacity-profiles", "ghost", ADA, deps, deps.policy)


def test_the_audit_log_reads_back_newest_first_and_filters(deps: AdminDeps) -> None:
    admin.put_agent(ALICE, ADA, deps)
    voice_setup.put_record(CapacityProfile("voice-default", "Voice"), ADA, deps)
    entries = list_audit(deps, AuditQuery(entity="capacity-profile"))["entries"]
    assert [(e["entity"], e["field"], e["new"], e["actor"]["name"]) for e in entries] == [
        ("capacity-profile", "id", "voice-default", ADA.name), ("capacity-profile", "name", "Voice", ADA.name)]


def test_template_saves_and_restores_are_audited_with_the_signed_in_principal() -> None:
    notify = NotifyDeps()
    audit = FakeAudit()
    notify.templates = AuditedTemplateStore(notify.templates, audit)  # type: ignore[assignment]
    body = {"subject": "Emergency: {{ dialed_number }}", "html": "", "text": "{{ agent_name }} dialed."}
    with acting_as(Principal("u-ada", "ada.admin@example.com", frozenset({ADMIN}))):
        save_template(body, "ada.admin@example.com", notify)
        save_template(body | {"subject": "Changed"}, "ada.admin@example.com", notify)
        restore(1, "ada.admin@example.com", notify)
    by_action = {(e.action, e.field): (e.old, e.new) for e in audit.entries}
    assert by_action[("saved", "version")] == ("1", "2")
    assert by_action[("saved", "subject")] == ("Emergency: {{ dialed_number }}", "Changed")
    assert by_action[("restored", "subject")] == ("Changed", "Emergency: {{ dialed_number }}")
    assert {e.actor for e in audit.entries} == {Actor("u-ada", "ada.admin@example.com")}
    assert {e.entity for e in audit.entries} == {"template"}


def test_readiness_of_all_agents_counts_each_status(deps: AdminDeps) -> None:
    deps.agents.put(ALICE)
    deps.agents.put(Agent("bob", "Bob Example"))
    result = readiness.all_readiness(deps, deps.policy)
    assert result["counts"] == {"pass": 0, "warning": 0, "fail": 2}
    assert [a["agentId"] for a in result["agents"]] == ["alice", "bob"]
    with pytest.raises(NotFound):
        readiness.agent_readiness("nobody", deps, deps.policy)


def test_a_location_enabled_flag_that_is_not_a_boolean_is_refused() -> None:
    from shared import commands
    from shared.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        commands.agent("alice", {"displayName": "Alice", "lastLocation": {"countryCode": "US", "enabled": "yes"}})
    assert err.value.field == "lastLocation.enabled"


def test_list_fields_name_each_bad_item() -> None:
    from shared import admin_commands
    from shared.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        admin_commands.voice_record("routing-rules", "r", {"numberPattern": "^911$",
                                                           "trunks": "sbc1.example.com; bad host; x"})
    assert err.value.field == "trunks"
    assert [(d["item"], d["position"]) for d in err.value.details] == [("bad host", 2), ("x", 3)]
    rule = admin_commands.voice_record("routing-rules", "r", {"numberPattern": "^911$", "trunks": "SBC1.example.com"})
    assert rule.trunks == ("sbc1.example.com",)
    assert admin_commands.audit_query({"entity": "agent", "entityId": "alice"}) == AuditQuery(100, "agent", "alice")
