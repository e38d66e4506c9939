"""The simulated people the stand-in's outbound calls reach, one per number, scripted by tests and demos through
PUT /_standin/callees/{e164} (or AcsStandIn.set_callee): whether they answer, how long it rings, the keys they press
(one entry per recognize, in order; each entry one or more keys; exhausted: silence), how long their silence takes
to time out, and whether they hang up as soon as they answer. A number nobody scripted answers and stays silent."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from local.acs.validation import E164

# DtmfTone names as Call Automation reports them in RecognizeCompleted's dtmfResult.tones.
TONES = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
         "8": "eight", "9": "nine", "A": "a", "B": "b", "C": "c", "D": "d", "#": "pound", "*": "asterisk"}
FIELDS = ("answers", "ringSeconds", "keys", "silenceSeconds", "hangUpAfterAnswer")
MAX_SECONDS = 120.0


@dataclass(frozen=True)
class Callee:
    """How the person at one number behaves (camelCase, as the inspection API shows it)."""

    answers: bool = True
    ringSeconds: float = 0.2
    keys: tuple[str, ...] = field(default_factory=tuple)
    silenceSeconds: float = 1.0
    hangUpAfterAnswer: bool = False

    def shown(self) -> dict[str, Any]:
        return asdict(self) | {"keys": list(self.keys)}


def parse_callee(body: Any) -> Callee:
    """A Callee from the JSON of PUT /_standin/callees/{e164}; ValueError says what is wrong."""
    if not isinstance(body, Mapping):
        raise ValueError("The body must be a JSON object.")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ValueError(f"Unknown callee fields {unknown}; expected some of {list(FIELDS)}.")
    for name in ("answers", "hangUpAfterAnswer"):
        if name in body and not isinstance(body[name], bool):
            raise ValueError(f"{name} must be true or false.")
    for name in ("ringSeconds", "silenceSeconds"):
        value = body.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SECONDS:
            raise ValueError(f"{name} must be a number of seconds from 0 to {MAX_SECONDS:g}.")
    keys = body.get("keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and k and set(k) <= set(TONES) for k in keys):
        raise ValueError(f"keys must be a list of non-empty strings of {''.join(TONES)}.")
    defaults = Callee()
    return Callee(
        answers=body.get("answers", defaults.answers),
        ringSeconds=float(body.get("ringSeconds", defaults.ringSeconds)),
        keys=tuple(keys),
        silenceSeconds=float(body.get("silenceSeconds", defaults.silenceSeconds)),
        hangUpAfterAnswer=body.get("hangUpAfterAnswer", defaults.hangUpAfterAnswer),
    )


class Callees:
    """The scripted callees by E.164 number; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_number: dict[str, Callee] = {}

    def put(self, number: str, body: Any) -> Callee:
        """Create or replace the callee at `number`; ValueError when the number or the script is invalid."""
        if not E164.match(number):
            raise ValueError(f"{number!r} is not an E.164 phone number.")
        callee = parse_callee(body)
        with self._lock:
            self._by_number[number] = callee
        return callee

    def get(self, number: str | None) -> Callee:
        """The callee at `number`, or the default one (answers after 0.2 s, silent)."""
        with self._lock:
            return self._by_number.get(number or "", Callee())

    def shown(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {number: callee.shown() for number, callee in self._by_number.items()}
