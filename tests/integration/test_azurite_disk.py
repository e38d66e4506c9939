"""Azurite on disk: stopped with SIGINT, it saves every acknowledged write, and a new server on the same port and
folder serves them all (SIGTERM or SIGKILL would lose the last 5 s: Azurite saves its database every 5 s)."""

from __future__ import annotations

import time
from pathlib import Path

from azure.data.tables import TableServiceClient, UpdateMode

from local.azurite import Azurite


def test_every_acknowledged_write_survives_a_sigint_stop_and_a_new_server(tmp_path: Path) -> None:
    location = tmp_path / "azurite"
    first = Azurite(location=location).start()
    try:
        table = TableServiceClient.from_connection_string(first.connection_string).create_table("things")
        for n in range(100):
            table.create_entity({"PartitionKey": f"p{n % 4}", "RowKey": f"{n:03d}", "n": n})
        table.update_entity({"PartitionKey": "p0", "RowKey": "000", "n": -1}, mode=UpdateMode.MERGE)
        table.delete_entity("p1", "001")
    finally:
        began = time.monotonic()
        first.stop()
        stop_seconds = time.monotonic() - began
    assert first.exit_code == 0, "Azurite had to be killed instead of closing on SIGINT"
    assert stop_seconds < Azurite.STOP_TIMEOUT
    assert location.is_dir() and any(location.iterdir())  # stop() leaves the data

    with Azurite(port=first.port, location=location) as second:
        table = TableServiceClient.from_connection_string(second.connection_string).get_table_client("things")
        rows = {e["RowKey"]: e["n"] for e in table.list_entities()}
    assert len(rows) == 99
    assert rows["000"] == -1 and "001" not in rows
    assert all(rows[f"{n:03d}"] == n for n in range(2, 100))


def test_the_same_server_object_starts_again_on_its_port_and_folder(tmp_path: Path) -> None:
    server = Azurite(location=tmp_path / "azurite").start()
    try:
        port = server.port
        TableServiceClient.from_connection_string(server.connection_string).create_table("kept")
        server.stop()
        server.start()
        assert server.port == port
        names = [t.name for t in TableServiceClient.from_connection_string(server.connection_string).list_tables()]
        assert names == ["kept"]
    finally:
        server.stop()
