"""Every official ACS example file posted to its function's webhook on the local host, in the schema the file is
in (a CloudEvent as application/cloudevents+json): acknowledged, with the effect ACS's meaning calls for.

Schema-agnostic: nothing here depends on whether the host hands a CloudEvent to the function as func.CloudEvent or
converted to func.EventGridEvent."""

from __future__ import annotations

from typing import Any

import pytest

from local.eventgrid.standin import TOPICS
from local.seed import AGENTS
from local.stack import Client, LocalStack, wait_for
from tests.acs_examples import CALL_ENDED, EMAIL_REPORTS, IGNORED, INCOMING_CALLS, SMS_RECEIVED, Example, examples

FUNCTION = {"Microsoft.Communication.CallEnded": "acs_call_events",
            "Microsoft.Communication.CallStarted": "acs_call_events",
            "Microsoft.Communication.EmailDeliveryReportReceived": "email_delivery_report",
            "Microsoft.Communication.IncomingCall": "inbound_callback",
            # A reply to an emergency SMS (issue 20): the examples' numbers were never notified, so nothing is acked.
            "Microsoft.Communication.SMSReceived": "sms_reply"}
# One agent per caller of the CallEnded examples, so each call lands in someone's history.
CALLERS = {name: f"caller{i}" for i, name in enumerate(sorted(CALL_ENDED))}


@pytest.fixture(scope="module")
def callers(client: Client) -> dict[str, str]:
    for name, agent in CALLERS.items():
        body = {**AGENTS["bob"], "displayName": f"Caller {agent}", "acsUserId": CALL_ENDED[name][0]}
        assert client.put(f"/api/manage/agents/{agent}", body)[0] == 200
    return CALLERS


def post(client: Client, example: Example) -> int:
    stamped = example.stamped(TOPICS["acs"])
    content_type = "application/cloudevents+json" if example.cloud_event else "application/json"
    status, _ = client.post(f"/runtime/webhooks/EventGrid?functionName={FUNCTION[example.event_type]}",
                            stamped if example.cloud_event else [stamped],
                            headers={"aeg-event-type": "Notification", "Content-Type": content_type})
    return status


@pytest.mark.parametrize("example", [e for e in examples() if e.name in CALL_ENDED], ids=lambda e: e.name)
def test_a_call_ended_example_lands_in_the_callers_history(client: Client, callers: dict[str, str],
                                                           example: Example) -> None:
    assert post(client, example) == 200
    agent, duration = callers[example.name], CALL_ENDED[example.name][1]
    calls = wait_for(lambda: client.get(f"/api/agents/{agent}/call-history")[1]["calls"])
    assert [c["durationSeconds"] for c in calls] == [duration]


@pytest.mark.parametrize("example", [e for e in examples() if e.name not in CALL_ENDED], ids=lambda e: e.name)
def test_the_other_examples_are_acknowledged_without_effect(stack: LocalStack, client: Client,
                                                            example: Example) -> None:
    # Email reports name a message that is not ours; the IncomingCalls ring an id that is no pool number nor agent
    # (and rang in 2023); ACS's CallStarted is not a type any function acts on.
    before = len(stack.acs.requests("redirect"))
    assert post(client, example) == 200
    assert len(stack.acs.requests("redirect")) == before
    assert example.name in {**EMAIL_REPORTS, **INCOMING_CALLS, **SMS_RECEIVED} or example.name in IGNORED


def test_readiness_lists_no_malformed_setting_on_the_local_stack(client: Client) -> None:
    answer: dict[str, Any] = client.get("/api/manage/readiness")[1]
    assert answer["settings"] == []
