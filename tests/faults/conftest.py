"""The fault suite: each module starts its own local stack (Azurite on disk, the Event Grid stand-ins with their
retry schedule sped up, the ACS stand-in, the Functions host as a process that can be killed) and breaks it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.seed import seed_workers
from local.stack import LocalStack
from tests.faults.harness import TIME_SCALE, agent_id, seed_stack, seed_value


@pytest.fixture(scope="session", autouse=True)
def fault_seed() -> int:
    return seed_value()


@pytest.fixture
def rng(fault_seed: int, request: pytest.FixtureRequest) -> random.Random:
    """Randomness per test, from the printed run seed and the test's name (repeatable one by one)."""
    return random.Random(f"{fault_seed}:{request.node.name}")


def start_stack(tmp: Path, agents: int, pool: int, **kw: object) -> LocalStack:
    stack = LocalStack(data_dir=tmp, eventgrid_time_scale=TIME_SCALE, **kw)  # type: ignore[arg-type]
    stack.start()
    try:
        seed_stack(stack.client, agents, pool)
        seed_workers(stack, {agent_id(i): {} for i in range(agents)})  # each agent's Job Router worker
    except BaseException:  # never leave a host and Azurite behind a failed set-up
        stack.stop()
        raise
    return stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """12 agents and a pool of 40 numbers, shared by the tests of one module."""
    s = start_stack(tmp_path_factory.mktemp("faults"), agents=12, pool=40)
    try:
        yield s
    finally:
        s.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A scenario's worker thread that dies of an exception fails the scenario: a caller, a dialer or a responder
    lost mid-fault would silently shrink what the scenario proves."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"))
