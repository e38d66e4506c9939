"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.acs.standin import AcsStandIn


@pytest.fixture
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcsStandIn]:
    """The HTTPS ACS stand-in, its dev CA trusted by the SDK clients (REQUESTS_CA_BUNDLE) while it runs."""
    with AcsStandIn(certs_dir=Path(tmp_path_factory.mktemp("acs-certs"))) as running:
        previous = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(running.ca_bundle)
        try:
            yield running
        finally:
            if previous is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = previous
