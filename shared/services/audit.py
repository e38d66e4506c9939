"""The audit log: record who changed what (old -> new) and read it back; the template store's audited decorator."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from shared.auth import current_principal
from shared.domain.audit import ENTITIES, Actor, AuditEntry, AuditQuery, ChangeGroup, diff, entries, group
from shared.domain.numbers import mask_phone
from shared.domain.recipients import mask_email
from shared.domain.template import DEFAULT_TEMPLATE, NotificationTemplate
from shared.domain.template_versions import TEMPLATE_NAME, TemplateVersion
from shared.ports import AuditLog, Clock, TemplateStore

log = logging.getLogger(__name__)

_PHONE_ENTITIES = frozenset({"callback-number", "resource-number"})
EXPORT_ENTITY = "incident-export"


class AuditPorts(Protocol):
    clock: Clock
    audit: AuditLog


def record(deps: AuditPorts, actor: Actor, action: str, entity: str, entity_id: str,
           old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[AuditEntry]:
    """Write one entry per changed field (nothing when nothing changed); raises StoreError if storage fails."""
    batch = entries(uuid.uuid4().hex, deps.clock.now(), actor, action, entity, entity_id, diff(old, new))
    if batch:
        deps.audit.append(batch)
        # The actor's id, not the name: names are usually email addresses, which logs never show.
        log.info("audit: %s %s %s by user %s: %s", action, entity, _masked(entity, entity_id), actor.user_id,
                 ", ".join(e.field for e in batch))
    return batch


def record_export(deps: AuditPorts, actor: Actor, export_id: str, fmt: str, filters: Mapping[str, Any],
                  rows: int) -> list[AuditEntry]:
    """An incident export: one "exported" change (entity incident-export) holding its format, filters and row count;
    written before the export is answered (raises StoreError: no unaudited export)."""
    batch = entries(export_id, deps.clock.now(), actor, "exported", EXPORT_ENTITY, export_id,
                    diff(None, {"format": fmt, "filters": dict(filters), "rows": rows}))
    deps.audit.append(batch)
    log.info("audit: incident export %s (%s, %d rows) by user %s", export_id, fmt, rows, actor.user_id)
    return batch


def list_audit(deps: AuditPorts, query: AuditQuery) -> dict[str, Any]:
    """The newest `query.limit` changes that match, each as one row with its fields old -> new (`changes`), and
    their entries one per field (`entries`); `truncated` when older changes match too."""
    found = deps.audit.recent(replace(query, limit=query.limit + 1))  # one more: are there older ones?
    ids = list(dict.fromkeys(e.change_id for e in found))
    kept = set(ids[:query.limit])
    found = [e for e in found if e.change_id in kept]
    return {"changes": [change_view(c) for c in group(found)], "entries": [entry_view(e) for e in found],
            "truncated": len(ids) > query.limit, "entities": list(ENTITIES)}


def change_view(c: ChangeGroup) -> dict[str, Any]:
    return {"changeId": c.change_id, "at": c.at.isoformat(), "actor": {"userId": c.actor.user_id, "name": c.actor.name},
            "action": c.action, "entity": c.entity, "entityId": c.entity_id,
            "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in c.changes]}


def entry_view(e: AuditEntry) -> dict[str, Any]:
    return {"changeId": e.change_id, "at": e.at.isoformat(), "actor": {"userId": e.actor.user_id,
                                                                       "name": e.actor.name},
            "action": e.action, "entity": e.entity, "entityId": e.entity_id, "field": e.field,
            "old": e.old, "new": e.new}


def _masked(entity: str, entity_id: str) -> str:
    return mask_phone(entity_id) if entity in _PHONE_ENTITIES else entity_id


class AuditedTemplateStore:
    """A TemplateStore whose every save (a restore included) is also written to the audit log.

    The template use cases know the author's name only; the signed-in principal of the request (see
    shared.auth.acting_as) gives the stable user id when the handler set it.
    """

    def __init__(self, inner: TemplateStore, audit: AuditLog) -> None:
        self._inner = inner
        self._audit = audit

    def current(self) -> TemplateVersion | None:
        return self._inner.current()

    def versions(self) -> list[TemplateVersion]:
        return self._inner.versions()

    def get(self, version: int) -> TemplateVersion | None:
        return self._inner.get(version)

    def save(self, template: NotificationTemplate, author: str, at: datetime,
             restored_from: int | None = None) -> TemplateVersion:
        before = self._inner.current()
        saved = self._inner.save(template, author, at, restored_from)
        principal = current_principal()
        actor = principal.actor if principal is not None else Actor("", author)
        changes = diff(_fields(before), _fields(saved))
        action = "restored" if restored_from else "saved"
        self._audit.append(entries(uuid.uuid4().hex, at, actor, action, "template", TEMPLATE_NAME, changes))
        log.info("audit: template version %d %s by user %s", saved.version, action,
                 actor.user_id or mask_email(actor.name))
        return saved


def _fields(v: TemplateVersion | None) -> dict[str, Any]:
    t = v.template if v is not None else DEFAULT_TEMPLATE
    return {"version": v.version if v is not None else 0, "subject": t.subject, "html": t.html, "text": t.text,
            "restoredFrom": v.restored_from if v is not None else None}
