"""The Event Grid stand-in's durable state: one SQLite file (WAL, synchronous=FULL) in the topic's data folder.

Every accepted event is a row of `events`, and each (event, subscription) pair a row of `deliveries` with its
attempts, next-attempt time (wall clock, so it survives a restart) and outcome. A publish commits before the
topic answers 200. A delivery claimed for an attempt is leased until the attempt has had its time; opening the
store clears every lease (one stand-in owns a folder at a time: a lock file says so), so what a killed stand-in
was attempting is attempted again at once by the next one (at least once, as Event Grid).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PENDING, DELIVERED, DEAD_LETTERED = "pending", "delivered", "deadLettered"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    body TEXT NOT NULL, publish_time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_seq INTEGER NOT NULL REFERENCES events(seq),
    subscription TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL, next_attempt_at REAL NOT NULL, expires_at REAL NOT NULL,
    last_status INTEGER, last_outcome TEXT, last_attempt_at REAL, dead_letter_reason TEXT, lease_until REAL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (subscription, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_seq);
CREATE TABLE IF NOT EXISTS validations (
    subscription TEXT NOT NULL, endpoint TEXT NOT NULL, validated_at REAL NOT NULL,
    PRIMARY KEY (subscription, endpoint));
"""
_SELECT = """SELECT d.id, d.subscription, d.status, d.attempts, d.max_attempts, d.next_attempt_at, d.expires_at,
    d.last_status, d.last_outcome, d.last_attempt_at, d.dead_letter_reason, e.event_id, e.event_type, e.body,
    e.publish_time FROM deliveries d JOIN events e ON e.seq = d.event_seq"""


@dataclass(frozen=True)
class Delivery:
    """One (event, subscription) delivery as stored."""

    id: int
    subscription: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: float
    expires_at: float
    last_status: int | None
    last_outcome: str | None
    last_attempt_at: float | None
    dead_letter_reason: str | None
    event_id: str
    event_type: str
    body: str
    publish_time: float

    @property
    def event(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


@dataclass(frozen=True)
class Accepted:
    """An accepted event and the (subscription, max attempts, expiry) of each delivery it needs."""

    event: dict[str, Any]
    event_id: str
    event_type: str
    targets: Sequence[tuple[str, int, float]]


class DeliveryStore:
    """Thread-safe: one connection behind a lock (each write is a short, fsynced transaction)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._owner = open(path.with_suffix(".lock"), "w")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._owner.close()
            raise RuntimeError(f"another Event Grid stand-in uses {path.parent}") from None
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.execute("UPDATE deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection | None]:
        """One write transaction under the lock; yields None once closed (a late attempt after stop())."""
        with self._lock:
            if self._db is None:
                yield None
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def accept(self, accepted: Sequence[Accepted], publish_time: float) -> None:
        """Persist a publish, all or nothing, durably; returns once it is on disk."""
        with self._transaction() as db:
            if db is None:
                raise RuntimeError("the store is closed")
            for item in accepted:
                seq = db.execute("INSERT INTO events (event_id, event_type, body, publish_time) VALUES (?, ?, ?, ?)",
                                 (item.event_id, item.event_type, json.dumps(item.event), publish_time)).lastrowid
                db.executemany("INSERT INTO deliveries (event_seq, subscription, status, max_attempts, "
                               "next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                               [(seq, name, PENDING, attempts, publish_time, expires)
                                for name, attempts, expires in item.targets])

    def claim(self, subscription: str, now: float, limit: int, lease_until: float) -> list[Delivery]:
        """Up to `limit` due pending deliveries of a subscription, leased until `lease_until`."""
        with self._transaction() as db:
            if db is None or limit <= 0:
                return []
            rows = db.execute(f"{_SELECT} WHERE d.subscription = ? AND d.status = ? AND d.next_attempt_at <= ? "
                              "AND (d.lease_until IS NULL OR d.lease_until <= ?) ORDER BY d.next_attempt_at LIMIT ?",
                              (subscription, PENDING, now, now, limit)).fetchall()
            db.executemany("UPDATE deliveries SET lease_until = ? WHERE id = ?",
                           [(lease_until, row[0]) for row in rows])
        return [Delivery(*row) for row in rows]

    def next_due(self, subscription: str) -> float | None:
        """The earliest time a pending delivery of the subscription can be claimed (after its lease, if any)."""
        with self._lock:
            if self._db is None:
                return None
            row = self._db.execute("SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM deliveries "
                                   "WHERE subscription = ? AND status = ?", (subscription, PENDING)).fetchone()
        return None if row[0] is None else float(row[0])

    def record(self, delivery_id: int, status: str, attempts: int, next_attempt_at: float,
               last_status: int | None, last_outcome: str | None, last_attempt_at: float | None,
               dead_letter_reason: str | None = None) -> None:
        """Store the outcome of an attempt (or of an expiry)."""
        with self._transaction() as db:
            if db is not None:
                db.execute("UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, "
                           "last_outcome = ?, last_attempt_at = ?, dead_letter_reason = ?, lease_until = NULL "
                           "WHERE id = ?",
                           (status, attempts, next_attempt_at, last_status, last_outcome, last_attempt_at,
                            dead_letter_reason, delivery_id))

    def list(self, subscription: str | None = None, event_ids: Sequence[str] | None = None) -> list[Delivery]:
        """Deliveries in publish order, optionally of one subscription and/or some event ids."""
        clauses, args = [], []
        if subscription is not None:
            clauses.append("d.subscription = ?")
            args.append(subscription)
        if event_ids is not None:
            clauses.append(f"e.event_id IN ({', '.join('?' for _ in event_ids)})")
            args.extend(event_ids)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            if self._db is None:
                return []
            rows = self._db.execute(f"{_SELECT}{where} ORDER BY d.id", args).fetchall()
        return [Delivery(*row) for row in rows]

    def events(self, event_id: str) -> tuple[dict[str, Any], ...]:
        """Every accepted event with this id, in publish order (a publisher may send one id more than once)."""
        with self._lock:
            if self._db is None:
                return ()
            rows = self._db.execute("SELECT body FROM events WHERE event_id = ? ORDER BY seq", (event_id,)).fetchall()
        return tuple(json.loads(row[0]) for row in rows)

    def is_validated(self, subscription: str, endpoint: str) -> bool:
        with self._lock:
            if self._db is None:
                return False
            row = self._db.execute("SELECT 1 FROM validations WHERE subscription = ? AND endpoint = ?",
                                   (subscription, endpoint)).fetchone()
        return row is not None

    def mark_validated(self, subscription: str, endpoint: str, now: float) -> None:
        with self._transaction() as db:
            if db is not None:
                db.execute("INSERT OR REPLACE INTO validations (subscription, endpoint, validated_at) "
                           "VALUES (?, ?, ?)", (subscription, endpoint, now))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._owner.close()  # releases the folder
