"""Use cases of the sites (issue 19): the contact center's buildings with their civic addresses and places, the
networks that suggest them, and the suggestion an agent's panel gets from where she connects.

Every change is audited with the signed-in admin. A site some agent's confirmed location names is not deleted
(the answer lists them); its networks go with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.domain.addresses import readout
from shared.domain.audit import Actor
from shared.domain.locales import site_locale
from shared.domain.sites import Network, Site, check_new_network, client_ip, nearest_site, parse_network, site_for
from shared.errors import NotFound, ValidationError
from shared.ports import Conflict, SitePorts
from shared.services import audit

log = logging.getLogger(__name__)
Position = tuple[float, float, float]  # latitude, longitude, accuracy in meters (the browser's)
ENTITY = "site"


def site_view(site: Site, networks: list[Network]) -> dict[str, Any]:
    mine = sorted(n.cidr for n in networks if n.site_id == site.site_id)
    return {"siteId": site.site_id, "name": site.name, "address": site.address.as_json(),
            "readout": readout(site.address), "places": [_place(p) for p in site.places],
            "deskEmails": list(site.desk_emails), "deskSms": list(site.desk_sms), "latitude": site.latitude,
            "longitude": site.longitude, "networks": mine,
            # `locale` as set (None: from its country); `effectiveLocale` what its security desk is told in
            "locale": site.locale, "effectiveLocale": site_locale(site),
            "warnings": site_warnings(site, mine)}


def site_warnings(site: Site, networks: list[str]) -> list[dict[str, str]]:
    """What keeps the site from doing its part on a call (readiness of the site, as the admin page shows it)."""
    warnings = []
    if not site.has_desk:
        warnings.append({"code": "no_desk_recipient", "message": "no security-desk recipient: a real emergency call "
                         "from this site tells only the agent's own contacts (add deskEmails or deskSms)"})
    if not networks:
        warnings.append({"code": "no_network", "message": "no network: agents here are never offered this site "
                         "and must type their address"})
    return warnings


def _place(place: Any) -> dict[str, str]:
    return {k: v for k, v in asdict(place).items() if v}


def list_sites(deps: SitePorts) -> dict[str, Any]:
    networks = deps.sites.list_networks()
    return {"sites": [site_view(s, networks) for s in sorted(deps.sites.list_sites(), key=lambda s: s.name)]}


def get_site(site_id: str, deps: SitePorts) -> dict[str, Any]:
    site = deps.sites.get_site(site_id)
    if site is None:
        raise NotFound(f"no site {site_id}")
    return site_view(site, deps.sites.list_networks())


def put_site(site: Site, actor: Actor, deps: SitePorts, networks: list[str] | None = None,
             create_only: bool = False) -> dict[str, Any]:
    """Create or replace the site; its networks stay unless `networks` names them (then exactly those, checked
    before anything is written, so a refused network leaves a new site unwritten). `create_only`: Conflict when
    the site exists (two admins creating the same id do not overwrite each other). The audit says what changed."""
    old = deps.sites.get_site(site.site_id)
    if old is not None and create_only:
        raise Conflict(f"site {site.site_id} already exists; read it and change it instead")
    existing = deps.sites.list_networks()
    wanted = _checked_networks(site.site_id, networks, existing) if networks is not None else None
    try:
        deps.sites.put_site(site, create_only)
    except Conflict:
        raise Conflict(f"site {site.site_id} already exists; read it and change it instead") from None
    audit.record(deps, actor, "updated" if old else "created", ENTITY, site.site_id,
                 _audited(old) if old else None, _audited(site))
    if wanted is None:
        return site_view(site, existing)
    return _write_networks(site, wanted, existing, actor, deps)


def delete_site(site_id: str, actor: Actor, deps: SitePorts) -> None:
    old = deps.sites.get_site(site_id)
    if old is None:
        raise NotFound(f"no site {site_id}")
    users = sorted(a.agent_id for a in deps.agents.list() if (a.last_location or {}).get("siteId") == site_id)
    if users:
        raise Conflict(f"site {site_id} is the confirmed location of {len(users)} agent(s): {', '.join(users)}; "
                       "they must confirm another location first")
    for network in [n for n in deps.sites.list_networks() if n.site_id == site_id]:
        deps.sites.delete_network(network.cidr)
    deps.sites.delete_site(site_id)
    audit.record(deps, actor, "deleted", ENTITY, site_id, _audited(old), None)


def put_networks(site_id: str, cidrs: list[str], actor: Actor, deps: SitePorts) -> dict[str, Any]:
    """Make the site's networks exactly these. Each one is refused (the index and reason in `details`) when it
    overlaps another site's network without being more specific."""
    site = deps.sites.get_site(site_id)
    if site is None:
        raise NotFound(f"no site {site_id}")
    existing = deps.sites.list_networks()
    return _write_networks(site, _checked_networks(site_id, cidrs, existing), existing, actor, deps)


