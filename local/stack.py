"""The whole local stack on 127.0.0.1: Azurite, the ACS stand-in, two Event Grid stand-ins (the app's custom topic
and ACS's system topic) and the Functions host (a subprocess, configured only through its environment, as the real
host would be), plus a small JSON client for the demo and tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from local.acs_standin import AcsStandIn
from local.azurite import ROOT, Azurite, free_port, stop_process
from local.eventgrid_standin import TOPICS, EventGridStandIn
from local.eventgrid_store import PENDING

T = TypeVar("T")
FALLBACK_TARGET = "8:acs:00000000-0000-0000-0000-000000000000_securitydesk"
# The signed-in user the local host simulates (local/host_principal.py): the demo's administrator.
ADMIN_PRINCIPAL: dict[str, Any] = {"userId": "00000000-0000-0000-0000-00000000ad01",
                                   "userDetails": "admin@example.com", "roles": ["EmergencyCalling.Admin"]}
LOCAL_PRINCIPAL_HEADER = "X-Local-Principal"


def as_principal(principal: dict[str, Any] | None) -> dict[str, str]:
    """The header that makes the local host treat a request as `principal`'s (None: nobody signed in)."""
    return {LOCAL_PRINCIPAL_HEADER: json.dumps(principal)}


class Client:
    """JSON over HTTP to the local host; answers (status, body) and never raises on HTTP errors.

    `headers` go with every request (e.g. `as_principal(ADMIN_PRINCIPAL)`); per-call headers override them."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})

    def as_user(self, principal: dict[str, Any] | None) -> Client:
        """The same host, acting as another signed-in user (None: nobody)."""
        return Client(self.base_url, {**self.headers, **as_principal(principal)})

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **self.headers,
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read())

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("DELETE", path, **kw)

    def event_grid(self, function: str, events: list[dict[str, Any]] | dict[str, Any]) -> int:
        """POST straight to a function's webhook, bypassing the topics: for tests of the webhook itself."""
        status, _ = self.post(f"/runtime/webhooks/EventGrid?functionName={function}", events,
                              headers={"aeg-event-type": "Notification"})
        return status

    def now(self) -> datetime:
        return datetime.fromisoformat(self.get("/local/clock")[1]["now"])

    def advance(self, seconds: float) -> datetime:
        return datetime.fromisoformat(self.post("/local/clock", {"advanceSeconds": seconds})[1]["now"])

    def run_function(self, name: str, payload: str = "") -> int:
        return self.post(f"/admin/functions/{name}", {"input": payload})[0]


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return raw.decode(errors="replace")


