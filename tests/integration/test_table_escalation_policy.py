"""The escalation policy's versions in a real Azurite (issue 20): one row per version in the sites table's
`escalation` partition, the newest read first (the scheduler's one read), none overwritten, a version number taken
once, and a row this release cannot read listed but never in force."""

from __future__ import annotations

import pytest

from shared.adapters.table_sites import ESCALATION, TABLE, TableSiteStore, _version_key
from shared.adapters.tables import Tables
from shared.domain.escalation import parse_policy
from shared.ports import Conflict
from tests.fakes import T0

ON_CALL = parse_policy({"tiers": [{"name": "On call", "afterSeconds": 120, "audiences": ["onCall"],
                                   "channels": ["sms", "email", "voice"]}],
                        "mode": "allFirstTier", "onCall": {"emails": ["oncall@example.com"],
                                                           "sms": ["+1 202 555 0166"]},
                        "escalateTests": True, "voiceCallsPerRecipient": 3})
DESK = parse_policy({"tiers": [{"name": "Desk", "afterSeconds": 300, "audiences": ["siteDesk"],
                                "channels": ["email"]}]})


def test_versions_read_back_as_written_the_newest_in_force(tables: Tables) -> None:
    store = TableSiteStore(tables)
    assert store.get_escalation_policy() is None and store.current_escalation_policy() is None
    assert store.escalation_policy_versions() == []
    store.save_escalation_policy(ON_CALL, 1, "alice.admin@example.com", T0)
    saved = store.save_escalation_policy(DESK, 2, "bob.admin@example.com", T0, restored_from=None)
    assert store.get_escalation_policy() == DESK and store.current_escalation_policy() == saved
    [second, first] = store.escalation_policy_versions()
    assert (second.version, second.author, second.saved_at) == (2, "bob.admin@example.com", T0)
    assert (first.version, first.policy, first.author) == (1, ON_CALL, "alice.admin@example.com")
    assert store.escalation_policy_version(1) == first and store.escalation_policy_version(7) is None
    assert store.escalation_policy_version(0) is None and store.escalation_policy_version(-1) is None


def test_a_version_number_is_taken_once(tables: Tables) -> None:
    store = TableSiteStore(tables)
    store.save_escalation_policy(ON_CALL, 1, "alice.admin@example.com", T0)
    with pytest.raises(Conflict):
        store.save_escalation_policy(DESK, 1, "bob.admin@example.com", T0)
    assert store.get_escalation_policy() == ON_CALL


def test_the_newest_is_first_past_nine_versions_and_a_restore_says_where_it_came_from(tables: Tables) -> None:
    store = TableSiteStore(tables)
    for n in range(1, 12):
        store.save_escalation_policy(ON_CALL if n % 2 else DESK, n, "alice.admin@example.com", T0)
    store.save_escalation_policy(DESK, 12, "alice.admin@example.com", T0, restored_from=2)
    current = store.current_escalation_policy()
    assert current is not None and (current.version, current.policy, current.restored_from) == (12, DESK, 2)
    assert [v.version for v in store.escalation_policy_versions()] == list(range(12, 0, -1))


def test_put_saves_the_next_version_by_nobody_in_particular(tables: Tables) -> None:
    store = TableSiteStore(tables)
    store.put_escalation_policy(ON_CALL)
    store.put_escalation_policy(DESK)
    assert [(v.version, v.author) for v in store.escalation_policy_versions()] == [(2, "unknown"), (1, "unknown")]
    assert store.get_escalation_policy() == DESK


@pytest.mark.parametrize("raw", ["not json", '{"tiers": []}', ""])
def test_a_version_this_release_cannot_read_is_listed_and_the_default_is_in_force(tables: Tables, raw: str) -> None:
    store = TableSiteStore(tables)
    store.save_escalation_policy(ON_CALL, 1, "alice.admin@example.com", T0)
    tables.get(TABLE).upsert_entity({"PartitionKey": ESCALATION, "RowKey": _version_key(2), "version": 2,
                                     "policy": raw, "author": "a later release", "saved_at": T0.isoformat()})
    assert store.get_escalation_policy() is None
    [newest, _] = store.escalation_policy_versions()
    assert (newest.version, newest.policy, newest.author) == (2, None, "a later release")
    store.save_escalation_policy(DESK, 3, "alice.admin@example.com", T0)  # and the admin saves over it
    assert store.get_escalation_policy() == DESK
