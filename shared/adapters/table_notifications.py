"""Notification delivery records and the versions of the notification template in Table Storage."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from shared.adapters import table_board
from shared.adapters.tables import (
    Tables,
    delete,
    dt,
    escape_key,
    get_entity,
    insert,
    query,
    translate_errors,
    ts,
    upsert,
)
from shared.domain.delivery import Channel, Delivery
from shared.domain.template import NotificationTemplate
from shared.domain.template_versions import TEMPLATE_NAME, TemplateVersion

_DELIVERY_TIMES = ("first_attempt_at", "updated_at", "delivery_status_at", "acknowledged_at")
_DELIVERY_FIELDS = ("call_id", "channel", "recipient", "status", "operation_id", "attempts", "reason", "message_id",
                    "final", "delivery_status", "delivery_detail", "ack_token", "acknowledged_via", "step")
ACK_KEY = "ack:"  # index rows from a recipient's acknowledgement token to her delivery record
REPLY_KEY = "reply:"  # index rows from an SMS recipient's number to her latest notification (an SMS reply's match)


class TableDeliveryStore:
    """One partition per emergency call, one row per channel and recipient; an index row per operation/message id."""

    TABLE = "notificationdeliveries"
    INDEX = "notificationmessages"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def get(self, call_id: str, channel: Channel, recipient: str) -> Delivery | None:
        e = get_entity(self._tables.get(self.TABLE), escape_key(call_id), _row_key(channel, recipient))
        return _delivery(e) if e else None

    def create(self, delivery: Delivery) -> Delivery:
        """Conditional insert (Conflict when the row exists); the id index is written first, idempotently, with the
        acknowledgement token's and (SMS) the number's latest notification."""
        self._index(delivery.operation_id, delivery)
        if delivery.ack_token:
            self._index(ACK_KEY + delivery.ack_token, delivery)
        if delivery.channel == "sms":
            self._index(REPLY_KEY + delivery.recipient, delivery)
        with translate_errors():
            # No SDK retry: a retried insert that had landed would come back as a false conflict.
            meta = self._tables.get(self.TABLE).create_entity(_row(delivery), retry_total=0)
        table_board.touch(self._tables, delivery.call_id)
        return dataclasses.replace(delivery, version=meta.get("etag"))

    def replace(self, delivery: Delivery) -> Delivery:
        """ETag-conditional replace; Conflict when someone else wrote since `delivery.version`."""
        if delivery.version is None:
            raise ValueError("replace needs the version the delivery was read with")
        if delivery.message_id and delivery.message_id != delivery.operation_id:
            self._index(delivery.message_id, delivery)  # the SMS service's own id, known once it accepted
        with translate_errors():
            meta = self._tables.get(self.TABLE).update_entity(
                _row(delivery), mode=UpdateMode.REPLACE, etag=delivery.version,
                match_condition=MatchConditions.IfNotModified, retry_total=0)
        table_board.touch(self._tables, delivery.call_id)
        return dataclasses.replace(delivery, version=meta.get("etag"))

    def by_message_id(self, message_id: str) -> Delivery | None:
        e = get_entity(self._tables.get(self.INDEX), escape_key(message_id), "")
        return self.get(e["call_id"], e["channel"], e["recipient"]) if e else None

    def by_ack_token(self, token: str) -> Delivery | None:
        return self.by_message_id(ACK_KEY + token) if token else None

    def latest_sms_to(self, number: str) -> Delivery | None:
        """The latest SMS notification sent to `number` (E.164), for a reply to acknowledge it."""
        return self.by_message_id(REPLY_KEY + number) if number else None

    def list(self, call_id: str) -> list[Delivery]:
        rows = query(self._tables.get(self.TABLE), "PartitionKey eq @pk", pk=escape_key(call_id))
        return [_delivery(e) for e in rows]

    def purge(self, call_id: str) -> int:
        """Index rows first, so a report arriving meanwhile finds nothing rather than a dangling pointer."""
        rows = self.list(call_id)
        for d in rows:
            keys = {d.operation_id, d.message_id, ACK_KEY + d.ack_token if d.ack_token else None}
            if d.channel == "sms" and (latest := self.latest_sms_to(d.recipient)) and latest.call_id == call_id:
                keys.add(REPLY_KEY + d.recipient)
            for key in keys - {None, ""}:
                delete(self._tables.get(self.INDEX), escape_key(str(key)), "")
            delete(self._tables.get(self.TABLE), escape_key(call_id), _row_key(d.channel, d.recipient))
        return len(rows)

    def _index(self, key: str, delivery: Delivery) -> None:
        """Map an id to this row (upsert: repeating it is harmless); warnings have no id and no index row."""
        if key:
            pointer = {"call_id": delivery.call_id, "channel": delivery.channel, "recipient": delivery.recipient}
            upsert(self._tables.get(self.INDEX), {"PartitionKey": escape_key(key), "RowKey": ""} | pointer)


def _row_key(channel: str, recipient: str) -> str:
    """'email|alice@example.com': addresses are compared case-insensitively, as the recipient parser does."""
    return f"{channel}|{escape_key(recipient.casefold())}"


def _row(d: Delivery) -> dict[str, Any]:
    """The entity to write: Table Storage has no null, so empty fields are left out."""
    row: dict[str, Any] = {name: getattr(d, name) for name in _DELIVERY_FIELDS}
    row.update({name: ts(getattr(d, name)) for name in _DELIVERY_TIMES})
    row = {k: v for k, v in row.items() if v is not None}
    return row | {"PartitionKey": escape_key(d.call_id), "RowKey": _row_key(d.channel, d.recipient)}


def _delivery(e: dict[str, Any]) -> Delivery:
    fields: dict[str, Any] = {name: e.get(name) for name in _DELIVERY_FIELDS}
    fields.update({name: dt(e.get(name)) for name in _DELIVERY_TIMES})
    fields["operation_id"] = fields["operation_id"] or ""
    fields["attempts"] = int(fields["attempts"] or 0)
    fields["final"] = bool(fields["final"])
    fields["ack_token"] = fields["ack_token"] or ""
    fields["step"] = int(fields["step"] or 0)
    return Delivery(**fields, version=e.get("_etag"))


class TableTemplateStore:
    """One row per version; row keys count down, so the newest version is the first row of the partition."""

    TABLE = "notificationtemplates"
    _TOP = 10**9

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def current(self) -> TemplateVersion | None:
        table = self._tables.get(self.TABLE)
        with translate_errors():
            pages = table.query_entities("PartitionKey eq @pk", parameters={"pk": TEMPLATE_NAME},
                                         results_per_page=1)
            first = next(iter(pages), None)
        return _version(dict(first)) if first is not None else None

    def save(self, template: NotificationTemplate, author: str, at: datetime,
             restored_from: int | None = None) -> TemplateVersion:
        """Insert version current+1; Conflict when a concurrent save took that number."""
        latest = self.current()
        saved = TemplateVersion((latest.version if latest else 0) + 1, template, author, at, restored_from)
        insert(self._tables.get(self.TABLE), {
            "PartitionKey": TEMPLATE_NAME, "RowKey": self._key(saved.version), "version": saved.version,
            "subject": template.subject, "html": template.html, "text": template.text, "author": author,
            "saved_at": ts(at), "restored_from": restored_from})
        return saved

    def versions(self) -> list[TemplateVersion]:
        rows = query(self._tables.get(self.TABLE), "PartitionKey eq @pk", pk=TEMPLATE_NAME)
        return sorted((_version(e) for e in rows), key=lambda v: v.version, reverse=True)

    def get(self, version: int) -> TemplateVersion | None:
        if not 0 < version < self._TOP:
            return None
        e = get_entity(self._tables.get(self.TABLE), TEMPLATE_NAME, self._key(version))
        return _version(e) if e else None

    def _key(self, version: int) -> str:
        return f"{self._TOP - version:010d}"


def _version(e: dict[str, Any]) -> TemplateVersion:
    template = NotificationTemplate(subject=e.get("subject") or "", html=e.get("html") or "", text=e.get("text") or "")
    saved_at = dt(e.get("saved_at"))
    assert saved_at is not None, "a template version always has saved_at"
    return TemplateVersion(int(e["version"]), template, str(e.get("author") or "unknown"), saved_at,
                           int(e["restored_from"]) if e.get("restored_from") else None)

