"""Escalation steps in Table Storage (issue 20): partition `step`, row `<call>|<tier>`; each write conditional, so
two runs of the timer never run one step twice."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from shared.adapters import table_board
from shared.adapters.tables import Tables, dt, escape_key, insert, query, translate_errors, ts
from shared.domain.escalation import DEFAULT_VOICE_CALLS, Step, Tier
from shared.ports import Conflict

TABLE = "escalations"
PARTITION = "step"


class TableEscalationStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _table(self) -> Any:
        return self._tables.get(TABLE)

    def schedule(self, step: Step) -> bool:
        """Insert the step; False when it was scheduled already (a redelivered CallStarted)."""
        try:
            insert(self._table(), _row(step))
        except Conflict:
            return False
        table_board.touch(self._tables, step.call_id)
        return True

    def due(self, now: datetime, stuck_after: timedelta) -> list[Step]:
        """Steps due by `now` not yet run, and steps a run claimed more than `stuck_after` ago (it died)."""
        # The SDK reads each @name up to the next space: keep one after each.
        rows = query(self._table(), "PartitionKey eq @pk and dueAt le @now and ( status eq 'pending' or "
                     "( status eq 'running' and claimedAt le @stuck ) )", pk=PARTITION, now=ts(now),
                     stuck=ts(now - stuck_after))
        return sorted((_step(e) for e in rows), key=lambda s: s.due_at)

    def of_call(self, call_id: str) -> list[Step]:
        prefix = escape_key(call_id) + "|"
        rows = query(self._table(), "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi", pk=PARTITION,
                     lo=prefix, hi=prefix[:-1] + "}")
        return sorted((_step(e) for e in rows), key=lambda s: s.index)

    def save(self, step: Step, claimed_at: datetime | None = None) -> Step:
        """Write if unchanged since read (Conflict otherwise); `claimed_at` marks a run's claim."""
        row = _row(step) | ({"claimedAt": ts(claimed_at)} if claimed_at else {})
        with translate_errors():
            meta = self._table().update_entity(row, mode=UpdateMode.REPLACE, etag=step.version,
                                               match_condition=MatchConditions.IfNotModified, retry_total=0)
        table_board.touch(self._tables, step.call_id)
        return dataclasses.replace(step, version=meta.get("etag"))


def _row(s: Step) -> dict[str, Any]:
    row = {"PartitionKey": PARTITION, "RowKey": f"{escape_key(s.call_id)}|{s.index:02d}", "callId": s.call_id,
           "index": s.index, "dueAt": ts(s.due_at), "status": s.status, "outcome": s.outcome,
           "tier": json.dumps(s.tier.as_json()), "mode": s.mode, "onCallEmails": json.dumps(list(s.on_call_emails)),
           "onCallSms": json.dumps(list(s.on_call_sms)), "voiceCalls": s.voice_calls, "ranAt": ts(s.ran_at)}
    return {k: v for k, v in row.items() if v is not None}


def _step(e: dict[str, Any]) -> Step:
    tier = json.loads(e["tier"])
    due = dt(e["dueAt"])
    assert due is not None
    return Step(e["callId"], int(e["index"]), due,
                Tier(tier["name"], timedelta(seconds=tier["afterSeconds"]), tuple(tier["audiences"]),
                     tuple(tier["channels"])),
                tuple(json.loads(e.get("onCallEmails") or "[]")), tuple(json.loads(e.get("onCallSms") or "[]")),
                e.get("mode") or "any", int(e.get("voiceCalls") or DEFAULT_VOICE_CALLS), e.get("status") or "pending",
                e.get("outcome") or "", dt(e.get("ranAt")), e.get("_etag"))
