"""The description's files, the seed of the schemathesis run (printed at the end of the run; CONTRACT_SEED=<n>
replays it, CONTRACT_EXAMPLES=<n> tries more cases per operation), and a view of what the app published."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = ROOT / "openapi" / "openapi.json"
EVENTS = ROOT / "openapi" / "events"
SEED = int(os.environ.get("CONTRACT_SEED") or random.SystemRandom().randrange(1 << 32))
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES") or 20)


def description() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    return document


def event_schemas() -> dict[str, dict[str, Any]]:
    """Event type -> its JSON Schema, from openapi/events/."""
    return {path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(EVENTS.glob("*.schema.json"))}


def published(database: Path) -> list[dict[str, Any]]:
    """Every event an Event Grid stand-in accepted (its SQLite database, read only), in publish order, whether or not
    a subscription wanted it."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return [json.loads(body) for (body,) in db.execute("SELECT body FROM events ORDER BY seq")]
    finally:
        db.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The seed, whenever the schemathesis run took part (passed or failed)."""
    reports = [r for kind in terminalreporter.stats.values() for r in kind if hasattr(r, "nodeid")]
    if not any("test_against_the_stack" in r.nodeid for r in reports):
        return
    terminalreporter.write_line(f"contract tests: schemathesis seed {SEED}, {EXAMPLES} examples per operation "
                                f"(CONTRACT_SEED={SEED} replays it)")
