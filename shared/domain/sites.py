"""Sites (the contact center's buildings, each with its civic address and the places inside it) and the IP networks
that suggest which site an agent is in, most specific network first, as Teams' network sites do.

A network only suggests: the agent confirms or corrects. So wherever the answer is uncertain (an untrusted or
malformed header, two sites claiming the same network) the answer is no suggestion rather than a wrong one.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from shared.domain.civic import CivicAddress
from shared.errors import ValidationError

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

# A broader network would send most of the Internet (agents at home too) to one site: surely a typing mistake.
SHORTEST_PREFIX = {4: 8, 6: 16}
FORWARDED_FOR = "x-forwarded-for"
_CIDR = re.compile(r"([0-9A-Fa-f:.]+)/(\d{1,3})")
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?")  # "[2001:db8::1]:443", "[2001:db8::1]"
_IPV4_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?")  # "203.0.113.7:51234", "203.0.113.7"
_IPV6 = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")  # bare, so no port can follow


@dataclass(frozen=True)
class Place:
    """A place inside a site the agent may pick: any of floor, wing and room."""

    floor: str | None = None
    wing: str | None = None
    room: str | None = None


@dataclass(frozen=True)
class Site:
    """A building of the contact center, its civic address (validated) and the places inside it."""

    site_id: str
    name: str
    address: CivicAddress
    places: tuple[Place, ...] = ()
    desk_emails: tuple[str, ...] = ()  # the site's security desk (issue 19 part 4)
    desk_sms: tuple[str, ...] = ()  # the desk's mobile numbers (E.164), texted when an SMS sender is configured
    latitude: float | None = None  # the building's position (WGS 84): a map link, and the browser's suggestion
    longitude: float | None = None
    locale: str | None = None  # what its security desk is told in (domain/locales.py); None: from its country

    @property
    def has_desk(self) -> bool:
        """True when the site's security desk can be told of a call by some channel."""
        return bool(self.desk_emails or self.desk_sms)

    def address_at(self, place: Place) -> CivicAddress:
        """The site's address with the place's floor and room, its wing as further detail ("north wing")."""
        wing = place.wing
        if wing and "wing" not in wing.lower():
            wing = f"{wing} wing"
        return self.address.with_place(floor=place.floor, room=place.room, loc=wing)


NEAR_METERS = 150.0  # a browser position this close to a site's point suggests the site (a large building's reach)
WORST_ACCURACY = 1000.0  # a position less accurate than this (a city-wide IP guess) suggests no site


