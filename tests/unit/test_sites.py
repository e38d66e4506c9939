"""Sites and networks (shared.domain.sites): CIDR parsing, most-specific matching (IPv4, IPv6, IPv4-mapped), the
overlap rule for a new network, and the client address from X-Forwarded-For as App Service reports it.

The property tests print their seed; MODEL_SEED=<n> replays a run, MODEL_EXAMPLES=<n> explores more cases.
"""

from __future__ import annotations

import ipaddress
import os
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from shared.domain.civic import CivicAddress
from shared.domain.sites import (
    WORST_ACCURACY,
    Network,
    NetworkIndex,
    Place,
    Site,
    check_new_network,
    client_ip,
    distance_m,
    nearest_site,
    parse_network,
    site_for,
)
from shared.errors import ValidationError

SEED = int(os.environ.get("MODEL_SEED") or random.SystemRandom().randrange(1 << 32))
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES") or 500)

CAMPUS = [
    Network("10.0.0.0/8", "campus"),
    Network("10.1.0.0/16", "tower"),
    Network("10.1.2.0/24", "tower-floor-3"),
    Network("2001:db8::/32", "campus"),
    Network("2001:db8:1::/48", "tower"),
    Network("203.0.113.0/24", "annex"),
]


def _site_of(ip: str, networks: list[Network] = CAMPUS) -> str | None:
    found = site_for(ip, networks)
    return found.site_id if found else None


def _refusal(cidr: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_network(cidr)
    return info.value


# --- parse_network --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cidr", "canonical"), [
    ("192.0.2.0/24", "192.0.2.0/24"), (" 198.51.100.128/25 ", "198.51.100.128/25"),
    ("203.0.113.7/32", "203.0.113.7/32"),
    ("2001:DB8::/32", "2001:db8::/32"), ("2001:db8:0:1::/64", "2001:db8:0:1::/64"), ("10.0.0.0/8", "10.0.0.0/8"),
])
def test_given_a_network_in_cidr_notation_when_parsed_then_its_canonical_form_comes_back(cidr: str,
                                                                                        canonical: str) -> None:
    assert str(parse_network(cidr)) == canonical


def test_given_host_bits_set_when_parsed_then_the_refusal_names_the_network_meant() -> None:
    assert _refusal("192.0.2.1/24").message == "has host bits set: the network is 192.0.2.0/24"
    assert _refusal("2001:db8::1/32").message == "has host bits set: the network is 2001:db8::/32"


@pytest.mark.parametrize("cidr", ["192.0.2.0", "192.0.2.0/", "/24", "300.0.2.0/24", "192.0.2.0/24/1", "example.com/24",
                                  "192.0.2.0/ 24", "192.168.01.0/24", "192.0.2.0/255.255.255.0", "fe80::%eth0/64",
                                  "2001:db8:::/32", "192.0.2.0/-1", "192.0.2.0/24\n10.0.0.0/8"])
def test_given_a_malformed_cidr_when_parsed_then_it_is_refused_on_the_field(cidr: str) -> None:
    error = _refusal(cidr)

    assert error.field == "cidr"
    assert error.message.startswith("is not an IPv4 or IPv6 network in CIDR notation")


@pytest.mark.parametrize(("cidr", "message"), [
    ("", "is required"),
    ("192.0.2.0/33", "has a prefix length over 32, the most an IPv4 network has"),
    ("2001:db8::/129", "has a prefix length over 128, the most an IPv6 network has"),
    ("0.0.0.0/0", "is broader than /8: it would place most of the Internet, agents at home too, at this site"),
    ("2000::/3", "is broader than /16: it would place most of the Internet, agents at home too, at this site"),
    ("::ffff:192.0.2.0/120", "is an IPv4-mapped IPv6 network: write it as the IPv4 network 192.0.2.0/24"),
])
def test_given_an_impossible_or_unwise_network_when_parsed_then_the_refusal_says_why(cidr: str,
                                                                                     message: str) -> None:
    assert _refusal(cidr).message == message


# --- site_for -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ip", "site"), [
    ("10.1.2.3", "tower-floor-3"), ("10.1.3.3", "tower"), ("10.2.0.1", "campus"), ("203.0.113.200", "annex"),
])
def test_the_most_specific_network_wins(ip: str, site: str) -> None:
    assert _site_of(ip) == site


def test_the_order_of_the_networks_does_not_matter() -> None:
    assert _site_of("10.1.2.3", list(reversed(CAMPUS))) == "tower-floor-3"


@pytest.mark.parametrize(("ip", "site"), [("2001:db8:1::5", "tower"), ("2001:db8:2::5", "campus"),
                                          ("2001:DB8:0001:0000::5", "tower")])
