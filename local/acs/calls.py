"""The state of one simulated Call Automation call, how the service shows it (CallConnectionProperties), and the
results its operations end with. Result codes are the ones ACS documents: recognize-action and play-action "Event
codes", the Call Automation sub-codes and the PSTN call-end codes of troubleshooting-codes."""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from local.acs.callees import TONES, Callee
from local.acs.store import AcsRequest, Reply, acs_error
from local.acs.validation import Repeatability

logger = logging.getLogger(__name__)

OK = {"code": 200, "subCode": 0, "message": "Action completed successfully."}
MAX_DIGITS = {"code": 200, "subCode": 8531, "message": "Action completed, max digits received."}
STOP_TONE = {"code": 200, "subCode": 8514, "message": "Action completed as stop tone was detected."}
INITIAL_SILENCE = {"code": 400, "subCode": 8510, "message": "Action failed, initial silence timeout reached."}
INTER_DIGIT = {"code": 400, "subCode": 8532, "message": "Action failed, inter-digit silence timeout reached."}
NO_AI_SERVICES = {"code": 400, "subCode": 8565,
                  "message": "Action failed, bad request to Azure AI services. Check input parameters."}
NO_ANSWER = {"code": 480, "subCode": 560480, "message": "No answer from the called user."}
ENDED_BY_APP = {"code": 0, "subCode": 0, "message": "Call ended successfully by local participant."}
ENDED_BY_CALLEE = {"code": 0, "subCode": 560000, "message": "Normal PSTN call end: user ended the call."}


@dataclass(eq=False)
class Media:
    """One accepted play or recognize, queued behind the call's running media operation."""

    kind: str  # "play" | "recognize"
    body: dict[str, Any]
    url: str  # where its events go: operationCallbackUri, else the call's callbackUri

    @property
    def context(self) -> str | None:
        return self.body.get("operationContext")

    def sources(self) -> list[dict[str, Any]]:
        """The prompts it plays."""
        if self.kind == "play":
            return list(self.body["playSources"])
        return ([self.body["playPrompt"]] if self.body.get("playPrompt") else []) + list(self.body.get("playPrompts")
                                                                                        or [])

    def needs_ai_services(self) -> bool:
        """Text and SSML are spoken by the Azure AI services resource connected at create_call."""
        return any(source["kind"] in ("text", "ssml") for source in self.sources())


@dataclass(eq=False)
class Call:
    """One outbound call; mutated only under the calling service's lock."""

    target: dict[str, Any]
    callback_uri: str
    callee: Callee
    body: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "connecting"
    keys: list[str] = field(default_factory=list)
    media: deque[Media] = field(default_factory=deque)
    active: Media | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = list(self.callee.keys)
        # ACS's server call ids are base64 of a conversation URL.
        self.server_call_id = base64.b64encode(f"https://standin.invalid/conv/{self.id}?i=1".encode()).decode()

    @property
    def context(self) -> str | None:
        return self.body.get("operationContext")

    @property
    def number(self) -> str | None:
        return (self.target.get("phoneNumber") or {}).get("value")

    def properties(self) -> dict[str, Any]:
        """CallConnectionProperties as create_call (201) and get_call (200) answer."""
        shown: dict[str, Any] = {"callConnectionId": self.id, "serverCallId": self.server_call_id,
                                 "targets": [self.target], "callConnectionState": self.state,
                                 "callbackUri": self.callback_uri, "correlationId": self.correlation_id}
        for name in ("sourceCallerIdNumber", "sourceDisplayName"):
            if self.body.get(name) is not None:
                shown[name] = self.body[name]
        return shown

    def shown(self) -> dict[str, Any]:
        """What GET /_standin/calls lists."""
        return {"id": self.id, "serverCallId": self.server_call_id, "correlationId": self.correlation_id,
                "target": self.number or self.target.get("rawId"), "state": self.state,
                "callbackUri": self.callback_uri, "operationContext": self.context,
                "pendingMedia": len(self.media) + (self.active is not None), "events": [dict(e) for e in self.events]}

    def base_data(self) -> dict[str, Any]:
        return {"callConnectionId": self.id, "serverCallId": self.server_call_id, "correlationId": self.correlation_id}


