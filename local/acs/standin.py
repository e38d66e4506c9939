"""HTTPS stand-in for the ACS REST endpoints the app calls (email, SMS, call redirect/reject, Call Automation outbound
calls with their signed callbacks, Job Router workers); ACS has no emulator.

Run `python -m local.acs.standin`, then give the app the printed ACS_CONNECTION_STRING and REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import secrets
import ssl
import threading
from collections.abc import Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.acs.calling import CallingService
from local.acs.handlers import AcsBehaviour
from local.acs.jwt_signer import OPENID_CONFIGURATION_PATH, CallbackSigner
from local.acs.routes import AcsRoutes
from local.acs.store import AcsRequest, Faults, Reply, RequestLog
from local.certs import DEFAULT_CERTS_DIR, DevCerts, ensure_dev_certs

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 10 * 1024 * 1024  # ACS refuses email requests above 10 MB; refuse before reading more.
# The audience of the callback JWTs unless the stand-in is given one (an ACS resource's immutable id is a GUID).
DEFAULT_IMMUTABLE_RESOURCE_ID = "6a1c4c5e-0b1d-4a33-9d3f-5e2f00c0ffee"


class _Server(ThreadingHTTPServer):
    """Threaded HTTPS server carrying the routes; TLS handshakes run in the worker threads, not in accept()."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, routes: AcsRoutes) -> None:
        super().__init__(address, _Handler)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.routes = routes

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or distrusts the cert is not a server fault: log it quietly."""
        logger.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into AcsRequest/Reply; keep-alive like the real service, so the SDKs reuse connections."""

    protocol_version = "HTTP/1.1"
    server_version = "acs-standin"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        """Finish the TLS handshake under the socket timeout before reading the request."""
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        """Read the request, route it, write the reply."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send(Reply(413, {"error": {"code": "RequestEntityTooLarge", "message": "Body too large."}}))
            return
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        req = AcsRequest(
            method=self.command,
            path=target.path,
            query=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"https://{host}",
        )
        self._send(self.server.routes.handle(req, self.path))

    def _send(self, reply: Reply) -> None:
        """Write status, headers and the JSON body (always with Content-Length, for keep-alive)."""
        payload = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", secrets.token_hex(16))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Access log through logging instead of stderr."""
        logger.debug("%s " + format, self.client_address[0], *args)


