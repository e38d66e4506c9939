"""Audit log entries: who changed which field of which entity, when, from what to what. Pure.

One entry per changed field; the entries of one change share a change id. Values are kept in full (they are the
record); logs mask phone numbers and addresses, the audit log does not. Read back, the entries are grouped into one
change each (`group`): the fields one request changed on one entity, old -> new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

ENTITIES = ("agent", "template", "callback-number", "capacity-profile", "outbound-profile", "resource-number",
            "routing-rule", "site", "notification-rules", "escalation-policy", "drill", "drill-schedule",
            "incident-export")


@dataclass(frozen=True)
class Actor:
    """Who made a change: the signed-in user's stable id and display name."""

    user_id: str
    name: str


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AuditEntry:
    change_id: str
    at: datetime
    actor: Actor
    action: str  # created, updated, deleted, added, retired, returned, saved, restored
    entity: str  # one of ENTITIES
    entity_id: str
    field: str
    old: str | None
    new: str | None


def as_text(value: Any) -> str | None:
    """A field value as the audit shows it: strings as they are, None as absent, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """Field-by-field changes from `old` to `new` (None: the entity did not exist / no longer exists), in the
    order of the fields; empty text and absence count as the same."""
    before, after = old or {}, new or {}
    fields = list(dict.fromkeys([*after, *before]))
    changes = []
    for name in fields:
        a, b = as_text(before.get(name)) or None, as_text(after.get(name)) or None
        if a != b:
            changes.append(Change(name, a, b))
    return changes


def entries(change_id: str, at: datetime, actor: Actor, action: str, entity: str, entity_id: str,
            changes: list[Change]) -> list[AuditEntry]:
    return [AuditEntry(change_id, at, actor, action, entity, entity_id, c.field, c.old, c.new) for c in changes]


# Entries of one entity by one actor this close together, with no field twice, are one change (a site saved with
# its networks is written as two records by the one request).
SAME_REQUEST = timedelta(seconds=2)


@dataclass(frozen=True)
class AuditQuery:
    """Which changes to read: the newest `limit` changes (never cut in the middle) that match every filter given;
    `start` inclusive, `end` exclusive; `actor` is a user id or a name, exactly."""

    limit: int = 100
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def matches(self, e: AuditEntry) -> bool:
        return ((self.entity is None or e.entity == self.entity)
                and (self.entity_id is None or e.entity_id == self.entity_id)
                and (self.actor is None or self.actor in (e.actor.user_id, e.actor.name))
                and (self.start is None or e.at >= self.start) and (self.end is None or e.at < self.end))


@dataclass(frozen=True)
class ChangeGroup:
    """One change as the audit page shows it: who, when, what was done to which entity, each field old -> new."""

    change_id: str
    at: datetime
    actor: Actor
    action: str
    entity: str
    entity_id: str
    changes: tuple[Change, ...]


def group(found: list[AuditEntry]) -> list[ChangeGroup]:
    """Newest-first entries as one group per change: the entries of one change id, then the changes of the same
    actor and entity written by one request (within SAME_REQUEST, no field in both); newest first, fields in their
    written order. A change id's entries are kept together even when another change's come between them."""
    by_change: dict[str, list[AuditEntry]] = {}
    for e in found:
        by_change.setdefault(e.change_id, []).append(e)
    groups: list[list[AuditEntry]] = []
    for change in by_change.values():
        last = groups[-1] if groups else None
        if last is not None and _same_request(last, change):
            last.extend(change)
        else:
            groups.append(list(change))
    return [_as_group(g) for g in groups]


def _same_request(g: list[AuditEntry], change: list[AuditEntry]) -> bool:
    first, e = g[0], change[0]
    return ((e.actor, e.entity, e.entity_id) == (first.actor, first.entity, first.entity_id)
            and abs(first.at - e.at) <= SAME_REQUEST
            and not {x.field for x in change} & {x.field for x in g})


def _as_group(g: list[AuditEntry]) -> ChangeGroup:
    # Oldest first: a stable sort keeps each change's entries in the order they were written.
    ordered = sorted(g, key=lambda e: e.at)
    first = ordered[0]
    return ChangeGroup(first.change_id, ordered[-1].at, first.actor, first.action, first.entity, first.entity_id,
                       tuple(Change(e.field, e.old, e.new) for e in ordered))