def wait_for(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll until `check()` is truthy (events are delivered asynchronously, as Event Grid does)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class LocalStack:
    """Start everything; `settings` are the host's environment (the same names as in Azure).

    `principal` is the host's default signed-in user (env LOCAL_PRINCIPAL; `make serve` and the demo use the admin);
    by default nobody is signed in. The client always acts as the admin (header X-Local-Principal).

    The app publishes to `custom_topic` (the "internal" subscriptions); ACS's own events go to `system_topic` (the
    "acs" subscriptions) through `publish_acs`. Each keeps its events and dead letters in a folder of its own
    under `data_dir` (a temporary folder when none is given); `eventgrid_time_scale` speeds up their retry
    schedule and time to live (1.0: Event Grid's own)."""

    def __init__(self, port: int = 0, timers: bool = False, data_dir: Path | None = None,
                 extra_env: dict[str, str] | None = None, acs_port: int = 0,
                 principal: dict[str, Any] | None = None, eventgrid_time_scale: float = 1.0,
                 system_topic_time_scale: float | None = None,
                 internal_subscriptions: list[dict[str, Any]] | None = None) -> None:
        self.port = port or free_port()
        self.azurite = Azurite(location=data_dir)
        self.acs = AcsStandIn(port=acs_port, certs_dir=ROOT / ".local" / "certs")
        topics_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="local-eventgrid-"))
        host = f"http://127.0.0.1:{self.port}"
        certs = ROOT / ".local" / "certs"
        # `internal_subscriptions` replaces the custom topic's subscriptions ([]: it keeps what the app publishes
        # and delivers nothing, so a test can deliver in an order of its own); `system_topic_time_scale` lets
        # ACS's events keep Event Grid's own schedule while the app's run faster.
        self.custom_topic = EventGridStandIn(topics_dir / "eventgrid" / "custom-topic",
                                             "internal" if internal_subscriptions is None else internal_subscriptions,
                                             host, certs_dir=certs, time_scale=eventgrid_time_scale,
                                             topic=TOPICS["internal"])
        self.system_topic = EventGridStandIn(topics_dir / "eventgrid" / "system-topic", "acs", host, certs_dir=certs,
                                             time_scale=system_topic_time_scale or eventgrid_time_scale)
        self.timers = timers
        self.extra_env = extra_env or {}
        self.principal = principal
        self._host: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="local-host-", suffix=".log", delete=False)  # noqa: SIM115
        self.client = Client(f"http://127.0.0.1:{self.port}", as_principal(ADMIN_PRINCIPAL))

    @property
    def log_path(self) -> str:
        return self._log.name

    def settings(self) -> dict[str, str]:
        return {
            "AzureWebJobsStorage": self.azurite.connection_string,
            "ACS_CONNECTION_STRING": self.acs.connection_string,
            "ACS_EMAIL_SENDER": "DoNotReply@notifications.example.com",
            "ACS_SMS_SENDER": "+12025550190",
            "EVENTGRID_TOPIC_ENDPOINT": self.custom_topic.endpoint,
            "EVENTGRID_TOPIC_KEY": self.custom_topic.access_key,
            "CALLBACK_FALLBACK_TARGET": FALLBACK_TARGET,
            "REQUESTS_CA_BUNDLE": str(self.acs.ca_bundle),
            "LOCAL_HOST_TIMERS": "1" if self.timers else "0",
            # Never inherited from the developer's shell: the stack decides who is signed in by default.
            "LOCAL_PRINCIPAL": json.dumps(self.principal) if self.principal else "", "LOCAL_PRINCIPAL_FILE": "",
        } | self.extra_env

    def start(self, timeout: float = 30.0) -> LocalStack:
        self.azurite.start()
        self.acs.start()
        self.custom_topic.start()  # before the host: they deliver once it answers their validation handshake
        self.system_topic.start()
        env = {**os.environ, **self.settings(), "PYTHONUNBUFFERED": "1"}
        self._host = subprocess.Popen([sys.executable, "-m", "local.host", "--port", str(self.port)], cwd=ROOT,
                                      env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._host.poll() is not None:
                raise RuntimeError(f"the local host exited: {Path(self.log_path).read_text()[-3000:]}")
            try:
                if self.client.get("/local/health")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the local host did not become healthy in time")

    def stop(self) -> None:
        if self._host is not None:
            stop_process(self._host, timeout=10)
        self._host = None
        self.system_topic.stop()  # after the host: what it did not answer stays pending on disk
        self.custom_topic.stop()
        self.acs.stop()
        self.azurite.stop()

    def publish_acs(self, events: list[dict[str, Any]] | dict[str, Any]) -> int:
        """Publish ACS's own events (Event Grid schema) to the system topic, as ACS does; the topic's HTTP status.

        Delivery to the functions follows asynchronously: wait with `wait_for(lambda: stack.acs_settled(events))`."""
        return self.system_topic.publish(events if isinstance(events, list) else [events])

    def pending_events(self) -> int:
        """Deliveries not yet delivered nor dead-lettered, on both topics."""
        return sum(1 for topic in (self.custom_topic, self.system_topic)
                   for row in topic.store().list() if row.status == PENDING)

    def acs_settled(self, events: list[dict[str, Any]] | dict[str, Any]) -> bool:
        """True once every delivery of these ACS events was delivered (or dead-lettered)."""
        return self.system_topic.settled(e["id"] for e in (events if isinstance(events, list) else [events]))

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
