"""The local host's HTTP transport: a threading HTTP/1.1 server that hands each request to one `handle` callable."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.host_index import Reply

logger = logging.getLogger(__name__)

Handle = Callable[[str, str, Mapping[str, str], bytes], Reply]  # (method, target, headers, body) -> reply


class HostServer(ThreadingHTTPServer):
    """Serves every request through `handle`, one thread per connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        self.handle = handle
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of the real host expect
    server: HostServer

    def _serve(self) -> None:
        body = self._read_body()
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        reply = self.server.handle(self.command, self.path, headers, body)
        self.send_response(reply.status)
        for key, value in reply.headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _read_body(self) -> bytes:
        """The request body, by Content-Length or chunked transfer encoding (streaming clients send that)."""
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline().strip():  # trailers, up to the blank line
            pass
        return b"".join(chunks)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)
