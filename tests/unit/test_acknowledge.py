"""Acknowledging an emergency notification (issue 20): each recipient's own link (GET shows, only POST
acknowledges), a reply "1" by SMS, once however often, never after the call's window, the same 404 for every bad
link; what the agent's panel and the incident then show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from shared.domain.notification_sms import sms_size
from shared.domain.presence import Presence
from shared.errors import NotFound
from shared.ports import StoreError
from shared.services import acknowledge
from shared.services.deliveries import list_deliveries
from shared.services.notify import notify_emergency
from shared.services.panel import emergency_state
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps
from tests.unit.test_notify_service import ALICE, emergency_call

BASE = "https://emergency.example.com"
LINK = re.compile(re.escape(BASE) + r"/api/ack/([A-Za-z0-9_-]+)")


@pytest.fixture
def deps() -> NotifyDeps:
    d = NotifyDeps()
    d.agents.put(ALICE)
    d.calls.create(emergency_call())
    notify_emergency("ec-1", d, ack_base=BASE)
    return d


def token_of(deps: NotifyDeps, to: str) -> str:
    [sent] = [s for s in deps.mailer.sent if s.to == to]
    found = LINK.search(sent.body)
    assert found, sent.body
    return found[1]


def test_each_recipient_s_email_carries_a_link_of_her_own_and_each_sms_asks_for_a_reply(deps: NotifyDeps) -> None:
    first, second = token_of(deps, "security@example.com"), token_of(deps, "desk@example.org")
    assert first != second and len(first) >= 24
    assert "ec-1" not in first and "alice" not in LINK.search(deps.mailer.sent[0].body)[0].lower()  # type: ignore[index]
    [sms] = deps.sms.sent  # type: ignore[union-attr]
    assert sms.body.endswith(" Reply 1 to acknowledge.") and sms_size(sms.body).segments <= 2
    assert "Callback number:" in sms.body


def test_opening_the_link_acknowledges_nothing_only_its_button_does_and_once(deps: NotifyDeps) -> None:
    token = token_of(deps, "security@example.com")
    shown = acknowledge.summary(token, deps)
    assert shown["acknowledged"] is False and shown["agentName"] == "Alice Example" and shown["dialedNumber"] == "911"
    assert deps.deliveries.get("ec-1", "email", "security@example.com").acknowledged_at is None  # type: ignore[union-attr]
    deps.clock.advance(timedelta(seconds=42))  # type: ignore[attr-defined]
    done = acknowledge.acknowledge_link(token, deps)
    assert done["acknowledged"] is True
    first = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert first is not None and first.acknowledged_via == "email"
    deps.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    acknowledge.acknowledge_link(token, deps)  # pressed again
    again = deps.deliveries.get("ec-1", "email", "security@example.com")
    assert again is not None and again.acknowledged_at == first.acknowledged_at
    events = [d for t, d in deps.events.published if t == acknowledge.ACKNOWLEDGED]
    assert len(events) == 2 and events[0] == events[1]  # the same event, said again (one id)
    assert events[0]["secondsAfterDial"] == 42 and events[0]["by"] == "s***@example.com"


@pytest.mark.parametrize("bad", ["", "x", "not-a-token-at-all-but-long-enough", "../../etc/passwd", "A" * 300])
def test_a_forged_or_malformed_link_is_not_found(deps: NotifyDeps, bad: str) -> None:
    with pytest.raises(NotFound):
        acknowledge.summary(bad, deps)
    with pytest.raises(NotFound):
        acknowledge.acknowledge_link(bad, deps)


def test_a_link_expires_with_the_call_s_callback_window(deps: NotifyDeps) -> None:
    token = token_of(deps, "security@example.com")
    deps.clock.advance(timedelta(minutes=61))  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        acknowledge.acknowledge_link(token, deps)
    assert deps.deliveries.get("ec-1", "email", "security@example.com").acknowledged_at is None  # type: ignore[union-attr]


def test_one_recipient_s_link_acknowledges_only_her_own_notification(deps: NotifyDeps) -> None:
    acknowledge.acknowledge_link(token_of(deps, "desk@example.org"), deps)
    assert deps.deliveries.get("ec-1", "email", "security@example.com").acknowledged_at is None  # type: ignore[union-attr]
    view = acknowledge.summary(token_of(deps, "security@example.com"), deps)
    assert [o["by"] for o in view["others"]] == ["d***@example.org"]


@pytest.mark.parametrize(("text", "outcome"), [("1", "acknowledged"), (" 1. ", "acknowledged"), ("OK", "acknowledged"),
                                              ("who is this?", "not_a_reply"), ("12", "not_a_reply")])
def test_an_sms_reply_1_acknowledges_the_latest_notification_to_that_number(deps: NotifyDeps, text: str,
                                                                           outcome: str) -> None:
    assert acknowledge.acknowledge_reply("+12025550142", text, deps) == outcome
    record = deps.deliveries.get("ec-1", "sms", "+12025550142")
    assert record is not None and (record.acknowledged_via == "sms") == (outcome == "acknowledged")


def test_an_sms_reply_from_an_unknown_number_late_or_twice_changes_nothing(deps: NotifyDeps) -> None:
    assert acknowledge.acknowledge_reply("+12025550199", "1", deps) == "unknown_number"
    assert acknowledge.acknowledge_reply("+12025550142", "1", deps) == "acknowledged"
    assert acknowledge.acknowledge_reply("+12025550142", "1", deps) == "already"
    deps.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert acknowledge.acknowledge_reply("+12025550142", "1", deps) == "closed"


def test_the_panel_and_the_incident_say_who_acknowledged_and_when(deps: NotifyDeps) -> None:
    before = emergency_state("alice", deps, deps.deliveries)
    assert "acknowledgements" not in before  # no emergency in force: nothing said
    deps.presence.save(Presence("alice", "DoNotDisturb", emergency_call_id="ec-1", emergency_since=T0), None)
    assert emergency_state("alice", deps, deps.deliveries)["acknowledgements"] == []
    deps.clock.advance(timedelta(seconds=42))  # type: ignore[attr-defined]
    acknowledge.acknowledge_reply("+12025550142", "1", deps)
    state = emergency_state("alice", deps, deps.deliveries)
    listed = list_deliveries("ec-1", deps)["deliveries"]
    by_recipient = {d["recipient"]: d for d in listed}
    assert by_recipient["+12025550142"]["secondsToAcknowledge"] == 42
    assert by_recipient["+12025550142"]["acknowledgedVia"] == "sms"
    assert by_recipient["security@example.com"]["acknowledgedAt"] is None
    assert state["acknowledgements"] == [{"by": "***0142", "channel": "sms",
                                          "at": (T0 + timedelta(seconds=42)).isoformat(), "secondsAfterDial": 42}]
    assert state["notified"] == 3


def test_her_emergency_mode_never_depends_on_reading_the_acknowledgements(deps: NotifyDeps) -> None:
    deps.presence.save(Presence("alice", "DoNotDisturb", emergency_call_id="ec-1", emergency_since=T0), None)
    deps.deliveries.list = lambda call_id: (_ for _ in ()).throw(StoreError("503"))  # type: ignore[method-assign]
    state = emergency_state("alice", deps, deps.deliveries)
    assert state["emergency"] is True and state["controls"] and "acknowledgements" not in state
