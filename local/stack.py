"""The whole local stack on 127.0.0.1: Azurite, the ACS stand-in, two Event Grid stand-ins (the app's custom topic
and ACS's system topic) and the Functions host (a subprocess, configured only through its environment, as the real
host would be), plus a small JSON client for the demo and tests.

The stack keeps its data in one folder (`data_dir`, a temporary one removed by `stop()` unless given): Azurite's
tables under `azurite/`, the host's clock under `clock.json`, the topics under `eventgrid/`. So the fault suite can
kill and restart its parts: `kill_host()` / `start_host()`, `stop_storage()` / `start_storage()`, and
`start_extra_host()` for scale-out."""

from __future__ import annotations

import json
import os
import shutil
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

from local.acs.standin import AcsStandIn
from local.azurite import ROOT, Azurite, free_port, stop_process
from local.eventgrid.standin import TOPICS, EventGridStandIn
from local.eventgrid.store import PENDING

T = TypeVar("T")
FALLBACK_TARGET = "8:acs:00000000-0000-0000-0000-000000000000_securitydesk"
# Who is emailed of an emergency call whose agent's own recipients are unknown (FALLBACK_EMAIL_RECIPIENTS).
FALLBACK_RECIPIENTS = "fallback-desk@example.com"
# The signed-in user the local host simulates (local/host/principal.py): the demo's administrator.
ADMIN_PRINCIPAL: dict[str, Any] = {"userId": "00000000-0000-0000-0000-00000000ad01",
                                   "userDetails": "admin@example.com", "roles": ["EmergencyCalling.Admin"]}
