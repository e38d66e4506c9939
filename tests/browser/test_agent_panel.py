"""The agent panel in a real browser (Playwright driving Debian's Chromium, headless), as Alice, signed in.

One seeded local stack for the module; Alice and Bob sign in as agents (their profiles name their users). The
responder's callback arrives as ACS's IncomingCall through the system topic and its webhook, as in Azure.
Screenshots go to artifacts/screenshots/agent-panel-*.png. Fictional 555-01xx numbers only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack, wait_for
from shared.agent_access import AGENT
from tests.browser import pages
from tests.browser.pages import (
    ACKED,
    ALICE,
    BOB,
    agents_signed_in,
    axe_violations,
    closed,
    dial,
    expect,
    hang_up,
    no_call_left,
    no_violations,
    open_panel,
    routed_state,
)

MALLORY = {"userId": "00000000-0000-0000-0000-0000000ba11e", "userDetails": "mallory@example.com", "roles": [AGENT]}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with agents_signed_in() as s:
        yield s


@pytest.fixture
def alice(browser: Any, stack: LocalStack) -> Iterator[Any]:
    page = open_panel(browser, stack, ALICE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")
    yield page
    closed(page)


@pytest.fixture(autouse=True)
def no_call_left_behind(stack: LocalStack) -> Iterator[None]:
    """Each test ends the emergency calls it dialed: the next one finds Alice and Bob out of emergency mode."""
    yield
    no_call_left(stack, "alice", "bob")


def settled(page: Any) -> None:
    """Once the panel has handled its first emergency-state answer: a callback still ringing from an earlier test
    takes the focus then (as it should), so a test of where the focus goes waits for it."""
    for _ in range(2):  # the second poll starts only after the first answer was handled
        with page.expect_response("**/emergency-state"):
            pass


def shot(page: Any, name: str) -> None:
    pages.shot(page, f"agent-panel-{name}")


def presence(stack: LocalStack, agent: str) -> str:
    return str(stack.client.get(f"/api/agents/{agent}/presence")[1]["status"])


def test_during_an_emergency_call_only_device_settings_and_end_call_are_on_screen(
        alice: Any, stack: LocalStack) -> None:
    assert stack.client.put("/api/agents/alice/presence", {"status": "Available"})[0] == 200
    alice.get_by_label("Number to dial").fill("911")
    started = time.monotonic()
    alice.get_by_label("Number to dial").press("Enter")
    alert = alice.get_by_role("alert").filter(has_text="Emergency call in progress")
    expect(alert).to_be_visible(timeout=1000)
    print(f"AGENT PANEL emergency mode shown {1000 * (time.monotonic() - started):.0f} ms after the dial")
    panel = alice.get_by_role("group", name="Call controls")
    expect(panel.get_by_role("button", name="Device settings")).to_be_visible()
    expect(panel.get_by_role("button", name="End call")).to_be_visible()
    for hidden in ("Save", "Refresh", "Call", "Set presence"):
        expect(alice.get_by_role("button", name=hidden, exact=True)).to_be_hidden()
    expect(alice.get_by_label("Number to dial")).to_be_hidden()
    # the presence selector is not there to be tried (the server would refuse it): presence is only shown
    expect(alice.get_by_label("Change to")).to_be_hidden()
    leased = wait_for(lambda: stack.client.get("/api/agents/alice/emergency-state")[1]["callbackNumber"])
    assert leased, "no callback number leased"
    # Alice is on direct offer (the local stack leases a read-out number too): the line says what the responder
    # sees, the emergency service's temporary number, and names the number she can give.
    expect(alice.locator("#emergency-callback")).to_contain_text("temporary number assigned by the emergency service")
    expect(alice.locator("#emergency-callback")).to_contain_text(f"you can also give the responder {leased}")
    assert wait_for(lambda: presence(stack, "alice") == "DoNotDisturb"), "no DND"
    expect(alice.locator("#presence-now")).to_have_text("Do not disturb")
    shot(alice, "emergency")

    hang_up(alice)
    expect(alert).to_be_hidden()
    # after the call her presence can be changed again
    expect(alice.get_by_label("Change to")).to_be_visible()
    expect(alice.get_by_role("button", name="Set presence")).to_be_visible()


def test_a_normal_call_goes_to_her_history(alice: Any, stack: LocalStack) -> None:
    alice.get_by_label("Number to dial").fill("+1 202 555 0150")
    alice.get_by_role("button", name="Call", exact=True).click()
    expect(alice.locator("#call-status")).to_have_text("On a call with +1 202 555 0150")
    expect(alice.get_by_role("alert").filter(has_text="Emergency call in progress")).to_be_hidden()
    alice.get_by_role("button", name="End call").click()
    expect(alice.locator("#history tr", has_text="+1 202 555 0150").first).to_be_visible()
    expect(alice.locator("#history")).not_to_contain_text("911")
    shot(alice, "history")


def test_she_confirms_her_location_and_sees_the_server_s_message_beside_the_field(alice: Any) -> None:
    settled(alice)
    alice.get_by_role("button", name="Use this browser's location").click()
    expect(alice.locator("#locate-status")).to_contain_text("Location found in United States")
    expect(alice.get_by_label("Country")).to_have_value("US")
    alice.get_by_label("Street address").fill("")
    alice.get_by_role("button", name="Confirm location").click()
    expect(alice.locator("#loc-address-error")).to_have_text("is required")
    expect(alice.get_by_label("Street address")).to_be_focused()
    alice.get_by_label("Street address").fill("1 Example Plaza")
    # validated as a site's address is: what is missing is said beside its own field, in plain words
    alice.get_by_label("State or province").fill("")
    alice.get_by_role("button", name="Confirm location").click()
    expect(alice.locator("#loc-state-error")).to_have_text("is required in the United States")
    expect(alice.get_by_label("State or province")).to_be_focused()
    alice.get_by_label("State or province").fill("Illinois")
    alice.get_by_label("Floor").fill("3")
    alice.get_by_label("Room").fill("301")
    alice.get_by_role("button", name="Confirm location").click()
    expect(alice.locator("#location-status")).to_contain_text("Location confirmed at ")
    expect(alice.locator("#location-status")).to_contain_text("1 Example Plaza, floor 3, room 301.")
    expect(alice.locator("#location-status")).to_be_focused()
    shot(alice, "location")


def test_one_agent_cannot_see_another_s_panel(browser: Any, stack: LocalStack, alice: Any) -> None:
    status = alice.evaluate("fetch('/api/agents/bob/emergency-state').then(r => r.status)")
    assert status == 403
    bob = open_panel(browser, stack, BOB)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    bob.context.close()
    mallory = open_panel(browser, stack, MALLORY)  # an agent whose sign-in no profile names
    expect(mallory.get_by_role("heading", level=1)).to_have_text("Not allowed")
    shot(mallory, "not-allowed")
    mallory.context.close()


def test_she_can_dial_911_when_the_panel_cannot_tell_who_she_is(browser: Any, stack: LocalStack) -> None:
    """Storage slow or down when the page loads: /api/agent/me fails, and the dialer works all the same."""
    context = browser.new_context(base_url=stack.client.base_url,
                                  extra_http_headers={"X-Local-Principal": json.dumps(ALICE)})
    page = context.new_page()
    page.route("**/api/agent/me", lambda route: route.fulfill(status=503, body='{"error": "storage is down"}',
                                                               content_type="application/json"))
    page.goto("/api/agent/ui/")
    expect(page.get_by_role("status").filter(has_text="You can still dial")).to_be_visible()
    page.get_by_label("Number to dial").fill("911")
    page.get_by_label("Number to dial").press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Emergency call in progress")).to_be_visible(timeout=1000)
    assert wait_for(lambda: page.evaluate("globalThis.agentPanel.calling.placed.length") == 1)
    assert page.evaluate("globalThis.agentPanel.calling.placed[0].number") == "911"
    # ... and the backend took the call as hers although the panel could not name her (its dial names no agent)
    answer = page.evaluate("globalThis.agentPanel.lastDial()")
    assert answer is not None
    state = wait_for(lambda: (lambda s: s if s.get("emergency") else None)(
        stack.client.get("/api/agents/alice/emergency-state")[1]), timeout=10)
    assert state is not None, stack.client.get("/api/agents/alice/emergency-state")[1]
    incident = stack.client.get(f"/api/manage/incidents/{state['emergencyCallId']}")[1]
    assert (incident["agentId"], incident["dialedNumber"]) == ("alice", "911"), incident
    page.get_by_role("button", name="End call").click()  # her hang-up ends it: the next tests find her as before
    assert wait_for(lambda: presence(stack, "alice") != "DoNotDisturb", timeout=10)
    context.close()


def held_numbers(stack: LocalStack, agent: str) -> dict[str, dict[str, Any]]:
    """Number -> lease of every number the pool view shows held for `agent`."""
    numbers = stack.client.get("/api/manage/callback-numbers")[1]["numbers"]
    return {n["number"]: n["lease"] for n in numbers if n["lease"] and n["lease"]["agentId"] == agent}


def dial_and_time(page: Any, number: str) -> dict[str, Any]:
    """Press Enter and answer the panel's own account of the dial (how long it waited for the answer)."""
    before = page.evaluate("globalThis.agentPanel.lastDial()?.startedAt ?? null")
    page.get_by_label("Number to dial").press("Enter")
    expect(page.get_by_role("alert").filter(has_text="in progress")).to_be_visible(timeout=1000)
    assert wait_for(lambda: page.evaluate("globalThis.agentPanel.lastDial()?.startedAt ?? null") != before)
    assert page.evaluate("globalThis.agentPanel.lastDial().number") == number
    last: dict[str, Any] = page.evaluate("globalThis.agentPanel.lastDial()")
    return last


