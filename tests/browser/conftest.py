"""What the browser suites share: one headless Debian Chromium per module, driven by Playwright; one seeded local
stack per module, opened as the admin unless the module brings its own `stack`; a fresh page per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.seed import seeded_stack
from local.stack import ADMIN_PRINCIPAL, LocalStack

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # launch() starts Chromium with a fresh, temporary user-data directory of its own.
    with pytest.importorskip("playwright.sync_api").sync_playwright() as playwright:
        b = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack(principal=ADMIN_PRINCIPAL) as s:  # as with `make serve`: whoever opens the page is the admin
        yield s


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    """A page in a context of its own, signed in as the stack's principal; no script error allowed."""
    from tests.browser.pages import fresh_page  # it skips the suite without Chromium: not at the conftest's import

    yield from fresh_page(browser, stack)
