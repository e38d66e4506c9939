"""`make demo`: start the local stack and replay an emergency-call scenario end to end, against the HTTP interface
and the Event Grid topics only (ACS's events are published to the system topic, as ACS does), printing one line per
fact. Exit code 0 only if every step had the expected effect."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from local.agent_panel import open_panel_host
from local.seed import AGENTS, seed, seed_workers
from local.stack import ADMIN_PRINCIPAL, FALLBACK_TARGET, Client, LocalStack, wait_for
from shared.domain.numbers import mask_phone

ALICE_ACS = "8:acs:00000000-0000-0000-0000-000000000000_alice"
ON_CALL_PHONE = "+12025550166"
# Nobody acknowledged a minute after the dial: the on-call phone rings (the stand-in's callee presses 1).
ESCALATION = {"tiers": [{"name": "Call the on-call phone", "afterSeconds": 60, "audiences": ["onCall"],
                         "channels": ["voice"]}], "mode": "any", "onCall": {"sms": [ON_CALL_PHONE]}}


class Timeline:
    """Prints facts as they are observed; remembers whether every expectation held."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []

    def fact(self, text: str, ok: bool = True) -> bool:
        clock = self.client.now().strftime("%H:%M:%S")
        print(f"{clock}  {'ok ' if ok else 'FAIL'}  {text}", flush=True)
        if not ok:
            self.failures.append(text)
        return ok

    def section(self, title: str) -> None:
        # With DEMO_STEP_SECONDS set, a person watching Alice's panel sees each step before the next one starts.
        time.sleep(float(os.environ.get("DEMO_STEP_SECONDS") or 0))
        print(f"\n== {title}", flush=True)


def presence(client: Client, agent: str) -> Any:
    return client.get(f"/api/agents/{agent}/presence")[1]


def dial(client: Client, agent: str, number: str) -> Any:
    return client.post("/api/outbound-calls", {"agentId": agent, "dialedNumber": number, "countryCode": "US",
                                               "location": {"address": "1 Example Plaza", "floor": "3",
                                                            "room": "301", "city": "Springfield, IL"}})[1]


def incoming_call(client: Client, to: dict[str, Any], correlation: str, at: datetime | None = None) -> dict[str, Any]:
    """ACS's IncomingCall of the responder calling `to`, at `at` (default: the app's clock, read from the host)."""
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
            "subject": "/caller/responder/recipient/callback", "eventTime": (at or client.now()).isoformat(),
            "data": {"to": to, "from": {"kind": "phoneNumber", "rawId": "4:+12025550177",
                                        "phoneNumber": {"value": "+12025550177"}},
                     "serverCallId": f"srv-{correlation}", "callerDisplayName": "PSAP",
                     "incomingCallContext": f"ctx-{correlation}", "correlationId": correlation}}


def phone(number: str) -> dict[str, Any]:
    return {"kind": "phoneNumber", "rawId": "4:" + number, "phoneNumber": {"value": number}}


