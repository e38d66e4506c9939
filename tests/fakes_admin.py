"""In-memory fakes of the administration ports (voice setup, audit log) for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.audit import AuditEntry
from shared.domain.sites import Network, Site
from shared.domain.voice_config import VoiceRecord
from tests.fakes import FakeDeps


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)

    def recent(self, limit: int, entity: str | None = None, entity_id: str | None = None) -> list[AuditEntry]:
        found = [e for e in reversed(self.entries)
                 if (entity is None or e.entity == entity) and (entity_id is None or e.entity_id == entity_id)]
        return found[:limit]


class FakeSites:
    def __init__(self) -> None:
        self.sites: dict[str, Site] = {}
        self.networks: dict[str, Network] = {}

    def list_sites(self) -> list[Site]:
        return list(self.sites.values())

    def get_site(self, site_id: str) -> Site | None:
        return self.sites.get(site_id)

    def put_site(self, site: Site) -> None:
        self.sites[site.site_id] = site

    def delete_site(self, site_id: str) -> bool:
        return self.sites.pop(site_id, None) is not None

    def list_networks(self) -> list[Network]:
        return list(self.networks.values())

    def put_network(self, network: Network) -> None:
        self.networks[network.cidr] = network

    def delete_network(self, cidr: str) -> bool:
        return self.networks.pop(cidr, None) is not None


class AdminDeps(FakeDeps):
    """FakeDeps plus the voice setup and the audit log."""

    def __init__(self) -> None:
        super().__init__()
        self.voice_config = self.voice_setup  # the dial reads what the admin set
        self.audit = FakeAudit()
        self.sites = FakeSites()

    def configure(self, *records: VoiceRecord) -> None:
        for record in records:
            self.voice_config.put(record)
