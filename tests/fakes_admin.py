"""In-memory fakes of the administration ports (voice setup, audit log) for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.audit import AuditEntry, AuditQuery
from shared.domain.voice_config import VoiceRecord
from tests.fakes import FakeDeps


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)

    def recent(self, query: AuditQuery) -> list[AuditEntry]:
        """As the table keeps them: newest change first, each change's entries in written order."""
        by_change: dict[str, list[AuditEntry]] = {}
        for e in self.entries:
            if query.matches(e):
                by_change.setdefault(e.change_id, []).append(e)
        newest = sorted(by_change.values(), key=lambda c: (c[0].at, self.entries.index(c[0])), reverse=True)
        return [e for change in newest[:query.limit] for e in change]


class AdminDeps(FakeDeps):
    """FakeDeps plus the voice setup and the audit log."""

    def __init__(self) -> None:
        super().__init__()
        self.voice_config = self.voice_setup  # the dial reads what the admin set
        self.audit = FakeAudit()

    def configure(self, *records: VoiceRecord) -> None:
        for record in records:
            self.voice_config.put(record)
