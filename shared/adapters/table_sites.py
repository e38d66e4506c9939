"""Sites (the contact center's buildings, with their civic addresses and places) and the networks mapped to them,
in Table Storage: partition `site` (row: the site's id) and partition `network` (row: the CIDR, escaped)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from shared.adapters.tables import Tables, delete, escape_key, get_entity, insert, query, upsert
from shared.domain.civic import CivicAddress, from_json
from shared.domain.escalation import Policy, parse_policy
from shared.domain.notify_rules import NotifyRules, from_stored
from shared.domain.sites import Network, Place, Site
from shared.errors import ValidationError

TABLE = "sites"
SITE, NETWORK = "site", "network"
RULES, NOTIFY_RULES = "rules", "notify"  # one row: who is told of a call, per dialed number
ESCALATION = "escalation"  # one row in the same partition: the escalation policy


class TableSiteStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _table(self) -> Any:
        return self._tables.get(TABLE)

    def list_sites(self) -> list[Site]:
        return [_site(e) for e in query(self._table(), "PartitionKey eq @pk", pk=SITE)]

    def get_site(self, site_id: str) -> Site | None:
        entity = get_entity(self._table(), SITE, escape_key(site_id))
        return _site(entity) if entity is not None else None

    def put_site(self, site: Site, create_only: bool = False) -> None:
        entity = {"PartitionKey": SITE, "RowKey": escape_key(site.site_id), "siteId": site.site_id,
                  "site": json.dumps(_site_json(site), separators=(",", ":"))}
        (insert if create_only else upsert)(self._table(), entity)

    def delete_site(self, site_id: str) -> bool:
        if get_entity(self._table(), SITE, escape_key(site_id)) is None:
            return False
        delete(self._table(), SITE, escape_key(site_id))
        return True

    def list_networks(self) -> list[Network]:
        return [Network(e["cidr"], e["siteId"]) for e in query(self._table(), "PartitionKey eq @pk", pk=NETWORK)]

    def put_network(self, network: Network) -> None:
        upsert(self._table(), {"PartitionKey": NETWORK, "RowKey": escape_key(network.cidr), "cidr": network.cidr,
                               "siteId": network.site_id})

    def delete_network(self, cidr: str) -> bool:
        if get_entity(self._table(), NETWORK, escape_key(cidr)) is None:
            return False
        delete(self._table(), NETWORK, escape_key(cidr))
        return True

    def get_notify_rules(self) -> NotifyRules | None:
        entity = get_entity(self._table(), RULES, NOTIFY_RULES)
        if entity is None:
            return None
        try:
            stored = json.loads(entity.get("rules") or "{}")
        except ValueError:  # a row this code never wrote: the defaults, and the admin can save rules over it
            return None
        return from_stored(stored) if isinstance(stored, dict) else None

    def get_escalation_policy(self) -> Policy | None:
        entity = get_entity(self._table(), RULES, ESCALATION)
        if entity is None:
            return None
        try:
            return parse_policy(json.loads(entity.get("policy") or "null"))
        except (ValueError, ValidationError):  # a row this version cannot read: the default, and the admin saves over
            return None

    def put_escalation_policy(self, policy: Policy) -> None:
        upsert(self._table(), {"PartitionKey": RULES, "RowKey": ESCALATION, "policy": json.dumps(policy.as_json())})

    def put_notify_rules(self, rules: NotifyRules) -> None:
        upsert(self._table(), {"PartitionKey": RULES, "RowKey": NOTIFY_RULES,
                               "rules": json.dumps({n: list(a) for n, a in rules.rules.items()})})


def _site_json(site: Site) -> dict[str, Any]:
    return {"name": site.name, "address": site.address.as_json(), "places": [asdict(p) for p in site.places],
            "deskEmails": list(site.desk_emails), "deskSms": list(site.desk_sms), "latitude": site.latitude,
            "longitude": site.longitude}


def _site(entity: dict[str, Any]) -> Site:
    body = json.loads(entity["site"])
    address: CivicAddress = from_json(body["address"])
    return Site(entity["siteId"], body["name"], address, tuple(Place(**p) for p in body.get("places", [])),
                tuple(body.get("deskEmails", [])), tuple(body.get("deskSms", [])), body.get("latitude"),
                body.get("longitude"))