def test_ipv6_addresses_match_ipv6_networks(ip: str, site: str) -> None:
    assert _site_of(ip) == site


def test_an_ipv4_mapped_ipv6_address_matches_ipv4_networks() -> None:
    assert _site_of("::ffff:10.1.2.3") == "tower-floor-3"
    assert _site_of("::ffff:a01:203") == "tower-floor-3"


@pytest.mark.parametrize("ip", ["192.0.2.1", "2001:db9::1", "::1"])
def test_an_address_outside_every_network_has_no_site(ip: str) -> None:
    assert site_for(ip, CAMPUS) is None


@pytest.mark.parametrize("ip", ["", "   ", "10.1.2.3:443", "[2001:db8::1]", "10.1.2", "10.1.2.3/32", "unknown"])
def test_a_malformed_address_has_no_site(ip: str) -> None:
    assert site_for(ip, CAMPUS) is None


def test_an_ipv4_address_never_matches_an_ipv6_network_and_the_reverse() -> None:
    assert site_for("10.1.2.3", [Network("2001:db8::/32", "campus")]) is None
    assert site_for("2001:db8::1", [Network("10.0.0.0/8", "campus")]) is None


def test_when_two_sites_claim_the_same_network_then_nothing_is_suggested() -> None:
    raced = CAMPUS + [Network("10.1.2.0/24", "annex")]

    assert site_for("10.1.2.3", raced) is None
    assert _site_of("10.1.3.3", raced) == "tower"  # below the tie, the rest still answers


def test_a_network_listed_twice_for_one_site_still_matches() -> None:
    assert _site_of("10.1.2.3", CAMPUS + [Network("10.1.2.0/24", "tower-floor-3")]) == "tower-floor-3"


def test_a_stored_network_that_does_not_parse_is_skipped() -> None:
    assert _site_of("10.1.2.3", [Network("not a network", "x"), Network("10.0.0.0/8", "campus")]) == "campus"


# --- check_new_network ----------------------------------------------------------------------------------------------


def _conflict(new: Network, existing: list[Network] = CAMPUS) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_new_network(new, existing)
    return info.value


@pytest.mark.parametrize("new", [
    Network("10.1.2.128/25", "desk-row-a"),  # inside three other sites' networks, more specific than each
    Network("192.0.2.0/24", "branch"),  # overlaps nothing
    Network("2001:db8:1:2::/64", "tower-floor-3"),
])
def test_a_more_specific_or_separate_network_is_accepted(new: Network) -> None:
    check_new_network(new, CAMPUS)


def test_overlapping_the_same_sites_networks_is_accepted_whatever_the_prefix() -> None:
    own = [Network("10.1.0.0/16", "tower"), Network("2001:db8:1::/48", "tower")]

    check_new_network(Network("10.1.0.0/16", "tower"), own)
    check_new_network(Network("10.0.0.0/8", "tower"), own)
    check_new_network(Network("10.1.2.0/24", "tower"), own)


def test_an_equal_network_of_another_site_is_refused() -> None:
    error = _conflict(Network("203.0.113.0/24", "campus"))

    assert (error.field, error.message) == ("cidr", "is already the network of site annex")
    assert error.details == [{"cidr": "203.0.113.0/24", "siteId": "annex"}]


def test_a_network_broader_than_another_sites_is_refused_with_every_conflict_listed() -> None:
    # more specific than campus's 10.0.0.0/8 (allowed), but broader than tower's networks
    error = _conflict(Network("10.0.0.0/15", "annex"))

    assert error.message == ("overlaps 10.1.0.0/16 of site tower: a network may overlap another site's only when "
                             "it is more specific (inside it, with a longer prefix)")
    assert error.details == [{"cidr": "10.1.0.0/16", "siteId": "tower"},
                             {"cidr": "10.1.2.0/24", "siteId": "tower-floor-3"}]


def test_an_ipv6_network_never_conflicts_with_an_ipv4_one() -> None:
    check_new_network(Network("2001:db8:ffff::/48", "annex"), [Network("10.0.0.0/8", "campus")])


def test_a_malformed_new_network_is_refused_as_parse_network_refuses_it() -> None:
    assert _conflict(Network("10.1.2.1/24", "annex")).message == "has host bits set: the network is 10.1.2.0/24"


# --- client_ip ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "ip"), [
    ("203.0.113.7", "203.0.113.7"),
    ("203.0.113.7:51234", "203.0.113.7"),  # App Service writes the peer as ip:port
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("2001:DB8::1", "2001:db8::1"),
    ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client on a dual-stack socket
    ("[::ffff:203.0.113.7]:443", "203.0.113.7"),
    ("  203.0.113.7:51234  ", "203.0.113.7"),
])
def test_the_address_the_platform_appended_is_read_without_its_port_or_brackets(header: str, ip: str) -> None:
    assert client_ip({"X-Forwarded-For": header}, trusted=True) == ip


