"""In-memory fakes of the administration ports (voice setup, audit log) for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.audit import AuditEntry
from shared.domain.voice_config import VoiceRecord
from tests.fakes import FakeDeps


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)

    def recent(self, limit: int, entity: str | None = None, entity_id: str | None = None) -> list[AuditEntry]:
        found = [e for e in reversed(self.entries)
                 if (entity is None or e.entity == entity) and (entity_id is None or e.entity_id == entity_id)]
        return found[:limit]


class AdminDeps(FakeDeps):
    """FakeDeps plus the voice setup and the audit log."""

    def __init__(self) -> None:
        super().__init__()
        self.voice_config = self.voice_setup  # the dial reads what the admin set
        self.audit = FakeAudit()

    def configure(self, *records: VoiceRecord) -> None:
        for record in records:
            self.voice_config.put(record)
