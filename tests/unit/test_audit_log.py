"""The audit log read back: one row per change with its fields old -> new, filtered by actor, entity, id and date
range; bad filters are 400s naming their parameter. In-memory fakes; example.com addresses only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import admin_commands
from shared.domain.audit import Actor, AuditEntry, AuditQuery, Change, entries, group
from shared.domain.calls import Agent
from shared.errors import ValidationError
from shared.services import admin
from shared.services.audit import list_audit, record
from tests.fakes import T0
from tests.fakes_admin import AdminDeps

ADA = Actor("u-ada", "ada.admin@example.com")
BEN = Actor("u-ben", "ben.admin@example.com")


def alice(**changes: object) -> Agent:
    fields: dict[str, object] = {"email_recipients": "a@example.com", "outbound_number": "+12025550180"} | changes
    return Agent("alice", "Alice Example", **fields)  # type: ignore[arg-type]


def test_a_change_of_several_fields_is_one_row_with_each_field_old_to_new() -> None:
    deps = AdminDeps()
    admin.put_agent(alice(), ADA, deps)
    deps.clock.advance(timedelta(minutes=5))
    admin.put_agent(alice(email_recipients="b@example.com", timezone="America/Chicago"), BEN, deps)
    answer = list_audit(deps, AuditQuery(entity="agent"))
    assert len(answer["changes"]) == 2 and answer["truncated"] is False
    newest = answer["changes"][0]
    assert (newest["action"], newest["entityId"], newest["actor"]["name"]) == ("updated", "alice", BEN.name)
    assert [(f["field"], f["old"], f["new"]) for f in newest["fields"]] == [
        ("timezone", "UTC", "America/Chicago"), ("emailRecipients", "a@example.com", "b@example.com")]
    assert newest["at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert len(answer["changes"][1]["fields"]) == len([e for e in answer["entries"] if e["actor"]["name"] == ADA.name])


def test_two_records_of_one_request_on_one_entity_are_one_row() -> None:
    # GIVEN a site saved with its networks: two records of the same request, a moment apart
    deps = AdminDeps()
    record(deps, ADA, "created", "site", "hall", None, {"name": "Example Hall"})
    deps.clock.advance(timedelta(milliseconds=40))
    record(deps, ADA, "updated", "site", "hall", {"networks": None}, {"networks": "192.0.2.0/24"})
    [change] = list_audit(deps, AuditQuery())["changes"]
    assert change["action"] == "created"
    assert [f["field"] for f in change["fields"]] == ["name", "networks"]


def test_two_saves_of_the_same_field_stay_two_rows_however_close() -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = entries("c1", at, ADA, "updated", "agent", "alice", [Change("timezone", "UTC", "America/Chicago")])
    second = entries("c2", at, ADA, "updated", "agent", "alice", [Change("timezone", "America/Chicago", "UTC")])
    assert len(group(second + first)) == 2


def test_an_agent_created_and_fixed_within_a_second_stays_two_changes_each_whole() -> None:
    # GIVEN an agent created (every field, a bad recipient among them) and fixed a moment later by the same admin
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    created = entries("c1", at, ADA, "created", "agent", "alice", [
        Change("agentId", None, "alice"), Change("emailRecipients", None, "bad@"), Change("timezone", None, "UTC")])
    fixed = entries("c2", at + timedelta(milliseconds=600), ADA, "updated", "agent", "alice",
                    [Change("emailRecipients", "bad@", "a@example.com")])
    # WHEN grouped, newest first (the fix's entry first)
    groups = group(fixed + created)
    # THEN each change is one row with all of its own fields and none of the other's
    assert [(g.change_id, [c.field for c in g.changes]) for g in groups] == [
        ("c2", ["emailRecipients"]), ("c1", ["agentId", "emailRecipients", "timezone"])]


def test_limit_counts_changes_and_never_cuts_one() -> None:
    deps = AdminDeps()
    for minute in range(3):
        deps.clock.advance(timedelta(minutes=1))
        admin.put_agent(alice(email_recipients=f"a{minute}@example.com", timezone="Europe/London"
                              if minute % 2 else "UTC"), ADA, deps)
    answer = list_audit(deps, AuditQuery(limit=2))
    assert len(answer["changes"]) == 2 and answer["truncated"] is True
    assert {e["changeId"] for e in answer["entries"]} == {c["changeId"] for c in answer["changes"]}


def make_log() -> AdminDeps:
    deps = AdminDeps()
    for day, actor, entity_id in ((1, ADA, "alice"), (2, BEN, "bob"), (3, ADA, "bob")):
        at = datetime(2026, 3, day, 23, 30, tzinfo=UTC)
        deps.audit.append(entries(f"c{day}", at, actor, "updated", "agent", entity_id,
                                  [Change("displayName", "Old", f"New {day}")]))
    return deps


@pytest.mark.parametrize(("params", "expected"), [
    ({"actor": "ada.admin@example.com"}, ["c3", "c1"]),
    ({"actor": "u-ben"}, ["c2"]),
    ({"entityId": "bob"}, ["c3", "c2"]),
    ({"from": "2026-03-02", "to": "2026-03-02"}, ["c2"]),
    ({"from": "2026-03-02T00:00:00Z"}, ["c3", "c2"]),
    ({"to": "2026-03-02T23:30:00+00:00"}, ["c1"]),  # `to` is exclusive
    ({"from": "2026-03-02T18:00:00-06:00"}, ["c3"]),  # an offset: the viewer's local midnight
    ({"actor": "ada.admin@example.com", "entityId": "bob", "entity": "agent"}, ["c3"]),
])
def test_the_audit_log_filters_by_actor_entity_id_and_dates(params: dict[str, str], expected: list[str]) -> None:
    answer = list_audit(make_log(), admin_commands.audit_query(params))
    assert [c["changeId"] for c in answer["changes"]] == expected


@pytest.mark.parametrize(("params", "field", "reason"), [
    ({"from": "yesterday"}, "from", "must be a date (2026-03-01) or an RFC 3339 time"),
    ({"to": "2026-02-30"}, "to", "must be a date"),
    ({"from": "2026-03-01T12:00:00"}, "from", "with its offset"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "to", "must be after from"),
    ({"limit": "0"}, "limit", "from 1 to 500"),
    ({"limit": "many"}, "limit", "from 1 to 500"),
    ({"entity": "gadget"}, "entity", "must be one of agent"),
    ({"user": "ada"}, "user", "is not a filter of the audit log"),
    ({"actor": "x" * 300}, "actor", ""),
])
def test_a_bad_audit_filter_is_refused_naming_it(params: dict[str, str], field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        admin_commands.audit_query(params)
    assert refused.value.field == field and reason in refused.value.message


def test_entries_keep_their_one_per_field_shape_beside_the_changes() -> None:
    answer = list_audit(make_log(), AuditQuery())
    assert [(e["changeId"], e["field"], e["new"]) for e in answer["entries"]] == [
        ("c3", "displayName", "New 3"), ("c2", "displayName", "New 2"), ("c1", "displayName", "New 1")]
    assert "agent" in answer["entities"] and isinstance(answer["entries"][0], dict)
    assert all(isinstance(e, AuditEntry) for e in make_log().audit.entries)
