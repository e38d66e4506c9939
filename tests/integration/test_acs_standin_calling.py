"""Call Automation outbound calls in the ACS stand-in, driven by the real SDK (azure-communication-callautomation)
over HTTPS, with the mid-call events received by a real HTTP server on 127.0.0.1 that believes only tokens it can
verify against the stand-in's published keys (issuer, audience, expiry), as the app must."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests
from azure.communication.callautomation import (
    CallAutomationClient,
    CallConnectionClient,
    PhoneNumberIdentifier,
    RecognizeInputType,
    TextSource,
)
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import HTTPPolicy
from cryptography.hazmat.primitives.asymmetric import rsa

from local.acs.standin import AcsStandIn

CALLER_ID = "+14255550100"
CALLEE = "+14255550123"
AI_SERVICES = "https://ai-standin.cognitiveservices.azure.com/"
VOICE = "en-US-JennyNeural"


class CallbackReceiver:
    """The app's callback endpoint: verifies each token like the app (PyJWT against the published JWKS), answers
    401 to a token it cannot verify, else `status` (200 unless a test says otherwise), and keeps what it believed."""

    def __init__(self, standin: AcsStandIn, *, tls: bool = False) -> None:
        ca = str(standin.ca_bundle)
        config = requests.get(standin.openid_configuration_url, verify=ca, timeout=5).json()
        self.issuer, self.audience = config["issuer"], standin.immutable_resource_id
        self.keys = jwt.PyJWKClient(config["jwks_uri"], ssl_context=ssl.create_default_context(cafile=ca))
        self.status = 200
        self.events: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        if tls:
            assert standin.certs is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(standin.certs.server_pem, standin.certs.server_key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}/api/voice/callbacks"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims; raises jwt.PyJWTError when it is not the stand-in's, for this resource, in date."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer":
            raise jwt.InvalidTokenError("no bearer token")
        key = self.keys.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                          options={"require": ["exp", "iat", "nbf", "iss", "aud"]})

    def wait(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first `count` believed events, once they have come."""
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, timeout), self.types()
            return self.events[:count]

    def types(self) -> list[str]:
        return [e["type"].removeprefix("Microsoft.Communication.") for e in self.events]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    receiver.verify(self.headers.get("Authorization"))
                except jwt.PyJWTError as err:
                    receiver.refused.append(f"{type(err).__name__}: {err}")
                    self.send_response(401)
                else:
                    with receiver._cond:
                        receiver.events.extend(json.loads(body))
                        receiver._cond.notify_all()
                    self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class ResendOnce(HTTPPolicy):  # type: ignore[type-arg]
    """Sends each request twice and returns the second answer: a client retry after a lost response."""

    def send(self, request: Any) -> Any:
        first = self.next.send(request).http_response
        first.read() if hasattr(first, "read") else first.body()
        return self.next.send(request)


@pytest.fixture
def receiver(standin: AcsStandIn) -> Iterator[CallbackReceiver]:
    running = CallbackReceiver(standin)
    yield running
    running.stop()


def client(standin: AcsStandIn, **kwargs: Any) -> CallAutomationClient:
    return CallAutomationClient.from_connection_string(standin.connection_string,
                                                       connection_verify=str(standin.ca_bundle), **kwargs)


def dial(standin: AcsStandIn, receiver: CallbackReceiver, *, to: str = CALLEE, context: str = "escalation-1",
         callback_url: str | None = None, **kwargs: Any) -> tuple[str, CallConnectionClient]:
    """create_call as the app makes it; (call connection id, its client)."""
    automation = client(standin, **kwargs)
    properties = automation.create_call(PhoneNumberIdentifier(to), callback_url or receiver.url,
                                        source_caller_id_number=PhoneNumberIdentifier(CALLER_ID),
                                        operation_context=context, cognitive_services_endpoint=AI_SERVICES)
    call_id = str(properties.call_connection_id)
    return call_id, automation.get_call_connection(call_id)