def test_of_several_entries_the_platforms_own_last_one_is_taken_not_what_the_client_sent() -> None:
    # a browser extension or a forward proxy sent its own X-Forwarded-For; App Service appended the real peer
    headers = {"X-Forwarded-For": "10.1.2.3, 198.51.100.9, 203.0.113.7:51234"}

    assert client_ip(headers, trusted=True) == "203.0.113.7"


def test_with_a_trusted_proxy_in_front_the_entry_it_appended_is_taken() -> None:
    headers = {"X-Forwarded-For": "10.1.2.3, 198.51.100.9, [2001:db8::7]:51234"}

    assert client_ip(headers, trusted=True, hops=2) == "198.51.100.9"
    assert client_ip({"X-Forwarded-For": "203.0.113.7:51234"}, trusted=True, hops=2) == "203.0.113.7"


def test_the_header_name_is_matched_whatever_its_case() -> None:
    assert client_ip({"X-FORWARDED-FOR": "203.0.113.7"}, trusted=True) == "203.0.113.7"
    assert client_ip({"x-forwarded-for": "203.0.113.7"}, trusted=True) == "203.0.113.7"


def test_an_untrusted_header_suggests_nothing() -> None:
    assert client_ip({"X-Forwarded-For": "203.0.113.7:51234"}, trusted=False) is None


@pytest.mark.parametrize("headers", [{}, {"X-Client-IP": "203.0.113.7"}, {"X-Forwarded-For": ""}])
def test_a_missing_header_suggests_nothing(headers: dict[str, str]) -> None:
    assert client_ip(headers, trusted=True) is None


@pytest.mark.parametrize("header", [
    "unknown", "garbage", "203.0.113.7:", "203.0.113.7:0", "203.0.113.7:65536", "203.0.113.7:http",
    "[203.0.113.7]:443", "[2001:db8::1]:", "[2001:db8::1", "2001:db8::1]:443", "fe80::1%eth0", "300.0.113.7",
    "203.0.113", "203.0.113.7, ", "203.0.113.7,,198.51.100.9", "_hidden", "203.0.113.7:51234:1", "[zz::1]:443",
])
def test_a_malformed_entry_suggests_nothing_rather_than_something_wrong(header: str) -> None:
    assert client_ip({"X-Forwarded-For": header}, trusted=True) is None


def test_a_malformed_platform_entry_is_not_replaced_by_another_entry() -> None:
    assert client_ip({"X-Forwarded-For": "203.0.113.7, unknown"}, trusted=True) is None


# --- sites and places -----------------------------------------------------------------------------------------------


def test_a_place_in_a_site_gives_the_buildings_address_with_floor_room_and_wing() -> None:
    building = CivicAddress("US", a1="IL", a3="Springfield", rd="Example", sts="Plaza", hno="1", pc="62701")
    site = Site("springfield", "Example Contact Center", building, places=(Place("3", "north", "301"),))

    at = site.address_at(site.places[0])

    assert (at.flr, at.room, at.loc, at.rd) == ("3", "301", "north wing", "Example")
    assert site.address_at(Place(wing="East wing")).loc == "East wing"
    assert site.desk_emails == ()


# --- properties -----------------------------------------------------------------------------------------------------