def play(stack: LocalStack) -> Timeline:
    c = stack.client
    t = Timeline(c)
    t.section("Setting up through the admin API: agents Alice, Bob and Carol, six callback numbers, the voice setup")
    seed(c)
    seed_workers(stack)
    panel = open_panel_host(stack)
    t.fact(f"Alice's agent panel: {panel} (open it while the demo runs: it stops with the demo's stack; "
           "DEMO_STEP_SECONDS=5 paces the steps; `make serve` keeps a stack up to try it at leisure)")
    status, _ = c.put("/api/manage/escalation-policy", ESCALATION)
    stack.acs.set_callee(ON_CALL_PHONE, keys=["1"])
    t.fact("Escalation: nobody acknowledged a minute after the dial, so the on-call phone is called", status == 200)
    c.put("/api/agents/alice/presence", {"status": "Available"})
    t.fact(f"Alice is {presence(c, 'alice')['status']}", presence(c, "alice")["status"] == "Available")
    normal = dial(c, "alice", "+1 202 555 0150")
    t.fact("Alice dials +1 202 555 0150: a normal call, recorded in her history", normal.get("emergency") is False)

    t.section("Alice dials 911 from the US; Bob dials 911 at the same moment")
    dialed = time.monotonic()
    with ThreadPoolExecutor(2) as ex:
        alice, bob = ex.map(lambda a: dial(c, a, "911"), ["alice", "bob"])
    _show_dial(t, "Alice", alice)
    _show_dial(t, "Bob", bob)
    t.fact(f"Bob gets a different callback number ({mask_phone(bob.get('callbackNumber'))})",
           bool(bob.get("callbackNumber")) and bob.get("callbackNumber") != alice.get("callbackNumber"))
    dnd = wait_for(lambda: presence(c, "alice")["status"] == "DoNotDisturb")
    t.fact("Alice's presence is Do Not Disturb (was Available)", bool(dnd))
    status, refused = c.put("/api/agents/alice/presence", {"status": "Available"})
    t.fact(f"Alice cannot leave Do Not Disturb during the call: {status} {refused.get('error', '')[:60]}…",
           status == 409)
    _show_emails(t, stack, alice["emergencyCallId"])
    state = c.get("/api/agents/alice/emergency-state")[1]
    t.fact(f"Alice's panel: controls {state.get('controls')}, Save/Refresh hidden, alert shown",
           state.get("controls") == ["deviceSettings", "endCall"] and bool(state.get("alert")))
    _acknowledged_on_every_channel(t, stack, alice["emergencyCallId"], bob["emergencyCallId"], dialed)

    t.section("The call drops; the responder calls back on Alice's callback number")
    ringing = incoming_call(c, phone(alice["callbackNumber"]), "psap-1")
    status = stack.publish_acs([ringing])
    redirects = wait_for(lambda: stack.acs.requests("redirect"))
    target = redirects[-1]["body"]["target"]["rawId"] if redirects else None
    t.fact(f"Callback to {mask_phone(alice['callbackNumber'])} redirected straight to Alice ({target}) while her "
           f"presence is {presence(c, 'alice')['status']}", status == 200 and target == ALICE_ACS)
    again = stack.publish_acs([ringing])
    settled = wait_for(lambda: stack.acs_settled([ringing]))
    t.fact("The same IncomingCall delivered again: no second redirect",
           again == 200 and bool(settled) and len(stack.acs.requests("redirect")) == 1)
    state = c.get("/api/agents/alice/emergency-state")[1]
    t.fact(f"Alice's panel shows the callback {(state.get('callback') or {}).get('status')}",
           (state.get("callback") or {}).get("status") in ("ringing", "routed"))

    t.section("Alice hangs up")
    ended = c.post(f"/api/outbound-calls/{alice['emergencyCallId']}/end", {})[1]
    t.fact(f"End recorded; callback number held until {_hm(ended.get('callbackWindowEndsAt'))}",
           bool(ended.get("endedAt")))
    back = wait_for(lambda: presence(c, "alice")["status"] == "Available")
    t.fact("Alice's presence returns to Available", bool(back))
    c.post(f"/api/outbound-calls/{bob['emergencyCallId']}/end", {})

    t.section("Bob's responder calls back on the emergency service's temporary number: ACS rings Bob's identity")
    bob_acs = AGENTS["bob"]["acsUserId"]
    to_bob = {"kind": "communicationUser", "rawId": bob_acs, "communicationUser": {"id": bob_acs}}
    direct = incoming_call(c, to_bob, "psap-bob")
    stack.publish_acs([direct])
    wait_for(lambda: stack.acs_settled([direct]))
    bob_state = c.get("/api/agents/bob/emergency-state")[1]
    t.fact(f"Bob's panel shows it {(bob_state.get('callback') or {}).get('status')}, recorded on his incident; "
           "not redirected to the identity it already rings",
           (bob_state.get("callback") or {}).get("direct") is True and len(stack.acs.requests("redirect")) == 1)

    t.section("A callback to a pool number that nobody holds")
    spare = _spare_number(c, {alice["callbackNumber"], bob["callbackNumber"]})
    stack.publish_acs([incoming_call(c, phone(spare), "psap-2")])
    two = wait_for(lambda: len(stack.acs.requests("redirect")) >= 2)
    last = stack.acs.requests("redirect")[-1]["body"]["target"]["rawId"] if two else None
    t.fact(f"Callback to {mask_phone(spare)} goes to the fallback desk ({last})", last == FALLBACK_TARGET)

    t.section("Privacy: Alice's call history")
    calls = c.get("/api/agents/alice/call-history")[1]["calls"]
    numbers = [e["number"] for e in calls]
    t.fact(f"History holds {len(calls)} call(s): {numbers}; no emergency call, no callback",
           numbers == ["+1 202 555 0150"])

    t.section("Sixty-one minutes later")
    c.advance(61 * 60)
    c.run_function("callback_lease_expiry")
    pool = {n["number"]: n for n in c.get("/api/manage/callback-numbers")[1]["numbers"]}
    mine = pool.get(alice["callbackNumber"], {})
    t.fact(f"The timer released {mask_phone(alice['callbackNumber'])}: {mine.get('state')} until "
           f"{_hm(mine.get('quarantinedUntil'))} (quarantined: free again only after a rest, so a responder calling "
           "back late never reaches the next agent who gets the number; until then a call to it goes to the "
           "fallback desk)", mine.get("state") == "quarantined")
    return t


