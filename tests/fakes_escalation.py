"""The unit tests' container for escalation: the notification fakes plus the audit log each policy save writes to."""

from __future__ import annotations

from tests.fakes_admin import FakeAudit
from tests.fakes_notify import NotifyDeps


class EscalationDeps(NotifyDeps):
    """NotifyDeps plus the audit log (the escalation policy's saves and restores are audited)."""

    def __init__(self) -> None:
        super().__init__()
        self.audit = FakeAudit()
