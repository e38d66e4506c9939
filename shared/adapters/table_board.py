"""The live board's index in Table Storage (issue 21): table `emergencyboard`, one partition `open`, one row per call
that may be on the board, holding the board's summary of the call beside a change mark.

Every write of what the board shows (the call record, a delivery record, an escalation step) sets a new change mark
on the call's row after the write (`touch`). A board poll reads the partition once: a row whose summary was made for
its current mark is shown from the summary, any other row is read in full and its summary kept for the next poll,
conditional on the row as read (a touch in between wins, so the next poll reads it again). A writer that dies
between its write and its touch leaves a summary older than it should be: the board reads each summary again once
it is older than its refresh age (services/board.py), so what the board shows is late by that much at worst.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.adapters.tables import Tables, delete, dt, escape_key, merge_existing, query, translate_errors, ts, upsert
from shared.ports import BoardRow, StoreError

log = logging.getLogger(__name__)
TABLE = "emergencyboard"
PARTITION = "open"


def list_call(tables: Tables, call_id: str) -> None:
    """Put the call on the board's index (again): a fresh mark and no summary, so the next poll reads it in full."""
    upsert(tables.get(TABLE), {"PartitionKey": PARTITION, "RowKey": escape_key(call_id), "call_id": call_id,
                               "change": _mark()})


def touch(tables: Tables, call_id: str) -> None:
    """A new change mark on the call's row, if it is on the board; never raises (the refresh age covers a lost
    touch), never creates a row (a call the board dropped stays off it)."""
    try:
        merge_existing(tables.get(TABLE), {"PartitionKey": PARTITION, "RowKey": escape_key(call_id),
                                           "change": _mark()})
    except StoreError as exc:
        log.warning("emergency call %s: the board's change mark not written (the board reads it again within its "
                    "refresh age): %s", call_id, exc)


def rows(tables: Tables) -> list[BoardRow]:
    """The whole index: one partition query."""
    found = []
    for e in query(tables.get(TABLE), "PartitionKey eq @pk", pk=PARTITION):
        if not e.get("call_id"):
            continue
        summary = e.get("summary")
        found.append(BoardRow(call_id=str(e["call_id"]), change=e.get("change"), version=e.get("_etag"),
                              summary=json.loads(summary) if summary else None,
                              current=bool(summary) and e.get("summarized") == e.get("change"),
                              summarized_at=dt(e.get("summarizedAt"))))
    return found


def keep(tables: Tables, row: BoardRow, summary: dict[str, Any], at: datetime) -> bool:
    """Keep the summary made from reads after `row` was read, unless the row changed since (False then)."""
    entity = {"PartitionKey": PARTITION, "RowKey": escape_key(row.call_id), "summary": json.dumps(summary),
              "summarized": row.change or "", "summarizedAt": ts(at)}
    with translate_errors():
        try:
            tables.get(TABLE).update_entity(entity, mode=UpdateMode.MERGE, etag=row.version,
                                            match_condition=MatchConditions.IfNotModified, retry_total=0)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
    return True


def drop(tables: Tables, call_id: str) -> None:
    delete(tables.get(TABLE), PARTITION, escape_key(call_id))


def _mark() -> str:
    return uuid.uuid4().hex
