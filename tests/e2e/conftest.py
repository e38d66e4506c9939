"""End-to-end: the whole local stack (Azurite, ACS stand-in, local Functions host) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.seed import seeded_stack
from local.stack import Client, LocalStack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack() as s:
        yield s


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Client:
    return stack.client
