"""What the browser suites share: pages in contexts of their own, the admin's views, the agent's panel, screenshots
and axe-core. Importing it skips the importing suite when Chromium or Playwright is missing.

Fictional 555-01xx numbers and example.com addresses only.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.seed import seeded_stack
from local.stack import LocalStack, wait_for
from shared.agent_access import AGENT
from tests.browser.conftest import CHROMIUM

if not CHROMIUM.exists():  # `make test` installs it (apt-get install chromium); never downloaded by Playwright
    pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
# axe-core's browser script (npm axe-core); AXE_CORE names another copy of axe.min.js.
AXE = Path(os.environ.get("AXE_CORE", ROOT / "node_modules/axe-core/axe.min.js"))
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (landmarks, heading order, regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

AUDITOR = {"userId": "00000000-0000-0000-0000-0000000000a2", "userDetails": "auditor@example.com",
           "roles": ["EmergencyCalling.Auditor"]}
ALICE = {"userId": "00000000-0000-0000-0000-0000000a11ce", "userDetails": "alice@example.com", "roles": [AGENT]}
BOB = {"userId": "00000000-0000-0000-0000-000000000b0b", "userDetails": "bob@example.com", "roles": [AGENT]}
SPRINGFIELD = {"latitude": 39.78, "longitude": -89.65}


# ---- pages -------------------------------------------------------------------------------------------------------

def new_page(browser: Any, stack: LocalStack, principal: dict[str, Any] | None = None, width: int = 1366,
             **options: Any) -> Any:
    """A page `width` px wide in a browser context of its own (signed in as `principal`, else the stack's own
    principal; Playwright's context `options` besides), its script errors gathered in `page.errors`."""
    headers = {"X-Local-Principal": json.dumps(principal)} if principal else None
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=stack.client.base_url,
                                  extra_http_headers=headers, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def closed(page: Any) -> None:
    """Closes the page's context; no script error allowed."""
    errors = page.errors
    page.context.close()
    assert errors == [], errors


def fresh_page(browser: Any, stack: LocalStack, principal: dict[str, Any] | None = None, width: int = 1366,
               **options: Any) -> Iterator[Any]:
    """A new_page for the time of a test (or a `for` block), closed after it; no script error allowed."""
    page = new_page(browser, stack, principal, width, **options)
    yield page
    closed(page)


def open_page(page: Any, route: str, title: str) -> None:
    """The admin's view at `route`, once its heading says `title`."""
    page.goto(f"/api/manage/ui/#/{route}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def shot(page: Any, name: str) -> None:
    """A screenshot of the whole page: artifacts/screenshots/{name}.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# ---- axe-core ----------------------------------------------------------------------------------------------------

def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now: each rule's id, help and the targets of its nodes."""
    assert AXE.exists(), f"{AXE} is missing: `make test` installs axe-core from package.json (or set AXE_CORE)"
    # Evaluated through the DevTools protocol: the page's Content-Security-Policy refuses an injected script tag.
    page.evaluate(f"{AXE.read_text()}\n;undefined")
    script = ("async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
              ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return list(page.evaluate(script, AXE_TAGS))


def explain(violations: list[dict[str, Any]]) -> str:
    """One line per violation: its id, its help and where (the failure message of an axe test)."""
    return "\n".join(f"{v['id']}: {v['help']} at {v['nodes']}" for v in violations)


def no_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], explain(violations)


# ---- the agent's panel -------------------------------------------------------------------------------------------

@contextmanager
def agents_signed_in() -> Iterator[LocalStack]:
    """A seeded stack whose Alice and Bob profiles name their signed-in users (ALICE, BOB)."""
    with seeded_stack() as s:
        for agent, user in (("alice", ALICE), ("bob", BOB)):
            profile = s.client.get(f"/api/manage/agents/{agent}")[1]
            profile = {k: v for k, v in profile.items() if k not in ("agentId", "readiness")}
            assert s.client.put(f"/api/manage/agents/{agent}", {**profile, "signInId": user["userId"]})[0] == 200
        yield s


def open_panel(browser: Any, stack: LocalStack, user: dict[str, Any],
               routes: dict[str, Callable[[Any], None]] | None = None, **options: Any) -> Any:
    """The panel as `user`, in Springfield; `routes`: URL glob -> Playwright route handler, in place before the page
    loads; Playwright's context `options` besides. Close it with closed()."""
    page = new_page(browser, stack, user, 1280, geolocation=SPRINGFIELD, permissions=["geolocation"], **options)
    for pattern, handler in (routes or {}).items():
        page.route(pattern, handler)
    page.goto("/api/agent/ui/")
    return page


def dial(page: Any, number: str) -> dict[str, Any]:
    """Types `number` in the panel and presses Enter: the backend's answer to the dial."""
    page.get_by_label("Number to dial").fill(number)
    with page.expect_response("**/api/agent/outbound-calls") as dialed:
        page.get_by_label("Number to dial").press("Enter")
    return dict(dialed.value.json())


def hang_up(page: Any) -> None:
    """End call on an emergency dial the backend answered, and its answer to the hang-up awaited: a page closed at
    once cuts the request off, and the next test's panel would open in emergency mode."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/end")) as told:
        page.get_by_role("button", name="End call").click()
    assert told.value.ok, (told.value.status, told.value.text())


def no_call_left(stack: LocalStack, *agents: str) -> None:
    """No emergency call of `agents` still in progress on the backend (a test that leaves one makes the next test's
    panel open in emergency mode, with her normal controls hidden)."""
    for agent in agents:
        def state(agent: str = agent) -> dict[str, Any]:
            return dict(stack.client.get(f"/api/agents/{agent}/emergency-state")[1])
        if not wait_for(lambda: not state()["emergency"], timeout=10):
            left = state().get("emergencyCallId")
            stack.client.post(f"/api/outbound-calls/{left}/end", {"agentId": agent})  # not the next test's failure
            raise AssertionError(f"{agent}'s emergency call {left} is still in progress")


# Issue 20: her contacts' acknowledgements of the notification, from the emergency-state answer (routed: the real
# acknowledgement needs the token in the sent email).
ACKED = [{"by": "g***@example.com", "channel": "email", "at": "2025-03-01T12:00:42Z", "secondsAfterDial": 42},
         {"by": "+1 202 555 01**", "channel": "sms", "at": "2025-03-01T12:01:10Z", "secondsAfterDial": 70},
         {"by": "s***@example.com", "channel": "email", "at": "2025-03-01T12:02:05Z", "secondsAfterDial": 125}]


def routed_state(**changes: Any) -> dict[str, Any]:
    """An emergency-state answer of Alice's call in progress (the backend's shape), with `changes`."""
    return {"agentId": "alice", "emergency": True, "emergencyCallId": "ack-call", "test": False,
            "controls": ["deviceSettings", "endCall"],
            "alert": {"severity": "critical", "text": "Emergency call in progress"},
            "hideConversationActions": ["save", "refresh"], "callbackNumber": "+12025550104",
            "callbackWindowOpen": True, "callback": None,
            "callbackWindowEndsAt": (datetime.now(UTC) + timedelta(minutes=45)).isoformat(),
            "emergencyPath": "pool", "responderCallback": "+12025550104", "location": None,
            "acknowledgements": [], "notified": 0} | changes


def incoming_call(stack: LocalStack, to_number: str, caller: str = "+12025550177") -> dict[str, Any]:
    """ACS's IncomingCall of a responder (`caller`) calling `to_number`, for stack.publish_acs."""
    correlation = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
            "subject": "/caller/responder/recipient/callback", "eventTime": stack.client.now().isoformat(),
            "data": {"to": {"kind": "phoneNumber", "rawId": "4:" + to_number, "phoneNumber": {"value": to_number}},
                     "from": {"kind": "phoneNumber", "rawId": "4:" + caller, "phoneNumber": {"value": caller}},
                     "serverCallId": f"srv-{correlation}", "callerDisplayName": "PSAP",
                     "incomingCallContext": f"ctx-{correlation}", "correlationId": correlation}}
