"""The storage client under a burst: connections are kept for every concurrent round trip (none opened anew and
thrown away), and the environment is read for proxies and CA bundles only when one is set."""

from __future__ import annotations

import logging
import threading
import uuid

import pytest

from shared.adapters.tables import CONNECTIONS, Tables, get_entity, storage_transport, upsert


def test_thirty_round_trips_at_once_reuse_their_connections(tables: Tables,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    table = tables.get("conn" + uuid.uuid4().hex[:8])
    upsert(table, {"PartitionKey": "p", "RowKey": "r", "a": "x"})
    start = threading.Barrier(30, timeout=10)
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            start.wait()
            for _ in range(10):
                assert get_entity(table, "p", "r") is not None
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"):
        threads = [threading.Thread(target=reader) for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert failures == []
    # requests' default keeps 10 connections per host and discards the rest, so each burst reconnects
    assert [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()] == []


@pytest.mark.parametrize(("environ", "reads_it"), [
    ({}, False),
    ({"PATH": "/usr/bin", "WEBSITE_SITE_NAME": "contoso-emergency"}, False),
    ({"HTTPS_PROXY": "http://proxy.example.com:3128"}, True),
    ({"no_proxy": "localhost"}, True),
    ({"REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem"}, True),
    ({"CURL_CA_BUNDLE": "/etc/ssl/corporate.pem"}, True),
    ({"HTTPS_PROXY": ""}, False),
])
def test_the_environment_is_read_only_when_it_says_something(environ: dict[str, str], reads_it: bool) -> None:
    transport = storage_transport(environ)
    assert transport.session.trust_env is reads_it
    assert transport.session.get_adapter("https://example.table.core.windows.net")._pool_maxsize == CONNECTIONS
