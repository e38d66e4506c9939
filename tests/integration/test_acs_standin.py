"""The ACS stand-in, driven through the real ACS SDK clients over HTTPS on 127.0.0.1."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.communication.callautomation import (
    CallAutomationClient,
    CommunicationUserIdentifier,
    PhoneNumberIdentifier,
)
from azure.communication.email import EmailClient
from azure.communication.sms import SmsClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.core.pipeline.policies import HTTPPolicy

from local.acs.standin import AcsStandIn

SENDER = "DoNotReply@alerts.example.com"
SMS_FROM = "+14255550100"
AGENT = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002"


class ResendOnce(HTTPPolicy):  # type: ignore[type-arg]
    """Sends each request twice and returns the second answer: a client retry after a lost response."""

    def send(self, request: Any) -> Any:
        first = self.next.send(request).http_response
        # Drain the first answer so its connection goes back to the pool (new and legacy response types).
        first.read() if hasattr(first, "read") else first.body()
        return self.next.send(request)


@pytest.fixture(scope="session")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("acs-certs")


@pytest.fixture
def standin(certs_dir: Path) -> Iterator[AcsStandIn]:
    with AcsStandIn(certs_dir=certs_dir) as running:
        yield running


def email_client(standin: AcsStandIn, connection_string: str | None = None, **kwargs: Any) -> EmailClient:
    conn = connection_string or standin.connection_string
    return EmailClient.from_connection_string(conn, connection_verify=str(standin.ca_bundle), **kwargs)


def sms_client(standin: AcsStandIn, connection_string: str | None = None, **kwargs: Any) -> SmsClient:
    conn = connection_string or standin.connection_string
    return SmsClient.from_connection_string(conn, connection_verify=str(standin.ca_bundle), **kwargs)


def call_client(standin: AcsStandIn, connection_string: str | None = None, **kwargs: Any) -> CallAutomationClient:
    conn = connection_string or standin.connection_string
    return CallAutomationClient.from_connection_string(conn, connection_verify=str(standin.ca_bundle), **kwargs)


def message(to: str = "oncall@example.com", **content: str) -> dict[str, Any]:
    return {
        "senderAddress": SENDER,
        "recipients": {"to": [{"address": to, "displayName": "On call"}]},
        "content": {"subject": "911 call from Desk 12", "plainText": "A 911 call was placed.", **content},
    }


def send_email(client: EmailClient, msg: dict[str, Any], operation_id: str | None = None) -> dict[str, Any]:
    poller = client.begin_send(msg, operation_id=operation_id or str(uuid.uuid4()), polling_interval=0.1)
    return poller.result(timeout=10)


def wrong_connection_string(standin: AcsStandIn) -> str:
    other_key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return standin.connection_string.replace(standin.access_key, other_key)


# --- email ---------------------------------------------------------------------------------------------------


def test_email_send_succeeds_and_is_recorded(standin: AcsStandIn) -> None:
    # GIVEN the stand-in  WHEN the SDK sends an email with an operation id
    op_id = str(uuid.uuid4())
    result = send_email(email_client(standin), message(), op_id)
    # THEN the poller ends Succeeded and the validated message is recorded under that id
    assert result == {"id": op_id, "status": "Succeeded"}
    [recorded] = standin.requests("email")
    assert recorded["id"] == op_id
    assert recorded["status"] == "Succeeded"
    assert recorded["body"]["recipients"]["to"][0]["address"] == "oncall@example.com"
    assert recorded["headers"]["operation-id"] == op_id


def test_same_operation_id_twice_records_one_message(standin: AcsStandIn) -> None:
    client, op_id = email_client(standin), str(uuid.uuid4())
    first = send_email(client, message(), op_id)
    second = send_email(client, message(), op_id)
    assert first == second == {"id": op_id, "status": "Succeeded"}
    assert len(standin.requests("email")) == 1


def test_the_same_operation_id_after_the_de_duplication_window_is_sent_again(certs_dir: Path) -> None:
    # The service drops a repeat for a few minutes only: a resend after that is a second message.
    with AcsStandIn(certs_dir=certs_dir, email_dedup_window=timedelta(0)) as standin:
        client, op_id = email_client(standin), str(uuid.uuid4())
        send_email(client, message(), op_id)
        send_email(client, message(), op_id)
        assert len(standin.requests("email")) == 2


def test_operation_id_reused_for_another_message_is_refused(standin: AcsStandIn) -> None:
    client, op_id = email_client(standin), str(uuid.uuid4())
    send_email(client, message(), op_id)
    with pytest.raises(HttpResponseError) as err:
        send_email(client, message(to="someone-else@example.com"), op_id)
    assert err.value.status_code == 400
    assert len(standin.requests("email")) == 1


def test_email_resent_after_a_lost_response_is_recorded_once(standin: AcsStandIn) -> None:
    client = email_client(standin, per_retry_policies=[ResendOnce()])
    assert send_email(client, message())["status"] == "Succeeded"
    assert len(standin.requests("email")) == 1


def test_email_succeeds_after_the_configured_number_of_polls(certs_dir: Path) -> None:
    with AcsStandIn(certs_dir=certs_dir, email_polls=3, retry_after=0) as standin:
        result = send_email(email_client(standin), message())
        assert result["status"] == "Succeeded"
        assert standin.requests("email")[0]["status"] == "Succeeded"


def test_invalid_email_body_is_refused_with_400(standin: AcsStandIn) -> None:
    msg = message()
    del msg["content"]["subject"]
    with pytest.raises(HttpResponseError) as err:
        send_email(email_client(standin), msg)
    assert err.value.status_code == 400
    assert "subject" in str(err.value)
    assert standin.requests("email") == []


def test_fail_send_recipient_makes_the_send_fail_with_400(standin: AcsStandIn) -> None:
    with pytest.raises(HttpResponseError) as err:
        send_email(email_client(standin), message(to="fail-send@example.com"))
    assert err.value.status_code == 400
    assert standin.requests("email") == []


def test_fail_status_recipient_makes_the_operation_fail(standin: AcsStandIn) -> None:
    with pytest.raises(HttpResponseError):
        send_email(email_client(standin), message(to="fail-status@example.com"))
    assert standin.requests("email")[0]["status"] == "Failed"


def test_throttle_fault_answers_429_with_retry_after(standin: AcsStandIn) -> None:
    standin.set_faults({"email": "throttle"})
    with pytest.raises(HttpResponseError) as err:
        send_email(email_client(standin, retry_total=0), message())
    assert err.value.status_code == 429
    assert err.value.response is not None and err.value.response.headers["Retry-After"] == "1"
    assert standin.requests("email") == []


def test_counted_throttle_is_absorbed_by_the_sdk_retry(standin: AcsStandIn) -> None:
    standin.set_faults({"email": {"mode": "throttle", "times": 1}})
    assert send_email(email_client(standin), message())["status"] == "Succeeded"
    assert len(standin.requests("email")) == 1


# --- authentication and TLS ----------------------------------------------------------------------------------


def test_wrong_access_key_is_refused_for_email(standin: AcsStandIn) -> None:
    with pytest.raises(ClientAuthenticationError) as err:
        send_email(email_client(standin, wrong_connection_string(standin)), message())
    assert err.value.status_code == 401
    assert standin.requests() == []


def test_wrong_access_key_is_refused_for_sms(standin: AcsStandIn) -> None:
    with pytest.raises(ClientAuthenticationError):
        sms_client(standin, wrong_connection_string(standin)).send(SMS_FROM, "+14255550123", "911 call")
    assert standin.requests() == []


def test_wrong_access_key_is_refused_for_redirect(standin: AcsStandIn) -> None:
    with pytest.raises(ClientAuthenticationError):
        call_client(standin, wrong_connection_string(standin)).redirect_call("ctx", CommunicationUserIdentifier(AGENT))
    assert standin.requests() == []


def test_requests_ca_bundle_env_var_makes_the_sdk_trust_the_stand_in(
    standin: AcsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_bundle))
    client = EmailClient.from_connection_string(standin.connection_string)
    assert send_email(client, message())["status"] == "Succeeded"


def test_sdk_without_the_dev_ca_refuses_the_certificate(standin: AcsStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    client = EmailClient.from_connection_string(standin.connection_string, retry_total=0)
    with pytest.raises(ServiceRequestError):
        send_email(client, message())


# --- sms -----------------------------------------------------------------------------------------------------


def test_sms_send_succeeds_per_recipient_and_is_recorded(standin: AcsStandIn) -> None:
    results = sms_client(standin).send(SMS_FROM, ["+14255550123", "+14255550124"], "911 call from Desk 12")
    assert [(r.to, r.successful, r.http_status_code) for r in results] == [
        ("+14255550123", True, 202),
        ("+14255550124", True, 202),
    ]
    recorded = standin.requests("sms")
    assert [r["body"]["to"] for r in recorded] == ["+14255550123", "+14255550124"]
    assert [r["body"]["messageId"] for r in recorded] == [r.message_id for r in results]
    assert all(r["id"] for r in recorded)  # each recipient's repeatabilityRequestId


def test_sms_resent_with_the_same_repeatability_id_is_recorded_once(standin: AcsStandIn) -> None:
    client = sms_client(standin, per_retry_policies=[ResendOnce()])
    [result] = client.send(SMS_FROM, "+14255550123", "911 call")
    assert result.successful
    [recorded] = standin.requests("sms")
    assert recorded["body"]["messageId"] == result.message_id


def test_sms_fault_number_fails_that_recipient_only(standin: AcsStandIn) -> None:
    results = sms_client(standin).send(SMS_FROM, ["+14255550199", "+14255550123"], "911 call")
    assert [r.successful for r in results] == [False, True]
    assert results[0].error_message
    assert [r["body"]["to"] for r in standin.requests("sms")] == ["+14255550123"]


def test_sms_to_a_non_e164_number_fails_that_recipient(standin: AcsStandIn) -> None:
    [result] = sms_client(standin).send(SMS_FROM, "4255550123", "911 call")
    assert not result.successful
    assert result.http_status_code == 400
    assert standin.requests("sms") == []


def test_sms_from_an_invalid_sender_is_refused_with_400(standin: AcsStandIn) -> None:
    with pytest.raises(HttpResponseError) as err:
        sms_client(standin).send("not a number!", "+14255550123", "911 call")
    assert err.value.status_code == 400


# --- call automation -----------------------------------------------------------------------------------------


def test_redirect_is_accepted_and_recorded(standin: AcsStandIn) -> None:
    call_client(standin).redirect_call("ctx-1", CommunicationUserIdentifier(AGENT))
    [recorded] = standin.requests("redirect")
    assert recorded["body"] == {
        "incomingCallContext": "ctx-1",
        "target": {"rawId": AGENT, "communicationUser": {"id": AGENT}},
    }
    assert recorded["id"] == recorded["headers"]["repeatability-request-id"]


def test_redirect_resent_with_the_same_repeatability_id_is_recorded_once(standin: AcsStandIn) -> None:
    call_client(standin, per_retry_policies=[ResendOnce()]).redirect_call("ctx-2", CommunicationUserIdentifier(AGENT))
    assert len(standin.requests("redirect")) == 1


def test_second_redirect_of_the_same_call_answers_200_and_is_not_a_new_redirect(standin: AcsStandIn) -> None:
    client = call_client(standin)
    client.redirect_call("ctx-3", CommunicationUserIdentifier(AGENT))
    # The SDK expects 204 only, so the 200 for an already redirected call surfaces as an error the app must handle.
    with pytest.raises(HttpResponseError) as err:
        client.redirect_call("ctx-3", CommunicationUserIdentifier(AGENT))
    assert err.value.status_code == 200
    assert len(standin.requests("redirect")) == 1
    assert len(standin.requests("duplicateRedirect")) == 1


def test_redirect_to_an_invalid_target_is_refused_with_400(standin: AcsStandIn) -> None:
    with pytest.raises(HttpResponseError) as err:
        call_client(standin).redirect_call("ctx-4", PhoneNumberIdentifier("4255550123"))
    assert err.value.status_code == 400
    assert standin.requests() == []


def test_reject_is_accepted_and_recorded(standin: AcsStandIn) -> None:
    call_client(standin).reject_call("ctx-5", call_reject_reason="busy")
    [recorded] = standin.requests("reject")
    assert recorded["body"] == {"incomingCallContext": "ctx-5", "callRejectReason": "busy"}


# --- inspection API ------------------------------------------------------------------------------------------


def test_inspection_endpoints_list_filter_and_clear(standin: AcsStandIn) -> None:
    send_email(email_client(standin), message())
    call_client(standin).redirect_call("ctx-6", CommunicationUserIdentifier(AGENT))
    base, verify = standin.endpoint, str(standin.ca_bundle)
    assert requests.get(f"{base}/_standin/health", verify=verify, timeout=5).json()["status"] == "ok"
    emails = requests.get(f"{base}/_standin/requests", params={"kind": "email"}, verify=verify, timeout=5).json()
    assert [r["kind"] for r in emails] == ["email"]
    assert requests.delete(f"{base}/_standin/requests", verify=verify, timeout=5).status_code == 204
    assert requests.get(f"{base}/_standin/requests", verify=verify, timeout=5).json() == []


def test_faults_set_over_http_apply_to_the_sdk(standin: AcsStandIn) -> None:
    base, verify = standin.endpoint, str(standin.ca_bundle)
    response = requests.post(f"{base}/_standin/faults", json={"sms": "throttle"}, verify=verify, timeout=5)
    assert response.status_code == 200
    with pytest.raises(HttpResponseError) as err:
        sms_client(standin, retry_total=0).send(SMS_FROM, "+14255550123", "911 call")
    assert err.value.status_code == 429
    requests.post(f"{base}/_standin/faults", json={}, verify=verify, timeout=5)
    assert sms_client(standin).send(SMS_FROM, "+14255550123", "911 call")[0].successful


def test_unknown_fault_mode_is_refused(standin: AcsStandIn) -> None:
    response = requests.post(
        f"{standin.endpoint}/_standin/faults", json={"email": "explode"}, verify=str(standin.ca_bundle), timeout=5
    )
    assert response.status_code == 400
