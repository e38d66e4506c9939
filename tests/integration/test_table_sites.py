"""Sites, networks and the notification rules in a real Azurite: what is written reads back the same, a create-only
write never overwrites, and a rules row this code never wrote leaves the defaults in force."""

from __future__ import annotations

import pytest

from shared.adapters.table_sites import NOTIFY_RULES, RULES, TABLE, TableSiteStore
from shared.adapters.tables import Tables
from shared.domain.civic import CivicAddress
from shared.domain.notify_rules import NotifyRules, parse_rules
from shared.domain.sites import Network, Place, Site
from shared.ports import Conflict

PLAZA = Site("springfield", "Springfield Plaza", CivicAddress("US", a1="IL", a3="Springfield", rd="Example Plaza",
                                                              hno="1", pc="62701"),
             (Place(floor="3", room="301"), Place(floor="3", wing="North")), ("guard@example.com",),
             ("+12025550166",), 39.7817, -89.6501)


def test_a_site_its_networks_and_the_rules_read_back_as_written(tables: Tables) -> None:
    store = TableSiteStore(tables)
    store.put_site(PLAZA)
    store.put_network(Network("2001:db8:1::/48", "springfield"))
    assert store.get_site("springfield") == PLAZA and store.list_sites() == [PLAZA]
    assert store.list_networks() == [Network("2001:db8:1::/48", "springfield")]
    assert store.get_notify_rules() is None
    rules = parse_rules({"rules": {"933": ["agent", "siteDesk"]}})
    store.put_notify_rules(rules)
    assert store.get_notify_rules() == rules


def test_a_create_only_write_never_overwrites_a_site(tables: Tables) -> None:
    store = TableSiteStore(tables)
    store.put_site(PLAZA, create_only=True)
    with pytest.raises(Conflict):
        store.put_site(Site("springfield", "Someone else's", PLAZA.address), create_only=True)
    assert store.get_site("springfield") == PLAZA


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ""])
def test_a_rules_row_this_code_never_wrote_leaves_the_defaults(tables: Tables, raw: str) -> None:
    store = TableSiteStore(tables)
    tables.get(TABLE).upsert_entity({"PartitionKey": RULES, "RowKey": NOTIFY_RULES, "rules": raw})
    assert (store.get_notify_rules() or NotifyRules()).as_json() == NotifyRules().as_json()
    store.put_notify_rules(parse_rules({"rules": {"911": ["agent"]}}))  # and the admin can save over it
    assert store.get_notify_rules() == parse_rules({"rules": {"911": ["agent"]}})


def test_a_site_s_locale_reads_back_and_a_site_without_one_follows_its_country(tables: Tables) -> None:
    from dataclasses import replace

    from shared.domain.locales import site_locale

    store = TableSiteStore(tables)
    store.put_site(replace(PLAZA, site_id="montreal", locale="fr-CA"))
    store.put_site(PLAZA)
    montreal, springfield = store.get_site("montreal"), store.get_site("springfield")
    assert montreal is not None and montreal.locale == "fr-CA" and site_locale(montreal) == "fr-CA"
    assert springfield is not None and springfield.locale is None and site_locale(springfield) == "en-US"
