"""Escalation by voice (issue 20): each due voice step calls each recipient once, the call reads the alert and asks
for a key, 1 acknowledges (once, however often ACS repeats the event), 2 or silence asks again up to a limit, a later
tier calls again only below the cap, and a refused or unanswered call never holds the next tier back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.delivery import Delivery
from shared.domain.escalation import parse_policy
from shared.errors import NotFound
from shared.ports import Conflict, SendError, StoreError
from shared.services import acknowledge, escalation, voice_alert
from shared.services.notify import notify_emergency
from tests.fakes_escalation import EscalationDeps
from tests.fakes_voice import FakeVoice
from tests.unit.test_notify_service import ALICE, emergency_call

BASE = "https://app.example.com"
ALICE_PHONE = "+12025550142"
VOICE_POLICY = {"tiers": [{"name": "Call them", "afterSeconds": 120, "audiences": ["notified"], "channels": ["voice"]},
                          {"name": "Call again", "afterSeconds": 300, "audiences": ["notified", "onCall"],
                           "channels": ["voice"]},
                          {"name": "Third", "afterSeconds": 600, "audiences": ["notified"], "channels": ["voice"]}],
                "onCall": {"sms": ["+1 202 555 0166"]}, "voiceCallsPerRecipient": 2}


@pytest.fixture
def deps() -> EscalationDeps:
    d = EscalationDeps()
    d.voice = FakeVoice()
    d.agents.put(ALICE)
    d.sites.put_escalation_policy(parse_policy(VOICE_POLICY))
    d.calls.create(emergency_call())
    notify_emergency("ec-1", d)
    assert escalation.schedule(d.calls.get("ec-1")[0], d) == 3  # type: ignore[index]
    return d


def due(deps: EscalationDeps, seconds: int) -> list[str]:
    deps.clock.advance(timedelta(seconds=seconds))  # type: ignore[attr-defined]
    return [s.outcome for s in escalation.run_due(deps, BASE)]


def voice(deps: EscalationDeps) -> FakeVoice:
    assert isinstance(deps.voice, FakeVoice)
    return deps.voice


def token_of(deps: EscalationDeps, number: str = ALICE_PHONE) -> str:
    record = deps.deliveries.get("ec-1", "voice", number)
    assert record is not None
    return record.ack_token


def event(deps: EscalationDeps, kind: str, connection: str = "conn-1", context: str = "", token: str | None = None,
          attempt: int = 1, **data: object) -> str:
    """As ACS posts it: our own context back (`ask:2` here stands for `ask:2:<her number>`, `bye` for `bye:0:…`)."""
    full = {"": "", "bye": f"bye:0:{ALICE_PHONE}"}.get(context, f"{context}:{ALICE_PHONE}")
    return voice_alert.on_event(token or token_of(deps), attempt, kind,
                                {"callConnectionId": connection, "operationContext": full, **data}, deps)


def test_a_voice_step_calls_each_phone_number_of_the_people_notified_once(deps: EscalationDeps) -> None:
    assert due(deps, 120) == ["told 0; called 1"]
    [(to, url, context)] = voice(deps).placed
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None
    assert (to, url, context) == (ALICE_PHONE, f"{BASE}/api/voice/events/{record.ack_token}/1",
                                  f"alert:0:{ALICE_PHONE}:en-US")
    assert (record.status, record.step, record.attempts, record.message_id, record.delivery_status) == \
        ("accepted", 1, 1, "conn-1", "ringing")
    assert due(deps, 1) == [] and len(voice(deps).placed) == 1


def test_the_call_reads_the_alert_and_key_1_acknowledges_once_however_often_acs_repeats_it(
        deps: EscalationDeps) -> None:
    due(deps, 120)
    assert event(deps, "CallConnected") == "asked"
    assert event(deps, "CallConnected") == "duplicate"  # ACS delivered it twice: asked once
    assert voice(deps).said() == [("ask", "ask:1")]
    spoken = voice(deps).texts[0]
    assert "Alice Example dialed 9 1 1" in spoken and "Press 1 to acknowledge" in spoken
    assert "2 0 2, 5 5 5, 0 1 0 0" in spoken  # the callback number, digit by digit
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["one"]}) == "acknowledged"
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["one"]}) == "already"
    assert voice(deps).said() == [("ask", "ask:1"), ("say", "bye")]
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and record.acknowledged_via == "voice" and record.delivery_status == "acknowledged"
    acks = [d for t, d in deps.events.published if t == acknowledge.ACKNOWLEDGED]
    assert [(a["channel"], a["acknowledgedVia"]) for a in acks] == [("voice", "voice"), ("voice", "voice")]
    assert event(deps, "PlayCompleted", context="bye") == "hung_up" and voice(deps).said()[-1] == ("hang_up", "")
    assert event(deps, "CallDisconnected") == "ended"
    after = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert after is not None and after.delivery_status == "acknowledged"  # the hang-up never overwrites it
    assert due(deps, 180) == ["acknowledged"]  # the next tier is not needed: nobody is called again


def test_key_2_other_keys_and_silence_ask_again_at_most_three_times(deps: EscalationDeps) -> None:
    due(deps, 120)
    event(deps, "CallConnected")
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["two"]}) == "asked_again"
    assert event(deps, "RecognizeCompleted", context="ask:2", dtmfResult={"tones": ["nine"]}) == "asked_again"
    assert event(deps, "RecognizeFailed", context="ask:3") == "goodbye"
    assert voice(deps).said() == [("ask", "ask:1"), ("ask", "ask:2"), ("ask", "ask:3"), ("say", "bye")]
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and not record.acknowledged and record.delivery_status == "not_acknowledged"


def test_an_unanswered_call_is_recorded_and_the_next_tier_calls_again_up_to_the_cap(deps: EscalationDeps) -> None:
    due(deps, 120)
    assert event(deps, "CreateCallFailed", resultInformation={"code": 408, "message": "No answer"}) == "no_answer"
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and (record.delivery_status, record.delivery_detail) == ("no_answer", "No answer")
    assert due(deps, 180) == ["told 0; called 2"]  # Alice again (call 2 of 2) and the on-call number
    assert [p[0] for p in voice(deps).placed] == [ALICE_PHONE, ALICE_PHONE, "+12025550166"]
    again = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert again is not None and (again.attempts, again.step, again.message_id) == (2, 2, "conn-2")
    event(deps, "CallDisconnected", connection="conn-2")
    assert due(deps, 300) == ["told 0; called 0 (1 cap)"]  # the cap: two calls to one person per emergency call


def test_a_late_event_of_an_earlier_call_never_changes_the_record_of_the_next_one(deps: EscalationDeps) -> None:
    due(deps, 120)
    event(deps, "CreateCallFailed")
    due(deps, 180)
    assert event(deps, "CallDisconnected", connection="conn-1", attempt=1) == "stale"
    assert event(deps, "CallConnected", connection="conn-1", attempt=1) == "stale"  # answered too late: hung up
    assert voice(deps).said() == [("hang_up", "")]
    assert event(deps, "CallConnected", connection="conn-2", attempt=2) == "asked"  # the new call is not silent
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and (record.message_id, record.delivery_status) == ("conn-2", "answered")
    # a 1 pressed on the earlier call still acknowledges: she did press it
    assert event(deps, "RecognizeCompleted", connection="conn-1", attempt=1, context="ask:1",
                 dtmfResult={"tones": ["one"]}) == "acknowledged"


def test_a_call_still_ringing_is_not_placed_again_by_the_next_tier(deps: EscalationDeps) -> None:
    due(deps, 120)
    assert due(deps, 180) == ["told 0; called 1 (1 in_progress)"]  # only the on-call number is called
    assert [p[0] for p in voice(deps).placed] == [ALICE_PHONE, "+12025550166"]


def test_acs_refusing_a_call_is_recorded_and_the_next_tier_proceeds_on_time(deps: EscalationDeps) -> None:
    voice(deps).refuse = SendError("could not place the call: HTTP 400: bad caller id", transient=False)
    assert due(deps, 120) == ["told 0; called 0 (1 failed)"]
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and record.status == "failed" and "bad caller id" in (record.reason or "")
    assert due(deps, 180) == ["told 0; called 2"]  # tier 2 on time: Alice (call 2 of 2) and the on-call number


def test_a_step_whose_run_died_after_acs_took_the_dial_is_retaken_without_ringing_her_twice(
        deps: EscalationDeps) -> None:
    original = deps.deliveries.replace
    claims = iter([True])

    def dies_after_the_dial(record: Delivery) -> Delivery:
        if record.status == "queued" or next(claims, False) is False:
            return original(record)
        raise StoreError("the host died before the dial's result was written")

    deps.deliveries.replace = dies_after_the_dial  # type: ignore[method-assign]
    assert due(deps, 120) == []  # the step is left running: its run died
    deps.deliveries.replace = original  # type: ignore[method-assign]
    assert len(voice(deps).placed) == 1
    deps.clock.advance(escalation.STUCK_AFTER)  # type: ignore[attr-defined]
    assert [s.outcome for s in escalation.run_due(deps, BASE)] == ["told 0; called 1"]
    assert len(voice(deps).placed) == 1 and voice(deps).replayed == 1  # ACS answered the same call again
    record = deps.deliveries.get("ec-1", "voice", ALICE_PHONE)
    assert record is not None and (record.attempts, record.status, record.message_id) == (1, "accepted", "conn-1")


def test_a_key_press_while_storage_is_down_is_asked_again_not_thanked(deps: EscalationDeps) -> None:
    due(deps, 120)
    event(deps, "CallConnected")
    token = token_of(deps)
    original = deps.deliveries.replace

    def down(record: object) -> object:
        raise StoreError("storage unavailable")

    deps.deliveries.replace = down  # type: ignore[method-assign,assignment]
    assert event(deps, "RecognizeCompleted", context="ask:1", token=token, dtmfResult={"tones": ["one"]}) == \
        "not_recorded"
    deps.deliveries.replace = original  # type: ignore[method-assign]
    assert voice(deps).said()[-1] == ("ask", "ask:1") and "could not be recorded" in voice(deps).texts[-1]
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["one"]}) == "acknowledged"


def test_events_for_unknown_or_malformed_tokens_and_for_other_channels_change_nothing(deps: EscalationDeps) -> None:
    due(deps, 120)
    email = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert email is not None
    for token in ("x" * 24, "../etc", "", email.ack_token):
        assert voice_alert.on_event(token, 1, "RecognizeCompleted", {"dtmfResult": {"tones": ["one"]}}, deps) == \
            "unknown_call"
    assert not any(d.acknowledged for d in deps.deliveries.list("ec-1")) and voice(deps).actions == []


def test_without_a_caller_id_a_voice_step_is_recorded_as_not_possible_and_messages_still_go(
        deps: EscalationDeps) -> None:
    deps.voice = None
    assert due(deps, 120) == [
        "told 0; called 0 (1 not_possible: voice not configured (VOICE_CALLER_ID and ACS_COGNITIVE_SERVICES_ENDPOINT))"]


def test_a_933_test_is_never_escalated_by_voice() -> None:
    d = EscalationDeps()
    d.voice = FakeVoice()
    d.agents.put(ALICE)
    d.sites.put_escalation_policy(parse_policy(VOICE_POLICY | {"escalateTests": True}))
    d.calls.create(emergency_call("ec-t", "933"))
    notify_emergency("ec-t", d)
    assert escalation.schedule(d.calls.get("ec-t")[0], d) == 0  # type: ignore[index]  # voice-only tiers: none


def test_one_person_who_replied_1_and_then_pressed_1_on_the_call_is_one_acknowledgement(deps: EscalationDeps) -> None:
    due(deps, 120)
    event(deps, "CallConnected")
    assert acknowledge.acknowledge_reply(ALICE_PHONE, "1", deps) == "acknowledged"
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["one"]}) == "acknowledged"
    call = deps.calls.get("ec-1")[0]  # type: ignore[index]
    listed = acknowledge.acknowledgements(call, deps.deliveries.list("ec-1"))
    assert [(a["by"], a["channel"]) for a in listed] == [("***0142", "sms")]


def test_in_the_all_mode_someone_who_acknowledged_by_sms_is_never_called(deps: EscalationDeps) -> None:
    deps.sites.put_escalation_policy(parse_policy(VOICE_POLICY | {"mode": "allFirstTier"}))
    deps.calls.create(emergency_call("ec-2"))
    notify_emergency("ec-2", deps)
    escalation.schedule(deps.calls.get("ec-2")[0], deps)  # type: ignore[index]
    assert acknowledge.acknowledge_reply(ALICE_PHONE, "1", deps) == "acknowledged"  # ec-2's SMS is her latest
    deps.clock.advance(timedelta(seconds=120))  # type: ignore[attr-defined]
    outcomes = {s.call_id: s.outcome for s in escalation.run_due(deps, BASE) if s.index == 1}
    assert outcomes == {"ec-1": "told 0; called 1", "ec-2": "told 0; called 0 (1 acknowledged)"}


def test_a_call_whose_end_event_was_lost_is_asked_of_acs_and_called_again_when_over(deps: EscalationDeps) -> None:
    due(deps, 120)  # ringing; neither CreateCallFailed nor CallDisconnected ever arrives
    voice(deps).state_unknown = True
    assert due(deps, 180) == ["told 0; called 1 (1 in_progress)"]  # ACS unreadable: taken as ringing
    deps.escalations.save(replace(deps.escalations.of_call("ec-1")[2], due_at=deps.clock.now()))
    voice(deps).state_unknown = False
    voice(deps).ended.add("conn-1")  # ACS says that call is over
    assert due(deps, 1) == ["told 0; called 1"]
    assert [p[0] for p in voice(deps).placed] == [ALICE_PHONE, "+12025550166", ALICE_PHONE]


def test_the_voice_token_is_no_acknowledgement_link(deps: EscalationDeps) -> None:
    due(deps, 120)
    with pytest.raises(NotFound):
        acknowledge.acknowledge_link(token_of(deps), deps)
    with pytest.raises(NotFound):
        acknowledge.summary(token_of(deps), deps)


def test_storage_down_when_she_answers_she_still_hears_the_alert_in_general_words(deps: EscalationDeps) -> None:
    due(deps, 120)
    token = token_of(deps)

    def down(_: str) -> None:
        raise StoreError("storage unavailable")

    deps.deliveries.by_ack_token = down  # type: ignore[method-assign,assignment]
    assert event(deps, "CallConnected", token=token, context="alert:0") == "asked_without_storage"
    assert voice(deps).said() == [("ask", "ask:1")] and "nobody has acknowledged" in voice(deps).texts[-1]
    assert event(deps, "RecognizeCompleted", token=token, context="ask:1", dtmfResult={"tones": ["one"]}) == \
        "not_recorded"
    with pytest.raises(StoreError):  # anything else: 503 (ACS does not post it again; the call goes on)
        event(deps, "CallDisconnected", token=token)


def test_an_acknowledgement_lost_to_three_conflicting_writes_is_asked_again_not_thanked(deps: EscalationDeps) -> None:
    due(deps, 120)
    event(deps, "CallConnected")

    def busy(record: Delivery) -> Delivery:
        raise Conflict("changed meanwhile")

    deps.deliveries.replace = busy  # type: ignore[method-assign,assignment]
    assert event(deps, "RecognizeCompleted", context="ask:1", dtmfResult={"tones": ["one"]}) == "not_recorded"
    assert ("say", "bye") not in voice(deps).said()
