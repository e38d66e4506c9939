"""The local host's clock file (LOCAL_CLOCK_FILE): an advance survives the host, and hosts on one file share it."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.host.clock import FileClock, clock_from_env, read_offset
from shared.clock import AdjustableClock

ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)


def close_to(actual: datetime, expected: datetime, slack: timedelta = timedelta(seconds=5)) -> bool:
    return abs(actual - expected) <= slack


def test_an_advance_is_on_disk_and_a_new_clock_on_the_file_goes_on_from_it(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    FileClock(path).advance(HOUR)
    assert json.loads(path.read_text()) == {"offsetSeconds": 3600.0}
    assert close_to(FileClock(path).now(), datetime.now(UTC) + HOUR)


def test_no_file_means_no_offset_and_nothing_is_written_until_an_advance(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "clock.json"
    assert close_to(FileClock(path).now(), datetime.now(UTC))
    assert not path.exists()


def test_the_file_is_replaced_whole_leaving_no_temporary_file(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock.json")
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clock.json", "clock.json.lock"]
    assert read_offset(tmp_path / "clock.json") == timedelta(minutes=5)


def test_two_clocks_on_one_file_see_each_other_and_lose_no_advance(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    first, second = FileClock(path), FileClock(path)
    first.advance(HOUR)
    assert close_to(second.now(), datetime.now(UTC) + HOUR)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: (first if i % 2 else second).advance(timedelta(seconds=1)), range(40)))
    assert first.offset == second.offset == HOUR + timedelta(seconds=40)


def test_the_clock_never_moves_back(tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock.json")
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))


@pytest.mark.parametrize("content", ["not json", "[]", '{"offsetSeconds": -5}', '{"offsetSeconds": "5"}'])
def test_a_damaged_clock_file_fails_loudly_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "clock.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=str(path)):
        FileClock(path)


def test_the_file_is_used_only_when_the_setting_is_set(tmp_path: Path) -> None:
    assert isinstance(clock_from_env({}), AdjustableClock)
    assert isinstance(clock_from_env({"LOCAL_CLOCK_FILE": ""}), AdjustableClock)
    clock = clock_from_env({"LOCAL_CLOCK_FILE": str(tmp_path / "c.json")})
    assert isinstance(clock, FileClock) and clock.path == tmp_path / "c.json"


def test_a_host_killed_with_sigkill_restarts_at_the_advanced_time(tmp_path: Path) -> None:
    env = {"PATH": "", "LOCAL_HOST_TIMERS": "0", "LOCAL_CLOCK_FILE": str(tmp_path / "clock.json")}
    first, port = start_cli_host(env)
    try:
        advanced = datetime.fromisoformat(request(port, "POST", "/local/clock", {"advanceSeconds": 7200})["now"])
    finally:
        first.kill()
        first.wait(timeout=10)
    second, port = start_cli_host(env)
    try:
        now = datetime.fromisoformat(request(port, "GET", "/local/clock")["now"])
    finally:
        second.terminate()
        second.wait(timeout=10)
    assert close_to(now, advanced, slack=timedelta(seconds=30))
    assert now > datetime.now(UTC) + timedelta(hours=1, minutes=59)


def start_cli_host(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """`python -m local.host` on a free port; the port from its start lines."""
    command = [sys.executable, "-m", "local.host", "--port", "0", "--app", "tests.unit.test_local_host:cli_app"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=env)
    assert process.stdout is not None
    first_line = process.stdout.readline()  # blocks only until the host printed, or exited
    if "http://127.0.0.1:" not in first_line:
        process.kill()
        raise AssertionError(f"the host did not start: {first_line!r}")
    return process, int(first_line.split("http://127.0.0.1:")[1].split()[0])


def request(port: int, method: str, path: str, body: object = None) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())  # type: ignore[no-any-return]
    finally:
        connection.close()
