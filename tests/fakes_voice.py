"""An in-memory Call Automation for unit tests of voice escalation: records each action, fails on request."""

from __future__ import annotations

import itertools

from shared.ports import SendError


class FakeVoice:
    def __init__(self) -> None:
        self.placed: list[tuple[str, str, str]] = []  # (to, callback url, context)
        self.actions: list[tuple[str, str, str]] = []  # (action, connection, context or text)
        self.refuse: SendError | None = None  # the next place() raises it
        self.fail_actions: SendError | None = None
        self.texts: list[str] = []
        self._ids = itertools.count(1)

    def place(self, to: str, callback_url: str, context: str) -> str:
        if self.refuse is not None:
            error, self.refuse = self.refuse, None
            raise error
        self.placed.append((to, callback_url, context))
        return f"conn-{next(self._ids)}"

    def ask(self, connection_id: str, to: str, text: str, context: str) -> None:
        self._act("ask", connection_id, context, text)

    def say(self, connection_id: str, text: str, context: str) -> None:
        self._act("say", connection_id, context, text)

    def hang_up(self, connection_id: str) -> None:
        self._act("hang_up", connection_id, "", "")

    def _act(self, action: str, connection: str, context: str, text: str) -> None:
        if self.fail_actions is not None:
            raise self.fail_actions
        self.actions.append((action, connection, context))
        self.texts.append(text)


    def said(self) -> list[tuple[str, str]]:
        return [(a, c) for a, _, c in self.actions]
