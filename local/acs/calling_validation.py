"""Validation of Call Automation request bodies (create call, play, recognize) as strictly as the service: a bad
field is a 400 whose error code is Call Automation's sub-code 8523 (invalid argument) and whose target names the
field. Shapes follow azure-communication-callautomation 1.6.0's generated models (CreateCallRequest, PlayRequest,
RecognizeRequest, PlaySource, RecognizeOptions, DtmfOptions). What the stand-in does not simulate (group calls,
speech recognition, media streaming, transcription) is refused with 501, never silently ignored."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from local.acs.callees import TONES
from local.acs.validation import E164, Invalid, validate_identifier

INVALID_ARGUMENT = "8523"
INPUT_TYPES = ("dtmf", "speech", "speechOrDtmf", "choices")
PLAY_KINDS = ("file", "text", "ssml")
VOICE_KINDS = ("male", "female")
NOT_SIMULATED = ("mediaStreamingOptions", "transcriptionOptions", "teamsAppSource")
# Local callback receivers may be plain HTTP on the loopback address; everything else must be HTTPS, as in ACS
# ("Call Automation doesn't support HTTP endpoints", troubleshooting-codes).
LOOPBACK = "127.0.0.1"


def validate_create_call(body: Any) -> None:
    """A CreateCallRequest for a 1:1 call: one valid target, an absolute https callbackUri, a caller id for PSTN."""
    _object(body)
    targets = body.get("targets")
    _require(isinstance(targets, list) and targets, "targets is required.", "targets")
    if len(targets) > 1:
        raise Invalid("The stand-in simulates 1:1 calls only (one target).", "targets", 501, "StandInNotImplemented")
    _identifier(targets[0], "targets[0]")
    source = body.get("sourceCallerIdNumber")
    if source is not None:
        value = source.get("value") if isinstance(source, dict) else None
        _require(isinstance(value, str) and E164.match(value), "Invalid phone number.", "sourceCallerIdNumber.value")
    # ACS needs a caller id that the resource owns to dial a phone number (troubleshooting-codes: "Actions on PSTN
    # endpoints aren't working").
    if "phoneNumber" in targets[0]:
        _require(source is not None, "sourceCallerIdNumber is required to call a phone number.",
                 "sourceCallerIdNumber")
    callback_uri(body.get("callbackUri"), "callbackUri")
    _optional_text(body, "operationContext")
    _optional_text(body, "sourceDisplayName")
    options = body.get("callIntelligenceOptions")
    if options is not None:
        _require(isinstance(options, dict), "callIntelligenceOptions must be an object.", "callIntelligenceOptions")
        endpoint = options.get("cognitiveServicesEndpoint")
        if endpoint is not None:
            _require(_https(endpoint), "The field CognitiveServicesEndpoint is invalid.",
                     "callIntelligenceOptions.cognitiveServicesEndpoint")
    _not_simulated(body, NOT_SIMULATED)


def validate_play(body: Any) -> None:
    """A PlayRequest: one or more play sources, optional audience, context and per-operation callback URI."""
    _object(body)
    sources = body.get("playSources")
    _require(isinstance(sources, list) and sources, "playSources is required.", "playSources")
    for i, source in enumerate(sources):
        play_source(source, f"playSources[{i}]")
    for i, participant in enumerate(_list(body.get("playTo"), "playTo")):
        _identifier(participant, f"playTo[{i}]")
    options = body.get("playOptions")
    if options is not None:
        ok = isinstance(options, dict) and isinstance(options.get("loop"), bool)
        _require(ok, "playOptions.loop is required.", "playOptions.loop")
    _media_common(body)


def validate_recognize(body: Any) -> None:
    """A RecognizeRequest for DTMF: target participant, maxTonesToCollect, timeouts in range, valid prompts."""
    _object(body)
    kind = body.get("recognizeInputType")
    _require(kind in INPUT_TYPES, f"recognizeInputType must be one of {INPUT_TYPES}.", "recognizeInputType")
    if kind != "dtmf":
        raise Invalid("The stand-in simulates DTMF recognition only.", "recognizeInputType", 501,
                      "StandInNotImplemented")
    options = body.get("recognizeOptions")
    _require(isinstance(options, dict), "recognizeOptions is required.", "recognizeOptions")
    _identifier(options.get("targetParticipant"), "recognizeOptions.targetParticipant")
    _int(options, "initialSilenceTimeoutInSeconds", 0, 300, "recognizeOptions")
    _optional_bool(options, "interruptPrompt", "recognizeOptions")
    dtmf = options.get("dtmfOptions")
    _require(isinstance(dtmf, dict), "dtmfOptions is required for dtmf.", "recognizeOptions.dtmfOptions")
    _require("maxTonesToCollect" in dtmf, "maxTonesToCollect is required.", "recognizeOptions.dtmfOptions")
    _int(dtmf, "maxTonesToCollect", 1, 100, "recognizeOptions.dtmfOptions")
    _int(dtmf, "interToneTimeoutInSeconds", 1, 60, "recognizeOptions.dtmfOptions")
    for i, tone in enumerate(_list(dtmf.get("stopTones"), "recognizeOptions.dtmfOptions.stopTones")):
        _require(tone in TONES.values(), "Unknown DTMF tone.", f"recognizeOptions.dtmfOptions.stopTones[{i}]")
    if body.get("playPrompt") is not None:
        play_source(body["playPrompt"], "playPrompt")
    for i, source in enumerate(_list(body.get("playPrompts"), "playPrompts")):
        play_source(source, f"playPrompts[{i}]")
    _media_common(body)


def play_source(source: Any, where: str) -> None:
    """One PlaySource: its kind and the matching file (https uri), text (non-blank) or ssml (non-blank)."""
    _require(isinstance(source, dict), f"{where} must be an object.", where)
    kind = source.get("kind")
    _require(kind in PLAY_KINDS, f"kind must be one of {PLAY_KINDS}.", f"{where}.kind")
    detail = source.get(kind)
    _require(isinstance(detail, dict), f"{kind} is required for a {kind} source.", f"{where}.{kind}")
    if kind == "file":
        _require(_https(detail.get("uri")), "The field Uri is invalid.", f"{where}.file.uri")
    elif kind == "text":
        # Sub-code 8582: Play Source Text Or Ssml Empty.
        _require(_blank_free(detail.get("text")), "Play source text is empty.", f"{where}.text.text")
        voice_kind = detail.get("voiceKind")
        _require(voice_kind is None or voice_kind in VOICE_KINDS, f"voiceKind must be one of {VOICE_KINDS}.",
                 f"{where}.text.voiceKind")
    else:
        _require(_blank_free(detail.get("ssmlText")), "Play source SSML is empty.", f"{where}.ssml.ssmlText")


def callback_uri(value: Any, where: str) -> None:
    """An absolute https URI (http only to 127.0.0.1, for local receivers)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    ok = parts is not None and bool(parts.hostname) and (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == LOOPBACK))
    _require(ok, f"The field {where[0].upper()}{where[1:]} is invalid.", where)