# The demo's and the tests' client: the administrator, who also runs the contact center's dialer service (the app
# role that may act for any agent), so one client sets up, dials and ends calls.
OPERATOR_PRINCIPAL: dict[str, Any] = {**ADMIN_PRINCIPAL, "roles": ["EmergencyCalling.Admin", "EmergencyCalling.Dialer"]}
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


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float) -> None:
    """Return once `base_url`/local/health answers 200; raise RuntimeError if the process exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local host exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/local/health", timeout=1.0) as response:
                # Ours, not a host of another stack that took the same free port meanwhile (parallel runs).
                if response.status == 200 and json.loads(response.read()).get("pid") == process.pid:
                    return
        except (OSError, ValueError):  # not listening yet (URLError and timeouts are OSErrors)
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the local host on {base_url} did not become healthy within {timeout}s")


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
        self._own_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="local-stack-"))
        self.azurite = Azurite(location=self.data_dir / "azurite")
        self.clock_file = self.data_dir / "clock.json"
        self.acs = AcsStandIn(port=acs_port, certs_dir=ROOT / ".local" / "certs")
        topics_dir = self.data_dir
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
        self._host_env: dict[str, str] = {}
        self._extra_hosts: list[subprocess.Popen[bytes]] = []
        self._log = tempfile.NamedTemporaryFile(prefix="local-host-", suffix=".log", delete=False)  # noqa: SIM115
        self.client = Client(f"http://127.0.0.1:{self.port}", as_principal(OPERATOR_PRINCIPAL))

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
            "EVENTGRID_TOPIC_RESOURCE_ID": self.custom_topic.topic, "ACS_RESOURCE_ID": self.system_topic.topic,
            "CALLBACK_FALLBACK_TARGET": FALLBACK_TARGET,
            "FALLBACK_EMAIL_RECIPIENTS": FALLBACK_RECIPIENTS,
            # The seeded agents call from a Microsoft number (direct offer), where the responder sees the emergency
            # service's temporary number; the local stack also leases each a pool number she can read out, so the
            # demo and the tests can show the pool at work. tests/e2e/test_direct_offer.py runs with the default.
            "LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "true",
            "REQUESTS_CA_BUNDLE": str(self.acs.ca_bundle),
            "LOCAL_HOST_TIMERS": "1" if self.timers else "0",
            # Never inherited from the developer's shell: the stack decides who is signed in by default.
            "LOCAL_PRINCIPAL": json.dumps(self.principal) if self.principal else "", "LOCAL_PRINCIPAL_FILE": "",
            "LOCAL_CLOCK_FILE": str(self.clock_file),
            # The local host writes the principal headers itself (as App Service Authentication does in Azure).
            "PRINCIPAL_HEADERS_TRUSTED": "local-host",
            # The agents' Job Router workers live in the ACS stand-in (local/seed.py registers them).
            "ROUTING_ENGINE": "jobrouter",
            # Where the acknowledgement links of the notifications point (App Service: its own host name).
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            # Voice escalation (issue 20): calls from the SMS number; the stand-in signs its callbacks with its own
            # key, published at its own OpenID configuration, for its own resource id; text-to-speech "works" when
            # the call names an AI services endpoint (the stand-in never calls it).
            "VOICE_CALLER_ID": "+12025550190",
            "ACS_IMMUTABLE_RESOURCE_ID": self.acs.immutable_resource_id,
            "ACS_CALLBACK_OPENID_CONFIGURATION": self.acs.openid_configuration_url,
            "ACS_COGNITIVE_SERVICES_ENDPOINT": "https://speech.example.com/",
        } | self.extra_env

    def start(self, timeout: float = 30.0) -> LocalStack:
        try:
            self.azurite.start()
            self.acs.start()
            self.custom_topic.start()  # before the host: they deliver once it answers their validation handshake
            self.system_topic.start()
            self._host_env = {**os.environ, **self.settings(), "PYTHONUNBUFFERED": "1"}
            self.start_host(timeout)
        except BaseException:  # e.g. a port in use: leave no Azurite behind
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every host, the ACS stand-in and Azurite (which saves its data); remove a temporary data folder."""
        self.stop_extra_hosts()
        if self._host is not None:
            stop_process(self._host, timeout=10)
        self._host = None
        self.system_topic.stop()  # after the host: what it did not answer stays pending on disk
        self.custom_topic.stop()
        self.acs.stop()
        self.azurite.stop()
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill_host(self, timeout: float = 10.0) -> None:
        """SIGKILL the host process, as a recycled worker dies, and wait (at most `timeout` s) until it is gone."""
        if self._host is None:
            raise RuntimeError("the local host is not running")
        self._host.kill()
        self._host.wait(timeout=timeout)
        self._host = None

    def start_host(self, timeout: float = 30.0) -> None:
        """Start the host process on `port` with the environment of the first start; return once /local/health
        answers, or raise RuntimeError (with the log's tail) within `timeout` s."""
        if self._host is not None and self._host.poll() is None:
            raise RuntimeError("the local host is already running")
        self._host = self._launch_host(self.port)
        try:
            _wait_healthy(self._host, self.client.base_url, Path(self.log_path), timeout)
        except RuntimeError:
            stop_process(self._host, timeout=5)
            self._host = None
            raise

    def start_extra_host(self, timeout: float = 30.0, principal: dict[str, Any] | None = None,
                         port: int = 0) -> Client:
        """Another host process on a port of its own with the same settings (storage, ACS, clock file, timers), as a
        scale-out instance is; its log goes to the same file as the first host's. Stopped by `stop()`.
        `principal`: its default signed-in user instead of the stack's (the demo's agent panel, in a browser)."""
        port = port or free_port()
        env = {"LOCAL_PRINCIPAL": json.dumps(principal)} if principal is not None else {}
        process = self._launch_host(port, env)
        self._extra_hosts.append(process)
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(process, base_url, Path(self.log_path), timeout)
        return Client(base_url, self.client.headers)

    def stop_extra_hosts(self) -> None:
        """Stop the hosts `start_extra_host` started (scale-in)."""
        for extra in self._extra_hosts:
            stop_process(extra, timeout=10)
        self._extra_hosts.clear()

    def stop_storage(self) -> None:
        """Stop Azurite with SIGINT, so that every acknowledged write is on disk; the host keeps running."""
        self.azurite.stop()

    def start_storage(self, timeout: float = 30.0) -> None:
        """Start Azurite again on the same port and data folder (within `timeout` s)."""
        self.azurite.start(timeout)

    def _launch_host(self, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        if not self._host_env:
            raise RuntimeError("start() the stack first")
        return subprocess.Popen([sys.executable, "-m", "local.host", "--port", str(port)], cwd=ROOT,
                                env={**self._host_env, **(env or {})}, stdout=self._log, stderr=subprocess.STDOUT)

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
