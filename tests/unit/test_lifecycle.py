"""The emergency call's lifecycle when a process dies between two steps, events come out of order, a call outlasts
its window, or storage is down at the dial (issue 8's defects, one test each, with in-memory ports)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.lease import NumberState
from shared.events import call_from_started
from shared.ports import StoreError
from shared.services.callbacks import route_callback
from shared.services.ending import AcsCallEnded, acs_call_ended, end_emergency_call, link_call_ids
from shared.services.expiry import run_expiry
from shared.services.outbound import place_outbound_call
from shared.services.panel import incident_view
from shared.services.presence import on_call_ended, on_call_started
from tests.fakes import FakeDeps, Killed, crash_at, restart
from tests.unit.test_callbacks import incoming

RETENTION = timedelta(days=30)
ALICE_ACS = "8:acs:r_alice"
DESK = "8:acs:r_securitydesk"


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice", acs_user_id=ALICE_ACS, email_recipients="s@example.com"))
    d.agents.put(Agent("bob", "Bob", acs_user_id="8:acs:r_bob", email_recipients="s@example.com"))
    d.add_numbers("+12025550100")
    return d


def dial(deps: FakeDeps, agent: str = "alice") -> dict:
    return place_outbound_call(OutboundCall(agent, "911", "US"), deps, deps.policy)


def started(deps: FakeDeps, index: int = 0) -> tuple[str, dict]:
    """The agent and data of the index-th CallStarted published, as a handler receives them."""
    data = [d for t, d in deps.events.published if t == "Emergency.CallStarted"][index]
    return data["agentId"], data


def deliver_started(deps: FakeDeps, index: int = 0) -> None:
    agent, data = started(deps, index)
    on_call_started(agent, data["emergencyCallId"], deps, deps.policy, call_from_started(data))


def deliver_ended(deps: FakeDeps) -> None:
    for t, data in deps.events.published:
        if t == "Emergency.CallEnded":
            on_call_ended(data["agentId"], data["emergencyCallId"], deps)


def timer(deps: FakeDeps):
    return run_expiry(deps, deps.policy, RETENTION)


def status(deps: FakeDeps, agent: str = "alice") -> str:
    return deps.presence.get(agent)[0].status


def acs_end(server: str, corr: str, deps: FakeDeps) -> AcsCallEnded:
    return AcsCallEnded("ev-end", server, corr, ALICE_ACS, deps.clock.now(), 30.0)


# --- 1. ACS's CallEnded before the dialer's call-ids -------------------------------------------------------------

def test_an_acs_call_ended_before_the_call_ids_ends_the_call_when_they_arrive(deps: FakeDeps) -> None:
    # GIVEN Alice's 911 call is in DND
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.clock.advance(timedelta(minutes=3))
    # WHEN ACS's CallEnded arrives first, then the dialer's call-ids (and no dialer end)
    assert acs_call_ended(acs_end("srv-1", "corr-1", deps), deps, deps.policy) == "withheld"
    assert link_call_ids(call_id, deps, deps.policy, "srv-1", "corr-1") is True
    deliver_ended(deps)
    # THEN the call has ended at ACS's time, her presence is back and the lease runs a window from the end
    call = deps.calls.get(call_id)[0]
    assert (call.end_source, call.ended_at) == ("acs", deps.clock.now())
    assert status(deps) == "Available"
    assert deps.pool.get("+12025550100").lease.expires_at == deps.clock.now() + timedelta(minutes=60)
    assert deps.history.list("alice") == []


def test_an_acs_call_ended_before_call_started_reached_presence_is_kept_too(deps: FakeDeps) -> None:
    # GIVEN the dial answered but CallStarted has not been processed (no DND yet)
    call_id = dial(deps)["emergencyCallId"]
    # WHEN ACS's CallEnded comes before anything else
    assert acs_call_ended(acs_end("srv-2", "corr-2", deps), deps, deps.policy) == "withheld"
    link_call_ids(call_id, deps, deps.policy, "srv-2", "corr-2")
    deliver_started(deps)  # late
    # THEN no DND is applied for a call that has ended, and it never reached the history
    assert status(deps) == "Available" and deps.history.list("alice") == []
    assert deps.calls.get(call_id)[0].end_source == "acs"


def test_an_acs_call_ended_after_the_dialer_end_but_before_the_call_ids_stays_out_of_history(
        deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.clock.advance(timedelta(minutes=2))
    end_emergency_call(call_id, "dialer", deps, deps.policy)
    deliver_ended(deps)
    assert acs_call_ended(acs_end("srv-4", "corr-4", deps), deps, deps.policy) == "withheld"
    link_call_ids(call_id, deps, deps.policy, "srv-4", "corr-4")
    assert deps.history.list("alice") == [] and deps.calls.get(call_id)[0].end_source == "dialer"
    # a normal call she starts after the emergency call's end goes to her history as usual
    deps.clock.advance(timedelta(minutes=5))
    assert acs_call_ended(acs_end("srv-5", "corr-5", deps), deps, deps.policy) == "history"


# --- 2. a call longer than the window -------------------------------------------------------------------------------

def test_a_call_longer_than_the_window_keeps_its_number_and_gets_the_window_after_its_end(deps: FakeDeps) -> None:
    # GIVEN Alice's call is still live after 61 minutes, and the timer ran
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.clock.advance(timedelta(minutes=61))
    assert timer(deps).released == []
    # THEN a callback now still rings Alice, and nobody else can lease the number
    assert route_callback(incoming("4:+12025550100", deps=deps), deps, timedelta(seconds=20), DESK).outcome \
        == "redirected"
    assert dial(deps, "bob")["callbackNumberSource"] != "pool"
    # WHEN the call ends at 70 minutes
    deps.clock.advance(timedelta(minutes=9))
    ended = end_emergency_call(call_id, "dialer", deps, deps.policy)
    # THEN the number is held for the window after the end, and free (after quarantine) only then
    number = deps.pool.get("+12025550100")
    assert number.lease.expires_at == ended.ended_at + timedelta(minutes=60) == ended.callback_until
    deps.clock.advance(timedelta(minutes=59))
    assert number.state(deps.clock.now(), deps.policy.quarantine) is NumberState.LEASED


def test_a_call_that_never_ends_is_ended_by_the_safety_net_and_holds_its_number_a_window_more(deps: FakeDeps) -> None:
    dialed_at = deps.clock.now()
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.clock.advance(timedelta(hours=3))
    assert dial(deps, "bob")["callbackNumberSource"] != "pool"
    deps.clock.advance(timedelta(hours=1, minutes=1))
    report = timer(deps)
    assert report.presence_restored == ["alice"] and status(deps) == "Available"
    # The safety net ends it at the maximum call length, however late the timer runs: the window counts from there,
    # as the live hold did, and the incident promises no more than that.
    lease = deps.pool.get("+12025550100").lease
    until = dialed_at + timedelta(hours=5)
    assert lease.call_id == call_id and lease.expires_at == until
    assert deps.calls.get(call_id)[0].ended_at == dialed_at + timedelta(hours=4)
    assert deps.calls.get(call_id)[0].callback_until == until


def test_a_call_without_presence_is_ended_by_the_safety_net_too(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]  # its CallStarted never reached presence
    deps.clock.advance(timedelta(hours=4, minutes=1))
    assert timer(deps).timed_out == [call_id]
    assert deps.calls.get(call_id)[0].end_source == "timeout"


# --- 3. killed between the steps of the dial ----------------------------------------------------------------------

def test_killed_after_the_incident_is_written_the_timer_announces_it(deps: FakeDeps) -> None:
    crash_at(deps, "events", "publish")
    with pytest.raises(Killed):
        dial(deps)
    restart(deps)
    assert deps.events.published == []
    deps.clock.advance(timedelta(minutes=1))
    report = timer(deps)
    assert len(report.reannounced) == 1 and len(deps.events.published) == 1
    assert timer(deps).reannounced == []  # announced once it is marked


def test_killed_after_the_publish_before_it_is_marked_the_timer_publishes_the_same_event_again(
        deps: FakeDeps) -> None:
    crash_at(deps, "calls", "mark_announced")
    with pytest.raises(Killed):
        dial(deps)
    restart(deps)
    timer(deps)
    first, again = (d for t, d in deps.events.published if t == "Emergency.CallStarted")
    assert first == again  # the same event, which handlers drop as a repeat


def test_killed_after_the_lease_before_the_incident_the_timer_rebuilds_and_announces_it(deps: FakeDeps) -> None:
    crash_at(deps, "calls", "create")
    with pytest.raises(Killed):
        dial(deps)
    restart(deps)
    lease = deps.pool.get("+12025550100").lease
    assert timer(deps).recovered == []  # the dial might still be writing it
    deps.clock.advance(timedelta(minutes=2))
    report = timer(deps)
    assert report.recovered == [lease.call_id] and report.reannounced == [lease.call_id]
    agent, data = started(deps)
    assert (agent, data["callbackNumber"], data["dialedNumber"], data["countryCode"]) == \
        ("alice", "+12025550100", "911", "US")
    assert deps.calls.get(lease.call_id)[0].origin == "lease"


# --- 4. the callback: killed after the claim ----------------------------------------------------------------------

def test_killed_after_the_claim_the_redelivery_takes_it_over_and_redirects(deps: FakeDeps) -> None:
    dial(deps)
    call = incoming("4:+12025550100", deps=deps)
    crash_at(deps, "call_control", "redirect")
    with pytest.raises(Killed):
        route_callback(call, deps, timedelta(seconds=20), DESK)
    restart(deps)
    deps.clock.advance(timedelta(seconds=11))  # Event Grid delivers it again 10 s after the failure
    assert route_callback(call, deps, timedelta(seconds=20), DESK).outcome == "redirected"
    assert deps.call_control.redirects == [("ctx-corr-1", ALICE_ACS)]
    assert route_callback(call, deps, timedelta(seconds=20), DESK).outcome == "duplicate"


def test_killed_after_the_redirect_before_it_is_recorded_a_redelivery_may_redirect_once_more(
        deps: FakeDeps) -> None:
    dial(deps)
    call = incoming("4:+12025550100", deps=deps)
    crash_at(deps, "call_control", "redirect", after=True)
    with pytest.raises(Killed):
        route_callback(call, deps, timedelta(seconds=20), DESK)
    restart(deps)
    deps.clock.advance(timedelta(seconds=11))
    assert route_callback(call, deps, timedelta(seconds=20), DESK).outcome == "redirected"
    assert len(deps.call_control.redirects) == 2  # at least once: the second is harmless, a lost one is not


# --- 5. storage down at the dial ----------------------------------------------------------------------------------

def storage_down(deps: FakeDeps, down: bool) -> None:
    deps.agents.down = deps.pool.down = deps.calls.down = down


def test_a_call_dialed_while_storage_was_down_is_rebuilt_from_its_call_started_and_can_be_ended(
        deps: FakeDeps) -> None:
    storage_down(deps, True)
    answer = dial(deps)
    assert answer["dial"] is True and {w["code"] for w in answer["warnings"]} >= {"storage_unavailable"}
    storage_down(deps, False)
    deliver_started(deps)  # Event Grid delivers it again once storage is back
    assert status(deps) == "DoNotDisturb"
    assert deps.calls.get(answer["emergencyCallId"])[0].origin == "event"
    end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy)
    deliver_ended(deps)
    assert status(deps) == "Available"


def test_an_end_before_anything_was_recorded_is_kept_and_a_late_call_started_applies_no_dnd(
        deps: FakeDeps) -> None:
    storage_down(deps, True)
    answer = dial(deps)
    storage_down(deps, False)
    # WHEN the dialer's end arrives before CallStarted was processed
    tomb = end_emergency_call(answer["emergencyCallId"], "dialer", deps, deps.policy, agent_id="alice")
    assert tomb.origin == "end" and not tomb.described
    deliver_started(deps)
    # THEN no DND, and the incident is whole: what was dialed, and when it ended
    assert status(deps) == "Available"
    call = deps.calls.get(answer["emergencyCallId"])[0]
    assert (call.dialed_number, call.end_source, call.origin) == ("911", "dialer", "event")
    assert call.ended_at == tomb.ended_at


def test_call_ids_for_a_call_not_recorded_are_linked_so_acs_can_end_it(deps: FakeDeps) -> None:
    storage_down(deps, True)
    answer = dial(deps)
    storage_down(deps, False)
    assert link_call_ids(answer["emergencyCallId"], deps, deps.policy, "srv-3", "corr-3") is False
    assert acs_call_ended(acs_end("srv-3", "corr-3", deps), deps, deps.policy) == "emergency"
    deliver_started(deps)
    assert status(deps) == "Available"


# --- presence: the end recorded while DND was being applied; a lost CallEnded ------------------------------------

def test_an_end_recorded_while_dnd_is_applied_lifts_it(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    agent, data = started(deps)

    class EndingWhileSaving:
        """Presence storage through which the call's end is recorded between CallStarted's read and its DND."""

        def __init__(self, inner):
            self.inner, self.done = inner, False

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def save(self, presence, version):
            if not self.done:
                self.done = True
                end_emergency_call(call_id, "dialer", deps, deps.policy)
                deliver_ended(deps)  # finds no DND yet: nothing to restore
            self.inner.save(presence, version)

    deps.presence = EndingWhileSaving(deps.presence)
    on_call_started(agent, call_id, deps, deps.policy, call_from_started(data))
    assert status(deps) == "Available"


def test_killed_after_the_end_is_recorded_the_timer_settles_the_lease_and_lifts_dnd(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    crash_at(deps, "pool", "get")  # the first step after the end is recorded
    with pytest.raises(Killed):
        end_emergency_call(call_id, "dialer", deps, deps.policy)
    restart(deps)
    ended_at = deps.calls.get(call_id)[0].ended_at
    assert deps.pool.get("+12025550100").lease.live and status(deps) == "DoNotDisturb"
    report = timer(deps)
    assert report.leases_settled == [call_id] and report.presence_restored == ["alice"]
    assert deps.pool.get("+12025550100").lease.expires_at == ended_at + timedelta(minutes=60)
    assert status(deps) == "Available"


def test_killed_after_the_lease_then_ended_by_the_dialer_the_timer_still_announces_it(deps: FakeDeps) -> None:
    crash_at(deps, "calls", "create")
    with pytest.raises(Killed):
        dial(deps)
    restart(deps)
    call_id = deps.pool.get("+12025550100").lease.call_id
    end_emergency_call(call_id, "dialer", deps, deps.policy, agent_id="alice")  # a tombstone: nothing known
    deps.clock.advance(timedelta(minutes=2))
    report = timer(deps)
    assert report.recovered == [call_id] and report.reannounced == [call_id]
    call = deps.calls.get(call_id)[0]
    assert (call.dialed_number, call.end_source, call.callback_number) == ("911", "dialer", "+12025550100")
    assert deps.pool.get("+12025550100").lease.expires_at == call.ended_at + timedelta(minutes=60)


# --- review: a dial after its own end; windows after a crash; what a rebuilt incident tells; bus down at the end ---

def test_a_dial_that_arrives_after_its_own_end_fills_the_tombstone_and_gets_the_window_after_it(
        deps: FakeDeps) -> None:
    end_emergency_call("c-early", "dialer", deps, deps.policy, agent_id="alice")
    deps.clock.advance(timedelta(seconds=5))
    answer = place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id="c-early"), deps, deps.policy)
    assert answer["callbackNumber"] == "+12025550100"
    call = deps.calls.get("c-early")[0]
    assert (call.origin, call.dialed_number, call.end_source, call.announced) == ("dial", "911", "dialer", True)
    # at least the window after the dial, which came after the end
    assert deps.pool.get("+12025550100").lease.expires_at == deps.clock.now() + timedelta(minutes=60)
    assert started(deps)[1]["callbackNumber"] == "+12025550100"


def test_killed_before_the_identity_window_is_settled_the_timer_settles_it(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    crash_at(deps, "windows", "of_call")
    with pytest.raises(Killed):
        end_emergency_call(call_id, "dialer", deps, deps.policy)
    restart(deps)
    ended_at = deps.calls.get(call_id)[0].ended_at
    assert deps.windows.latest(ALICE_ACS).until > ended_at + timedelta(hours=1)
    timer(deps)
    assert deps.windows.latest(ALICE_ACS).until == ended_at + timedelta(minutes=60)


def test_an_incident_rebuilt_from_its_lease_is_completed_by_the_dials_own_call_started() -> None:
    from shared.services.notify import notify_emergency
    from tests.fakes_notify import NotifyDeps

    deps = NotifyDeps()
    deps.agents.put(Agent("alice", "Alice", acs_user_id=ALICE_ACS, email_recipients="s@example.com"))
    deps.add_numbers("+12025550100")
    location = {"countryCode": "US", "address": "1 Example Plaza", "floor": "3"}
    deps.calls.down = True  # the incident could not be written; CallStarted (with the location) went out
    answer = place_outbound_call(OutboundCall("alice", "911", "US", location=location), deps, deps.policy)
    deps.calls.down = False
    deps.clock.advance(timedelta(minutes=2))
    assert timer(deps).recovered == [answer["emergencyCallId"]]  # before Event Grid's redelivery
    assert deps.calls.get(answer["emergencyCallId"])[0].location is None
    deliver_started(deps, 0)  # the dial's own event, redelivered
    rebuilt = deps.calls.get(answer["emergencyCallId"])[0].location
    assert {k: rebuilt[k] for k in location} == location and rebuilt["source"] == "typed"
    notify_emergency(answer["emergencyCallId"], deps, call_from_started(started(deps, 0)[1]))
    assert "1 Example Plaza" in deps.mailer.sent[0].body


def test_the_end_with_the_bus_down_is_recorded_and_the_timer_lifts_dnd(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.events.fail = True
    ended = end_emergency_call(call_id, "dialer", deps, deps.policy)
    assert ended.ended_at is not None and status(deps) == "DoNotDisturb"
    deps.events.fail = False
    assert timer(deps).presence_restored == ["alice"] and status(deps) == "Available"


def test_a_dial_with_storage_and_bus_down_says_nothing_could_be_recorded(deps: FakeDeps) -> None:
    storage_down(deps, True)
    deps.events.fail = True
    answer = dial(deps)
    assert answer["dial"] is True
    assert "not_recorded" in {w["code"] for w in answer["warnings"]}
    storage_down(deps, False)
    deps.events.fail = False
    assert "not_recorded" not in {w["code"] for w in dial(deps, "bob")["warnings"]}


def test_a_call_started_naming_another_agent_than_its_record_is_ignored(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    _, data = started(deps)
    on_call_started("bob", call_id, deps, deps.policy, call_from_started(dict(data, agentId="bob")))
    assert status(deps, "bob") == "Available"


def test_another_agents_call_id_gets_a_call_of_its_own_not_that_calls_number(deps: FakeDeps) -> None:
    deps.add_numbers("+12025550101")
    alice = place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id="c-shared"), deps, deps.policy)
    bob = place_outbound_call(OutboundCall("bob", "911", "US", emergency_call_id="c-shared"), deps, deps.policy)
    assert bob["emergencyCallId"] != "c-shared" and bob["callbackNumber"] != alice["callbackNumber"]
    assert "emergency_call_id_taken" in {w["code"] for w in bob["warnings"]}
    assert deps.calls.get("c-shared")[0].agent_id == "alice"
    again = place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id="c-shared"), deps, deps.policy)
    assert again["emergencyCallId"] == "c-shared" and again["callbackNumber"] == alice["callbackNumber"]


def test_the_incident_keeps_when_dnd_was_applied_and_when_presence_came_back_once_each(deps: FakeDeps) -> None:
    deps.presence.save(replace(deps.presence.get("alice")[0], status="Busy"), None)
    call_id = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deliver_started(deps)  # Event Grid's redelivery
    end_emergency_call(call_id, "dialer", deps, deps.policy)
    deliver_ended(deps)
    deliver_ended(deps)
    marks = deps.calls.get(call_id)[0].presence_marks  # type: ignore[index]
    assert [(m["what"], m.get("previous"), m.get("status")) for m in marks] == [("dnd", "Busy", None),
                                                                                   ("restored", None, "Busy")]
    assert incident_view(deps.calls.get(call_id)[0])["presence"] == list(marks)  # type: ignore[index]


def test_an_end_that_did_not_give_presence_back_is_not_noted_as_restored(deps: FakeDeps) -> None:
    first = dial(deps)["emergencyCallId"]
    deliver_started(deps)
    deps.clock.advance(timedelta(seconds=30))
    second = place_outbound_call(OutboundCall("alice", "911", "US", None, "ec-second"), deps, deps.policy)
    deliver_started(deps, 1)  # the second call holds DND now
    end_emergency_call(first, "dialer", deps, deps.policy)
    deliver_ended(deps)
    assert status(deps) == "DoNotDisturb"
    assert [m["what"] for m in deps.calls.get(first)[0].presence_marks] == ["dnd"]  # type: ignore[index]
    assert [m["what"] for m in deps.calls.get(second["emergencyCallId"])[0].presence_marks] == ["dnd"]  # type: ignore[index]


def test_noting_dnd_on_an_unwritable_incident_never_undoes_or_fails_dnd(deps: FakeDeps) -> None:
    call_id = dial(deps)["emergencyCallId"]
    agent, data = started(deps)
    crash_at(deps, "calls", "save")  # dies right at the note: after DND was saved
    with pytest.raises(Killed):
        on_call_started(agent, call_id, deps, deps.policy, call_from_started(data))
    restart(deps)
    assert status(deps) == "DoNotDisturb"
    deliver_started(deps)  # the redelivery notes it
    assert [m["what"] for m in deps.calls.get(call_id)[0].presence_marks] == ["dnd"]  # type: ignore[index]

    def broken(call, version):
        raise StoreError("storage blip")
    deps.calls.save = broken  # type: ignore[method-assign]
    on_call_ended(agent, call_id, deps)  # the note fails: logged, presence restored all the same
    assert status(deps) == "Available"
