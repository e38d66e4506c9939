"""Audit log entries: who changed which field of which entity, when, from what to what. Pure.

One entry per changed field; the entries of one change share a change id. Values are kept in full (they are the
record); logs mask phone numbers and addresses, the audit log does not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
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
