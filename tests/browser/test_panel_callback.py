"""The agent's panel after an emergency call, in a real browser against the local stack: her callback number and the
window's end (her local time with its zone) stay on screen for the whole window, counted down on the server's clock;
the responder's callback the backend routed to her says who is calling and is answered with one press; the whole
flow works from the keyboard alone. Fictional 555-01xx numbers only; the ACS stand-in takes every call.

One stack for the module (the last test moves its clock on); Alice and Bob sign in as agents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from tests.browser import pages
from tests.browser.pages import (
    ALICE,
    BOB,
    agents_signed_in,
    closed,
    dial,
    expect,
    hang_up,
    incoming_call,
    open_panel,
    routed_state,
)

CALLER = "+12025550177"
RINGING = "Emergency services are calling you back"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


def shot(page: Any, name: str) -> None:
    pages.shot(page, f"agent-panel-{name}")


def panel_of(browser: Any, stack: LocalStack, user: dict[str, Any], **options: Any) -> Any:
    """Her panel once it knows who she is (a dial before that reaches the backend without her agent id)."""
    page = open_panel(browser, stack, user, **options)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Agent panel: \w+ Example$"))
    return page


def window_state(stack: LocalStack, agent: str) -> dict[str, Any]:
    """Her emergency-state once the call has ended (the backend has the end) and its window runs."""
    def ended() -> dict[str, Any] | None:
        state: dict[str, Any] = stack.client.get(f"/api/agents/{agent}/emergency-state")[1]
        return state if state["emergency"] is False and state["callbackWindowOpen"] else None
    state = wait_for(ended)
    assert state, "no callback window after the call"
    return state


def digit_words(number: str) -> str:
    """"+12025550104" -> "two zero two, five five five, zero one zero four" (as the panel says it)."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    national = number.removeprefix("+1")
    groups = [national[:3], national[3:6], national[6:]]
    return ", ".join(" ".join(words[int(d)] for d in g) for g in groups)