def nearest_site(latitude: float, longitude: float, accuracy: float,
                 sites: Iterable[Site]) -> tuple[Site, float] | None:
    """The site whose point lies within max(NEAR_METERS, `accuracy`) of the position, the closest first, with its
    distance in meters; None when the position is too vague or two sites are equally close (no guess)."""
    if not 0 <= accuracy <= WORST_ACCURACY:
        return None
    reach = max(NEAR_METERS, accuracy)
    found = sorted((distance_m(latitude, longitude, s.latitude, s.longitude), s.site_id, s) for s in sites
                   if s.latitude is not None and s.longitude is not None)
    near = [(d, s) for d, _, s in found if d <= reach]
    if not near or (len(near) > 1 and abs(near[0][0] - near[1][0]) < 1.0):
        return None
    return near[0][1], near[0][0]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in meters (haversine on a sphere of the Earth's mean radius: within 0.5 % of the
    ellipsoid, far finer than a browser's accuracy)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Network:
    """An IP network (CIDR, as parse_network writes it) mapped to a site."""

    cidr: str
    site_id: str


def parse_network(cidr: str, field: str = "cidr") -> IPNetwork:
    """An IPv4 or IPv6 network in CIDR notation with no host bits set; a ValidationError on `field` says what is
    wrong and, where it can, what was meant."""
    if not isinstance(cidr, str) or not cidr.strip():
        raise ValidationError(field, "is required")
    match = _CIDR.fullmatch(cidr.strip())
    try:
        address = ipaddress.ip_address(match[1]) if match else None
    except ValueError:
        address = None
    if match is None or address is None:
        raise ValidationError(field, "is not an IPv4 or IPv6 network in CIDR notation (address/prefix length, like "
                              "192.0.2.0/24 or 2001:db8::/32)")
    prefix = int(match[2])
    if prefix > address.max_prefixlen:
        raise ValidationError(field, f"has a prefix length over {address.max_prefixlen}, the most an IPv"
                              f"{address.version} network has")
    network = ipaddress.ip_network((address, prefix), strict=False)
    if network.network_address != address:
        raise ValidationError(field, f"has host bits set: the network is {network}")
    _check_scope(network, field)
    return network


def _check_scope(network: IPNetwork, field: str) -> None:
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
        as_ipv4 = ipaddress.IPv4Network((network.network_address.ipv4_mapped, network.prefixlen - 96))
        raise ValidationError(field, f"is an IPv4-mapped IPv6 network: write it as the IPv4 network {as_ipv4}")
    shortest = SHORTEST_PREFIX[network.version]
    if network.prefixlen < shortest:
        raise ValidationError(field, f"is broader than /{shortest}: it would place most of the Internet, agents at "
                              "home too, at this site")


@lru_cache(maxsize=4096)
def _stored(cidr: str) -> IPNetwork | None:
    """A stored network, or None when it does not parse (one bad row must not stop every suggestion)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except (ValueError, AttributeError):
        return None


def _address(ip: str) -> IPAddress | None:
    """The address, an IPv4-mapped IPv6 one as IPv4 ('::ffff:192.0.2.1' is 192.0.2.1); None when malformed."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except (ValueError, AttributeError):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def site_for(ip: str, networks: Iterable[Network]) -> Network | None:
    """The most specific network that holds `ip`, IPv4 or IPv6; None when the address is malformed, no network holds
    it, or the most specific ones belong to different sites (two admins raced: a guess is worse than none)."""
    address = _address(ip)
    if address is None:
        return None
    best: list[Network] = []
    longest = -1
    for candidate in networks:
        network = _stored(candidate.cidr)
        if network is None or network.version != address.version or address not in network:
            continue
        if network.prefixlen > longest:
            best, longest = [candidate], network.prefixlen
        elif network.prefixlen == longest:
            best.append(candidate)
    if not best or len({n.site_id for n in best}) > 1:
        return None
    return best[0]


class NetworkIndex:
    """`site_for`'s answer in a few dictionary look-ups rather than a pass over every network: the networks grouped
    by IP version and prefix length, the longest first (what the dial uses; `site_for` is the rule it follows)."""

    def __init__(self, networks: Iterable[Network]) -> None:
        groups: dict[tuple[int, int], dict[IPNetwork, list[Network]]] = {}
        for candidate in networks:
            parsed = _stored(candidate.cidr)
            if parsed is not None:
                groups.setdefault((parsed.version, parsed.prefixlen), {}).setdefault(parsed, []).append(candidate)
        self._by_version: dict[int, list[tuple[int, dict[IPNetwork, list[Network]]]]] = {}
        for (version, prefix), table in sorted(groups.items(), key=lambda g: -g[0][1]):
            self._by_version.setdefault(version, []).append((prefix, table))

    def site_for(self, ip: str) -> Network | None:
        address = _address(ip)
        if address is None:
            return None
        for prefix, table in self._by_version.get(address.version, ()):
            found = table.get(ipaddress.ip_network((address, prefix), strict=False))
            if found:
                return found[0] if len({n.site_id for n in found}) == 1 else None
        return None


def check_new_network(new: Network, existing: Iterable[Network]) -> None:
    """Refuse (ValidationError on 'cidr') a network that overlaps another site's unless it is strictly more specific
    (lies inside it with a longer prefix); overlapping the same site's networks is allowed."""
    network = parse_network(new.cidr)
    conflicts: list[tuple[Network, IPNetwork]] = []
    for other in existing:
        theirs = _stored(other.cidr)
        if other.site_id == new.site_id or theirs is None or theirs.version != network.version:
            continue
        # CIDR blocks are nested or disjoint: overlapping with a longer prefix means lying inside.
        if network.overlaps(theirs) and network.prefixlen <= theirs.prefixlen:
            conflicts.append((other, theirs))
    if conflicts:
        other, theirs = conflicts[0]
        reason = (f"is already the network of site {other.site_id}" if theirs == network else
                  f"overlaps {theirs} of site {other.site_id}: a network may overlap another site's only when it is "
                  "more specific (inside it, with a longer prefix)")
        raise ValidationError("cidr", reason, [{"cidr": str(t), "siteId": o.site_id} for o, t in conflicts])


def client_ip(headers: Mapping[str, str], trusted: bool, *, hops: int = 1) -> str | None:
    """The client's address as the platform reports it, from X-Forwarded-For: the entry `hops` from the right.

    App Service (and Front Door) append the peer they saw, App Service as 'ip:port', to whatever X-Forwarded-For the
    request already had; the entries on the left are the client's own word. `hops` counts the proxies trusted to
    append (1: App Service alone). None when the header is not trusted, missing or malformed: no suggestion beats
    a wrong one.
    """
    if not trusted or hops < 1:
        return None
    raw = next((value for name, value in headers.items() if name.lower() == FORWARDED_FOR), None)
    if not isinstance(raw, str):
        return None
    entries = [entry.strip() for entry in raw.split(",")]
    if not all(entries):
        return None
    return _entry_address(entries[-hops] if len(entries) >= hops else entries[0])


def _entry_address(entry: str) -> str | None:
    """The address of one X-Forwarded-For entry: '203.0.113.7', '203.0.113.7:51234', '2001:db8::1',
    '[2001:db8::1]:443' or '[2001:db8::1]'; None for anything else ('unknown', a port out of range, a zone)."""
    bracketed = _BRACKETED.fullmatch(entry)
    match = bracketed or _IPV4_PORT.fullmatch(entry)
    if match:
        host, port = match[1], match[2]
    elif _IPV6.fullmatch(entry):
        host, port = entry, None
    else:
        return None
    if port is not None and not 0 < int(port) < 65536:
        return None
    address = _address(host)
    if address is None or (bracketed and ":" not in host):
        return None
    return str(address)  # an IPv4 client on a dual-stack socket ('::ffff:192.0.2.1') as IPv4


def network_of(ip: str | None) -> str | None:
    """The network an address belongs to, as wide as a site's usually is (/24 for IPv4, /48 for IPv6): what a
    confirmation remembers of where it came from (not the address itself), and what a later call is compared with."""
    address = _address(ip) if ip else None
    if address is None:
        return None
    if address.version == 6 and address in _MAPPED:
        address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
