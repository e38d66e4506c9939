"""933 drills and drill schedules in Table Storage: table `drills`, partition `drill` (row: the drill id) and
partition `schedule` (row: the schedule id). Every change of a drill is ETag-conditional, so two instances that
judge the same drill at once never overwrite each other's observation."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.adapters.tables import Tables, dt, escape_key, get_entity, insert, query, translate_errors, ts
from shared.domain.drills import Drill, Schedule, Step

TABLE = "drills"
DRILL, SCHEDULE = "drill", "schedule"


class TableDrillStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _table(self) -> Any:
        return self._tables.get(TABLE)

    def create(self, drill: Drill) -> Drill:
        with translate_errors():
            meta = self._table().create_entity(_row(drill), retry_total=0)  # a retried insert: a false conflict
        return dataclasses.replace(drill, version=meta.get("etag"))

    def get(self, drill_id: str) -> Drill | None:
        found = get_entity(self._table(), DRILL, escape_key(drill_id))
        return _drill(found) if found else None

    def replace(self, drill: Drill) -> Drill:
        with translate_errors():
            meta = self._table().update_entity(_row(drill), mode=UpdateMode.REPLACE, etag=drill.version,
                                               match_condition=MatchConditions.IfNotModified, retry_total=0)
        return dataclasses.replace(drill, version=meta.get("etag"))

    def delete(self, drill: Drill) -> None:
        with translate_errors():
            try:
                self._table().delete_entity(DRILL, escape_key(drill.drill_id), etag=drill.version,
                                            match_condition=MatchConditions.IfNotModified)
            except ResourceNotFoundError:
                return

    def add_schedule(self, schedule: Schedule) -> None:
        insert(self._table(), _schedule_row(schedule))

    def schedules(self) -> list[Schedule]:
        rows = query(self._table(), "PartitionKey eq @pk", pk=SCHEDULE)
        return sorted((_schedule(e) for e in rows), key=lambda s: (s.starts, s.schedule_id))

    def delete_schedule(self, schedule_id: str) -> bool:
        found = get_entity(self._table(), SCHEDULE, escape_key(schedule_id))
        if found is None:
            return False
        with translate_errors():
            try:
                self._table().delete_entity(SCHEDULE, escape_key(schedule_id), etag=found["_etag"],
                                            match_condition=MatchConditions.IfNotModified)
            except ResourceNotFoundError:
                return False
        return True

    def list(self, agent_id: str | None = None) -> list[Drill]:
        if agent_id is None:
            rows = query(self._table(), "PartitionKey eq @pk", pk=DRILL)
        else:
            rows = query(self._table(), "PartitionKey eq @pk and agentId eq @agent", pk=DRILL, agent=agent_id)
        return sorted((_drill(e) for e in rows), key=lambda d: d.started_at, reverse=True)

def _row(d: Drill) -> dict[str, Any]:
    row = {"PartitionKey": DRILL, "RowKey": escape_key(d.drill_id), "drillId": d.drill_id, "agentId": d.agent_id,
           "startedAt": ts(d.started_at), "startedBy": d.started_by, "scheduleId": d.schedule_id,
           "presenceBefore": d.presence_before, "callId": d.call_id, "dialAnswerMs": d.dial_answer_ms,
           "panelTestMode": d.panel_test_mode, "dndSeenAt": ts(d.dnd_seen_at), "restoredAt": ts(d.restored_at),
           "restoredTo": d.restored_to, "completedAt": ts(d.completed_at), "passed": d.passed,
           "steps": json.dumps([dataclasses.asdict(s) for s in d.steps]), "purgingAt": ts(d.purging_at)}
    return {k: v for k, v in row.items() if v is not None}


def _drill(e: dict[str, Any]) -> Drill:
    started = dt(e["startedAt"])
    assert started is not None
    answer = e.get("dialAnswerMs")
    return Drill(e["drillId"], e["agentId"], started, e.get("startedBy") or "", e.get("scheduleId"),
                 e.get("presenceBefore"), e.get("callId"), float(answer) if answer is not None else None,
                 e.get("panelTestMode"), dt(e.get("dndSeenAt")), dt(e.get("restoredAt")), e.get("restoredTo"),
                 dt(e.get("completedAt")), e.get("passed"),
                 tuple(Step(**s) for s in json.loads(e.get("steps") or "[]")), dt(e.get("purgingAt")),
                 e.get("_etag"))


def _schedule_row(s: Schedule) -> dict[str, Any]:
    return {"PartitionKey": SCHEDULE, "RowKey": escape_key(s.schedule_id), "scheduleId": s.schedule_id,
            "scope": s.scope, "target": s.target, "starts": s.starts.isoformat(), "ends": s.ends.isoformat(),
            "createdBy": s.created_by, "createdAt": ts(s.created_at), "note": s.note}


def _schedule(e: dict[str, Any]) -> Schedule:
    created = dt(e["createdAt"])
    assert created is not None
    return Schedule(e["scheduleId"], e["scope"], e["target"], date.fromisoformat(e["starts"]),
                    date.fromisoformat(e["ends"]), e.get("createdBy") or "", created, e.get("note") or "")