def test_a_typed_933_holds_its_number_before_call_and_the_dial_claims_it(alice: Any, stack: LocalStack) -> None:
    """Enter → answer with the hint and then without it (one dial each: bench.budget has the figures). The hinted
    dial comes first: her second 933 keeps the first one's number, which no hold is needed for."""
    before = held_numbers(stack, "alice")
    with alice.expect_response("**/pre-dial") as hinted:
        alice.get_by_label("Number to dial").fill("933")
    assert hinted.value.json() == {"preDial": True, "emergencyCallId": hinted.value.json()["emergencyCallId"],
                                   "heldUntil": hinted.value.json()["heldUntil"]}
    call_id = hinted.value.json()["emergencyCallId"]
    holds = {n: lease for n, lease in held_numbers(stack, "alice").items() if n not in before}
    [(number, lease)] = holds.items()
    assert lease["emergencyCallId"] == call_id and lease["preDialUntil"], lease
    assert stack.client.get(f"/api/manage/incidents/{call_id}")[0] == 404  # a hold is no call
    assert presence(stack, "alice") != "DoNotDisturb"

    with alice.expect_response("**/api/agent/outbound-calls") as dialed:
        timed = dial_and_time(alice, "933")
    answer = dialed.value.json()
    assert timed["preDialed"] is True and answer["emergencyCallId"] == call_id, (timed, answer)
    assert answer["callbackNumber"] == number and answer["warnings"] == []
    assert held_numbers(stack, "alice")[number]["preDialUntil"] is None  # claimed
    hang_up(alice)

    alice.route("**/pre-dial", lambda route: route.abort())
    alice.get_by_label("Number to dial").fill("933")
    without = dial_and_time(alice, "933")
    assert without["preDialed"] is False, without
    hang_up(alice)
    print(f"AGENT PANEL Enter -> the dial's answer: {timed['answerMs']:.0f} ms with a pre-dial hold "
          f"({timed['source']}), {without['answerMs']:.0f} ms without one ({without['source']}); one dial each")