def ask(call: CallConnectionClient, context: str, to: str = CALLEE, timeout: int = 30) -> None:
    """One DTMF key with a spoken prompt, as the escalation call asks."""
    call.start_recognizing_media(RecognizeInputType.DTMF, PhoneNumberIdentifier(to),
                                 play_prompt=TextSource(text="Press 1 to acknowledge.", voice_name=VOICE),
                                 dtmf_max_tones_to_collect=1, initial_silence_timeout=timeout, interrupt_prompt=True,
                                 operation_context=context)


def eventually(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return result


def call_record(standin: AcsStandIn, call_id: str) -> dict[str, Any]:
    return next(c for c in standin.calls() if c["id"] == call_id)


# --- placing the call ----------------------------------------------------------------------------------------


def test_create_call_answers_connecting_then_posts_call_connected_signed_for_the_resource(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05)
    automation = client(standin)
    properties = automation.create_call(PhoneNumberIdentifier(CALLEE), receiver.url, operation_context="esc-1",
                                        source_caller_id_number=PhoneNumberIdentifier(CALLER_ID),
                                        cognitive_services_endpoint=AI_SERVICES)
    call_id = str(properties.call_connection_id)
    assert properties.call_connection_state == "connecting"
    assert [t.raw_id for t in properties.targets or []] == [f"4:{CALLEE}"]
    assert properties.callback_url == receiver.url
    assert properties.source_caller_id_number is not None
    assert properties.source_caller_id_number.raw_id == f"4:{CALLER_ID}"

    connected, updated = receiver.wait(2)
    assert (connected["type"], updated["type"]) == ("Microsoft.Communication.CallConnected",
                                                    "Microsoft.Communication.ParticipantsUpdated")
    assert connected["source"] == connected["subject"] == f"calling/callConnections/{call_id}"
    assert connected["specversion"] == "1.0" and connected["datacontenttype"] == "application/json"
    assert connected["data"] == {"callConnectionId": call_id,
                                 "serverCallId": properties.server_call_id,
                                 "correlationId": properties.correlation_id, "operationContext": "esc-1"}
    assert automation.get_call_connection(call_id).get_call_properties().call_connection_state == "connected"
    [recorded] = standin.requests("createCall")
    assert recorded["id"] == call_id
    assert recorded["body"]["callIntelligenceOptions"] == {"cognitiveServicesEndpoint": AI_SERVICES}
    record = eventually(lambda: (r := call_record(standin, call_id))["events"][1:] and r)
    assert (record["target"], record["state"]) == (CALLEE, "connected")
    assert [(e["type"], e["status"]) for e in record["events"]] == [("CallConnected", 200),
                                                                     ("ParticipantsUpdated", 200)]


def test_each_callback_carries_a_fresh_five_minute_token_with_the_published_key(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    tokens: list[str] = []
    original = receiver.verify

    def keep(authorization: str | None) -> dict[str, Any]:
        tokens.append((authorization or "").partition(" ")[2])
        return original(authorization)

    receiver.verify = keep  # type: ignore[method-assign]
    dial(standin, receiver)
    receiver.wait(2)
    assert len(set(tokens)) == 2
    [key] = requests.get(f"{standin.endpoint}/calling/keys", verify=str(standin.ca_bundle), timeout=5).json()["keys"]
    header, claims = jwt.get_unverified_header(tokens[0]), jwt.decode(tokens[0], options={"verify_signature": False})
    assert (header["alg"], header["kid"], key["kty"], key["use"], key["alg"]) == ("RS256", key["kid"], "RSA", "sig",
                                                                                 "RS256")
    assert claims["iss"] == standin.issuer and claims["aud"] == standin.immutable_resource_id
    assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] <= claims["iat"]


def test_the_openid_configuration_is_published_without_authentication(standin: AcsStandIn) -> None:
    config = requests.get(standin.openid_configuration_url, verify=str(standin.ca_bundle), timeout=5).json()
    assert config["issuer"] == standin.issuer == standin.endpoint
    assert config["jwks_uri"] == f"{standin.endpoint}/calling/keys"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]


