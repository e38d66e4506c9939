"""Both emergency paths told truthfully: the dial decides the call's path from the voice setup, and the answer, the
incident, the panel, the notification and the callback routing all say what the responder really sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.voice_cache import CachedVoiceConfig
from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.voice_config import (
    CapacityProfile,
    NumberType,
    OutboundProfile,
    ResourceNumber,
    RoutingRule,
    VoiceConfig,
)
from shared.ports import StoreError
from shared.services.callbacks import route_callback
from shared.services.ending import end_emergency_call
from shared.services.notify import notify_emergency
from shared.services.outbound import place_outbound_call
from shared.services.panel import emergency_state, incident_view
from tests.fakes import FakeVoiceConfig
from tests.fakes_notify import NotifyDeps
from tests.unit.test_callbacks import incoming

MS_NUMBER, DR_NUMBER, POOL = "+12025550180", "+12025550181", "+12025550100"
ALICE_ID = "8:acs:r_alice"
RULE_911 = RoutingRule("emergency-911", r"^\+?911$", ("sbc1.example.com",))


def deps_with(*records: object, number: str = MS_NUMBER) -> NotifyDeps:
    d = NotifyDeps()
    d.agents.put(Agent("alice", "Alice Example", acs_user_id=ALICE_ID, outbound_number=number,
                       email_recipients="desk@example.com"))
    d.add_numbers(POOL)
    for record in (ResourceNumber(MS_NUMBER, NumberType.MICROSOFT, "US"),
                   ResourceNumber(DR_NUMBER, NumberType.DIRECT_ROUTING, "US"), *records):
        d.voice_setup.put(record)  # type: ignore[arg-type]
    return d


def dial(d: NotifyDeps, number: str = "911") -> dict:
    return place_outbound_call(OutboundCall("alice", number, "US"), d, d.policy)


def test_direct_offer_presents_the_agent_s_own_number_and_leases_no_pool_number() -> None:
    d = deps_with()
    answer = dial(d)
    assert (answer["emergencyPath"], answer["callerId"], answer["callbackNumber"],
            answer["callbackNumberSource"]) == ("direct_offer", MS_NUMBER, None, "emergency_service")
    assert "temporary number assigned by the emergency service" in answer["responderCallback"]
    assert "rings you directly" in answer["responderCallback"]
    assert answer["callbackWindowEndsAt"] == (d.clock.now() + timedelta(minutes=60)).isoformat()
    assert {w["code"] for w in answer["warnings"]}.isdisjoint({"pool_exhausted", "callback_is_agent_number"})
    assert d.pool.get(POOL).lease is None  # the pool serves the calls that need it
    assert d.windows.latest(ALICE_ID).call_id == answer["emergencyCallId"]  # her identity is recognised
    started = next(data for kind, data in d.events.published if kind == "Emergency.CallStarted")
    assert (started["path"], started["callerId"]) == ("direct_offer", MS_NUMBER)


def test_direct_offer_incident_panel_and_notification_say_what_the_responder_sees() -> None:
    d = deps_with()
    answer = dial(d)
    record, _ = d.calls.get(answer["emergencyCallId"])
    view = incident_view(record)
    assert (view["emergencyPath"], view["callerId"], view["callbackNumber"]) == ("direct_offer", MS_NUMBER, None)
    state = emergency_state("alice", d)
    assert state["emergencyPath"] == "direct_offer" and "temporary number" in state["responderCallback"]
    notify_emergency(answer["emergencyCallId"], d)
    [email] = d.mailer.sent
    assert "Callback number: a temporary number assigned by the emergency service" in email.body
    assert "rings Alice Example directly" in email.body and POOL not in email.body


def test_direct_offer_with_a_read_out_number_leases_one_but_still_presents_her_own() -> None:
    d = deps_with()
    d.policy = replace(d.policy, lease_on_direct_offer=True)
    answer = dial(d)
    assert (answer["emergencyPath"], answer["callerId"], answer["callbackNumber"],
            answer["callbackNumberSource"]) == ("direct_offer", MS_NUMBER, POOL, "pool")
    assert f"can also give the responder {POOL}" in answer["responderCallback"]
    assert d.pool.get(POOL).lease.call_id == answer["emergencyCallId"]


def test_a_drill_after_a_real_call_leaves_the_real_call_s_hold_on_the_panel_and_the_identity() -> None:
    # GIVEN Alice's 911 on the direct-offer path with a read-out number, ended; then a 933, ended
    d = deps_with()
    d.add_numbers("+12025550101")
    d.policy = replace(d.policy, lease_on_direct_offer=True)
    real = dial(d)
    end_emergency_call(real["emergencyCallId"], "dialer", d, d.policy)
    drill = dial(d, "933")
    end_emergency_call(drill["emergencyCallId"], "dialer", d, d.policy)
    # WHEN seven minutes pass (the drill's five-minute window is over)
    d.clock.advance(timedelta(minutes=7))
    # THEN her panel shows the 911 call's number and window, and a callback to her identity is the 911 call's
    state = emergency_state("alice", d)
    assert (state["emergencyCallId"], state["callbackNumber"], state["test"]) == (
        real["emergencyCallId"], real["callbackNumber"], False)
    assert state["callbackWindowEndsAt"] == real["callbackWindowEndsAt"]
    assert drill["callbackNumber"] not in (None, real["callbackNumber"])
    decision = route_callback(incoming(ALICE_ID, deps=d), d, timedelta(seconds=30), None).decision
    assert (decision.outcome.value, decision.call_id) == ("ringing_direct", real["emergencyCallId"])


def test_direct_offer_with_a_read_out_number_and_an_empty_pool_falls_back_to_the_temporary_number_only() -> None:
    d = deps_with()
    d.policy = replace(d.policy, lease_on_direct_offer=True)
    d.pool.rows.clear()
    d.pool.slots.clear()
    answer = dial(d)
    assert (answer["callbackNumber"], answer["callbackNumberSource"], answer["callerId"]) == (
        None, "emergency_service", MS_NUMBER)
    assert "callback_is_agent_number" not in {w["code"] for w in answer["warnings"]}


@pytest.mark.parametrize("agent_number", [MS_NUMBER, DR_NUMBER])
def test_a_direct_routing_rule_for_the_number_wins_and_the_pool_number_is_the_caller_id(agent_number: str) -> None:
    d = deps_with(RULE_911, number=agent_number)
    answer = dial(d)
    assert (answer["emergencyPath"], answer["callbackNumber"], answer["callerId"]) == (
        "direct_routing", POOL, POOL)
    assert answer["responderCallback"].startswith(f"{POOL}, which rings you directly until")


def test_a_rule_for_911_only_leaves_the_933_test_call_on_direct_offer() -> None:
    d = deps_with(RULE_911)
    assert dial(d, "933")["emergencyPath"] == "direct_offer"


def test_an_agent_number_the_resource_does_not_know_is_an_unknown_path_with_the_pool_number() -> None:
    d = deps_with(number="+12025550199")
    answer = dial(d)
    assert (answer["emergencyPath"], answer["callbackNumber"], answer["callerId"]) == ("unknown", POOL, POOL)


def test_a_direct_routing_number_falls_back_to_direct_offer_when_the_resource_has_a_microsoft_number() -> None:
    assert dial(deps_with(number=DR_NUMBER))["emergencyPath"] == "direct_offer"


def test_the_outbound_profile_s_number_is_her_own_number() -> None:
    d = deps_with(CapacityProfile("voice-default", "Voice"),
                  OutboundProfile("voice-us", "Voice US", "voice", MS_NUMBER, ("voice-default",)), number="")
    d.agents.put(replace(d.agents.get("alice"), outbound_number=None, capacity_profile="voice-default"))
    answer = dial(d)
    assert (answer["emergencyPath"], answer["callerId"]) == ("direct_offer", MS_NUMBER)


class _Unreadable(FakeVoiceConfig):
    def load(self) -> VoiceConfig:
        raise StoreError("storage down")


def test_an_unreadable_voice_setup_never_stops_the_dial_and_presents_the_pool_number() -> None:
    d = deps_with()
    d.voice_setup = _Unreadable()
    answer = dial(d)
    assert answer["dial"] is True
    assert (answer["emergencyPath"], answer["callbackNumber"]) == ("unknown", POOL)
    assert "voice_setup_unavailable" in {w["code"] for w in answer["warnings"]}


def test_the_direct_offer_window_follows_the_end_like_a_lease() -> None:
    d = deps_with()
    answer = dial(d)
    d.clock.advance(timedelta(minutes=50))
    end_emergency_call(answer["emergencyCallId"], "dialer", d, d.policy)
    record, _ = d.calls.get(answer["emergencyCallId"])
    assert record.callback_until == d.clock.now() + timedelta(minutes=60)


# --- the voice setup as the dial reads it --------------------------------------------------------------------


class _Counting(FakeVoiceConfig):
    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.down = False

    def load(self) -> VoiceConfig:
        self.loads += 1
        if self.down:
            raise StoreError("storage down")
        return super().load()


def test_the_cached_voice_setup_is_read_once_per_ttl_and_a_recent_copy_outlives_an_outage() -> None:
    store, now = _Counting(), [0.0]
    cache = CachedVoiceConfig(store, ttl=30, stale_for=600, monotonic=lambda: now[0])
    store.put(ResourceNumber(MS_NUMBER, NumberType.MICROSOFT, "US"))
    assert cache.load().number(MS_NUMBER) is not None and cache.load() is cache.load()
    assert store.loads == 1
    store.put(RULE_911)
    now[0] = 31.0
    assert cache.load().rule_for("911") == RULE_911 and store.loads == 2  # a change arrives within the ttl
    store.down, now[0] = True, 400.0
    assert cache.load().rule_for("911") == RULE_911  # storage down: the copy read 6 minutes ago
    now[0] = 700.0
    with pytest.raises(StoreError):
        cache.load()  # too old to be believed


def test_concurrent_dials_never_queue_behind_a_slow_voice_setup_read() -> None:
    """Five dials at once while storage takes 0.5 s to fail: one reads, the others go on with the copy they have
    (before: each waited for the previous one's read, 0.5, 1.0 … 2.5 s, and storage was read five times)."""
    import threading
    import time

    store, clock = _Counting(), [0.0]
    cache = CachedVoiceConfig(store, ttl=30, stale_for=600, monotonic=lambda: clock[0])
    cache.load()
    slow = threading.Event()

    def failing() -> VoiceConfig:
        store.loads += 1
        slow.wait(0.5)
        raise StoreError("storage timed out")

    store.load = failing  # type: ignore[method-assign]
    clock[0] = 31.0
    waited: list[float] = []

    def dial_once() -> None:
        started = time.monotonic()
        assert isinstance(cache.load(), VoiceConfig)
        waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=dial_once) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.loads == 2 and len(waited) == 5  # the first read of the test, and one refresh
    assert sorted(waited)[3] < 0.1, waited  # only the reader waited
    assert cache.load() is not None and store.loads == 2  # the failure is remembered: no read per dial


def test_without_any_copy_a_failed_read_is_remembered_for_a_few_seconds() -> None:
    store, clock = _Counting(), [0.0]
    store.down = True
    cache = CachedVoiceConfig(store, monotonic=lambda: clock[0], retry_after=5)
    for _ in range(3):
        with pytest.raises(StoreError):
            cache.load()
    assert store.loads == 1
    clock[0], store.down = 6.0, False
    assert cache.load() is not None and store.loads == 2


def test_a_voice_setup_record_that_cannot_be_read_never_fails_the_dial() -> None:
    d = deps_with()

    class Broken(FakeVoiceConfig):
        def load(self) -> VoiceConfig:
            raise KeyError("numberPattern")

    d.voice_setup = Broken()
    answer = dial(d)
    assert (answer["dial"], answer["emergencyPath"], answer["callbackNumber"]) == (True, "unknown", POOL)