def with_raw_id(model: dict[str, Any]) -> dict[str, Any]:
    """An identifier as the service answers it: rawId and kind always present."""
    shown = dict(model)
    if "phoneNumber" in model:
        shown.setdefault("rawId", f"4:{model['phoneNumber']['value']}")
        shown.setdefault("kind", "phoneNumber")
    elif "communicationUser" in model:
        shown.setdefault("rawId", model["communicationUser"]["id"])
        shown.setdefault("kind", "communicationUser")
    else:
        shown.setdefault("kind", next(k for k in model if k not in ("rawId", "kind")))
    return shown


def recognized(entry: str, dtmf: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """What one pressed entry ends a DTMF recognize with: (event, resultInformation, tones). Tones up to a stop tone
    or the maximum complete it; fewer, with no stop tone, end in the inter-digit time-out."""
    stop_tones = set(dtmf.get("stopTones") or [])
    tones: list[str] = []
    for tone in (TONES[key] for key in entry):
        if tone in stop_tones:
            return "RecognizeCompleted", STOP_TONE, tones
        tones.append(tone)
        if len(tones) == dtmf["maxTonesToCollect"]:
            return "RecognizeCompleted", MAX_DIGITS, tones
    return "RecognizeFailed", INTER_DIGIT, tones


def media_refusal(call: Call, kind: str, body: dict[str, Any]) -> Reply | None:
    """Why a media operation cannot run on this call now, or None."""
    if call.state != "connected":
        return acs_error(400, "8501", "Action is not supported when call is not in Established state.")
    if kind == "recognize":
        participant = with_raw_id(body["recognizeOptions"]["targetParticipant"])
        if participant.get("rawId") != call.target.get("rawId"):
            return acs_error(400, "8523", "The target participant is not in the call.",
                             "recognizeOptions.targetParticipant")
        if any(op.kind == "recognize" for op in [*call.media, call.active] if op is not None):
            return acs_error(400, "8500", "Invalid media mode: a recognize is already running on this call.")
    for participant in body.get("playTo") or []:
        if with_raw_id(participant).get("rawId") != call.target.get("rawId"):
            return acs_error(400, "8523", "A playTo participant is not in the call.", "playTo")
    return None


def not_found() -> Reply:
    """Sub-code 8522: no such call, or it has ended."""
    return acs_error(404, "8522", "Call not found.")


class Repeats:
    """First answers by Repeatability-Request-ID: a repeat gets the same answer, an id reused for another request a
    400. Not thread-safe: the calling service holds its lock."""

    def __init__(self) -> None:
        self._answers: dict[str, tuple[str, Reply]] = {}

    def replay(self, repeat: Repeatability | None, req: AcsRequest) -> Reply | None:
        """The first answer to this request id, or None when it is new."""
        if repeat is None or repeat.request_id not in self._answers:
            return None
        fingerprint, first = self._answers[repeat.request_id]
        if fingerprint != _digest(req):
            return acs_error(400, "8523", "Repeatability-Request-ID was already used for a different request.")
        logger.info("repeated request %s: replaying the first answer", repeat.request_id)
        return first

    def remember(self, repeat: Repeatability | None, req: AcsRequest, reply: Reply) -> Reply:
        """The answer to send, marked accepted and kept when the request carried an id."""
        if repeat is None:
            return reply
        accepted = Reply(reply.status, reply.body, {**reply.headers, "Repeatability-Result": "accepted"})
        self._answers[repeat.request_id] = (_digest(req), accepted)
        return accepted


def _digest(req: AcsRequest) -> str:
    """Identity of a request (method, path, body) to tell a true repeat from a reused id."""
    return hashlib.sha256(f"{req.method} {req.path}\n".encode() + req.body).hexdigest()