def test_a_token_signed_by_another_key_is_refused_by_the_published_keys(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    [published] = receiver.keys.get_signing_keys()
    now = int(time.time())
    claims = {"iss": standin.issuer, "aud": standin.immutable_resource_id, "iat": now, "nbf": now, "exp": now + 300}
    forged = jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
                        headers={"kid": published.key_id})
    answer = requests.post(receiver.url, json=[{"type": "Microsoft.Communication.CallConnected", "data": {}}],
                           headers={"Authorization": f"Bearer {forged}"}, timeout=5)
    assert answer.status_code == 401
    assert receiver.events == [] and receiver.refused == ["InvalidSignatureError: Signature verification failed"]


def test_a_callee_who_does_not_answer_ends_in_create_call_failed(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, answers=False, ringSeconds=0.1)
    call_id, call = dial(standin, receiver, context="esc-2")
    [failed] = receiver.wait(1)
    assert failed["type"] == "Microsoft.Communication.CreateCallFailed"
    assert failed["data"]["operationContext"] == "esc-2" and failed["data"]["callConnectionId"] == call_id
    assert failed["data"]["resultInformation"]["code"] == 480
    with pytest.raises(ResourceNotFoundError) as err:
        call.get_call_properties()
    assert err.value.error is not None and err.value.error.code == "8522"


