"""Benchmark: the location work on the emergency dial's path (issue 19), in one warm process.

What the dial adds for the location, per call: the client address from X-Forwarded-For and its /24, the site of
that address from the sites' networks held in memory (a contact center of 200 sites with 2 networks each, IPv4 and
IPv6), and the location in force (her confirmation, the network's building, the line she reads out). Compared with
the raw operation it replaces — reading the sites and networks from Azurite on the dial (a query of each partition)
— and with a point read, the cheapest storage round trip, measured in the same run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench.common import AzuriteDeps, median, ratio, raw_point_reads
from local.azurite import Azurite
from shared.adapters.table_sites import TableSiteStore
from shared.domain.civic import CivicAddress
from shared.domain.dispatchable import in_force
from shared.domain.sites import Network, Site, client_ip, network_of
from shared.services.network_sites import NetworkSites

SITES = 200
CALLS = 2000
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def contact_center() -> tuple[list[Site], list[Network]]:
    sites, networks = [], []
    for i in range(SITES):
        address = CivicAddress("US", a1="IL", a3="Springfield", rd="Example Plaza", hno=str(i + 1), pc="62701")
        sites.append(Site(f"site-{i:03d}", f"Site {i}", address, desk_emails=(f"desk-{i}@example.com",)))
        networks += [Network(f"10.{i // 256}.{i % 256}.0/24", f"site-{i:03d}"),
                     Network(f"2001:db8:{i:x}::/48", f"site-{i:03d}")]
    return sites, networks


def location_work(cache: NetworkSites, headers: dict[str, str], confirmed: dict[str, object]) -> str | None:
    """What the dial does for the location: its address, its network, the building, the location in force."""
    ip = client_ip(headers, True)
    near = cache.suggest(ip)
    found = in_force(None, confirmed, NOW, network=network_of(ip), near=near)
    return found["source"] if found else None


def main() -> None:
    sites, networks = contact_center()
    cache = NetworkSites(lambda: (networks, sites))
    cache.refresh_now()
    stale = {"countryCode": "US", "address": "1 Example Plaza", "reportedAt": (NOW - timedelta(days=2)).isoformat(),
             "confirmedBy": "agent", "siteId": "site-000", "fromNetwork": "10.0.0.0/24"}
    headers = {"x-forwarded-for": "203.0.113.9, 10.0.199.23:51234"}  # App Service's entry last
    assert location_work(cache, headers, stale) == "network-suggested"
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        location_work(cache, headers, stale)
        samples.append((time.perf_counter() - started) * 1000)
    with Azurite() as azurite:
        deps = AzuriteDeps(azurite.connection_string)
        store = TableSiteStore(deps.tables)
        for site in sites:
            store.put_site(site)
        for network in networks:
            store.put_network(network)
        reads = []
        for _ in range(50):
            started = time.perf_counter()
            store.list_networks()
            store.list_sites()
            reads.append((time.perf_counter() - started) * 1000)
        point = median(raw_point_reads(deps, 200))
    work = median(samples)
    print(f"the dial's location work ({SITES} sites, {2 * SITES} networks, network-suggested): p50 {work * 1000:.0f} "
          f"µs = {ratio(work, point)} a raw point read ({point:.2f} ms); no storage request")
    print(f"reading the sites and networks on the dial instead: p50 {median(reads):.1f} ms = "
          f"{ratio(median(reads), point)} a raw point read, {ratio(median(reads), work)} the work in memory")


if __name__ == "__main__":
    main()