def test_after_end_call_her_callback_number_stays_with_the_window_s_end_and_its_zone(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN her panel in New York's time zone and a 933 test call
    page = panel_of(browser, stack, ALICE, timezone_id="America/New_York")
    assert dial(page, "933")["callbackNumber"], "no callback number leased"
    # WHEN she ends the call
    with page.expect_response("**/api/agent/outbound-calls/*/end"):
        page.get_by_role("button", name="End call").click()
    # THEN her callback number stays on screen, in figures and digit by digit
    state = window_state(stack, "alice")
    window = page.locator("#window")
    expect(window).to_contain_text(f"Your callback number: {state['callbackNumber']}")
    expect(window).to_contain_text("Say it digit by digit: " + digit_words(state["callbackNumber"]))
    # and the window's end is her local time with its zone abbreviation (EST or EDT), then the minutes left
    countdown = page.get_by_role("status").filter(has_text="Emergency services may call you back until")
    expect(countdown).to_have_text(re.compile(r"until \d{1,2}:\d{2} [AP]M E[SD]T; the call will ring through "
                                              r"whatever your status\.\s*\d+ minutes? left\."))
    expected = page.evaluate("async (at) => (await import('/api/agent/ui/common/time.js')).formatTime(at, "
                             "{locale: 'en-US'})", state["callbackWindowEndsAt"])
    expect(countdown).to_contain_text(f"until {expected};")
    shot(page, "countdown")
    closed(page)


def test_keyboard_alone_dials_933_ends_the_call_and_answers_the_callback(browser: Any, stack: LocalStack) -> None:
    page = panel_of(browser, stack, BOB)
    keyboard = page.keyboard
    # GIVEN the panel as it opens: the number field has the focus
    expect(page.get_by_label("Number to dial")).to_be_focused()
    # WHEN she types 933 and presses Enter THEN the test call is in progress and End call has the focus
    keyboard.type("933")
    keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_visible()
    end_call = page.get_by_role("button", name="End call")
    expect(end_call).to_be_focused()
    expect(page.locator("#call-status")).to_have_text("On the line with the test number (933)")
    # and Shift+Tab, Enter open the device settings; Tab comes back to End call
    keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Device settings")).to_be_focused()
    keyboard.press("Enter")
    expect(page.get_by_role("button", name="Device settings")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Microphone")).to_be_visible()
    keyboard.press("Tab")
    expect(end_call).to_be_focused()
    # WHEN she presses Enter on End call THEN the window shows and the number field has the focus again
    with page.expect_response("**/api/agent/outbound-calls/*/end"):
        keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Emergency services may call you back until")).to_be_visible()
    expect(page.get_by_label("Number to dial")).to_be_focused()
    # WHEN the responder calls back THEN Answer callback has the focus, and Enter answers
    number = window_state(stack, "bob")["callbackNumber"]
    assert stack.publish_acs([incoming_call(stack, number)]) == 200
    expect(page.get_by_role("button", name="Answer callback")).to_be_focused()
    keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Emergency callback in progress")).to_be_visible()
    expect(end_call).to_be_focused()
    # WHEN she presses Escape THEN the callback ends
    keyboard.press("Escape")
    expect(page.get_by_role("alert").filter(has_text="Emergency callback in progress")).to_be_hidden()
    expect(page.get_by_role("alert").filter(has_text=RINGING)).to_be_hidden()
    expect(page.get_by_label("Number to dial")).to_be_focused()
    assert page.evaluate("globalThis.agentPanel.calling.live.size") == 0
    closed(page)


def test_she_answers_the_responder_s_callback_the_backend_routed_to_her(browser: Any, stack: LocalStack) -> None:
    # GIVEN her callback window after a 933 test call
    page = panel_of(browser, stack, ALICE)
    answer = dial(page, "933")
    number = answer.get("callbackNumber")
    assert number, answer
    hang_up(page)
    expect(page.locator("#window")).to_be_visible()
    # WHEN the responder calls her callback number (ACS's IncomingCall; the backend redirects it to her)
    assert stack.publish_acs([incoming_call(stack, number)]) == 200
    # THEN the banner says who is calling, and Answer callback has the focus
    ringing = page.get_by_role("alert").filter(has_text=RINGING)
    expect(ringing).to_contain_text(f"Calling from {CALLER}.")
    expect(page.get_by_role("button", name="Answer callback")).to_be_focused()
    shot(page, "callback-ringing")
    # WHEN she answers THEN she is on the line with the responder, in emergency mode, and the banner is gone
    page.get_by_role("button", name="Answer callback").click()
    expect(page.get_by_role("alert").filter(has_text="Emergency callback in progress")).to_be_visible()
    expect(page.locator("#call-status")).to_have_text("On the line with emergency services (callback)")
    expect(ringing).to_be_hidden()
    assert page.evaluate("[...globalThis.agentPanel.calling.live.values()].map(c => [c.from, c.state])") == [
        [CALLER, "Connected"]]
    # and it does not come back while the backend still says it rings (30 s after it came)
    for _ in range(2):
        with page.expect_response("**/emergency-state"):
            pass
    assert stack.client.get("/api/agents/alice/emergency-state")[1]["callback"]["status"] == "ringing"
    expect(ringing).to_be_hidden()
    shot(page, "callback-answered")
    # WHEN she hangs up THEN her window is shown again, with her number
    page.get_by_role("button", name="End call").click()
    expect(page.locator("#window")).to_contain_text(f"Your callback number: {number}")
    expect(ringing).to_be_hidden()
    assert page.evaluate("globalThis.agentPanel.calling.live.size") == 0
    closed(page)


# A calling adapter as acs.js is: the backend's word does not ring it; only the call agent's incomingCall does.
ACS_LIKE = """globalThis.agentPanelCalling = (() => {
  const handlers = new Set();
  const live = new Map();
  return {
    kind: "acs-like", live,
    async placeCall() { const id = crypto.randomUUID(); return { id, ids: Promise.resolve({}) }; },
    async endCall(id) { live.delete(id); },
    onIncomingCall(handler) { handlers.add(handler); return () => handlers.delete(handler); },
    ring(from) {
      const call = { id: "sdk-call", from, accept: async () => { live.set(call.id, call); return call; } };
      handlers.forEach((handler) => handler(call));
    },
  };
})();"""


def test_a_callback_that_has_not_reached_the_browser_is_said_so_and_answered_once_it_rings(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN the backend says a callback it routed to her rings, and her calling adapter has not rung yet
    at = stack.client.now().isoformat()
    state = routed_state(emergency=False, controls=None, alert=None, hideConversationActions=[],
                         callback={"status": "ringing", "at": at, "direct": False, "id": "ring-9", "from": CALLER})
    page = pages.new_page(browser, stack, ALICE, 1280)
    page.add_init_script(ACS_LIKE)
    page.route("**/emergency-state", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                  body=json.dumps(state)))
    page.goto("/api/agent/ui/")
    ringing = page.get_by_role("alert").filter(has_text=RINGING)
    expect(ringing).to_contain_text(f"Calling from {CALLER}.")
    # WHEN she answers THEN, after waiting a moment for the call, the banner says it has not reached the panel
    page.get_by_role("button", name="Answer callback").click()
    expect(page.locator("#ringing-status")).to_have_text(
        "The callback has not reached this panel: answer it on your phone or headset, or try again.", timeout=10_000)
    expect(ringing).to_be_visible()
    # WHEN the call reaches the browser and she answers again THEN she is on the line, and the ring is not shown again
    page.evaluate(f"globalThis.agentPanelCalling.ring('{CALLER}')")
    page.get_by_role("button", name="Answer callback").click()
    expect(page.get_by_role("alert").filter(has_text="Emergency callback in progress")).to_be_visible()
    assert page.evaluate("[...globalThis.agentPanelCalling.live.keys()]") == ["sdk-call"]
    for _ in range(2):
        with page.expect_response("**/emergency-state"):
            pass
    expect(ringing).to_be_hidden()
    closed(page)


def test_end_call_before_the_backend_answers_places_no_call_and_the_backend_is_told(
        browser: Any, stack: LocalStack) -> None:
    stack.client.advance(40)  # the earlier tests' callbacks have stopped ringing
    page = panel_of(browser, stack, BOB)
    held: list[Any] = []
    page.route("**/api/agent/outbound-calls", lambda route: held.append(route))  # the dial's answer is slow
    # GIVEN a 933 dialed WHEN she presses Escape before the backend has answered
    page.get_by_label("Number to dial").fill("933")
    page.get_by_label("Number to dial").press("Enter")
    with page.expect_request("**/api/agent/outbound-calls/*/end") as ending:
        page.keyboard.press("Escape")
    # THEN no call is placed, and the backend is told the call it records ended
    expect(page.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_hidden()
    assert len(held) == 1
    call_id = held[0].request.post_data_json["emergencyCallId"]
    assert ending.value.url.endswith(f"/outbound-calls/{call_id}/end")
    held[0].continue_()
    assert page.evaluate("globalThis.agentPanel.calling.placed.length") == 0
    assert wait_for(lambda: stack.client.get(f"/api/manage/incidents/{call_id}")[1].get("endedAt")), "not ended"
    assert wait_for(lambda: stack.client.get("/api/agents/bob/emergency-state")[1]["emergency"] is False)
    closed(page)


def test_the_countdown_runs_on_the_server_s_clock_not_the_screen_s(browser: Any, stack: LocalStack) -> None:
    """Last in the module: it moves the stack's clock on."""
    stack.client.advance(40)  # the earlier test's callback has stopped ringing
    # GIVEN her 911 call ended: a window of 60 minutes
    page = panel_of(browser, stack, ALICE)
    assert dial(page, "911")["emergencyCallId"]
    with page.expect_response("**/api/agent/outbound-calls/*/end"):  # the window runs from the end on
        page.get_by_role("button", name="End call").click()
    left = page.locator("#window-left")
    expect(left).to_have_text(re.compile(r"^(59|60) minutes left\.$"))
    # WHEN the server's clock is 20 minutes ahead of the screen's
    stack.client.advance(20 * 60)
    # THEN the minutes left are the server's
    expect(left).to_have_text(re.compile(r"^(39|40) minutes left\.$"))
    # and the server says its now with each emergency-state answer (RFC 3339)
    with page.expect_response("**/emergency-state") as answered:
        pass
    said = answered.value.headers["x-server-now"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", said), said
    assert abs(datetime.fromisoformat(said) - stack.client.now()) < timedelta(seconds=10)
    closed(page)
