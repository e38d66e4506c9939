"""The location in force on an emergency call (issue 19, part 3): what she reads out, where it comes from and how
old it is, decided from what the dial reads anyway."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.dispatchable import CONFIRMED_FOR, in_force
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeDeps

PLAZA = {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301", "city": "Springfield"}
CIVIC = {"country": "US", "A1": "IL", "A3": "Springfield", "RD": "Example Plaza", "HNO": "1", "PC": "62701",
         "FLR": "3", "ROOM": "301"}


def confirmed(ago: timedelta, **more: object) -> dict[str, object]:
    return PLAZA | {"reportedAt": (T0 - ago).isoformat(), "confirmedBy": "agent"} | more


def test_her_confirmation_within_12_hours_is_in_force_and_read_out_from_her_site() -> None:
    found = in_force(PLAZA, confirmed(timedelta(hours=2), siteId="springfield", civic=CIVIC), T0)
    assert found is not None and found["source"] == "confirmed"
    assert found["readout"] == "1 Example Plaza, Springfield IL 62701, floor 3, room 301"
    assert found["confirmedAt"] == (T0 - timedelta(hours=2)).isoformat()


def test_an_older_confirmation_is_still_read_out_but_marked_unconfirmed() -> None:
    found = in_force(None, confirmed(CONFIRMED_FOR + timedelta(minutes=1)), T0)
    assert found is not None and found["source"] == "unconfirmed" and found["readout"].startswith("1 Example Plaza")


def test_a_location_the_panel_sent_that_she_has_not_confirmed_is_typed() -> None:
    elsewhere = PLAZA | {"address": "2 Example Plaza"}
    found = in_force(elsewhere, confirmed(timedelta(hours=1)), T0)
    assert found is not None and found["source"] == "typed" and found["confirmedAt"] is None
    assert found["readout"].startswith("2 Example Plaza")


def test_nothing_known_or_sharing_off_is_no_location() -> None:
    assert in_force(None, None, T0) is None
    assert in_force(None, confirmed(timedelta(hours=1), enabled=False), T0) is None
    assert in_force({"countryCode": "US"}, None, T0) is None


def test_the_dial_answers_the_location_in_force_without_a_round_trip_of_its_own() -> None:
    deps = FakeDeps()
    deps.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", email_recipients="s@example.com",
                          last_location=confirmed(timedelta(hours=1), siteId="springfield", civic=CIVIC)))
    deps.add_numbers("+12025550100")
    answer = place_outbound_call(OutboundCall("alice", "911", "US", PLAZA), deps, deps.policy)
    assert answer["location"] == {"source": "confirmed",
                                  "readout": "1 Example Plaza, Springfield IL 62701, floor 3, room 301",
                                  "confirmedAt": (T0 - timedelta(hours=1)).isoformat()}
    record = deps.calls.get(answer["emergencyCallId"])[0]
    assert record.location is not None and record.location["source"] == "confirmed"
    [(_, started)] = deps.events.published
    assert started["location"]["readout"] == answer["location"]["readout"]  # CallStarted carries it
    nothing = place_outbound_call(OutboundCall("nobody", "933", "US"), deps, deps.policy)
    assert nothing["location"] == {"source": "none", "readout": None, "confirmedAt": None}


def test_a_confirmation_from_another_network_counts_as_unconfirmed_on_the_call() -> None:
    mine = confirmed(timedelta(hours=1), fromNetwork="198.51.100.0/24")
    assert in_force(None, mine, T0, network="198.51.100.0/24")["source"] == "confirmed"  # type: ignore[index]
    assert in_force(None, mine, T0, network="203.0.113.0/24")["source"] == "unconfirmed"  # type: ignore[index]
    assert in_force(None, mine, T0, network=None)["source"] == "confirmed"  # type: ignore[index]  # not believed
    older = confirmed(timedelta(hours=1))  # confirmed before networks were remembered
    assert in_force(None, older, T0, network="203.0.113.0/24")["source"] == "confirmed"  # type: ignore[index]


def test_what_a_confirmation_remembers_of_where_it_came_from_is_the_network_not_the_address() -> None:
    from shared.domain.sites import network_of

    assert network_of("198.51.100.23") == "198.51.100.0/24"
    assert network_of("2001:db8:1:2::7") == "2001:db8:1::/48"
    assert network_of("::ffff:198.51.100.23") == "198.51.100.0/24"
    assert network_of(None) is None and network_of("not an address") is None


def test_the_dial_s_network_is_read_only_from_what_the_platform_appends_and_never_fails_the_dial(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.functions as func

    from functions import outbound_call

    def request(forwarded: str) -> func.HttpRequest:
        return func.HttpRequest("POST", "http://localhost/api/outbound-calls", body=b"{}",
                                headers={"X-Forwarded-For": forwarded})
    monkeypatch.setenv("PRINCIPAL_HEADERS_TRUSTED", "local-host")
    monkeypatch.delenv("WEBSITE_SITE_NAME", raising=False)
    monkeypatch.delenv("WEBSITE_INSTANCE_ID", raising=False)
    def network(req: func.HttpRequest) -> str | None:
        return outbound_call._network_of(outbound_call._client_ip(req))
    assert network(request("10.9.9.9, 198.51.100.23:51234")) == "198.51.100.0/24"
    monkeypatch.setenv("PRINCIPAL_HEADERS_TRUSTED", "")  # not believed: no network
    assert network(request("198.51.100.23:51234")) is None
    monkeypatch.setattr(outbound_call.sites, "client_ip", lambda *a, **k: 1 / 0)
    assert network(request("198.51.100.23")) is None
    monkeypatch.setattr(outbound_call.sites, "network_of", lambda *a, **k: 1 / 0)
    assert outbound_call._network_of("198.51.100.23") is None


NEAR = {"siteId": "springfield", "siteName": "Springfield Plaza", "countryCode": "US",
        "address": "1 Example Plaza, Springfield IL 62701",
        "civic": {k: v for k, v in CIVIC.items() if k not in ("FLR", "ROOM")}, "network": "198.51.100.0/24"}


def test_without_a_fresh_confirmation_the_network_s_site_is_the_location_network_suggested() -> None:
    found = in_force(None, None, T0, network="198.51.100.0/24", near=NEAR)
    assert found is not None and found["source"] == "network-suggested" and found["confirmedAt"] is None
    assert found["readout"] == "1 Example Plaza, Springfield IL 62701"  # the building: her floor is not known
    moved = confirmed(timedelta(hours=1), siteId="aarhus", fromNetwork="203.0.113.0/24")
    assert in_force(None, moved, T0, network="198.51.100.0/24", near=NEAR)["source"] == "network-suggested"  # type: ignore[index]


def test_her_own_confirmation_wins_over_the_network_when_fresh_or_of_the_same_site() -> None:
    fresh = confirmed(timedelta(hours=1), siteId="aarhus")
    assert in_force(None, fresh, T0, near=NEAR)["source"] == "confirmed"  # type: ignore[index]
    old_same_site = confirmed(CONFIRMED_FOR * 2, siteId="springfield", civic=CIVIC)
    found = in_force(None, old_same_site, T0, near=NEAR)
    assert found is not None and found["source"] == "unconfirmed" and found["readout"].endswith("room 301")
    assert in_force(None, None, T0, near={})is None  # the snapshot says no site's network holds her address


def test_the_dial_says_network_suggested_or_warns_when_the_sites_are_not_known_yet() -> None:
    deps = FakeDeps()
    deps.agents.put(Agent("alice", "Alice", acs_user_id="8:acs:r_alice", email_recipients="s@example.com"))
    deps.add_numbers("+12025550100", "+12025550101")
    near = place_outbound_call(OutboundCall("alice", "933", "US", network="198.51.100.0/24", network_site=NEAR),
                               deps, deps.policy)
    assert near["location"]["source"] == "network-suggested", near
    assert "location_lookup_unavailable" not in {w["code"] for w in near["warnings"]}
    unknown = place_outbound_call(OutboundCall("alice", "933", "US", network="198.51.100.0/24"), deps, deps.policy)
    assert unknown["location"]["source"] == "none"
    assert "location_lookup_unavailable" in {w["code"] for w in unknown["warnings"]}


def test_the_network_s_building_carries_no_floor_room_or_point_of_another_place() -> None:
    elsewhere = PLAZA | {"address": "2 Example Road", "latitude": 41.0, "longitude": -87.0, "siteId": "aarhus"}
    yesterday = confirmed(CONFIRMED_FOR * 2) | elsewhere  # the panel sends what she confirmed there, yesterday
    found = in_force(elsewhere, yesterday, T0, near=NEAR)
    assert found is not None and found["source"] == "network-suggested"
    assert {k: found.get(k) for k in ("floor", "room", "latitude", "siteId")} == {
        "floor": None, "room": None, "latitude": None, "siteId": "springfield"}
    typed_off = in_force(elsewhere | {"enabled": False}, None, T0)
    assert typed_off is None  # sharing off: what came with the dial is not her location
