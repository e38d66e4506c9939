"""Fixtures shared by every test layer: a real Azurite (in memory, random free port), fresh tables per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from local.azurite import Azurite
from shared.adapters.tables import Tables


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as server:
        yield server


@pytest.fixture
def tables(azurite: Azurite) -> Tables:
    """Tables under a prefix of their own, so tests never see each other's rows."""
    return Tables(connection_string=azurite.connection_string, prefix="t" + uuid.uuid4().hex[:10])
