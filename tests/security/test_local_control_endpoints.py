"""Issue 9, item 9: the local host's own control endpoints (`/admin/functions/NAME`, `/local/clock`) obey only this
machine's tools. Reproduced first: before the fix a `text/plain` POST from any Host ran a function or moved the clock,
which a web page can send cross-site (a simple request, no CORS preflight) or through DNS rebinding."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import azure.functions as func
import pytest

from local.host import LocalHost
from local.stack import Client
from shared.auth import headers_trusted
from shared.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
JSON = "application/json"


def make_app(runs: list[str]) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="mytimer")
    def sweep(mytimer: func.TimerRequest) -> None:
        runs.append("sweep")

    @app.route(route="trust", methods=["GET"])
    def trust(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps({"trusted": headers_trusted(os.environ)}), mimetype=JSON)

    return app


cli_app = make_app([])  # served by `python -m local.host` in a subprocess below


@pytest.fixture
def runs() -> list[str]:
    return []


@pytest.fixture
def host(runs: list[str]) -> Iterator[LocalHost]:
    local = LocalHost(make_app(runs), port=0, clock=FixedClock(START), timers=False)
    local.start()
    yield local
    local.stop()


def send(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body or b"")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


CONTROL = [("/admin/functions/sweep", b'{"input": ""}'), ("/local/clock", b'{"advanceSeconds": 3600}')]


@pytest.mark.parametrize(("path", "body"), CONTROL)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; "
                                          "boundary=x", None])
def test_a_body_not_declared_json_is_415_and_changes_nothing(host: LocalHost, runs: list[str], path: str,
                                                             body: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert send(host.port, "POST", path, body, headers) == 415
    assert runs == [] and host.clock.now() == START


@pytest.mark.parametrize(("path", "body"), CONTROL)
@pytest.mark.parametrize("host_header", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                         "localhost:1", "127.0.0.1", "10.0.0.5:{port}", ""])
def test_a_foreign_host_is_403_and_changes_nothing(host: LocalHost, runs: list[str], path: str, body: bytes,
                                                   host_header: str) -> None:
    headers = {"Host": host_header.format(port=host.port), "Content-Type": JSON}
    assert send(host.port, "POST", path, body, headers) == 403
    assert send(host.port, "GET", "/local/clock", None, {"Host": host_header.format(port=host.port)}) == 403
    assert runs == [] and host.clock.now() == START


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_the_loopback_names_with_json_are_obeyed(host: LocalHost, runs: list[str], name: str) -> None:
    headers = {"Host": f"{name}:{host.port}", "Content-Type": "application/json; charset=utf-8"}
    assert send(host.port, "POST", "/admin/functions/sweep", b'{"input": ""}', headers) == 202
    assert send(host.port, "POST", "/local/clock", b'{"advanceSeconds": 60}', headers) == 200
    assert runs == ["sweep"] and host.clock.now() == START + timedelta(seconds=60)


def test_the_app_s_own_routes_keep_their_rules(host: LocalHost) -> None:
    """Only the host's control endpoints are restricted: /api/ and the health check answer any Host."""
    assert send(host.port, "GET", "/api/trust", None, {"Host": "func.example"}) == 200
    assert send(host.port, "GET", "/local/health", None, {"Host": "func.example"}) == 200


def test_the_stack_client_drives_the_control_endpoints(host: LocalHost, runs: list[str]) -> None:
    """local.stack's Client (the demo's and the tests') sends a loopback Host and JSON; the stack's host believes
    its own principal headers (PRINCIPAL_HEADERS_TRUSTED=local-host, checked end to end by tests/e2e/test_admin_api)."""
    client = Client(host.base_url)
    assert client.run_function("sweep") == 202 and runs == ["sweep"]
    assert client.advance(60) == START + timedelta(seconds=60)


def test_python_m_local_host_trusts_its_own_principal_headers() -> None:
    command = [sys.executable, "-m", "local.host", "--port", "0", "--app",
               "tests.security.test_local_control_endpoints:cli_app"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={"PATH": "", "LOCAL_HOST_TIMERS": "0"})
    try:
        assert process.stdout is not None
        lines = "".join(iter(process.stdout.readline, "\n"))
        port = int(lines.split("http://127.0.0.1:")[1].split()[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/trust")
        assert json.loads(connection.getresponse().read()) == {"trusted": True}
        connection.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
