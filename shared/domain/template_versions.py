"""Saved versions of the "Emergency call notification" template: every save is a new version, none is overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.domain.template import NotificationTemplate

TEMPLATE_NAME = "emergency-call-notification"


@dataclass(frozen=True)
class TemplateVersion:
    """One saved version: its number (1, 2, ...), content, who saved it and when, and the version it restored."""

    version: int
    template: NotificationTemplate
    author: str
    saved_at: datetime
    restored_from: int | None = None