def _show_dial(t: Timeline, name: str, answer: dict[str, Any]) -> None:
    t.fact(f"{name}: emergency={answer.get('emergency')} test={answer.get('test')} dial={answer.get('dial')} "
           f"call {str(answer.get('emergencyCallId'))[:8]}…", answer.get("emergency") is True)
    t.fact(f"{name}: the call takes the {answer.get('emergencyPath')} path: the dialer presents "
           f"{mask_phone(answer.get('callerId'))}, the responder sees a temporary number of the emergency service",
           answer.get("emergencyPath") == "direct_offer" and bool(answer.get("callerId")))
    t.fact(f"{name}: a number to read out, {mask_phone(answer.get('callbackNumber'))}, leased until "
           f"{_hm(answer.get('callbackWindowEndsAt'))} (60 minutes; LEASE_POOL_NUMBER_ON_DIRECT_OFFER is on here)",
           answer.get("callbackNumberSource") == "pool")


def _show_emails(t: Timeline, stack: LocalStack, call_id: str) -> None:
    def mine(kind: str) -> list[dict[str, Any]]:
        # Emails carry the incident id; the SMS is short, and only Alice has a mobile contact.
        return [r for r in stack.acs.requests(kind) if kind == "sms" or call_id in str(r.get("body"))]

    wait_for(lambda: len(mine("email")) >= 2 and len(mine("sms")) >= 1, timeout=15)
    for r in mine("email"):
        to = ", ".join(x["address"] for x in r["body"]["recipients"]["to"])
        t.fact(f"Email accepted for {to}: \"{r['body']['content']['subject']}\"")
    t.fact(f"{len(mine('email'))} notification email(s) for Alice's two recipients", len(mine("email")) == 2)
    for r in mine("sms"):
        to = mask_phone(r["body"]["to"])
        t.fact(f"SMS accepted for {to}: \"{r['body']['message'][:60]}…\"")
    t.fact(f"{len(mine('sms'))} SMS for Alice's mobile contact", len(mine("sms")) == 1)


