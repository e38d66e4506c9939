"""Delivery records and template versions against a real Azurite."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.table_notifications import TableDeliveryStore, TableTemplateStore
from shared.adapters.tables import Tables
from shared.domain.delivery import SendResult, claim, settle, warning, with_report
from shared.domain.template import NotificationTemplate
from shared.domain.template_versions import TemplateVersion
from shared.ports import Conflict
from tests.fakes import T0


def test_a_delivery_round_trips_and_writes_are_conditional(tables: Tables) -> None:
    store = TableDeliveryStore(tables)
    queued = store.create(claim(None, "ec/1", "email", "Security@Example.com", T0))
    assert store.get("ec/1", "email", "security@example.com") == queued
    with pytest.raises(Conflict):
        store.create(claim(None, "ec/1", "email", "security@example.com", T0))  # a concurrent first claim loses
    accepted = store.replace(settle(queued, SendResult(True, queued.operation_id), T0 + timedelta(seconds=2)))
    assert accepted.version != queued.version
    with pytest.raises(Conflict):
        store.replace(settle(queued, SendResult(False, reason="x"), T0))  # stale version
    loaded = store.get("ec/1", "email", "Security@Example.com")
    assert loaded == accepted and loaded.final and loaded.reason is None


def test_a_delivery_is_found_by_operation_id_and_by_the_service_s_message_id(tables: Tables) -> None:
    store = TableDeliveryStore(tables)
    queued = store.create(claim(None, "ec-1", "sms", "+12025550142", T0))
    assert store.by_message_id(queued.operation_id) == queued
    sent = store.replace(settle(queued, SendResult(True, "Outgoing_20261123_abc"), T0))
    assert store.by_message_id("Outgoing_20261123_abc") == sent
    assert store.by_message_id("unknown") is None
    reported = store.replace(with_report(sent, "Delivered", "No error.", T0 + timedelta(minutes=1)))
    assert store.get("ec-1", "sms", "+12025550142").delivery_status_at == T0 + timedelta(minutes=1)
    assert reported.delivery_status == "Delivered"


def test_deliveries_and_warnings_are_listed_per_call(tables: Tables) -> None:
    store = TableDeliveryStore(tables)
    store.create(claim(None, "ec-1", "email", "a@example.com", T0))
    store.create(warning("ec-1", "sms_disabled", "no sender", T0))
    store.create(claim(None, "ec-2", "email", "a@example.com", T0))
    assert sorted((d.channel, d.recipient) for d in store.list("ec-1")) == [
        ("email", "a@example.com"), ("none", "sms_disabled")]


def test_template_versions_are_numbered_newest_first_and_never_overwritten(tables: Tables) -> None:
    store = TableTemplateStore(tables)
    assert store.current() is None and store.versions() == []
    first = NotificationTemplate("S1 {{ dialed_number }}", "<p>{{ location }}</p>", "T1")
    store.save(first, "alice.admin@example.com", T0)
    store.save(replace(first, subject="S2"), "bob.admin@example.com", T0 + timedelta(minutes=1))
    restored = store.save(first, "carol.admin@example.com", T0 + timedelta(minutes=2), restored_from=1)
    assert restored.version == 3 and store.current() == restored
    assert [(v.version, v.author, v.restored_from) for v in store.versions()] == [
        (3, "carol.admin@example.com", 1), (2, "bob.admin@example.com", None), (1, "alice.admin@example.com", None)]
    assert store.get(1).template == first and store.get(1).saved_at == T0
    assert store.get(4) is None and store.get(0) is None


def test_two_saves_racing_for_the_same_version_number_conflict(tables: Tables) -> None:
    store = TableTemplateStore(tables)
    read_before = store.save(NotificationTemplate("S1", "", "T"), "alice.admin@example.com", T0)
    store.save(NotificationTemplate("S2", "", "T"), "bob.admin@example.com", T0)  # the other save lands first

    class ReadBeforeTheOtherSave(TableTemplateStore):
        def current(self) -> TemplateVersion | None:
            return read_before

    with pytest.raises(Conflict):
        ReadBeforeTheOtherSave(tables).save(NotificationTemplate("S3", "", "T"), "alice.admin@example.com", T0)
    assert [v.template.subject for v in store.versions()] == ["S2", "S1"]


def test_purging_a_call_removes_its_records_and_their_index(tables: Tables) -> None:
    store = TableDeliveryStore(tables)
    queued = store.create(claim(None, "ec-1", "sms", "+12025550142", T0))
    store.replace(settle(queued, SendResult(True, "Outgoing_1"), T0))
    store.create(warning("ec-1", "mailbox_disabled", "disabled", T0))
    kept = store.create(claim(None, "ec-2", "email", "a@example.com", T0))
    assert store.purge("ec-1") == 2 and store.purge("ec-1") == 0
    assert store.list("ec-1") == [] and store.by_message_id("Outgoing_1") is None
    assert store.by_message_id(queued.operation_id) is None and store.by_message_id(kept.operation_id) == kept
