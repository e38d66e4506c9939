"""Request/reply values, the thread-safe log of accepted ACS operations, and runtime fault settings of the stand-in."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KINDS = ("email", "sms", "redirect", "reject", "jobrouter", "createCall", "recognize", "play", "terminate", "hangUp")
FAULT_STATUS = {
    "throttle": (429, "TooManyRequests"),
    "unavailable": (503, "ServiceUnavailable"),
    "internal": (500, "InternalServerError"),
}
# Not a kind: how late Call Automation's callbacks are delivered, in seconds (a slow or congested service).
CALLBACK_DELAY = "callbackDelaySeconds"
# Headers a person debugging the app wants to see next to each recorded operation.
HEADERS_OF_INTEREST = (
    "operation-id",
    "repeatability-request-id",
    "repeatability-first-sent",
    "x-ms-client-request-id",
    "user-agent",
)


@dataclass(frozen=True)
class AcsRequest:
    """One HTTP request as the handlers see it; header names are lower-cased."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    base_url: str

    def header(self, name: str) -> str | None:
        """Header value by case-insensitive name."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def interesting_headers(self) -> dict[str, str]:
        """The subset of headers worth recording."""
        return {name: self.headers[name] for name in HEADERS_OF_INTEREST if name in self.headers}


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, JSON body (None = empty) and extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


def acs_error(
    status: int, code: str, message: str, target: str | None = None, headers: Mapping[str, str] | None = None
) -> Reply:
    """An ACS-shaped error answer: {"error": {"code", "message", "target"?}}."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target:
        error["target"] = target
    return Reply(status, {"error": error}, dict(headers or {}))


class RequestLog:
    """Thread-safe, in-memory list of accepted operations, newest last."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._seq = 0
        self._clock = clock or (lambda: datetime.now(UTC))

    def record(self, kind: str, request_id: str | None, body: Any, headers: Mapping[str, str], **extra: Any) -> int:
        """Append one operation and return its sequence number (for later `update`)."""
        with self._lock:
            # Monotonic across clear(), so a seq never names two different operations.
            self._seq += 1
            seq = self._seq
            entry = {"seq": seq, "kind": kind, "time": self._clock().isoformat(), "id": request_id}
            entry.update(body=copy.deepcopy(body), headers=dict(headers), **extra)
            self._records.append(entry)
            return seq

    def update(self, seq: int, **fields: Any) -> None:
        """Change fields of a recorded operation (e.g. an email's final status); unknown seq is ignored."""
        with self._lock:
            for entry in self._records:
                if entry["seq"] == seq:
                    entry.update(fields)

    def list(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Copies of the recorded operations, optionally of one kind."""
        with self._lock:
            return [copy.deepcopy(e) for e in self._records if kind is None or e["kind"] == kind]

    def clear(self) -> None:
        """Forget the recorded operations (de-duplication memory is kept, as in the service)."""
        with self._lock:
            self._records.clear()


class Faults:
    """Runtime failure modes per kind: {"email": "throttle"} or {"sms": {"mode": "unavailable", "times": 2}};
    {"createCall": {"mode": "internal", "target": "+14255550123"}} only for calls to that number;
    {"callbackDelaySeconds": 2.5} delivers Call Automation's callbacks that much later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modes: dict[str, dict[str, Any]] = {}
        self._callback_delay = 0.0

    def replace(self, settings: Mapping[str, Any]) -> None:
        """Replace all fault settings ({} clears them); raises ValueError on an unknown kind or mode."""
        delay = _delay(settings.get(CALLBACK_DELAY, 0.0))
        parsed = {kind: self._parse(kind, value) for kind, value in settings.items() if kind != CALLBACK_DELAY}
        with self._lock:
            self._modes, self._callback_delay = parsed, delay

    def snapshot(self) -> dict[str, Any]:
        """The current settings."""
        with self._lock:
            current: dict[str, Any] = copy.deepcopy(self._modes)
            if self._callback_delay:
                current[CALLBACK_DELAY] = self._callback_delay
            return current

    def callback_delay(self) -> float:
        """Seconds to hold each Call Automation callback before posting it."""
        with self._lock:
            return self._callback_delay

    def take(self, kind: str, retry_after: int, target: str | None = None) -> Reply | None:
        """The fault answer for the next `kind` request (for `target`, when the fault names one), or None; a counted
        fault is used up here."""
        with self._lock:
            setting = self._modes.get(kind)
            if setting is None or setting["target"] not in (None, target):
                return None
            if setting["times"] is not None:
                setting["times"] -= 1
                if setting["times"] <= 0:
                    del self._modes[kind]
        status, code = FAULT_STATUS[setting["mode"]]
        message = f"Stand-in fault '{setting['mode']}' for {kind} requests. Retry later."
        return acs_error(status, code, message, headers={"Retry-After": str(retry_after)})

    @staticmethod
    def _parse(kind: str, value: Any) -> dict[str, Any]:
        """Normalise one setting to {"mode", "times", "target"}."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS} or {CALLBACK_DELAY!r}")
        if isinstance(value, str):
            value = {"mode": value}
        if not isinstance(value, Mapping):
            raise ValueError(f"fault for {kind!r} must be a mode string or an object with 'mode' and 'times'")
        setting = dict(value)
        if setting.get("mode") not in FAULT_STATUS:
            raise ValueError(f"unknown fault mode {setting.get('mode')!r}; expected one of {sorted(FAULT_STATUS)}")
        times = setting.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive integer")
        target = setting.get("target")
        if target is not None and (kind != "createCall" or not isinstance(target, str)):
            raise ValueError("target (a phone number) applies to createCall faults only")
        return {"mode": setting["mode"], "times": times, "target": target}


def _delay(value: Any) -> float:
    """A callback delay: a number of seconds, 0 to 600."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 600:
        raise ValueError(f"{CALLBACK_DELAY} must be a number of seconds from 0 to 600")
    return float(value)
