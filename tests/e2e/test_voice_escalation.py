"""Voice escalation through the local stack (issue 20): nobody acknowledged the SMS, so the escalation calls the
person through Call Automation (the ACS stand-in places the call and posts its events, each with a JWT it signs);
she presses 2 to hear it again, then 1, and the incident and the panel say she acknowledged by voice. A callback
without ACS's signature is refused with 401 and changes nothing."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from local.stack import Client, LocalStack, wait_for

ALICE_PHONE = "+12025550142"
POLICY = {"tiers": [{"name": "Call them", "afterSeconds": 60, "audiences": ["notified"], "channels": ["voice"]}],
          "mode": "any", "voiceCallsPerRecipient": 2}


def incident(client: Client, call_id: str) -> dict[str, Any]:
    status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return body


def voice_record(client: Client, call_id: str) -> dict[str, Any] | None:
    records = [d for d in incident(client, call_id)["deliveries"] if d["channel"] == "voice"]
    return records[0] if records else None


def dial(client: Client, agent: str = "alice") -> str:
    status, answer = client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": "911",
                                                         "countryCode": "US"})
    assert status == 200, answer
    return str(answer["emergencyCallId"])


def test_nobody_acknowledged_so_she_is_called_presses_2_then_1_and_the_call_is_acknowledged_by_voice(
        client: Client, stack: LocalStack) -> None:
    assert client.put("/api/manage/escalation-policy", POLICY)[0] == 200
    stack.acs.set_callee(ALICE_PHONE, keys=["2", "1"], ringSeconds=0.2)
    call_id = dial(client)
    assert wait_for(lambda: incident(client, call_id)["escalations"], timeout=30)
    client.advance(61)
    started = time.monotonic()
    assert client.run_function("escalation_steps") == 202
    record = wait_for(lambda: (r := voice_record(client, call_id)) and r.get("acknowledgedAt") and r, timeout=30)
    seconds = time.monotonic() - started
    assert record["acknowledgedVia"] == "voice", record

    def delivered() -> list[tuple[str, int]]:
        [call] = [c for c in stack.acs.calls() if c["target"] == ALICE_PHONE]
        return [(e["type"].removeprefix("Microsoft.Communication."), e["status"]) for e in call["events"]]

    # the stand-in records a delivery once the app has answered it, just after the app acknowledged
    assert wait_for(lambda: delivered().count(("RecognizeCompleted", 200)) == 2, timeout=15), delivered()
    assert ("CallConnected", 200) in delivered()
    recognized = stack.acs.requests("recognize")
    assert len(recognized) == 2  # asked, pressed 2, asked again, pressed 1
    body = recognized[0]["body"]
    prompt = (body.get("playPrompt") or body["playPrompts"][0])["text"]["text"]
    assert "Press 1 to acknowledge" in prompt and "9 1 1" in prompt, prompt
    assert wait_for(lambda: any(c["state"] == "disconnected" for c in stack.acs.calls()
                                if c["target"] == ALICE_PHONE), timeout=15)  # thanked, then hung up
    [step] = incident(client, call_id)["escalations"]
    assert (step["status"], step["outcome"]) == ("done", "told 0; called 1"), step
    print(f"VOICE FIGURES step run → acknowledged by voice (answer, two prompts, two keys): {seconds:.2f} s; "
          f"{record['secondsToAcknowledge']} s after the dial on the app's clock (the step due 60 s after it)")
    state = client.get("/api/agents/alice/emergency-state")[1]
    assert [a["channel"] for a in state["acknowledgements"]] == ["voice"], state
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "alice"})[0] == 200


def test_a_callback_without_acs_s_signature_is_refused_and_changes_nothing(client: Client,
                                                                           stack: LocalStack) -> None:
    assert client.put("/api/manage/escalation-policy", POLICY)[0] == 200
    stack.acs.set_callee(ALICE_PHONE, answers=False, ringSeconds=30)  # rings on: nothing of its own happens
    call_id = dial(client)
    assert wait_for(lambda: incident(client, call_id)["escalations"], timeout=30)
    client.advance(61)
    assert client.run_function("escalation_steps") == 202
    record = wait_for(lambda: voice_record(client, call_id), timeout=30)
    dial_path = wait_for(lambda: next((c["callbackUri"].split("/api/voice/events/", 1)[1] for c in stack.acs.calls()
                                       if c["target"] == ALICE_PHONE), None), timeout=15)  # "{token}/{attempt}"
    press_1 = [{"id": "forged", "source": "calling/callConnections/x", "specversion": "1.0",
                "type": "Microsoft.Communication.RecognizeCompleted",
                "data": {"callConnectionId": "x", "operationContext": "ask:1", "recognitionType": "dtmf",
                         "dtmfResult": {"tones": ["one"]}}}]
    now = int(time.time())
    claims = {"iss": stack.acs.issuer, "aud": stack.acs.immutable_resource_id, "iat": now, "exp": now + 300}
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "acs-standin-1"})
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Bearer {forged}"}):
        status, _ = client.post(f"/api/voice/events/{dial_path}", press_1, headers=headers)
        assert status == 401, headers
    after = voice_record(client, call_id)
    assert after is not None and after["acknowledgedAt"] is None and after == record | {"deliveryStatus":
                                                                                       after["deliveryStatus"]}
    assert client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": "alice"})[0] == 200
