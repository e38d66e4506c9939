"""The agent's panel in every state, light and dark, on a desktop and on a 375 px phone: no wider than the screen, and
axe-core finds nothing (WCAG 2.1 A and AA, contrast included, and its best practices).

The states are the panel's answers to emergency-state (routed, so each one is exact): at rest (with a drill report
on its card), an emergency call and a 933 test call in progress, the responder's callback ringing, the callback
answered, and the callback window after the call with its countdown and acknowledgements. Screenshots go to
artifacts/screenshots/agent-panel-layout-*.png. Fictional 555-01xx numbers only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack
from tests.browser import pages
from tests.browser.pages import ACKED, ALICE, agents_signed_in, axe_violations, closed, expect, explain, routed_state

PHONE = 375
DESKTOP = 1280
REST = routed_state(emergency=False, emergencyCallId=None, controls=None, alert=None, hideConversationActions=[],
                    callbackNumber=None, callbackWindowOpen=False, callbackWindowEndsAt=None, emergencyPath=None,
                    responderCallback=None, acknowledgements=None, notified=None)
AFTER_CALL = dict(emergency=False, controls=None, alert=None, hideConversationActions=[], callbackNumberSource="pool",
                  emergencyPath="direct_routing")
DRILLS = {"due": [{"scheduleId": "s-1", "ends": "2026-12-31", "note": "quarterly"}],
          "drills": [{"drillId": "d-1", "agentId": "alice", "status": "failed", "startedAt": "2026-12-01T15:00:00Z",
                      "steps": [{"id": "dnd", "title": "Do Not Disturb applied", "status": "pass",
                                 "reason": "presence was DoNotDisturb", "ms": 1200},
                                {"id": "notice", "title": "Notification acknowledged", "status": "fail",
                                 "reason": "nobody acknowledged within 15 minutes", "ms": None},
                                {"id": "panel", "title": "Panel in test mode", "status": "pending",
                                 "reason": "waiting for the panel", "ms": None}],
                      "failed": [{"id": "notice", "title": "Notification acknowledged",
                                  "reason": "nobody acknowledged within 15 minutes"}]}]}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


def ringing(**changes: Any) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat()
    return routed_state(**AFTER_CALL, callback={"status": "ringing", "at": at, "direct": False, "id": "ring-1",
                                                "from": "+12025550177"}, **changes)


def fulfil(body: Callable[[], Any]) -> Callable[[Any], None]:
    return lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(body()))


LUMINANCE = """(selector) => {
  const linear = (c) => { const v = Number(c) / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const [r, g, b] = getComputedStyle(document.querySelector(selector)).backgroundColor.match(/[\\d.]+/g)
    .slice(0, 3).map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""


def in_scheme(page: Any, scheme: str) -> None:
    """The page and its cards are dark in the dark scheme, light in the light one (relative luminance)."""
    for selector in ("body", ".card"):
        luminance = page.evaluate(LUMINANCE, selector)
        assert (luminance < 0.05) if scheme == "dark" else (luminance > 0.8), (scheme, selector, luminance)


def check(page: Any, width: int, what: str) -> None:
    """No wider than the screen, nothing axe-core finds; a screenshot."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{what}: the page is {wide} px wide on a {width} px screen"
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{explain(violations)}"
    pages.shot(page, f"agent-panel-layout-{what}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_state_fits_the_screen_and_axe_finds_nothing(browser: Any, stack: LocalStack, scheme: str,
                                                           width: int) -> None:
    answer = {"state": REST}
    page = pages.new_page(browser, stack, ALICE, width, color_scheme=scheme, geolocation=pages.SPRINGFIELD,
                          permissions=["geolocation"])
    page.route("**/emergency-state", fulfil(lambda: answer["state"]))
    page.route("**/api/agent/agents/alice/drills", fulfil(lambda: DRILLS))
    page.goto("/api/agent/ui/")
    name = f"{scheme}-{width}"
    try:
        # at rest, a failed drill's report on its card
        expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
        expect(page.locator("#drill-steps")).to_contain_text("Fail: Notification acknowledged")
        expect(page.locator("#location-age")).not_to_be_empty()
        in_scheme(page, scheme)
        check(page, width, f"{name}-idle")
        # an emergency call in progress, nobody has acknowledged yet
        answer["state"] = routed_state(notified=2)
        expect(page.get_by_role("alert").filter(has_text="Emergency call in progress")).to_be_visible()
        expect(page.locator("#acknowledged")).to_have_attribute("data-kind", "notified")
        check(page, width, f"{name}-emergency")
        # the call has ended: the callback window, someone acknowledged
        answer["state"] = routed_state(**AFTER_CALL, notified=2, acknowledgements=ACKED[:1])
        expect(page.get_by_role("status").filter(has_text="may call you back until")).to_be_visible()
        expect(page.locator("#acknowledged")).to_have_attribute("data-kind", "acknowledged")
        check(page, width, f"{name}-countdown")
        # the responder's callback rings
        answer["state"] = ringing(notified=2, acknowledgements=ACKED[:1])
        expect(page.get_by_role("alert").filter(has_text="Emergency services are calling you back")).to_be_visible()
        check(page, width, f"{name}-ringing")
        # she answered it
        page.get_by_role("button", name="Answer callback").click()
        expect(page.get_by_role("alert").filter(has_text="Emergency callback in progress")).to_be_visible()
        check(page, width, f"{name}-callback")
        page.get_by_role("button", name="End call").click()
        # a 933 test call in progress (its own colour)
        answer["state"] = routed_state(test=True, callbackWindowEndsAt=(datetime.now(UTC) + timedelta(minutes=5))
                                       .isoformat())
        expect(page.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_visible()
        check(page, width, f"{name}-test")
    finally:
        closed(page)