def _acknowledged_on_every_channel(t: Timeline, stack: LocalStack, alice_call: str, bob_call: str,
                                   dialed: float) -> None:
    """Alice's desk presses its email link, her mobile contact replies 1; nobody answers Bob's notification, so a
    minute after the dial the on-call phone rings and its holder presses 1. Each with its time after the dial."""
    c = stack.client
    t.section("Someone knows: Alice's call acknowledged by email and SMS; Bob's by phone after escalation")
    email = next(r for r in stack.acs.requests("email") if alice_call in str(r.get("body")))
    link = re.search(r"http://127\.0\.0\.1:\d+/api/ack/[A-Za-z0-9_-]+", email["body"]["content"]["plainText"])
    pressed = c.call("POST", link[0].removeprefix(c.base_url))[0] if link else None
    t.fact(f"{email['body']['recipients']['to'][0]['address']} opens the link and presses \"I'm on my way\": "
           f"{(time.monotonic() - dialed) * 1000:,.0f} ms after the dial", pressed == 200)
    reply = {"id": f"reply-{alice_call}", "topic": stack.system_topic.topic, "subject": "/phonenumber/15550190",
             "eventType": "Microsoft.Communication.SMSReceived", "dataVersion": "1.0", "metadataVersion": "1",
             "eventTime": c.now().isoformat(),
             "data": {"MessageId": f"reply-{alice_call}", "From": "+12025550142", "To": "+12025550190",
                      "Message": "1", "ReceivedTimestamp": c.now().isoformat(), "SegmentCount": 1}}
    stack.publish_acs([reply])
    wait_for(lambda: stack.acs_settled([reply]))
    t.fact(f"Her mobile contact replies 1: {(time.monotonic() - dialed) * 1000:,.0f} ms after the dial",
           len(_acknowledged(c, alice_call)) == 2)
    state = c.get("/api/agents/alice/emergency-state")[1]
    t.fact(f"Alice's panel: {', '.join(a['by'] + ' by ' + a['channel'] for a in state['acknowledgements'])}",
           [a["channel"] for a in state["acknowledgements"]] == ["email", "sms"])
    t.fact("Nobody acknowledged Bob's call", _acknowledged(c, bob_call) == [])
    c.advance(61)
    ran = time.monotonic()
    c.run_function("escalation_steps")
    by_phone = wait_for(lambda: _acknowledged(c, bob_call), timeout=30) or []
    call_ms = (time.monotonic() - ran) * 1000
    t.fact(f"A minute later the on-call phone {mask_phone(ON_CALL_PHONE)} rings, hears the alert and presses 1: "
           f"acknowledged by {', '.join(d['acknowledgedVia'] for d in by_phone)} "
           f"{by_phone[0]['secondsToAcknowledge'] if by_phone else '?'} s after Bob's dial on the app's clock "
           f"({call_ms:,.0f} ms from the step's run: dialled, answered, alert read, key pressed)",
           [d["acknowledgedVia"] for d in by_phone] == ["voice"])
    steps = {k: [s["outcome"] for s in c.get(f"/api/manage/incidents/{k}/deliveries")[1]["escalations"]]
             for k in (alice_call, bob_call)}
    t.fact(f"Escalation of Alice's call: {steps[alice_call]}; of Bob's: {steps[bob_call]}",
           steps[alice_call] == ["acknowledged"] and steps[bob_call] == ["told 0; called 1"])


def _acknowledged(c: Client, call_id: str) -> list[dict[str, Any]]:
    rows = c.get(f"/api/manage/incidents/{call_id}/deliveries")[1]["deliveries"]
    return [d for d in rows if d.get("acknowledgedAt")]


def _spare_number(c: Client, taken: set[str]) -> str:
    pool = c.get("/api/manage/callback-numbers")[1]["numbers"]
    return str(next(n["number"] for n in pool if n["number"] not in taken and n["state"] == "free"))


def _hm(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M %Z") if iso else "?"


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    print("Starting the local stack: Azurite, the ACS stand-in, two Event Grid topics, the Functions host…", flush=True)
    with LocalStack(principal=ADMIN_PRINCIPAL) as stack:
        print(f"Functions host at {stack.client.base_url}, ACS stand-in at {stack.acs.endpoint}, Event Grid topics "
              f"at {stack.custom_topic.endpoint} and {stack.system_topic.endpoint}", flush=True)
        try:
            timeline = play(stack)
        except Exception as exc:  # a readable line, not a stack trace; the host log has the details
            print(f"\nFAIL  the scenario stopped: {type(exc).__name__}: {exc} (host log: {stack.log_path})")
            return 1
    if timeline.failures:
        print(f"\n{len(timeline.failures)} step(s) did not have the expected effect (host log: {stack.log_path}).")
        return 1
    print("\nEvery step had the expected effect.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