def test_in_emergency_mode_she_reads_her_confirmed_site_and_her_callback_number_in_words(
        browser: Any, stack: LocalStack) -> None:
    """Issue 19, part 3: the operator asks where she is and the number to call back; the panel says both."""
    site = {"name": "Springfield", "address": {"country": "US", "A1": "IL", "A3": "Springfield",
                                              "RD": "Example Plaza", "HNO": "1", "PC": "62701"}}
    assert stack.client.put("/api/manage/sites/springfield", site)[0] == 200
    status, answer = stack.client.as_user(BOB).put("/api/agent/agents/bob/location", {
        "countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301", "siteId": "springfield"})
    assert status == 200, answer
    bob = open_panel(browser, stack, BOB)  # the panel sends the location it was given with the dial
    expect(bob.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    answer = dial(bob, "933")
    alert = bob.get_by_role("alert").filter(has_text="Test call (933) in progress")
    expect(alert).to_contain_text("Tell the operator: 1 Example Plaza, Springfield IL 62701, floor 3, room 301")
    number = answer["callbackNumber"]
    assert number, answer
    digits = [int(d) for d in number.removeprefix("+1")]
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    expect(alert).to_contain_text(" ".join(words[d] for d in digits[:3]) + ", ")
    expect(alert).to_contain_text(" ".join(words[d] for d in digits[6:]) + ".")
    shot(bob, "emergency-read-out")
    hang_up(bob)
    bob.context.close()


# Issue 19, part 2: the network she connects from suggests her site; she confirms it, or types where she is.
PLAZA_ID = "panel-plaza"  # not "springfield": the read-out test above has that one
PLAZA = {"name": "Example Plaza contact center",
         "address": {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1",
                     "PC": "62701"},
         "places": [{"floor": "3", "room": "301"}]}
NOT_A_SITE = "Your network is not one of the contact center's sites: enter where you are."


def map_plaza(stack: LocalStack, networks: list[str]) -> None:
    assert stack.client.put(f"/api/manage/sites/{PLAZA_ID}", PLAZA)[0] == 200
    status, answer = stack.client.put(f"/api/manage/sites/{PLAZA_ID}/networks", {"networks": networks})
    assert status == 200, answer


@pytest.fixture
def at_the_plaza(stack: LocalStack) -> Iterator[str]:
    """The local host's network (it appends the peer, 127.0.0.1, to X-Forwarded-For) is the plaza's; unmapped after,
    so later tests see no site (the site stays: her confirmation names it)."""
    map_plaza(stack, ["127.0.0.1/32"])
    yield PLAZA_ID
    map_plaza(stack, [])


def test_at_a_site_she_confirms_it_with_one_click_and_a_933_reads_it_out(
        at_the_plaza: str, alice: Any, stack: LocalStack) -> None:
    settled(alice)
    suggestion = alice.locator("#site-suggestion")
    expect(suggestion).to_contain_text(
        "You seem to be at Example Plaza contact center: 1 Example Plaza, Springfield IL 62701")
    expect(suggestion.get_by_label("Place")).to_have_value("0")  # the site's one place, proposed
    expect(suggestion.get_by_label("Floor")).to_have_value("3")
    expect(suggestion.get_by_label("Room")).to_have_value("301")
    expect(alice.get_by_role("button", name="Confirm location")).to_be_hidden()  # the manual form, behind a button

    alice.get_by_role("button", name="Confirm: I am here").click()
    confirmed = alice.get_by_role("status").filter(has_text="Location confirmed at ")
    expect(confirmed).to_contain_text("Example Plaza contact center, floor 3, room 301.")
    expect(confirmed).to_be_focused()
    expect(alice.locator("#location-age")).to_contain_text("Your location was confirmed just now")
    saved = stack.client.get("/api/manage/agents/alice")[1]["lastLocation"]
    assert {k: saved.get(k) for k in ("siteId", "floor", "room", "address", "countryCode", "city", "postalCode")} == {
        "siteId": at_the_plaza, "floor": "3", "room": "301", "address": "1 Example Plaza", "countryCode": "US",
        "city": "Springfield", "postalCode": "62701"}, saved
    shot(alice, "location-site")

    alice.get_by_label("Number to dial").fill("933")
    with alice.expect_request("**/api/agent/outbound-calls") as dialed:
        alice.get_by_label("Number to dial").press("Enter")
    sent = dialed.value.post_data_json["location"]
    assert sent["siteId"] == at_the_plaza and sent["reportedAt"] == saved["reportedAt"], sent  # the new one
    alert = alice.get_by_role("alert").filter(has_text="Test call (933) in progress")
    expect(alert).to_contain_text("Tell the operator: 1 Example Plaza, Springfield IL 62701, floor 3, room 301")
    expect(alert).not_to_contain_text("not confirmed recently")
    hang_up(alice)
    expect(alert).to_be_hidden()


def test_she_chooses_her_place_when_the_site_has_several(browser: Any, stack: LocalStack) -> None:
    """No confirmation at this site and two places: nothing is proposed, and confirming without one says why."""
    site = {"siteId": "north", "name": "North building", "readout": "5 Example Road, Springfield IL 62701",
            "address": {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example", "STS": "Road", "HNO": "5",
                        "PC": "62701"},
            "places": [{"floor": "1", "room": "101"}, {"floor": "2", "wing": "East"}], "networks": ["10.1.0.0/16"]}
    answer = {"agentId": "alice", "source": "network", "network": {"cidr": "10.1.0.0/16", "site": site},
              "lastConfirmed": None}
    page = open_panel(browser, stack, ALICE, routes={"**/location-suggestion": lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer))})
    settled(page)
    box = page.locator("#site-suggestion")
    expect(box).to_contain_text("You seem to be at North building: 5 Example Road, Springfield IL 62701")
    expect(box.get_by_label("Place")).to_have_value("")
    page.get_by_role("button", name="Confirm: I am here").click()
    expect(page.locator("#site-place-error")).to_have_text(
        "Choose where you are in North building, or type your floor and room.")
    expect(box.get_by_label("Place")).to_be_focused()
    box.get_by_label("Place").select_option(label="Floor 2, East wing")
    expect(box.get_by_label("Floor")).to_have_value("2")
    expect(box.get_by_label("Room")).to_have_value("East wing")
    box.get_by_label("Room").fill("214")
    expect(box.get_by_label("Place")).to_have_value("other")
    page.get_by_role("button", name="I am not at North building").click()
    expect(page.get_by_role("button", name="I am not at North building")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Street address")).to_be_focused()
    expect(page.locator("#manual-note")).to_have_text("Not at North building? Enter where you are.")
    closed(page)


def test_on_a_network_of_no_site_she_types_where_she_is(browser: Any, stack: LocalStack) -> None:
    map_plaza(stack, ["10.9.0.0/16"])  # a site with a network, not hers
    try:
        page = open_panel(browser, stack, ALICE)
        expect(page.locator("#manual-note")).to_have_text(NOT_A_SITE)
        expect(page.get_by_role("button", name="Confirm location")).to_be_visible()
        expect(page.get_by_label("Street address")).to_be_visible()
        expect(page.locator("#site-suggestion")).to_be_hidden()
        expect(page.get_by_role("button", name="Confirm: I am here")).to_have_count(0)
        expect(page.locator("#location-age")).to_contain_text("Your location was ")
        shot(page, "location-no-site")
        closed(page)
    finally:
        map_plaza(stack, [])


def test_she_dials_while_her_site_is_looked_up_and_a_failed_lookup_shows_the_manual_form(
        browser: Any, stack: LocalStack) -> None:
    """The suggestion never answers (the panel's 3 s limit ends it): the dialer works meanwhile."""
    held: list[Any] = []
    page = open_panel(browser, stack, ALICE, routes={"**/location-suggestion": lambda route: held.append(route)})
    expect(page.locator("#location-checking")).to_be_visible()
    page.get_by_label("Number to dial").fill("933")
    page.get_by_label("Number to dial").press("Enter")
    # within the panel's 3 s limit on the lookup, which never answers: the dial did not wait for it (2.5 s leaves a
    # loaded machine room; the dial itself is measured in bench/, not here)
    expect(page.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_visible(timeout=2500)
    assert wait_for(lambda: page.evaluate("globalThis.agentPanel.calling.placed.length") == 1)
    hang_up(page)
    expect(page.locator("#manual-note")).to_have_text(
        "Your network could not be checked just now: enter where you are.")
    expect(page.get_by_role("button", name="Confirm location")).to_be_visible()
    assert held, "the suggestion was not asked for"
    closed(page)


def test_the_card_s_words_for_her_confirmation_and_a_site_s_street(alice: Any) -> None:
    words = alice.evaluate("""async () => {
        const m = await import('/api/agent/ui/js/location-words.js');
        const now = Date.parse('2025-03-01T12:00:00Z');
        const ages = [null, 'garbage', '2025-03-01T12:00:30Z', '2025-03-01T11:59:30Z', '2025-03-01T11:55:00Z',
                      '2025-03-01T09:40:00Z', '2025-03-01T00:00:01Z', '2025-03-01T00:00:00Z']
            .map((at) => m.confirmationAge(at, now));
        const streets = [{country: 'US', HNO: '1', RD: 'Example Plaza'},
                         {country: 'US', HNO: '12', HNS: 'A', RD: 'Example', STS: 'Street'},
                         {country: 'DK', HNO: '12', RD: 'Eksempelvej'}].map(m.streetLine);
        const places = [{floor: '3', room: '301'}, {floor: '3', wing: 'North'}, {room: 'Lab'}].map(m.placeLabel);
        return {ages, streets, places};
    }""")
    assert words["ages"] == ["never confirmed", "never confirmed", "confirmed just now", "confirmed just now",
                             "confirmed 5 min ago", "confirmed 2 h ago", "confirmed 11 h ago",
                             "not confirmed in the last 12 hours"]
    assert words["streets"] == ["1 Example Plaza", "12A Example Street", "Eksempelvej 12"]
    assert words["places"] == ["Floor 3, room 301", "Floor 3, North wing", "Room Lab"]


def test_axe_finds_no_violations_on_the_panel_at_rest_and_in_emergency_mode(browser: Any, stack: LocalStack) -> None:
    bob = open_panel(browser, stack, BOB)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    assert axe_violations(bob) == []
    bob.get_by_label("Number to dial").fill("933")
    bob.get_by_label("Number to dial").press("Enter")
    expect(bob.get_by_role("alert").filter(has_text="Test call (933) in progress")).to_be_visible()
    assert axe_violations(bob) == []
    hang_up(bob)
    bob.context.close()


# Issue 20: her contacts' acknowledgements of the notification, from the emergency-state answer (routed_state).
def test_she_is_told_who_acknowledged_her_call_during_it_and_in_her_callback_window(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN the panel during an emergency call whose notification went to three contacts, none acknowledged yet
    answer = {"state": routed_state(notified=3)}
    page = open_panel(browser, stack, ALICE, routes={"**/emergency-state": lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer["state"]))})
    expect(page.get_by_role("alert").filter(has_text="Emergency call in progress")).to_be_visible()
    told = page.locator("#acknowledged")
    expect(told).to_have_attribute("role", "status")
    expect(told).to_have_attribute("aria-live", "polite")
    expect(told).to_have_text("Your contacts have been notified; no one has acknowledged yet.")

    # WHEN one acknowledges, THEN she reads who and how long after her dial
    answer["state"] = routed_state(notified=3, acknowledgements=ACKED[:1])
    expect(told).to_have_text("g***@example.com acknowledged 0:42 after your call — help is on the way")
    # and the others who did after the first are counted, the first named
    answer["state"] = routed_state(notified=3, acknowledgements=ACKED)
    expect(told).to_have_text("g***@example.com acknowledged 0:42 after your call, and 2 others since — "
                              "help is on the way")
    expect(page.get_by_role("status").filter(has_text="help is on the way")).to_be_visible()
    # emergency mode still offers only device settings and End call
    controls = page.get_by_role("group", name="Call controls")
    expect(controls.get_by_role("button", name="Device settings")).to_be_visible()
    expect(controls.get_by_role("button", name="End call")).to_be_visible()
    for hidden in ("Save", "Refresh", "Call"):
        expect(page.get_by_role("button", name=hidden, exact=True)).to_be_hidden()
    shot(page, "acknowledged")
    no_violations(page)

    # WHEN the call has ended and her callback window runs, THEN she is still told
    answer["state"] = routed_state(emergency=False, controls=None, alert=None, hideConversationActions=[],
                                   notified=3, acknowledgements=ACKED[:2])
    expect(page.get_by_role("status").filter(has_text="Emergency services may call you back until")).to_be_visible()
    expect(told).to_have_text("g***@example.com acknowledged 0:42 after your call, and 1 other since — "
                              "help is on the way")
    shot(page, "acknowledged-window")
    no_violations(page)

    # WHEN nobody was notified (no recipient accepted) THEN nothing is said
    answer["state"] = routed_state(emergency=False, notified=0)
    expect(told).to_have_text("")
    # and once her window has closed, nothing either
    answer["state"] = routed_state(emergency=False, emergencyCallId=None, callbackWindowOpen=False,
                                   callbackWindowEndsAt=None, notified=3, acknowledgements=ACKED)
    expect(page.locator("#window")).to_be_hidden()
    expect(told).to_have_text("")
    closed(page)


def test_against_the_backend_she_is_told_her_contacts_were_notified_and_no_one_acknowledged_yet(
        browser: Any, stack: LocalStack) -> None:
    # GIVEN Bob, whose contact is the security desk WHEN he dials 933 (notified, as every emergency call is)
    bob = open_panel(browser, stack, BOB)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Agent panel: Bob Example")
    call_id = dial(bob, "933")["emergencyCallId"]
    told = bob.get_by_role("status").filter(has_text="Your contacts have been notified")
    # THEN once the notification is accepted the panel says so (the email is sent off the dial's path)
    expect(told).to_have_text("Your contacts have been notified; no one has acknowledged yet.", timeout=20_000)
    state = stack.client.get("/api/agents/bob/emergency-state")[1]
    assert (state["emergencyCallId"], state["acknowledgements"]) == (call_id, []) and state["notified"] >= 1, state
    # and after End call, while his callback window runs
    bob.get_by_role("button", name="End call").click()
    expect(bob.get_by_role("status").filter(has_text="Emergency services may call you back until")).to_be_visible()
    expect(told).to_be_visible()
    closed(bob)


def test_the_words_for_acknowledgements(alice: Any) -> None:
    words = alice.evaluate("""async () => {
        const m = await import('/api/agent/ui/js/acknowledgements.js');
        const one = (s) => [{by: 'g***@example.com', channel: 'sms', at: '2025-03-01T12:00:00Z', secondsAfterDial: s}];
        return {
            times: [0, 9, 42, 60, 605, 3725, -3, null].map(m.minutesSeconds),
            texts: [one(42), one(null), [...one(5), ...one(7)]].map((a) => m.acknowledgementText(
                {acknowledgements: a, notified: 2})),
            none: [{acknowledgements: [], notified: 1}, {acknowledgements: [], notified: 0}, {}, null]
                .map(m.acknowledgementText),
        };
    }""")
    assert words["times"] == ["0:00", "0:09", "0:42", "1:00", "10:05", "62:05", "0:00", None]
    assert words["texts"] == ["g***@example.com acknowledged 0:42 after your call — help is on the way",
                              "g***@example.com acknowledged your call — help is on the way",
                              "g***@example.com acknowledged 0:05 after your call, and 1 other since — "
                              "help is on the way"]
    assert words["none"] == ["Your contacts have been notified; no one has acknowledged yet.", "", "", ""]


ANNEX_ID = "panel-annex"
ANNEX = {**PLAZA, "name": "Example Annex", "places": [], "latitude": 39.7801, "longitude": -89.6501}


@pytest.fixture
def annex_at_her_position(stack: LocalStack) -> Iterator[str]:
    """A site whose point is 14 m from the browser's position (SPRINGFIELD), on no network; moved off the map
    after, so later tests' "Use this browser's location" suggests nothing."""
    assert stack.client.put(f"/api/manage/sites/{ANNEX_ID}", ANNEX)[0] == 200
    yield ANNEX_ID
    assert stack.client.put(f"/api/manage/sites/{ANNEX_ID}", {**ANNEX, "latitude": None, "longitude": None})[0] == 200


def test_off_every_network_her_browser_s_position_suggests_the_site_there_and_she_confirms_it(
        annex_at_her_position: str, alice: Any, stack: LocalStack) -> None:
    expect(alice.locator("#manual-note")).to_have_text(NOT_A_SITE)
    alice.get_by_role("button", name="Use this browser's location").click()
    suggestion = alice.locator("#site-suggestion")
    expect(suggestion).to_contain_text("Your browser places you 14 m from Example Annex: 1 Example Plaza, "
                                       "Springfield IL 62701")
    suggestion.get_by_label("Floor").fill("2")
    alice.get_by_role("button", name="Confirm: I am here").click()
    expect(alice.get_by_role("status").filter(has_text="Location confirmed at ")).to_contain_text(
        "Example Annex, floor 2.")
    saved = stack.client.get("/api/manage/agents/alice")[1]["lastLocation"]
    assert (saved["siteId"], saved["floor"], saved["siteName"]) == (annex_at_her_position, "2", "Example Annex")
    assert (saved["latitude"], saved["longitude"]) == (39.7801, -89.6501)  # the building's point: a map link


def test_her_hang_up_reaches_the_backend_when_she_closes_the_tab_at_once(browser: Any, stack: LocalStack) -> None:
    """End call, then the tab closed in the same breath: the backend still hears the hang-up (else she stays in Do
    Not Disturb and her next panel opens in emergency mode)."""
    page = open_panel(browser, stack, ALICE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel: Alice Example")  # her country known
    answer = dial(page, "933")
    assert wait_for(lambda: (lambda s: s["emergency"] and s["emergencyCallId"] == answer["emergencyCallId"])(
        stack.client.get("/api/agents/alice/emergency-state")[1]), timeout=10), answer  # in progress on the backend
    page.get_by_role("button", name="End call").click(no_wait_after=True)
    context = page.context
    page.close()
    try:
        assert wait_for(lambda: not stack.client.get("/api/agents/alice/emergency-state")[1]["emergency"],
                        timeout=10), "her hang-up never reached the backend"
    finally:
        context.close()


def test_end_call_leaves_emergency_mode_and_tells_the_backend_when_the_hang_up_fails(
        alice: Any, stack: LocalStack) -> None:
    """The calling SDK's hang-up rejects (the call already gone, the network): End call still ends it for her, on
    the page and on the backend (her Do Not Disturb restored), never an emergency mode she cannot leave."""
    answer = dial(alice, "933")
    alert = alice.get_by_role("alert").filter(has_text="Test call (933) in progress")
    expect(alert).to_be_visible()
    alice.evaluate("() => { globalThis.agentPanel.calling.endCall = async () => { throw new Error('not found'); }; }")
    hang_up(alice)
    expect(alert).to_be_hidden()
    expect(alice.get_by_label("Number to dial")).to_be_visible()
    # the backend ends it (presence is restored after the end, through the event that follows it)
    assert wait_for(lambda: presence(stack, "alice") != "DoNotDisturb", timeout=10), "still in Do Not Disturb"
    assert not stack.client.get("/api/agents/alice/emergency-state")[1]["emergency"]
    assert stack.client.get(f"/api/manage/incidents/{answer['emergencyCallId']}")[1]["endedAt"], "not ended"


OPERATOR_HANGS_UP = "() => { const c = globalThis.agentPanel.calling; c.simulateRemoteHangUp([...c.live.keys()][0]); }"


def test_when_the_operator_hangs_up_her_panel_leaves_emergency_mode_and_the_backend_is_told(
        alice: Any, stack: LocalStack) -> None:
    """The other side ends the call (the 933 read-out is over, the operator hangs up): the panel does not stay in
    emergency mode with only End call; it says the call ended, the backend is told, and her callback window shows."""
    answer = dial(alice, "933")
    alert = alice.get_by_role("alert").filter(has_text="Test call (933) in progress")
    expect(alert).to_be_visible()
    with alice.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/end")) as told:
        alice.evaluate(OPERATOR_HANGS_UP)
    assert told.value.ok, told.value.text()
    expect(alert).to_be_hidden()
    expect(alice.get_by_role("status").filter(has_text="The call ended.")).to_be_visible()
    expect(alice.locator("#window")).to_contain_text(f"Your callback number: {answer['callbackNumber']}")
    expect(alice.get_by_label("Number to dial")).to_be_focused()
    assert wait_for(lambda: presence(stack, "alice") != "DoNotDisturb", timeout=10), "still in Do Not Disturb"
