"""The local host's HTTP transport: cheroot's WSGI server, handing each request to one `handle` callable.

Sized so that a burst is held, not refused: a listen backlog of `BACKLOG` (the kernel caps it at somaxconn), HTTP
threads well above the worker's invocation limit (threads waiting for an invocation slot must not starve
`/local/health` or the clock), no cap on idle keep-alive connections, and an unbounded accept queue. Request bodies
may be chunked. The HTTP trigger's documented limits apply (learn.microsoft.com, "Azure Functions HTTP trigger",
Limits): a request body over 100 MB is refused with 413, a URL over 4 KB with 414 (Azure's status for that one is
not documented).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from cheroot import wsgi

from local.host.index import Reply

logger = logging.getLogger(__name__)

Handle = Callable[[str, str, Mapping[str, str], bytes], Reply]  # (method, target, headers, body) -> reply
StartResponse = Callable[[str, list[tuple[str, str]]], Any]

BACKLOG = 1024
HTTP_THREADS = 256
KEEP_ALIVE_SECONDS = 120  # idle keep-alive connections are closed after this (Kestrel keeps them 130 s)
MAX_BODY_BYTES = 100 * 1024 * 1024  # the Functions HTTP trigger's request length limit
MAX_URL_CHARS = 4096  # the Functions HTTP trigger's URL length limit
_NO_BODY = {204, 304}


class _Server(wsgi.Server):
    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """To the logging module rather than cheroot's default, stderr."""
        logger.log(level, "http server: %s", msg, exc_info=traceback)


class HostServer:
    """Serves every request through `handle` on 127.0.0.1; `start()` binds (raising OSError when the port is busy)
    and serves on a background thread, `stop()` closes it."""

    def __init__(self, address: tuple[str, int], handle: Handle, threads: int = HTTP_THREADS) -> None:
        self.handle = handle
        self._server = _Server(address, self._app, numthreads=threads, request_queue_size=BACKLOG,
                                   timeout=KEEP_ALIVE_SECONDS, accepted_queue_size=-1)
        # None: keep every idle keep-alive connection, as Kestrel does (cheroot documents None; its stub says int).
        self._server.keep_alive_conn_limit = None  # type: ignore[assignment]
        self._server.max_request_body_size = MAX_BODY_BYTES
        # How often the selector loop wakes; stop() waits for it, and tests start and stop many hosts.
        self._server.expiration_interval = 0.05
        self._thread: threading.Thread | None = None

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._server.bind_addr[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._server.prepare()  # binds and listens; the real port is known from here on
        self._thread = threading.Thread(target=self._server.serve, name="local-host-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close idle connections, wait (at most cheroot's shutdown timeout) for running requests."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI adapter: environ -> (method, target, headers, body) -> `handle` -> status, headers, body."""
        method = environ["REQUEST_METHOD"]
        target = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        if len(target) > MAX_URL_CHARS:
            reply = Reply(414, b"", (("Content-Type", "text/plain"),))
        else:
            reply = self.handle(method, target, forwarded(request_headers(environ), environ),
                                environ["wsgi.input"].read())
        headers = [(k, v) for k, v in reply.headers if k.lower() not in ("content-length", "transfer-encoding")]
        if reply.status not in _NO_BODY:
            headers.append(("Content-Length", str(len(reply.body))))
        start_response(status_line(reply.status), headers)
        return [] if method == "HEAD" or reply.status in _NO_BODY else [reply.body]


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request headers from a WSGI environ, names in Title-Case (header names are case-insensitive; cheroot has
    already joined repeated headers with commas)."""
    headers = {_name(key[5:]): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def forwarded(headers: dict[str, str], environ: Mapping[str, Any]) -> dict[str, str]:
    """As App Service's front end does: the peer it saw appended to X-Forwarded-For as `ip:port` (what the client
    sent stays on the left, its own word, never the platform's)."""
    peer = environ.get("REMOTE_ADDR")
    if not peer:
        return headers
    port = environ.get("REMOTE_PORT")
    entry = (f"[{peer}]" if ":" in peer else peer) + (f":{port}" if port else "")
    sent = headers.get("X-Forwarded-For")
    return headers | {"X-Forwarded-For": f"{sent}, {entry}" if sent else entry}


def _name(wsgi_key: str) -> str:
    return "-".join(part.capitalize() for part in wsgi_key.split("_"))


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
