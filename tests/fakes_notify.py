"""In-memory fakes of the notification ports (mailer, SMS, delivery records, template versions) for unit tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.domain.delivery import Delivery, SendResult
from shared.domain.template import NotificationTemplate, RenderedNotification
from shared.domain.template_versions import TemplateVersion
from shared.ports import Conflict, SendError
from tests.fakes import FakeDeps

_versions = itertools.count(1)

# What a scripted send does: "ok", "transient" (raise SendError), "refused" (a 4xx-like refusal).
Behaviour = str


@dataclass(frozen=True)
class Sent:
    """One message handed to the fake service (duplicates by id included)."""

    to: str
    id: str
    subject: str
    body: str
    first_sent: datetime | None = None


class _FakeService:
    """Counts every send; scripts per recipient ("transient", "refused", then "ok" by default)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []  # accepted
        self.calls: list[Sent] = []  # every attempt that reached the service
        self.script: dict[str, list[Behaviour]] = {}
        self.before_send: Callable[[str], None] | None = None
        self._lock = threading.Lock()

    def fail(self, to: str, *behaviours: Behaviour) -> None:
        self.script[to] = list(behaviours)

    def _send(self, sent: Sent) -> SendResult:
        if self.before_send:
            self.before_send(sent.to)
        with self._lock:
            self.calls.append(sent)
            behaviour = self.script.get(sent.to, []).pop(0) if self.script.get(sent.to) else "ok"
            if behaviour == "transient":
                raise SendError("429 TooManyRequests: slow down", True)
            if behaviour == "refused":
                return SendResult(False, reason=f"400 BadRequest: recipient {sent.to} refused")
            self.sent.append(sent)
        return SendResult(True, sent.id)

    def accepted_to(self) -> list[str]:
        return sorted(s.to for s in self.sent)


class FakeMailer(_FakeService):
    def send(self, to: str, message: RenderedNotification, operation_id: str) -> SendResult:
        return self._send(Sent(to, operation_id, message.subject, message.text))


class FakeSms(_FakeService):
    def send(self, to: str, text: str, repeatability_id: str, first_sent: datetime) -> SendResult:
        result = self._send(Sent(to, repeatability_id, "", text, first_sent))
        return replace(result, message_id=f"Outgoing_{repeatability_id}") if result.accepted else result


class FakeDeliveries:
    """Conditional writes like Table Storage: create conflicts on an existing row, replace on a stale version."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], Delivery] = {}
        self.index: dict[str, tuple[str, str, str]] = {}
        self.before_create: Callable[[Delivery], None] | None = None
        self._lock = threading.RLock()

    @staticmethod
    def _key(d: Delivery) -> tuple[str, str, str]:
        return d.call_id, d.channel, d.recipient.casefold()

    def get(self, call_id: str, channel: str, recipient: str) -> Delivery | None:
        return self.rows.get((call_id, channel, recipient.casefold()))

    def create(self, delivery: Delivery) -> Delivery:
        if self.before_create:
            hook, self.before_create = self.before_create, None
            hook(delivery)
        with self._lock:
            if self._key(delivery) in self.rows:
                raise Conflict("exists")
            return self._store(delivery)

    def replace(self, delivery: Delivery) -> Delivery:
        with self._lock:
            current = self.rows.get(self._key(delivery))
            if current is None or current.version != delivery.version:
                raise Conflict("changed")
            return self._store(delivery)

    def by_message_id(self, message_id: str) -> Delivery | None:
        key = self.index.get(message_id)
        return self.rows.get(key) if key else None

    def by_ack_token(self, token: str) -> Delivery | None:
        return self.by_message_id("ack:" + token) if token else None

    def latest_sms_to(self, number: str) -> Delivery | None:
        return self.by_message_id("reply:" + number) if number else None

    def list(self, call_id: str) -> list[Delivery]:
        return [d for d in self.rows.values() if d.call_id == call_id]

    def purge(self, call_id: str) -> int:
        keys = [k for k in self.rows if k[0] == call_id]
        for k in keys:
            del self.rows[k]
        self.index = {m: k for m, k in self.index.items() if k[0] != call_id}
        return len(keys)

    def _store(self, delivery: Delivery) -> Delivery:
        stored = replace(delivery, version=str(next(_versions)))
        self.rows[self._key(delivery)] = stored
        for key in (delivery.operation_id, delivery.message_id):
            if key:
                self.index[key] = self._key(delivery)
        if delivery.ack_token:
            self.index["ack:" + delivery.ack_token] = self._key(delivery)
        if delivery.channel == "sms" and delivery.status == "queued" and delivery.attempts == 1:
            self.index["reply:" + delivery.recipient] = self._key(delivery)
        return stored

    def of(self, channel: str) -> list[Delivery]:
        return sorted((d for d in self.rows.values() if d.channel == channel), key=lambda d: d.recipient)


class FakeTemplates:
    def __init__(self) -> None:
        self.saved: list[TemplateVersion] = []

    def current(self) -> TemplateVersion | None:
        return self.saved[-1] if self.saved else None

    def save(self, template: NotificationTemplate, author: str, at: datetime,
             restored_from: int | None = None) -> TemplateVersion:
        version = TemplateVersion(len(self.saved) + 1, template, author, at, restored_from)
        self.saved.append(version)
        return version

    def versions(self) -> list[TemplateVersion]:
        return list(reversed(self.saved))

    def get(self, version: int) -> TemplateVersion | None:
        return next((v for v in self.saved if v.version == version), None)


def user_functions(*blueprints: Any) -> dict[str, Callable[..., Any]]:
    """The blueprints' functions by name, as the worker calls them (get_user_function)."""
    import azure.functions as func

    app = func.FunctionApp()
    for bp in blueprints:
        app.register_functions(bp)
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}


def with_call(deps: NotifyDeps, agent: Any) -> NotifyDeps:
    """`agent` stored, and her emergency call ec-1 (911, US, callback +12025550100 for 60 minutes)."""
    from datetime import timedelta

    from shared.domain.calls import EmergencyCall
    from tests.fakes import T0

    deps.agents.put(agent)
    deps.calls.create(EmergencyCall("ec-1", agent.agent_id, "911", "US", False, T0, agent_name=agent.display_name,
                                    callback_number="+12025550100", callback_until=T0 + timedelta(minutes=60)))
    return deps


class NotifyDeps(FakeDeps):
    """FakeDeps plus the notification ports; SMS enabled (set `sms = None` to disable it)."""

    def __init__(self) -> None:
        super().__init__()
        self.mailer = FakeMailer()
        self.sms: FakeSms | None = FakeSms()
        self.deliveries = FakeDeliveries()
        self.templates = FakeTemplates()