def test_the_same_create_call_resent_places_one_call(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    call_id, _ = dial(standin, receiver, per_retry_policies=[ResendOnce()])
    assert [c["id"] for c in standin.calls()] == [call_id]
    assert len(standin.requests("createCall")) == 1


# --- asking and playing ----------------------------------------------------------------------------------------


def test_each_recognize_collects_the_next_scripted_key(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05, keys=["2", "1"])
    call_id, call = dial(standin, receiver)
    receiver.wait(2)
    ask(call, "ask-1")
    first = receiver.wait(3)[2]
    ask(call, "ask-2")
    second = receiver.wait(4)[3]
    assert [e["type"] for e in (first, second)] == ["Microsoft.Communication.RecognizeCompleted"] * 2
    assert [e["data"]["dtmfResult"]["tones"] for e in (first, second)] == [["two"], ["one"]]
    assert [e["data"]["operationContext"] for e in (first, second)] == ["ask-1", "ask-2"]
    assert first["data"]["recognitionType"] == "dtmf"
    assert first["data"]["resultInformation"] == {"code": 200, "subCode": 8531,
                                                  "message": "Action completed, max digits received."}
    [recorded, _] = standin.requests("recognize")
    assert recorded["body"]["playPrompt"]["text"]["voiceName"] == VOICE


def test_a_silent_callee_ends_the_recognize_in_the_initial_silence_timeout(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05, keys=["1"], silenceSeconds=0.2)
    _, call = dial(standin, receiver)
    receiver.wait(2)
    ask(call, "ask-1")
    receiver.wait(3)
    started = time.monotonic()
    ask(call, "ask-2", timeout=300)  # the script's silenceSeconds stands in for the five minutes asked
    failed = receiver.wait(4)[3]
    assert time.monotonic() - started < 2
    assert failed["type"] == "Microsoft.Communication.RecognizeFailed"
    assert failed["data"]["operationContext"] == "ask-2"
    assert failed["data"]["resultInformation"] == {"code": 400, "subCode": 8510,
                                                   "message": "Action failed, initial silence timeout reached."}


def test_play_completes_and_terminate_disconnects_the_call(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    call_id, call = dial(standin, receiver, context="esc-3")
    receiver.wait(2)
    call.play_media(TextSource(text="Thank you, goodbye.", voice_name=VOICE), operation_context="bye")
    played = receiver.wait(3)[2]
    assert played["type"] == "Microsoft.Communication.PlayCompleted"
    assert played["data"]["operationContext"] == "bye" and played["data"]["resultInformation"]["code"] == 200
    call.hang_up(is_for_everyone=True)
    disconnected = receiver.wait(4)[3]
    assert disconnected["type"] == "Microsoft.Communication.CallDisconnected"
    assert disconnected["data"]["operationContext"] == "esc-3"
    assert [r["id"] for r in standin.requests("terminate")] == [call_id]
    assert call_record(standin, call_id)["state"] == "disconnected"


def test_a_terminate_resent_after_a_lost_response_ends_the_call_once(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    call_id, _ = dial(standin, receiver)
    receiver.wait(2)
    client(standin, per_retry_policies=[ResendOnce()]).get_call_connection(call_id).hang_up(is_for_everyone=True)
    receiver.wait(3)
    assert len(standin.requests("terminate")) == 1
    assert receiver.types() == ["CallConnected", "ParticipantsUpdated", "CallDisconnected"]


def test_a_callee_who_hangs_up_disconnects_the_call(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05, hangUpAfterAnswer=True)
    dial(standin, receiver)
    receiver.wait(3)
    assert receiver.types() == ["CallConnected", "ParticipantsUpdated", "CallDisconnected"]


def test_a_prompt_needs_the_ai_services_connected_at_create_call(
        standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    automation = client(standin)
    properties = automation.create_call(PhoneNumberIdentifier(CALLEE), receiver.url,
                                        source_caller_id_number=PhoneNumberIdentifier(CALLER_ID))
    receiver.wait(2)
    automation.get_call_connection(str(properties.call_connection_id)).play_media(TextSource(text="Hello"))
    failed = receiver.wait(3)[2]
    assert failed["type"] == "Microsoft.Communication.PlayFailed"
    assert failed["data"]["resultInformation"]["subCode"] == 8565


def test_callbacks_reach_an_https_endpoint_trusted_through_the_dev_ca(standin: AcsStandIn) -> None:
    secure = CallbackReceiver(standin, tls=True)
    try:
        call_id, _ = dial(standin, secure, callback_url=secure.url)
        secure.wait(2)
        assert eventually(lambda: len(call_record(standin, call_id)["events"]) == 2)
    finally:
        secure.stop()


# --- refusals, as the service refuses --------------------------------------------------------------------------


def expect_refusal(action: Callable[[], Any], status: int, code: str) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as err:
        action()
    assert err.value.status_code == status
    assert err.value.error is not None and err.value.error.code == code, err.value
    return err.value


def test_a_target_that_is_not_e164_is_refused(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    err = expect_refusal(lambda: dial(standin, receiver, to="4255550123"), 400, "8523")
    assert err.error is not None and err.error.target == "targets[0].phoneNumber.value"
    assert standin.calls() == [] and standin.requests("createCall") == []


@pytest.mark.parametrize("url", ["http://example.com/callbacks", "callbacks", "ftp://127.0.0.1/x"])
def test_a_callback_uri_that_is_not_absolute_https_is_refused(
        standin: AcsStandIn, receiver: CallbackReceiver, url: str) -> None:
    err = expect_refusal(lambda: dial(standin, receiver, callback_url=url), 400, "8523")
    assert err.error is not None and err.error.target == "callbackUri"


def test_a_phone_number_cannot_be_called_without_a_caller_id(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    expect_refusal(lambda: client(standin).create_call(PhoneNumberIdentifier(CALLEE), receiver.url), 400, "8523")


def test_a_wrong_access_key_is_refused(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    wrong = standin.connection_string.replace(standin.access_key, base64.b64encode(b"k" * 32).decode())
    automation = CallAutomationClient.from_connection_string(wrong, connection_verify=str(standin.ca_bundle))
    with pytest.raises(ClientAuthenticationError):
        automation.create_call(PhoneNumberIdentifier(CALLEE), receiver.url,
                               source_caller_id_number=PhoneNumberIdentifier(CALLER_ID))
    assert standin.calls() == []


def test_an_unknown_call_is_not_found(standin: AcsStandIn) -> None:
    call = client(standin).get_call_connection(str(uuid.uuid4()))
    expect_refusal(call.get_call_properties, 404, "8522")
    expect_refusal(lambda: ask(call, "ask"), 404, "8522")
    expect_refusal(lambda: call.hang_up(is_for_everyone=True), 404, "8522")


def test_media_actions_wait_for_the_call_to_be_established(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=1.0)
    _, call = dial(standin, receiver)
    expect_refusal(lambda: ask(call, "too-early"), 400, "8501")
    call.hang_up(is_for_everyone=True)
    receiver.wait(1)
    expect_refusal(lambda: call.play_media(TextSource(text="Anyone?")), 400, "8501")
    assert receiver.types() == ["CallDisconnected"]
    assert standin.requests("recognize") == standin.requests("play") == []


def test_a_second_recognize_while_one_runs_is_refused(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05, silenceSeconds=2.0)
    _, call = dial(standin, receiver)
    receiver.wait(2)
    ask(call, "ask-1")
    expect_refusal(lambda: ask(call, "ask-2"), 400, "8500")
    expect_refusal(lambda: ask(call, "ask-3", to="+14255550999"), 400, "8523")
    assert len(standin.requests("recognize")) == 1


# --- faults and deliveries -------------------------------------------------------------------------------------


def test_create_call_unavailable_answers_503_with_retry_after(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_faults({"createCall": {"mode": "unavailable", "times": 1}})
    err = expect_refusal(lambda: dial(standin, receiver, retry_total=0), 503, "ServiceUnavailable")
    assert err.response is not None and err.response.headers["Retry-After"] == "1"  # type: ignore[attr-defined]
    assert standin.calls() == []
    dial(standin, receiver, retry_total=0)  # the fault was for one request
    assert len(standin.calls()) == 1


def test_a_fault_for_one_target_leaves_other_numbers_alone(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_faults({"createCall": {"mode": "internal", "target": CALLEE}})
    expect_refusal(lambda: dial(standin, receiver, retry_total=0), 500, "InternalServerError")
    dial(standin, receiver, to="+14255550124", retry_total=0)
    assert [c["target"] for c in standin.calls()] == ["+14255550124"]


def test_callbacks_can_be_delivered_late(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    standin.set_callee(CALLEE, ringSeconds=0.05)
    standin.set_faults({"callbackDelaySeconds": 0.6})
    started = time.monotonic()
    dial(standin, receiver)
    receiver.wait(1)
    assert time.monotonic() - started >= 0.6


def test_a_refused_callback_is_recorded_and_not_retried(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    receiver.status = 500
    call_id, _ = dial(standin, receiver)
    receiver.wait(2)
    record = eventually(lambda: (r := call_record(standin, call_id))["events"][1:] and r)
    assert [(e["type"], e["status"]) for e in record["events"]] == [("CallConnected", 500),
                                                                     ("ParticipantsUpdated", 500)]
    time.sleep(0.3)
    assert receiver.types() == ["CallConnected", "ParticipantsUpdated"]


def test_a_callback_nobody_receives_is_recorded_without_status(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    receiver.stop()
    call_id, _ = dial(standin, receiver)
    record = eventually(lambda: (r := call_record(standin, call_id))["events"] and r)
    assert record["events"][0]["status"] is None
    assert record["events"][0]["outcome"].startswith("Unreachable")


# --- inspection API --------------------------------------------------------------------------------------------


def test_callees_are_scripted_and_calls_listed_over_http(standin: AcsStandIn, receiver: CallbackReceiver) -> None:
    base, verify = f"{standin.endpoint}/_standin", str(standin.ca_bundle)
    answer = requests.put(f"{base}/callees/{CALLEE}", json={"keys": ["1"], "ringSeconds": 0.05}, verify=verify,
                          timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"answers": True, "ringSeconds": 0.05, "keys": ["1"], "silenceSeconds": 1.0,
                             "hangUpAfterAnswer": False}
    assert requests.put(f"{base}/callees/4255550123", json={}, verify=verify, timeout=5).status_code == 400
    assert requests.put(f"{base}/callees/{CALLEE}", json={"keys": ["x"]}, verify=verify, timeout=5).status_code == 400
    assert requests.put(f"{base}/callees/{CALLEE}", json={"ring": 1}, verify=verify, timeout=5).status_code == 400
    call_id, _ = dial(standin, receiver)
    receiver.wait(2)
    [listed] = eventually(lambda: (c := requests.get(f"{base}/calls", verify=verify, timeout=5).json())
                          and len(c[0]["events"]) == 2 and c)
    assert (listed["id"], listed["target"], listed["state"]) == (call_id, CALLEE, "connected")
    kinds = requests.get(f"{base}/requests", params={"kind": "createCall"}, verify=verify, timeout=5).json()
    assert [k["id"] for k in kinds] == [call_id]