class AcsStandIn:
    """The stand-in in a background thread: `start()` returns the connection string, `stop()` ends it."""

    def __init__(
        self,
        port: int = 0,
        certs_dir: str | Path | None = None,
        access_key: str | None = None,
        *,
        email_polls: int = 1,
        retry_after: int = 1,
        email_dedup_window: timedelta = timedelta(minutes=5),
        immutable_resource_id: str = DEFAULT_IMMUTABLE_RESOURCE_ID,
    ) -> None:
        self.access_key = access_key or base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        base64.b64decode(self.access_key, validate=True)  # fail at construction, not on the first request
        self._port, self._certs_dir = port, certs_dir or DEFAULT_CERTS_DIR
        self._log, self._faults = RequestLog(), Faults()
        behaviour = AcsBehaviour(self._log, self._faults, email_polls=email_polls, retry_after=retry_after,
                                 email_dedup_window=email_dedup_window)
        self._signer = CallbackSigner(immutable_resource_id)
        self._calling = CallingService(self._log, self._faults, self._signer, retry_after=retry_after)
        self._routes = AcsRoutes(self.access_key, behaviour, self._log, self._faults, calling=self._calling,
                                 signer=self._signer)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.certs: DevCerts | None = None

    def start(self) -> str:
        """Create/reuse the dev certs, listen on 127.0.0.1 and return the connection string."""
        self.certs = ensure_dev_certs(self._certs_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs.server_pem, self.certs.server_key)
        self._server = _Server((HOST, self._port), context, self._routes)
        self._signer.bind(self.endpoint)
        self._calling.start(self.certs.ca_bundle)
        # A short poll interval keeps stop() quick (shutdown waits for the serve loop to notice).
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(0.05), name="acs-standin", daemon=True)
        self._thread.start()
        logger.info("ACS stand-in listening on %s", self.endpoint)
        return self.connection_string

    def stop(self) -> None:
        """Stop serving and close the socket, end the simulated calls; safe to call twice."""
        self._calling.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        """The bound port (useful with port=0)."""
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """https://127.0.0.1:PORT"""
        return f"https://{HOST}:{self.port}"

    @property
    def connection_string(self) -> str:
        """The ACS connection string the SDK clients take."""
        return f"endpoint={self.endpoint}/;accesskey={self.access_key}"

    @property
    def ca_bundle(self) -> Path:
        """The file to put in REQUESTS_CA_BUNDLE (or pass as connection_verify)."""
        if self.certs is None:
            raise RuntimeError("the stand-in is not started")
        return self.certs.ca_bundle

    @property
    def immutable_resource_id(self) -> str:
        """The audience of the callback JWTs (ACS_IMMUTABLE_RESOURCE_ID for the app)."""
        return self._signer.audience

    @property
    def issuer(self) -> str:
        """The `iss` of the callback JWTs and of the OpenID configuration: the stand-in's endpoint."""
        return self.endpoint

    @property
    def openid_configuration_url(self) -> str:
        """Where the callback signing keys are published (ACS_CALLBACK_OPENID_CONFIGURATION for the app)."""
        return f"{self.endpoint}{OPENID_CONFIGURATION_PATH}"

    def set_callee(self, number: str, **fields: Any) -> dict[str, Any]:
        """Script the person at an E.164 number: answers, ringSeconds, keys, silenceSeconds, hangUpAfterAnswer."""
        return self._calling.callees.put(number, fields).shown()

    def calls(self) -> list[dict[str, Any]]:
        """The calls placed, oldest first: id, target, state and the callbacks delivered with the app's status."""
        return self._calling.calls()

    def requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Recorded operations, optionally of one kind (email, sms, redirect, reject, duplicateRedirect, createCall,
        recognize, play, terminate, hangUp, ...)."""
        return self._log.list(kind)

    def clear(self) -> None:
        """Forget the recorded operations."""
        self._log.clear()

    def put_worker(self, worker_id: str, **fields: Any) -> dict[str, Any]:
        """Create or replace a Job Router worker (as an admin would register it), e.g. availableForOffers=True."""
        reply = self._routes.put_worker(worker_id, fields)
        if reply.status != 200:
            raise ValueError(reply.body)
        return dict(reply.body)

    def set_faults(self, settings: Mapping[str, Any]) -> None:
        """Replace runtime faults, e.g. {"email": "throttle"}, {"createCall": {"mode": "unavailable", "times": 1}},
        {"callbackDelaySeconds": 2}; {} clears them."""
        self._faults.replace(settings)

    def __enter__(self) -> AcsStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """CLI: serve until interrupted, after printing the settings the app needs."""
    parser = argparse.ArgumentParser(prog="python -m local.acs.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--certs-dir", default=str(DEFAULT_CERTS_DIR))
    parser.add_argument("--access-key", help="base64 key; a random one by default")
    parser.add_argument("--email-polls", type=int, default=1, help="status polls until an email operation ends")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds in answers")
    parser.add_argument("--immutable-resource-id", default=DEFAULT_IMMUTABLE_RESOURCE_ID,
                        help="audience of the Call Automation callback JWTs")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    standin = AcsStandIn(
        args.port, args.certs_dir, args.access_key, email_polls=args.email_polls, retry_after=args.retry_after,
        immutable_resource_id=args.immutable_resource_id,
    )
    connection_string = standin.start()
    print(f"ACS_CONNECTION_STRING={connection_string}")
    print(f"ACS_IMMUTABLE_RESOURCE_ID={standin.immutable_resource_id}")
    print(f"ACS_CALLBACK_OPENID_CONFIGURATION={standin.openid_configuration_url}")
    print(f"REQUESTS_CA_BUNDLE={standin.ca_bundle}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
