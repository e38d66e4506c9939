"""Sites (the contact center's buildings, with their civic addresses and places) and the networks mapped to them,
in Table Storage: partition `site` (row: the site's id) and partition `network` (row: the CIDR, escaped); the
notification rules (partition `rules`) and the versions of the escalation policy (partition `escalation`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from shared.adapters.tables import (
    Tables,
    delete,
    dt,
    escape_key,
    first_page,
    get_entity,
    insert,
    query,
    ts,
    upsert,
)
from shared.domain.civic import CivicAddress, from_json
from shared.domain.escalation import Policy, PolicyVersion, parse_policy
from shared.domain.locales import known_locale
from shared.domain.notify_rules import NotifyRules, from_stored
from shared.domain.sites import Network, Place, Site
from shared.errors import ValidationError
from shared.ports import Conflict

TABLE = "sites"
SITE, NETWORK = "site", "network"
RULES, NOTIFY_RULES = "rules", "notify"  # one row: who is told of a call, per dialed number
ESCALATION = "escalation"  # partition: one row per version of the escalation policy, row keys counting down
_TOP = 10**9  # versions 1 .. _TOP - 1; the newest version is the partition's first row


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
        """The policy in force: the newest version; None before any admin saved one, or when this release cannot
        read it (the default is in force then, and the admin saves over it). One read (the partition's first row)."""
        current = self.current_escalation_policy()
        return current.policy if current is not None else None

    def current_escalation_policy(self) -> PolicyVersion | None:
        rows = first_page(self._table(), "PartitionKey eq @pk", 1, pk=ESCALATION)
        return _policy_version(rows[0]) if rows else None

    def escalation_policy_versions(self) -> list[PolicyVersion]:
        """Every version, newest first."""
        rows = query(self._table(), "PartitionKey eq @pk", pk=ESCALATION)
        return sorted((_policy_version(e) for e in rows), key=lambda v: v.version, reverse=True)

    def escalation_policy_version(self, version: int) -> PolicyVersion | None:
        if not 0 < version < _TOP:
            return None
        entity = get_entity(self._table(), ESCALATION, _version_key(version))
        return _policy_version(entity) if entity is not None else None

    def save_escalation_policy(self, policy: Policy, version: int, author: str, at: datetime,
                               restored_from: int | None = None) -> PolicyVersion:
        """Insert version `version` (conditional: Conflict when another save took that number first)."""
        if not 0 < version < _TOP:
            raise ValueError(f"version {version} is out of range")
        saved = PolicyVersion(version, policy, author, at, restored_from)
        insert(self._table(), {"PartitionKey": ESCALATION, "RowKey": _version_key(version), "version": version,
                               "policy": json.dumps(policy.as_json(), separators=(",", ":")), "author": author,
                               "saved_at": ts(at), "restored_from": restored_from})
        return saved

    def put_escalation_policy(self, policy: Policy) -> None:
        """Save `policy` as the next version, by nobody in particular (seeding, tests); the admin API saves through
        save_escalation_policy, with its author and its lost-update check."""
        for _ in range(3):
            current = self.current_escalation_policy()
            try:
                self.save_escalation_policy(policy, (current.version if current else 0) + 1, "unknown",
                                            datetime.now(UTC))
                return
            except Conflict:
                continue
        raise Conflict("the escalation policy kept changing while it was saved")

    def put_notify_rules(self, rules: NotifyRules) -> None:
        upsert(self._table(), {"PartitionKey": RULES, "RowKey": NOTIFY_RULES,
                               "rules": json.dumps({n: list(a) for n, a in rules.rules.items()})})


def _site_json(site: Site) -> dict[str, Any]:
    return {"name": site.name, "address": site.address.as_json(), "places": [asdict(p) for p in site.places],
            "deskEmails": list(site.desk_emails), "deskSms": list(site.desk_sms), "latitude": site.latitude,
            "longitude": site.longitude, "locale": site.locale}


def _site(entity: dict[str, Any]) -> Site:
    body = json.loads(entity["site"])
    address: CivicAddress = from_json(body["address"])
    return Site(entity["siteId"], body["name"], address, tuple(Place(**p) for p in body.get("places", [])),
                tuple(body.get("deskEmails", [])), tuple(body.get("deskSms", [])), body.get("latitude"),
                body.get("longitude"), known_locale(body.get("locale")))


def _version_key(version: int) -> str:
    return f"{_TOP - version:010d}"


def _policy_version(entity: dict[str, Any]) -> PolicyVersion:
    try:
        policy: Policy | None = parse_policy(json.loads(entity.get("policy") or "null"))
    except (ValueError, ValidationError):  # a row this release cannot read: listed, never in force
        policy = None
    saved_at = dt(entity.get("saved_at")) or datetime.min.replace(tzinfo=UTC)
    restored = entity.get("restored_from")
    return PolicyVersion(int(entity["version"]), policy, str(entity.get("author") or "unknown"), saved_at,
                         int(restored) if restored else None)