def _identifier(model: Any, where: str) -> None:
    """A CommunicationIdentifierModel, refused with Call Automation's invalid-argument code."""
    try:
        validate_identifier(model, where)
    except Invalid as err:
        raise Invalid(str(err), err.target, 400, INVALID_ARGUMENT) from None


def _media_common(body: dict[str, Any]) -> None:
    _optional_text(body, "operationContext")
    _optional_bool(body, "interruptCallMediaOperation", None)
    if body.get("operationCallbackUri") is not None:
        callback_uri(body["operationCallbackUri"], "operationCallbackUri")


def _not_simulated(body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if body.get(name) is not None:
            raise Invalid(f"The stand-in does not simulate {name}.", name, 501, "StandInNotImplemented")


def _https(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)


def _int(holder: dict[str, Any], name: str, low: int, high: int, where: str) -> None:
    value = holder.get(name)
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high)
    _require(ok, f"{name} must be an integer from {low} to {high}.", f"{where}.{name}")


def _optional_bool(holder: dict[str, Any], name: str, where: str | None) -> None:
    ok = holder.get(name) is None or isinstance(holder[name], bool)
    _require(ok, f"{name} must be true or false.", f"{where}.{name}" if where else name)


def _optional_text(holder: dict[str, Any], name: str) -> None:
    _require(holder.get(name) is None or isinstance(holder[name], str), f"{name} must be a string.", name)


def _list(value: Any, where: str) -> list[Any]:
    _require(value is None or isinstance(value, list), f"{where} must be an array.", where)
    return value or []


def _blank_free(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _object(body: Any) -> None:
    _require(isinstance(body, dict), "The request body must be a JSON object.", None)


def _require(condition: Any, message: str, target: str | None) -> None:
    if not condition:
        raise Invalid(message, target, 400, INVALID_ARGUMENT)
