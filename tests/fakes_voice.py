"""An in-memory Call Automation for unit tests of voice escalation: records each action, fails on request."""

from __future__ import annotations

import itertools
from datetime import datetime

from shared.ports import SendError


class FakeVoice:
    def __init__(self) -> None:
        self.placed: list[tuple[str, str, str]] = []  # (to, callback url, context)
        self.actions: list[tuple[str, str, str]] = []  # (action, connection, context or text)
        self.refuse: SendError | None = None  # the next place() raises it
        self.fail_actions: SendError | None = None
        self.texts: list[str] = []
        self.locales: list[str | None] = []  # the locale of each ask or say (its text-to-speech voice)
        self.ended: set[str] = set()  # connections ACS has ended (is_active False)
        self.state_unknown = False  # is_active raises
        self.replayed = 0
        self._requests: dict[str, str] = {}
        self._ids = itertools.count(1)

    def place(self, to: str, callback_url: str, context: str, request_id: str, first_sent: datetime) -> str:
        if self.refuse is not None:
            error, self.refuse = self.refuse, None
            raise error
        if request_id in self._requests:  # as ACS: a repeated request id answers the first call, rings nobody
            self.replayed += 1
            return self._requests[request_id]
        self.placed.append((to, callback_url, context))
        connection = self._requests[request_id] = f"conn-{next(self._ids)}"
        return connection

    def is_active(self, connection_id: str) -> bool:
        if self.state_unknown:
            raise SendError("could not read the call: HTTP 503", transient=True)
        return connection_id not in self.ended

    def ask(self, connection_id: str, to: str, text: str, context: str, locale: str | None = None) -> None:
        self._act("ask", connection_id, context, text, locale)

    def say(self, connection_id: str, text: str, context: str, locale: str | None = None) -> None:
        self._act("say", connection_id, context, text, locale)

    def hang_up(self, connection_id: str) -> None:
        self._act("hang_up", connection_id, "", "")

    def _act(self, action: str, connection: str, context: str, text: str, locale: str | None = None) -> None:
        if self.fail_actions is not None:
            raise self.fail_actions
        self.actions.append((action, connection, context))
        self.texts.append(text)
        self.locales.append(locale)


    def said(self) -> list[tuple[str, str]]:
        """(action, "ask:2" / "bye" / ""): the contexts without the number they carry."""
        return [(a, ":".join(c.split(":")[:2]) if c.startswith("ask") else c.split(":")[0]) for a, _, c in
                self.actions]
