"""End-to-end: the whole local stack (Azurite, ACS stand-in, local Functions host) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.seed import seed
from local.stack import Client, LocalStack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    s = LocalStack()
    s.start()
    try:
        seed(s.client)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Client:
    return stack.client
