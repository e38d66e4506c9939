"""The local stack's restart helpers, for the fault suite: kill and restart the host, stop and restart storage, a
second host on the same storage, and `make serve`'s data kept across a restart of the whole stack."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from local.seed import AGENTS, POOL, seed_missing
from local.stack import Client, LocalStack

ALICE = AGENTS["alice"]


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack() as s:
        yield s


def put_alice(client: Client, display_name: str = "Alice Example") -> None:
    assert client.put("/api/manage/agents/alice", {**ALICE, "displayName": display_name})[0] == 200


def alice(client: Client) -> str:
    status, body = client.get("/api/manage/agents/alice")
    assert status == 200, body
    return str(body["displayName"])


def test_a_killed_host_starts_again_on_its_port_with_its_data_and_its_clock(stack: LocalStack) -> None:
    put_alice(stack.client)
    advanced = stack.client.advance(2 * 3600)
    stack.kill_host()
    with pytest.raises(urllib.error.URLError):
        stack.client.get("/local/health")
    stack.start_host()
    assert alice(stack.client) == "Alice Example"
    assert advanced <= stack.client.now() <= advanced + timedelta(seconds=30)


def test_starting_a_running_host_or_killing_a_dead_one_is_refused(stack: LocalStack) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        stack.start_host()
    stack.kill_host()
    with pytest.raises(RuntimeError, match="not running"):
        stack.kill_host()


def test_storage_stopped_and_started_again_keeps_every_acknowledged_write(stack: LocalStack) -> None:
    put_alice(stack.client, "Alice Before The Outage")
    stack.stop_storage()
    assert stack.azurite.exit_code == 0  # closed on SIGINT, having saved; not killed
    stack.start_storage()
    assert alice(stack.client) == "Alice Before The Outage"


def test_an_extra_host_shares_the_storage_and_the_clock_and_stops_with_the_stack() -> None:
    with LocalStack() as stack:
        extra = stack.start_extra_host()
        assert extra.base_url != stack.client.base_url
        put_alice(stack.client, "Written Through The First Host")
        assert alice(extra) == "Written Through The First Host"
        advanced = extra.advance(3600)
        assert advanced <= stack.client.now() <= advanced + timedelta(seconds=30)
    with pytest.raises(urllib.error.URLError):
        extra.get("/local/health")


def test_a_temporary_data_folder_is_removed_by_stop_and_a_given_one_is_kept(tmp_path: Path) -> None:
    with LocalStack() as temporary:
        folder = temporary.data_dir
        assert (folder / "azurite").is_dir()
        assert temporary.settings()["LOCAL_CLOCK_FILE"] == str(folder / "clock.json")
    assert not folder.exists()
    with LocalStack(data_dir=tmp_path / "serve") as given:
        given.client.advance(60)
    assert (tmp_path / "serve" / "clock.json").is_file() and (tmp_path / "serve" / "azurite").is_dir()


def test_serve_data_survives_a_restart_of_the_whole_stack_and_seeding_keeps_the_edits(tmp_path: Path) -> None:
    with LocalStack(data_dir=tmp_path) as first:
        created = seed_missing(first.client)
        put_alice(first.client, "Alice Edited")
        advanced = first.client.advance(3600)
    assert "agent alice" in created and "the callback pool" in created
    with LocalStack(data_dir=tmp_path) as second:
        assert seed_missing(second.client) == []
        assert alice(second.client) == "Alice Edited"
        assert len(second.client.get("/api/manage/callback-numbers")[1]["numbers"]) == len(POOL)
        assert second.client.now() >= advanced
