"""Call Automation outbound calls in the ACS stand-in, answered the way azure-communication-callautomation 1.6.0
expects: POST /calling/callConnections (201, CallConnectionProperties, state "connecting"), GET and DELETE
/calling/callConnections/{id} (200 / 204), POST .../{id}:play and :recognize (202), POST .../{id}:terminate (204).

Behind them a simulated callee (local/acs/callees.py) answers or not, presses its scripted keys or stays silent, and
the mid-call events go to the callback URI signed with the stand-in's key (local/acs/callbacks.py). Media operations
run one at a time per call in the order accepted; a second recognize while one is running or queued is refused (8500).
Errors carry Call Automation's sub-code as the error code: 8522 call not found, 8501 call not established, 8523
invalid argument. Create and terminate honour Repeatability-Request-ID: a repeat replays the first answer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.acs.callbacks import CallbackDelivery, cloud_event
from local.acs.callees import Callees
from local.acs.calling_validation import validate_create_call, validate_play, validate_recognize
from local.acs.calls import (
    ENDED_BY_APP,
    ENDED_BY_CALLEE,
    INITIAL_SILENCE,
    NO_AI_SERVICES,
    NO_ANSWER,
    OK,
    Call,
    Media,
    Repeats,
    media_refusal,
    not_found,
    recognized,
    with_raw_id,
)
from local.acs.jwt_signer import CallbackSigner
from local.acs.store import AcsRequest, Faults, Reply, RequestLog
from local.acs.timeline import Timeline
from local.acs.validation import Invalid, Repeatability, parse_repeatability

logger = logging.getLogger(__name__)

PROMPT_SECONDS = 0.1  # how long each prompt "plays"
KEY_SECONDS = 0.05  # how long after the prompt a scripted key is pressed
HANG_UP_SECONDS = 0.1  # how long after answering a hangUpAfterAnswer callee hangs up


class CallingService:
    """The calls in memory and their simulation; thread-safe."""

    def __init__(self, log: RequestLog, faults: Faults, signer: CallbackSigner, retry_after: int = 1,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._log, self._faults, self._retry_after = log, faults, retry_after
        self._clock = clock or (lambda: datetime.now(UTC))
        self.callees = Callees()
        self._lock = threading.RLock()
        self._calls: dict[str, Call] = {}
        self._repeats = Repeats()
        self._timeline = Timeline()
        self._delivery = CallbackDelivery(signer, faults, self._delivered)

    def start(self, ca_bundle: Path) -> None:
        self._delivery.bind(ca_bundle)
        self._timeline.start()

    def stop(self) -> None:
        self._timeline.stop()
        self._delivery.stop()

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [call.shown() for call in self._calls.values()]

    # --- the REST operations -------------------------------------------------------------------------------

    def create_call(self, req: AcsRequest) -> Reply:
        """POST /calling/callConnections -> 201; the callee's phone rings from now."""
        fault = self._faults.take("createCall", self._retry_after, _target_number(req))
        if fault:
            return fault
        try:
            repeat = self._repeatability(req)
            body = _json(req)
            validate_create_call(body)
        except Invalid as err:
            return err.reply()
        return self._replayed_or(repeat, req, lambda: self._place(repeat, req, body))

    def get_call(self, req: AcsRequest, call_id: str) -> Reply:
        """GET /calling/callConnections/{id} -> 200 while the call lasts, 404 once it has ended."""
        with self._lock:
            call = self._calls.get(call_id)
            if call is None or call.state == "disconnected":
                return not_found()
            return Reply(200, call.properties())

    def media(self, req: AcsRequest, call_id: str, kind: str) -> Reply:
        """POST .../{id}:play or :recognize -> 202; the operation runs when the ones before it have ended."""
        fault = self._faults.take(kind, self._retry_after)
        if fault:
            return fault
        try:
            body = _json(req)
            (validate_play if kind == "play" else validate_recognize)(body)
        except Invalid as err:
            return err.reply()
        with self._lock:
            call = self._calls.get(call_id)
            if call is None:
                return not_found()
            refused = media_refusal(call, kind, body)
            if refused:
                return refused
            call.media.append(Media(kind, body, body.get("operationCallbackUri") or call.callback_uri))
            self._log.record(kind, call_id, body, req.interesting_headers())
            self._start_next(call)
        return Reply(202)

    def end(self, req: AcsRequest, call_id: str, kind: str) -> Reply:
        """POST .../{id}:terminate or DELETE .../{id} (a 1:1 call ends either way) -> 204; CallDisconnected follows."""
        fault = self._faults.take(kind, self._retry_after)
        if fault:
            return fault
        try:
            repeat = self._repeatability(req)
        except Invalid as err:
            return err.reply()
        return self._replayed_or(repeat, req, lambda: self._hang_up(repeat, req, call_id, kind))

    # --- Repeatability-Request-ID: a repeat gets the first answer -----------------------------------------

    def _repeatability(self, req: AcsRequest) -> Repeatability | None:
        """The request's Repeatability headers (None without them); Invalid when malformed or stale."""
        return parse_repeatability(req.header("repeatability-request-id"), req.header("repeatability-first-sent"),
                                   self._clock())

    def _replayed_or(self, repeat: Repeatability | None, req: AcsRequest, operation: Callable[[], Reply]) -> Reply:
        """Under the lock: the first answer when `req` repeats an earlier request id, else what `operation` answers
        (it remembers its answer for the repeats)."""
        with self._lock:
            replayed = self._repeats.replay(repeat, req)
            return replayed if replayed is not None else operation()

    # --- what create and terminate do once they are not repeats (under the lock) --------------------------

    def _place(self, repeat: Repeatability | None, req: AcsRequest, body: dict[str, Any]) -> Reply:
        """The call created: its callee's phone rings from now."""
        target = with_raw_id(body["targets"][0])
        call = Call(target, body["callbackUri"], self.callees.get(target.get("phoneNumber", {}).get("value")), body)
        self._calls[call.id] = call
        reply = self._repeats.remember(repeat, req, Reply(201, call.properties()))
        self._log.record("createCall", call.id, body, req.interesting_headers())
        self._timeline.at(call.callee.ringSeconds, lambda: self._ring_ends(call))
        logger.info("call %s placed to %s", call.id, _mask(call.number or ""))
        return reply

    def _hang_up(self, repeat: Repeatability | None, req: AcsRequest, call_id: str, kind: str) -> Reply:
        """The call ended by the app; 404 when there is none or it has ended."""
        call = self._calls.get(call_id)
        if call is None or call.state == "disconnected":
            return not_found()
        self._log.record(kind, call_id, None, req.interesting_headers())
        self._disconnect(call, ENDED_BY_APP)
        return self._repeats.remember(repeat, req, Reply(204))

    # --- the simulation (timeline thread, under the lock) ---------------------------------------------------

    def _ring_ends(self, call: Call) -> None:
        with self._lock:
            if call.state != "connecting":
                return
            if not call.callee.answers:
                call.state = "disconnected"
                self._emit(call, "CreateCallFailed", call.callback_uri,
                           {"operationContext": call.context, "resultInformation": NO_ANSWER}, last=True)
                return
            call.state = "connected"
            self._emit(call, "CallConnected", call.callback_uri, {"operationContext": call.context})
            participants = [{"identifier": call.target, "isMuted": False, "isOnHold": False}]
            self._emit(call, "ParticipantsUpdated", call.callback_uri, {"sequenceNumber": 1,
                                                                        "participants": participants})
            if call.callee.hangUpAfterAnswer:
                self._timeline.at(HANG_UP_SECONDS, lambda: self._callee_hangs_up(call))

    def _callee_hangs_up(self, call: Call) -> None:
        with self._lock:
            if call.state == "connected":
                self._disconnect(call, ENDED_BY_CALLEE)

    def _start_next(self, call: Call) -> None:
        """Start the next queued media operation unless one is running."""
        if call.active is not None or not call.media or call.state != "connected":
            return
        op = call.active = call.media.popleft()
        prompt = PROMPT_SECONDS * len(op.sources())
        failed = "PlayFailed" if op.kind == "play" else "RecognizeFailed"
        if op.needs_ai_services() and not (call.body.get("callIntelligenceOptions") or {}).get(
                "cognitiveServicesEndpoint"):
            self._timeline.at(0, lambda: self._finish(call, op, failed, NO_AI_SERVICES))
        elif op.kind == "play":
            if not (op.body.get("playOptions") or {}).get("loop"):  # a looped play lasts until the call ends
                self._timeline.at(prompt, lambda: self._finish(call, op, "PlayCompleted", OK))
        elif call.keys:
            event, result, tones = recognized(call.keys.pop(0), op.body["recognizeOptions"]["dtmfOptions"])
            extra = {"recognitionType": "dtmf", "dtmfResult": {"tones": tones}} if event == "RecognizeCompleted" else {}
            wait = KEY_SECONDS if event == "RecognizeCompleted" else call.callee.silenceSeconds
            self._timeline.at(prompt + wait, lambda: self._finish(call, op, event, result, extra))
        else:
            self._timeline.at(prompt + call.callee.silenceSeconds,
                              lambda: self._finish(call, op, "RecognizeFailed", INITIAL_SILENCE))

    def _finish(self, call: Call, op: Media, event: str, result: dict[str, Any],
                extra: dict[str, Any] | None = None) -> None:
        with self._lock:
            if call.active is not op or call.state != "connected":
                return  # the call ended first: the operation ends with it, silently
            call.active = None
            self._emit(call, event, op.url, {"operationContext": op.context, "resultInformation": result,
                                             **(extra or {})})
            self._start_next(call)

    def _disconnect(self, call: Call, result: dict[str, Any]) -> None:
        call.state, call.active = "disconnected", None
        call.media.clear()
        self._emit(call, "CallDisconnected", call.callback_uri,
                   {"operationContext": call.context, "resultInformation": result}, last=True)

    def _emit(self, call: Call, kind: str, url: str, data: dict[str, Any], last: bool = False) -> None:
        payload = call.base_data() | {k: v for k, v in data.items() if v is not None}
        self._delivery.enqueue(call.id, url, cloud_event(kind, call.id, payload), last)

    def _delivered(self, call_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            call = self._calls.get(call_id)
            if call is not None:
                call.events.append(record)


def _json(req: AcsRequest) -> Any:
    try:
        return req.json()
    except (UnicodeDecodeError, ValueError) as err:
        raise Invalid("The request body is not valid JSON.", None, 400, "8523") from err


def _target_number(req: AcsRequest) -> str | None:
    """The phone number a create call dials, read leniently (for a fault that names one)."""
    try:
        return str(req.json()["targets"][0]["phoneNumber"]["value"])
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, TypeError):
        return None


def _mask(number: str) -> str:
    return f"{number[:2]}***{number[-2:]}" if len(number) > 4 else "***"