def _checked_networks(site_id: str, cidrs: list[str], existing: list[Network]) -> list[Network]:
    others = [n for n in existing if n.site_id != site_id]
    wanted: list[Network] = []
    for i, cidr in enumerate(cidrs):
        network = Network(str(parse_network(cidr, f"networks[{i}]")), site_id)
        try:
            check_new_network(network, others)
        except ValidationError as exc:
            raise ValidationError(f"networks[{i}]", exc.message, exc.details) from exc
        if network.cidr not in {n.cidr for n in wanted}:
            wanted.append(network)
    return wanted


def _write_networks(site: Site, wanted: list[Network], existing: list[Network], actor: Actor,
                    deps: SitePorts) -> dict[str, Any]:
    site_id = site.site_id
    others = [n for n in existing if n.site_id != site_id]
    mine = {n.cidr for n in existing if n.site_id == site_id}
    for network in wanted:
        if network.cidr not in mine:
            deps.sites.put_network(network)
    for cidr in mine - {n.cidr for n in wanted}:
        deps.sites.delete_network(cidr)
    audit.record(deps, actor, "updated", ENTITY, site_id, {"networks": ", ".join(sorted(mine))},
                 {"networks": ", ".join(sorted(n.cidr for n in wanted))})
    return site_view(site, [*others, *wanted])


def suggest_location(agent_id: str, headers: Mapping[str, str], trusted: bool, deps: SitePorts,
                     position: Position | None = None) -> dict[str, Any]:
    """What the panel proposes to confirm: the site of the network she connects from (as the platform reports
    it; nothing when it cannot be believed); else, with the browser's `position` (latitude, longitude, accuracy in
    meters), the site whose point is that near; and her last confirmed location. Never a guess."""
    ip = client_ip(headers, trusted)
    network = site_for(ip, deps.sites.list_networks()) if ip else None
    site = deps.sites.get_site(network.site_id) if network else None
    nearby = nearest_site(*position, deps.sites.list_sites()) if site is None and position else None
    agent = deps.agents.get(agent_id)
    return {
        "agentId": agent_id,
        "network": None if site is None or network is None else {
            "cidr": network.cidr, "site": site_view(site, [network])},
        "nearby": None if nearby is None else {"site": site_view(nearby[0], []),
                                               "distanceMeters": round(nearby[1])},
        "source": "network" if site is not None else "geolocation" if nearby is not None else "none",
        "lastConfirmed": (agent.last_location if agent is not None else None) or None,
    }


def _audited(site: Site) -> dict[str, Any]:
    return {"name": site.name, "address": readout(site.address), "deskEmails": "; ".join(site.desk_emails),
            "deskSms": "; ".join(site.desk_sms), "locale": site.locale or "",
            "places": "; ".join(", ".join(f"{k} {v}" for k, v in _place(p).items()) for p in site.places)}