def _brute_force(ip: str, networks: list[Network]) -> Network | None:
    """The reference: compare the leading bits of every network with the address, by integers alone."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 32 if address.version == 4 else 128
    holding = []
    for candidate in networks:
        network = ipaddress.ip_network(candidate.cidr)
        shift = bits - network.prefixlen
        if network.version == address.version and int(address) >> shift == int(network.network_address) >> shift:
            holding.append((network.prefixlen, candidate))
    if not holding:
        return None
    longest = max(prefix for prefix, _ in holding)
    best = [candidate for prefix, candidate in holding if prefix == longest]
    return best[0] if len({c.site_id for c in best}) == 1 else None


ANCHORS = {4: [0, int(ipaddress.IPv4Address("10.1.2.3")), int(ipaddress.IPv4Address("10.1.2.200")),
               int(ipaddress.IPv4Address("192.0.2.1")), (1 << 32) - 1],
           6: [0, int(ipaddress.IPv6Address("2001:db8:1::5")), int(ipaddress.IPv6Address("2001:db8:2::5")),
               int(ipaddress.IPv6Address("::ffff:10.1.2.3")), (1 << 128) - 1]}


@st.composite
def _networks(draw: st.DrawFn) -> Network:
    """A network around a few shared anchors (so that networks nest and collide often) or anywhere."""
    version = draw(st.sampled_from([4, 6]))
    bits = 32 if version == 4 else 128
    value = draw(st.one_of(st.sampled_from(ANCHORS[version]), st.integers(0, (1 << bits) - 1)))
    kind = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    network = kind((value, draw(st.integers(0, bits))), strict=False)
    return Network(str(network), draw(st.sampled_from(["a", "b", "c"])))


@st.composite
def _address_near(draw: st.DrawFn, networks: list[Network]) -> str:
    """An address inside one of the networks or anywhere; IPv4 ones sometimes written IPv4-mapped."""
    if networks and draw(st.booleans()):
        network = ipaddress.ip_network(draw(st.sampled_from(networks)).cidr)
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = network[
            draw(st.integers(0, network.num_addresses - 1))]
    elif draw(st.booleans()):
        address = ipaddress.IPv4Address(draw(st.integers(0, (1 << 32) - 1)))
    else:
        address = ipaddress.IPv6Address(draw(st.integers(0, (1 << 128) - 1)))
    if isinstance(address, ipaddress.IPv4Address) and draw(st.booleans()):
        return f"::ffff:{address}"
    return str(address)


def _run(check: Callable[[], None], name: str) -> None:
    print(f"\nproperty test of {name}: seed {SEED} (MODEL_SEED={SEED} replays it), {EXAMPLES} examples")
    settled = settings(max_examples=EXAMPLES, deadline=None, database=None,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    hypothesis_seed(SEED)(settled(check))()


def test_site_for_equals_a_brute_force_search_over_every_network() -> None:
    @given(st.data(), st.lists(_networks(), max_size=12))
    def check(data: st.DataObject, networks: list[Network]) -> None:
        ip = data.draw(_address_near(networks))
        assert site_for(ip, networks) == _brute_force(ip, networks)

    _run(check, "site_for against brute force")


def test_the_dial_s_index_answers_what_site_for_answers() -> None:
    @given(st.data(), st.lists(_networks(), max_size=12))
    def check(data: st.DataObject, networks: list[Network]) -> None:
        ip = data.draw(_address_near(networks))
        assert NetworkIndex(networks).site_for(ip) == site_for(ip, networks)

    _run(check, "NetworkIndex against site_for")


def test_an_accepted_network_is_what_every_address_in_it_is_suggested() -> None:
    @given(st.data(), st.lists(_networks(), max_size=12), _networks())
    def check(data: st.DataObject, existing: list[Network], new: Network) -> None:
        network = ipaddress.ip_network(new.cidr)
        try:  # refused: too broad, or overlapping another site's without being more specific
            check_new_network(new, existing)
        except ValidationError:
            return
        ip = str(network[data.draw(st.integers(0, network.num_addresses - 1))])
        found = site_for(ip, existing + [new])
        # more specific networks of the same site may answer instead, never another site's
        assert found is not None and found.site_id == new.site_id

    _run(check, "check_new_network then site_for")


# --- the browser's position suggests the site whose point is near (issue 19, part 2) --------------------------

def _at(site_id: str, lat: float | None, lon: float | None) -> Site:
    return Site(site_id, site_id.title(), CivicAddress("US", a1="IL", a3="Springfield", rd="Example Plaza", hno="1",
                                                       pc="62701"), latitude=lat, longitude=lon)


def test_the_distance_is_the_great_circle_one() -> None:
    assert abs(distance_m(0.0, 0.0, 0.0, 1.0) - 111_195) < 5  # one degree on the equator
    assert distance_m(39.7817, -89.6501, 39.7817, -89.6501) == 0.0
    assert abs(distance_m(39.7817, -89.6501, 39.7826, -89.6501) - 100) < 1  # 0.0009 degrees north


def test_the_browser_s_position_suggests_the_nearest_site_within_its_accuracy_and_never_a_guess() -> None:
    plaza, annex, pointless = _at("plaza", 39.7817, -89.6501), _at("annex", 39.7900, -89.6501), _at("x", None, None)
    found = nearest_site(39.7822, -89.6501, 20, [annex, plaza, pointless])
    assert found is not None and found[0].site_id == "plaza" and 50 < found[1] < 60
    assert nearest_site(39.7840, -89.6501, 20, [plaza]) is None  # 255 m away, accurate to 20 m: not there
    assert nearest_site(39.7840, -89.6501, 300, [plaza]) is not None  # accurate only to 300 m: it may be
    assert nearest_site(39.7817, -89.6501, WORST_ACCURACY + 1, [plaza]) is None  # a city-wide guess
    twin = _at("twin", 39.7817, -89.6501)
    assert nearest_site(39.7817, -89.6501, 10, [plaza, twin]) is None  # two sites at one point: no guess
