"""The agent's panel while nobody has acknowledged her emergency notification (issue 20), in a real browser
(Playwright driving Debian's Chromium, headless), signed in as an agent, clock in UTC.

She reads who is told next and when, in her local time with its zone ("No one has acknowledged yet — escalating to the
security desk at 12:05 PM UTC"); once someone acknowledged, who did and how soon. The emergency-state answer is routed
for the exact words and for axe-core; one test runs against the backend: a policy with an on-call step, a 933 that
escalates, the step's due time read out.
Screenshots go to artifacts/screenshots/agent-panel-escalation-*.png. Fictional 555-01xx numbers only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from tests.browser import pages
from tests.browser.pages import (
    ACKED,
    ALICE,
    BOB,
    agents_signed_in,
    closed,
    dial,
    expect,
    hang_up,
    no_violations,
    routed_state,
)

DESK_AT = "2026-03-01T12:05:00+00:00"
DESK_STEP = {"tier": 2, "name": "Security desk", "dueAt": DESK_AT, "status": "pending",
             "audiences": ["siteDesk"], "channels": ["email", "sms"]}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


def open_panel(browser: Any, stack: LocalStack, user: dict[str, Any],
               routes: dict[str, Callable[[Any], None]] | None = None) -> Any:
    """The panel as `user`, its clock in UTC (pages.open_panel)."""
    return pages.open_panel(browser, stack, user, routes, timezone_id="UTC")


def shot(page: Any, name: str) -> None:
    pages.shot(page, f"agent-panel-escalation-{name}")


def test_while_nobody_has_acknowledged_she_reads_who_is_told_next_and_when(browser: Any, stack: LocalStack) -> None:
    # GIVEN her call in progress, two contacts notified, nobody acknowledged, the security desk due at 12:05
    answer = {"state": routed_state(notified=2, escalation=DESK_STEP)}
    page = open_panel(browser, stack, ALICE, routes={"**/emergency-state": lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer["state"]))})
    expect(page.get_by_role("alert").filter(has_text="Emergency call in progress")).to_be_visible()
    told = page.locator("#acknowledged")
    # THEN the polite status region says who is told next, and when
    expect(told).to_have_attribute("role", "status")
    expect(told).to_have_text("No one has acknowledged yet — escalating to the security desk at 12:05 PM UTC")
    shot(page, "pending")
    no_violations(page)

    # WHEN the next step calls everyone notified THEN she reads that they will be phoned
    answer["state"] = routed_state(notified=2, escalation={**DESK_STEP, "audiences": ["notified"],
                                                           "channels": ["voice"], "dueAt": "2026-03-01T12:02:00Z"})
    expect(told).to_have_text("No one has acknowledged yet — escalating to everyone notified by phone at 12:02 PM UTC")

    # WHEN someone acknowledges THEN who and how soon replaces it
    answer["state"] = routed_state(notified=2, acknowledgements=ACKED[:1])
    expect(told).to_have_text("g***@example.com acknowledged 0:42 after your call — help is on the way")
    no_violations(page)

    # WHEN nobody acknowledged and no step is left THEN she is told her contacts were notified
    answer["state"] = routed_state(notified=2, escalation=None)
    expect(told).to_have_text("Your contacts have been notified; no one has acknowledged yet.")
    # and in her callback window, after the call, the step to come is still said
    answer["state"] = routed_state(emergency=False, controls=None, alert=None, hideConversationActions=[],
                                   notified=2, escalation=DESK_STEP)
    expect(page.get_by_role("status").filter(has_text="Emergency services may call you back until")).to_be_visible()
    expect(told).to_have_text("No one has acknowledged yet — escalating to the security desk at 12:05 PM UTC")
    closed(page)


def test_the_words_for_who_is_told_next(browser: Any, stack: LocalStack) -> None:
    page = open_panel(browser, stack, ALICE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
    words = page.evaluate("""async () => {
        const m = await import('/api/agent/ui/js/acknowledgements.js');
        const step = (audiences, channels = ['email']) => ({audiences, channels, dueAt: '2026-03-01T09:30:00Z'});
        return {
            audiences: [[], ['siteDesk'], ['siteDesk', 'onCall'], ['notified', 'agent', 'onCall'], ['later']]
                .map(m.audiencesInWords),
            steps: [step(['onCall'], ['email', 'voice']), step(['agent'], ['voice']), step([]),
                    {audiences: ['onCall']}, null].map(m.escalationText),
            nobodyNotified: [step(['notified'], ['voice']), step(['siteDesk'])].map((escalation) =>
                m.acknowledgementText({acknowledgements: [], notified: 0, escalation})),
            kinds: [{acknowledgements: [{by: 'x', secondsAfterDial: 3}], notified: 1, escalation: step(['agent'])},
                    {acknowledgements: [], notified: 1, escalation: step(['agent'])},
                    {acknowledgements: [], notified: 1}, {acknowledgements: [], notified: 0}, null]
                .map(m.acknowledgementKind),
        };
    }""")
    assert words["audiences"] == ["", "the security desk", "the security desk and the on-call team",
                                  "everyone notified, your emergency contacts, and the on-call team", "later"]
    assert words["steps"] == ["No one has acknowledged yet — escalating to the on-call team at 9:30 AM UTC",
                              "No one has acknowledged yet — escalating to your emergency contacts by phone at "
                              "9:30 AM UTC",
                              "", "", ""]
    # a step that tells only "everyone notified" when nobody was: nothing to say; the desk: still said
    assert words["nobodyNotified"] == [
        "", "No one has acknowledged yet — escalating to the security desk at 9:30 AM UTC"]
    # what the panel may style by (amber while nobody has acknowledged)
    assert words["kinds"] == ["acknowledged", "escalating", "notified", "", ""]
    closed(page)


def test_against_the_backend_a_933_that_escalates_names_the_on_call_team_and_its_due_time(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN a policy whose first step texts and emails the on-call team after 3 minutes, tests included
    policy = {"tiers": [{"name": "On call", "afterSeconds": 180, "audiences": ["onCall"],
                         "channels": ["email", "sms"]}],
              "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}, "escalateTests": True}
    assert stack.client.put("/api/manage/escalation-policy", policy)[0] == 200
    bob = open_panel(browser, stack, BOB)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    # WHEN he dials 933 (his contact, the security desk, is notified; nobody acknowledges)
    call_id = dial(bob, "933")["emergencyCallId"]
    steps = wait_for(lambda: stack.client.get(f"/api/manage/incidents/{call_id}/deliveries")[1].get("escalations"),
                     timeout=30)
    due = datetime.fromisoformat(steps[0]["dueAt"])
    # THEN his panel says who is told next, at the step's due time
    told = bob.locator("#acknowledged")
    expect(told).to_have_text(f"No one has acknowledged yet — escalating to the on-call team at {due:%-I:%M %p} UTC",
                              timeout=20_000)
    state = stack.client.get("/api/agents/bob/emergency-state")[1]
    assert state["escalation"]["name"] == "On call" and state["acknowledgements"] == [], state
    shot(bob, "backend")
    no_violations(bob)
    hang_up(bob)
    closed(bob)
