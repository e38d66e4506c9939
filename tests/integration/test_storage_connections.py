"""The storage client under a burst: connections are kept for every concurrent round trip (none opened anew and
thrown away), and the environment is read once for proxies and CA bundles, as requests would read it."""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.core.rest import HttpRequest

from local.certs import ensure_dev_certs
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


@pytest.mark.parametrize(("environ", "reads_it", "verify"), [
    ({}, False, True),
    ({"PATH": "/usr/bin", "WEBSITE_SITE_NAME": "contoso-emergency"}, False, True),
    ({"HTTPS_PROXY": "http://proxy.example.com:3128"}, True, True),
    ({"no_proxy": "localhost"}, True, True),
    ({"HTTPS_PROXY": ""}, False, True),
    # a CA bundle that cannot be read is passed on as a path (requests names it in each request's error), in
    # requests' own order
    ({"REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem"}, False, "/etc/ssl/corporate.pem"),
    ({"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"}, False, "/etc/ssl/curl.pem"),
    ({"REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem", "CURL_CA_BUNDLE": "/etc/ssl/curl.pem"}, False,
     "/etc/ssl/corporate.pem"),
])
def test_the_environment_is_read_once_for_what_it_says(environ: dict[str, str], reads_it: bool,
                                                       verify: object) -> None:
    transport = storage_transport(environ)
    assert transport.session.trust_env is reads_it
    assert transport.connection_config.verify == verify
    assert transport.connection_config.timeout == 2 and transport.connection_config.read_timeout == 5
    assert transport.session.get_adapter("https://example.table.core.windows.net")._pool_maxsize == CONNECTIONS


def test_a_readable_ca_bundle_is_loaded_once_not_looked_up_on_every_request(tmp_path: Path) -> None:
    # requests looks a CA bundle given as a path up on the disk (isdir) for every request: 4 % of the host's CPU
    # under a burst of dials (issue 18's profile). Loaded once into the TLS context, it is never looked up again.
    certs = ensure_dev_certs(tmp_path / "certs")
    transport = storage_transport({"REQUESTS_CA_BUNDLE": str(certs.ca_pem)})
    assert transport.connection_config.verify is True
    assert transport.session.get_adapter("https://example.table.core.windows.net")._context is not None


def test_a_ca_bundle_from_the_environment_is_what_verifies_the_storage_server(tmp_path: Path) -> None:
    """Against an HTTPS server whose CA only the bundle holds: verified with it, refused without it."""
    certs = ensure_dev_certs(tmp_path / "certs")
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.server_pem, certs.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    try:
        for environ, verified in (({"REQUESTS_CA_BUNDLE": str(certs.ca_pem)}, True), ({}, False)):
            transport = storage_transport(environ)
            try:
                with transport:
                    response = transport.send(HttpRequest("GET", url))
                assert verified and response.status_code == 200
            except ServiceRequestError:
                assert not verified
    finally:
        server.shutdown()


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None
