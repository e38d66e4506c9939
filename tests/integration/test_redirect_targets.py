"""Redirect targets of every kind through the real Call Automation client to the ACS stand-in, which checks the
identifier model as the service does (kind + the matching property; the SDK sends rawId and the property)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.communication.callautomation import CallAutomationClient, CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError

from local.acs.standin import AcsStandIn
from local.acs.validation import Invalid, validate_redirect
from shared.adapters.acs_calls import AcsCallControl
from shared.ports import CallControlError

ACS_USER = "8:acs:00000000-0000-0000-0000-000000000000_alice"
TEAMS_USER = "8:orgid:00000000-0000-0000-0000-00000000de5c"
PHONE = "4:+12025550101"


def sent_target(standin: AcsStandIn, context: str) -> dict[str, Any]:
    (request,) = [r for r in standin.requests("redirect") if r["body"]["incomingCallContext"] == context]
    return dict(request["body"]["target"])


@pytest.mark.parametrize(("raw", "model", "field", "value"), [
    (PHONE, "phoneNumber", "value", "+12025550101"),
    (ACS_USER, "communicationUser", "id", ACS_USER),
    (TEAMS_USER, "microsoftTeamsUser", "userId", "00000000-0000-0000-0000-00000000de5c"),
], ids=["phone", "acs-user", "teams-user"])
def test_each_kind_of_target_goes_out_as_its_own_model(standin: AcsStandIn, raw: str, model: str, field: str,
                                                       value: str) -> None:
    AcsCallControl(connection_string=standin.connection_string).redirect(f"ctx-{model}", raw)
    target = sent_target(standin, f"ctx-{model}")
    assert target["rawId"] == raw and target[model][field] == value
    assert not {"communicationUser", "phoneNumber", "microsoftTeamsUser"} - {model} & set(target)


def test_a_target_of_no_known_kind_is_refused_before_anything_is_sent(standin: AcsStandIn) -> None:
    with pytest.raises(CallControlError, match="not a raw id"):
        AcsCallControl(connection_string=standin.connection_string).redirect("ctx-unknown", "28:bot-x")
    assert [r for r in standin.requests("redirect") if r["body"]["incomingCallContext"] == "ctx-unknown"] == []


@pytest.mark.parametrize("wrong", [PHONE, TEAMS_USER], ids=["phone", "teams-user"])
def test_the_standin_refuses_another_kind_wrapped_as_an_acs_user(standin: AcsStandIn, wrong: str) -> None:
    # What the app sent before: every target wrapped as a CommunicationUserIdentifier, through the real client.
    client = CallAutomationClient.from_connection_string(standin.connection_string, retry_total=0)
    with pytest.raises(HttpResponseError) as refused:
        client.redirect_call("ctx-wrapped", CommunicationUserIdentifier(wrong))
    assert refused.value.status_code == 400 and "communicationUser.id" in str(refused.value)


@pytest.mark.parametrize("target", [
    {"kind": "phoneNumber", "communicationUser": {"id": ACS_USER}},
    {"phoneNumber": {"value": "202-555-0101"}},
    {"rawId": "4:+12025550102", "phoneNumber": {"value": "+12025550101"}},
    {"communicationUser": {"id": "8:orgid:x"}},
    {"microsoftTeamsUser": {}},
    {"microsoftTeamsUser": {"userId": "u-1"}, "rawId": "8:orgid:u-2"},
    {"microsoftTeamsUser": {"userId": "u-1", "cloud": "mars"}},
    {"kind": "communicationUser", "rawId": ACS_USER},
], ids=["kind-mismatch", "phone-not-e164", "phone-raw-mismatch", "acs-user-not-acs", "teams-no-user",
        "teams-raw-mismatch", "teams-bad-cloud", "no-model"])
def test_malformed_identifier_models_are_refused_as_the_service_does(target: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as refused:
        validate_redirect({"incomingCallContext": "ctx", "target": target})
    assert refused.value.status == 400 and refused.value.target is not None
    assert refused.value.target.startswith("target")
