"""The security suite: hostile inputs against the limits that keep an emergency call safe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters import render_process


@pytest.fixture(scope="session", autouse=True)
def _render_processes_end_with_the_suite() -> Iterator[None]:
    yield
    render_process.close_all()
