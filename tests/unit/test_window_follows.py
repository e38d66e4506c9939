"""The agent's callback window follows her call whatever the dial could write: CallStarted opens it after an
outage and the end settles it; opening it never holds up Do Not Disturb; and a CallStarted handled before the
dial's own record landed does not cost the incident the dial's warnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import events
from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.presence import Presence
from shared.ports import StoreError
from shared.services.ending import end_emergency_call
from shared.services.outbound import place_outbound_call
from shared.services.presence import on_call_ended, on_call_started
from tests.fakes import FakeDeps, FakeEvents, FakePresence, FakeWindows, Killed, Sequential

ALICE = "8:acs:r_alice"


@pytest.fixture
def deps() -> FakeDeps:
    d = FakeDeps()
    d.agents.put(Agent("alice", "Alice", acs_user_id=ALICE, email_recipients="desk@example.com"))
    d.add_numbers("+12025550100")
    return d


def dial(deps: FakeDeps) -> dict[str, Any]:
    return place_outbound_call(OutboundCall("alice", "911", "US", emergency_call_id="c1"), deps, deps.policy)


def started(deps: FakeDeps) -> Any:
    data = [d for t, d in deps.events.published if t == "Emergency.CallStarted"][-1]
    return on_call_started("alice", data["emergencyCallId"], deps, deps.policy, events.call_from_started(data))


def test_a_window_callstarted_opens_after_an_outage_is_settled_by_the_end(deps: FakeDeps) -> None:
    deps.agents.down = True  # her profile cannot be read at the dial: the record has no identity
    dial(deps)
    deps.agents.down = False
    assert deps.calls.get("c1")[0].acs_user_id is None and deps.windows.latest(ALICE) is None
    started(deps)
    assert deps.calls.get("c1")[0].acs_user_id == ALICE  # the record keeps what the profile said
    deps.clock.advance(timedelta(minutes=5))
    ended = end_emergency_call("c1", "dialer", deps, deps.policy, agent_id="alice").ended_at
    window = deps.windows.latest(ALICE)
    assert window is not None and window.call_id == "c1"
    assert window.until == ended + deps.policy.window  # not the live hold of hours opened at CallStarted


class BrokenWindows(FakeWindows):
    def of_call(self, acs_user_id: str, call_id: str) -> Any:
        raise StoreError("callback windows unavailable")


def test_a_window_that_cannot_be_opened_never_holds_up_do_not_disturb(deps: FakeDeps) -> None:
    deps.agents.down = True
    dial(deps)
    deps.agents.down = False
    deps.windows = BrokenWindows()
    with pytest.raises(StoreError):  # Event Grid delivers CallStarted again
        started(deps)
    assert deps.presence.get("alice")[0].in_emergency  # DND was saved first


class DeliveredAtOnce(FakeEvents):
    """Event Grid delivering CallStarted to presence_update before the dial's own insert has landed."""

    def __init__(self, deps: FakeDeps) -> None:
        super().__init__()
        self.deps = deps

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        super().publish(event_type, subject, data, event_id)
        if event_type == "Emergency.CallStarted":
            started(self.deps)


def test_callstarted_handled_before_the_dial_s_record_keeps_the_dial_s_warnings(deps: FakeDeps) -> None:
    deps.agents.put(Agent("alice", "Alice", acs_user_id=ALICE))  # no recipients: the dial warns
    deps.concurrency = Sequential(reverse=True)  # the event goes out before the record is inserted
    deps.events = DeliveredAtOnce(deps)
    answer = dial(deps)
    record = deps.calls.get("c1")[0]
    assert [w["code"] for w in answer["warnings"]] == ["no_recipients"]
    assert record.origin == "dial" and [w["code"] for w in record.warnings] == ["no_recipients"]
    assert record.announced  # its handler saw it: nothing for the timer to publish again
    assert deps.presence.get("alice")[0].in_emergency


class EndedWhileDndIsSaved(FakePresence):
    """The call's end is recorded, and its CallEnded handled (nothing to lift yet), between CallStarted's read of
    the record and its DND write; the process dies right after the write, before it reads the record again."""

    def __init__(self, deps: FakeDeps) -> None:
        super().__init__()
        self.deps, self.armed = deps, True

    def save(self, presence: Presence, version: str | None) -> None:
        if self.armed and presence.in_emergency:
            self.armed = False
            end_emergency_call("c1", "dialer", self.deps, self.deps.policy, agent_id="alice")
            on_call_ended("alice", "c1", self.deps)
            super().save(presence, version)
            raise Killed("after the DND write")
        super().save(presence, version)


def test_callstarted_redelivered_after_the_end_lifts_the_dnd_its_first_delivery_left(deps: FakeDeps) -> None:
    deps.presence = EndedWhileDndIsSaved(deps)
    deps.presence.save(Presence("alice", "Available"), None)
    dial(deps)
    with pytest.raises(Killed):
        started(deps)
    assert deps.presence.get("alice")[0].in_emergency  # left by the first delivery, its CallEnded already handled
    started(deps)  # Event Grid delivers CallStarted again: the call has ended
    assert deps.presence.get("alice")[0].status == "Available"
