"""HTTPS stand-in for an Event Grid topic (Event Grid has no emulator): the app publishes to it with the real
`EventGridPublisherClient`, and it delivers to the Functions host as Event Grid does (local/eventgrid/delivery.py).

`POST /api/events?api-version=2018-01-01` with the topic's key and a body the service would accept
(local/eventgrid/api.py); each accepted event is on disk (SQLite in the data folder) before the 200.
`GET /_standin/deliveries[?subscription=&eventId=]` shows each delivery and the counts per subscription; dead
letters are JSON files under `<data_dir>/deadletter/<subscription>/`.

Run `python -m local.eventgrid.standin [--subscriptions internal|acs] [--host URL ...]`, then give the app the
printed EVENTGRID_TOPIC_ENDPOINT, EVENTGRID_TOPIC_KEY and REQUESTS_CA_BUNDLE; env EVENTGRID_TIME_SCALE speeds up the
retry schedule and time to live (100: the 10 s retry after 0.1 s).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import secrets
import signal
import ssl
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from local.certs import DEFAULT_CERTS_DIR, DevCerts, ensure_dev_certs
from local.eventgrid.api import API_PATH, INSPECTION_PATH, TopicApi, deliveries_view
from local.eventgrid.delivery import Dispatcher
from local.eventgrid.http import publish
from local.eventgrid.schema import EVENT_GRID_SCHEMA, load_subscriptions
from local.eventgrid.store import PENDING, DeliveryStore

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
LOCAL_RESOURCES = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers"
TOPICS = {"internal": f"{LOCAL_RESOURCES}/Microsoft.EventGrid/topics/local-events",
          "acs": f"{LOCAL_RESOURCES}/Microsoft.Communication/communicationServices/local-acs"}


class _Server(wsgi.Server):
    """cheroot with its error log in `logging` (a client that hangs up mid-handshake is not a server fault)."""

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        logger.log(logging.DEBUG if level < logging.ERROR else level, "cheroot: %s", msg, exc_info=traceback)


class EventGridStandIn:
    """One topic: `start()` returns the topic endpoint, `stop()` ends it; the data folder survives both."""

    def __init__(self, data_dir: str | Path, subscriptions: str | Sequence[Mapping[str, Any]] = "internal",
                 hosts: str | Sequence[str] = "http://127.0.0.1:7071", *, port: int = 0,
                 access_key: str | None = None, certs_dir: str | Path | None = None, time_scale: float = 1.0,
                 response_timeout: float = 30.0, topic: str | None = None,
                 input_schema: str = EVENT_GRID_SCHEMA, workers: int = 8) -> None:
        self.data_dir = Path(data_dir)
        self.subscriptions = load_subscriptions(subscriptions)
        self.hosts = [hosts] if isinstance(hosts, str) else list(hosts)
        self.access_key = access_key or base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        self.topic = topic or TOPICS.get(subscriptions if isinstance(subscriptions, str) else "", TOPICS["internal"])
        self.time_scale, self.response_timeout, self.input_schema = time_scale, response_timeout, input_schema
        self._port, self._certs_dir, self._workers = port, certs_dir or DEFAULT_CERTS_DIR, workers
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._store: DeliveryStore | None = None
        self._dispatcher: Dispatcher | None = None
        self.certs: DevCerts | None = None

    def start(self) -> str:
        """Open the store, listen on 127.0.0.1 (TLS with the dev CA), start delivering; the topic endpoint."""
        self.certs = ensure_dev_certs(self._certs_dir)
        self._store = DeliveryStore(self.database_path)
        self._dispatcher = Dispatcher(self._store, self.subscriptions, self.hosts, self.dead_letter_dir, self.topic,
                                      time_scale=self.time_scale, response_timeout=self.response_timeout,
                                      workers=self._workers,
                                      ssl_context=ssl.create_default_context(cafile=str(self.certs.ca_bundle)))
        # A deep backlog and enough threads that a burst of publishers never sees a refused or reset connection.
        server = _Server((HOST, self._port), TopicApi(self), numthreads=32, request_queue_size=1024, timeout=10,
                         server_name="eventgrid-standin")
        server.ssl_adapter = BuiltinSSLAdapter(str(self.certs.server_pem), str(self.certs.server_key))
        server.expiration_interval = 0.05  # how often the connection loop looks up: stop() waits for it
        server.prepare()
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="eventgrid-standin", daemon=True)
        self._thread.start()
        self._dispatcher.start()
        logger.info("Event Grid stand-in for %s listening on %s", self.topic, self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        """Stop delivering, then listening; pending deliveries wait on disk for the next start. Safe to call twice."""
        if self._dispatcher is not None:
            self._dispatcher.stop()
            self._dispatcher = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._server.bind_addr[1])

    @property
    def endpoint(self) -> str:
        """The topic endpoint, as EVENTGRID_TOPIC_ENDPOINT takes it: https://127.0.0.1:PORT/api/events"""
        return f"https://{HOST}:{self.port}{API_PATH}"

    @property
    def ca_bundle(self) -> Path:
        if self.certs is None:
            raise RuntimeError("the stand-in is not started")
        return self.certs.ca_bundle

    @property
    def dead_letter_dir(self) -> Path:
        return self.data_dir / "deadletter"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "eventgrid.sqlite3"

    def publish(self, events: Any, content_type: str = "application/json; charset=utf-8") -> int:
        """Publish as a producer would (plain HTTPS with the key); the HTTP status."""
        return publish(self.endpoint, self.access_key, events, self.ca_bundle, content_type=content_type)[0]

    def deliveries(self, subscription: str | None = None, event_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Counts per subscription (pending / delivered / deadLettered, validated) and each delivery."""
        lanes = self._dispatcher.lanes if self._dispatcher else {}
        validated = {name: lane.validated for name, lane in lanes.items()}
        return deliveries_view(self, self.store().list(subscription, event_ids), validated, subscription)

    def settled(self, event_ids: Iterable[str]) -> bool:
        """True when no delivery of these events is still pending (each was delivered or dead-lettered)."""
        return all(row.status != PENDING for row in self.store().list(event_ids=list(event_ids)))

    def dead_letters(self, subscription: str | None = None) -> list[dict[str, Any]]:
        """The dead-lettered events on disk, oldest file first."""
        folder = self.dead_letter_dir / subscription if subscription else self.dead_letter_dir
        files = sorted(folder.rglob("*.json"), key=lambda f: f.stat().st_mtime_ns) if folder.exists() else []
        return [event for f in files for event in json.loads(f.read_text())]

    def store(self) -> DeliveryStore:
        """The open store (the API persists publishes through it)."""
        if self._store is None:
            raise RuntimeError("the stand-in is not started")
        return self._store

    def wake(self) -> None:
        """New deliveries are waiting: let the subscriptions' lanes claim them now."""
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def __enter__(self) -> EventGridStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """CLI: serve until interrupted (SIGINT or SIGTERM), after printing the settings the app needs."""
    parser = argparse.ArgumentParser(prog="python -m local.eventgrid.standin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", choices=("internal", "acs"), default="internal",
                        help="section of shared/event_subscriptions.json: internal (custom topic), acs (system topic)")
    parser.add_argument("--host", action="append", help="Functions host base URL (repeat: round-robin)")
    parser.add_argument("--port", type=int, help="default 8444 (internal) or 8445 (acs); 0 for any free port")
    parser.add_argument("--data-dir", help="default .local/eventgrid/<subscriptions>")
    parser.add_argument("--access-key", help="default: the one kept in the data folder, else a new random one")
    parser.add_argument("--certs-dir", default=str(DEFAULT_CERTS_DIR))
    parser.add_argument("--response-timeout", type=float, default=30.0)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data_dir = Path(args.data_dir or DEFAULT_CERTS_DIR.parent / "eventgrid" / args.subscriptions)
    standin = EventGridStandIn(data_dir, args.subscriptions, args.host or ["http://127.0.0.1:7071"],
                               port=(8444 if args.subscriptions == "internal" else 8445) if args.port is None
                               else args.port, access_key=args.access_key or _kept_key(data_dir),
                               certs_dir=args.certs_dir, time_scale=float(os.environ.get("EVENTGRID_TIME_SCALE", "1")),
                               response_timeout=args.response_timeout)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"EVENTGRID_TOPIC_ENDPOINT={standin.start()}")
    print(f"EVENTGRID_TOPIC_KEY={standin.access_key}")
    print(f"REQUESTS_CA_BUNDLE={standin.ca_bundle}")
    print(f"# deliveries: https://{HOST}:{standin.port}{INSPECTION_PATH}  dead letters: {standin.dead_letter_dir}",
          flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


def _kept_key(data_dir: Path) -> str:
    """The CLI keeps its random key in the data folder, so a restarted topic keeps the key the app was given."""
    path = data_dir / "access-key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
        path.chmod(0o600)
    return path.read_text().strip()


if __name__ == "__main__":
    main()
