"""The audit log in a real Azurite: the newest changes first and whole, each change's fields in the order they were
written, and the filters (actor, entity, id, a time range read as a range of row keys) as the service asks them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.adapters.table_admin import TableAuditLog
from shared.adapters.tables import Tables
from shared.domain.audit import Actor, AuditQuery, Change, entries

ADA = Actor("u-ada", "ada.admin@example.com")
BEN = Actor("u-ben", "ben.admin@example.com")
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
FIELDS = [Change("displayName", "Old", "New"), Change("timezone", "UTC", "America/Chicago"),
          Change("emailRecipients", None, "desk@example.com")]


def written(tables: Tables) -> TableAuditLog:
    log = TableAuditLog(tables)
    for hours, actor, entity, key in ((-24, ADA, "agent", "alice"), (0, BEN, "agent", "bob"),
                                      (24, ADA, "site", "hall")):
        at = NOON + timedelta(hours=hours)
        log.append(entries(f"c{hours + 24:02d}", at, actor, "updated", entity, key, FIELDS))
    return log


def ids(found: list) -> list[str]:  # type: ignore[type-arg]
    return list(dict.fromkeys(e.change_id for e in found))


def test_changes_read_back_newest_first_whole_and_in_written_order(tables: Tables) -> None:
    found = written(tables).recent(AuditQuery(limit=2))
    assert ids(found) == ["c48", "c24"]
    assert [e.field for e in found if e.change_id == "c48"] == ["displayName", "timezone", "emailRecipients"]
    assert found[0].at == NOON + timedelta(hours=24) and found[0].actor == ADA


def test_the_time_range_is_start_inclusive_and_end_exclusive(tables: Tables) -> None:
    log = written(tables)
    assert ids(log.recent(AuditQuery(start=NOON))) == ["c48", "c24"]
    assert ids(log.recent(AuditQuery(end=NOON))) == ["c00"]
    assert ids(log.recent(AuditQuery(start=NOON - timedelta(hours=1), end=NOON + timedelta(milliseconds=1)))) == [
        "c24"]


def test_actor_entity_and_id_filters_match_exactly(tables: Tables) -> None:
    log = written(tables)
    assert ids(log.recent(AuditQuery(actor="ada.admin@example.com"))) == ["c48", "c00"]
    assert ids(log.recent(AuditQuery(actor="u-ben"))) == ["c24"]
    assert ids(log.recent(AuditQuery(actor="ada"))) == []
    assert ids(log.recent(AuditQuery(entity="agent", entity_id="alice"))) == ["c00"]
