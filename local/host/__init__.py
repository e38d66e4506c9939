"""A local stand-in for the Azure Functions host (Core Tools cannot be installed here), serving a `func.FunctionApp`.

Run: `python -m local.host [--port 7071] [--app function_app:app]` (port also from env `PORT`; binds 127.0.0.1),
or in-process: `LocalHost(app, port=0).start()` returns the base URL; `.stop()` ends it.

Endpoints, in the real host's shapes where one exists:
- `/api/<route>`: HTTP triggers; route templates with `{param}`, `{id:int}`, `{id?}`, `{id=default}`, `{*rest}`;
  404 when no route matches, 405 when the route matches but not the method; a function that raises, or returns
  anything but a `func.HttpResponse` or a `str`, is a 500 with an empty body (traceback logged), as under the real
  worker. Query values that are empty are not passed; route values are decoded except `%2F` (see
  `local.host.http`). As with `func start`, keys are not checked: `code` and `x-functions-key` are accepted and ignored.
- Indexing is as strict as the real worker and host (`local.host.rules`): an unbound parameter, a bad binding or
  function name, a duplicate name or route+method refuses the whole app at start.
- `POST|OPTIONS /runtime/webhooks/EventGrid?functionName=NAME`: Event Grid triggers (see `local.host.eventgrid`).
- `POST /admin/functions/NAME` with `{"input": "..."}`: runs a non-HTTP function and answers 202. Unlike the real
  host, which queues the run and answers at once, it answers after the run, and 500 `{"error": ...}` if it raised.
  A timer gets a `TimerRequest`; an Event Grid function gets the event(s) in `input` (a JSON string), each decoded
  as the webhook decodes it (`func.CloudEvent` or `func.EventGridEvent`).
- `GET /local/clock` -> `{"now": iso}`; `POST /local/clock` with `{"advanceSeconds": n}` moves the app's clock on.
  These control endpoints answer only a loopback `Host` (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`; 403
  otherwise) and take a POST only as `Content-Type: application/json` (415 otherwise), so that a web page cannot
  drive them (see `local.host.admin`).
- `GET /local/health` -> `{"status": "ok", "pid": <the host's process id>, "functions": [names]}`.

Signed-in user: App Service Authentication is simulated (see `local.host.principal`); `python -m local.host` sets
`PRINCIPAL_HEADERS_TRUSTED=local-host` for itself unless the environment sets it (the app believes principal headers
only on that setting, see `shared.auth`). A request without an
`X-MS-CLIENT-PRINCIPAL` header gets the principal from header `X-Local-Principal: <JSON>` (per request; `null` for
nobody), else from env `LOCAL_PRINCIPAL_FILE` (a JSON file) or `LOCAL_PRINCIPAL` (JSON), read once at construction.

Timers run on their NCRONTAB schedules unless `timers=False` or env `LOCAL_HOST_TIMERS=0`. The host installs its
clock in `shared.container` at start: unless one is given, an `AdjustableClock` kept in the file named by env
`LOCAL_CLOCK_FILE` when set, so that a restarted host goes on from the advanced time (see `local.host.clock`).

Concurrency, as strict as the Python worker's: synchronous invocations of any trigger (HTTP, Event Grid webhook,
timer, `/admin/functions`) share `PYTHON_THREADPOOL_THREAD_COUNT` threads (default `min(32, cpu_count + 4)`, see
`local.host.worker`); the rest wait for one. The HTTP server itself (cheroot, `local.host.server`) accepts and holds
hundreds of concurrent connections, so the control endpoints answer while invocations wait.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from local.host.admin import Clock, clock_endpoint, control_refusal, invoke_endpoint
from local.host.clock import clock_from_env
from local.host.eventgrid import handle_webhook
from local.host.http import FAILED_INVOCATION, build_request, compile_routes, find_route, request_path, to_reply
from local.host.index import HTTP_TRIGGER, FunctionEntry, Reply, header, json_reply
from local.host.principal import principal_from_env, with_principal
from local.host.rules import index_app
from local.host.server import HostServer
from local.host.timers import TimerScheduler
from local.host.worker import THREAD_COUNT_SETTING, InvocationSlots, thread_count
from shared import container
from shared.auth import PRINCIPAL_HEADERS_TRUSTED, TRUST_LOCAL_HOST

logger = logging.getLogger(__name__)


class LocalHost:
    """Serves one FunctionApp on 127.0.0.1; indexes it once, at construction. `worker_threads` overrides
    `PYTHON_THREADPOOL_THREAD_COUNT` (how many synchronous invocations run at once)."""

    def __init__(self, app: func.FunctionApp, port: int = 0, clock: Clock | None = None, timers: bool = True,
                 worker_threads: int | None = None) -> None:
        self.worker_threads = worker_threads or thread_count(os.environ)
        self.functions = index_app(app, InvocationSlots(self.worker_threads))
        self.clock: Clock = clock or clock_from_env(os.environ)
        self._routes = compile_routes(e for e in self.functions.values() if e.trigger_type == HTTP_TRIGGER)
        self._timers_on = timers and os.environ.get("LOCAL_HOST_TIMERS", "1") != "0"
        self._scheduler = TimerScheduler(self.functions.values())
        self._principal = principal_from_env(os.environ)
        self._port = port
        self._server: HostServer | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Install the clock in `shared.container`, serve on a background thread, start timers; the base URL."""
        container.configure(clock=self.clock)
        server = HostServer(("127.0.0.1", self._port), self.handle)
        server.start()
        self._server = server
        if self._timers_on:
            self._scheduler.start()
        logger.info("local Functions host on %s with %d functions", self.base_url, len(self.functions))
        return self.base_url

    def stop(self) -> None:
        """Stop timers and the server; idempotent."""
        self._scheduler.stop()
        if self._server is not None:
            self._server.stop()
        self._server = None

    def describe(self) -> str:
        """Like `func start`: the URL, then one line per function with its methods and URL or trigger type,
        then a blank line (scripts read up to it)."""
        parts = [self._describe(e) for e in sorted(self.functions.values(), key=lambda e: e.name.lower())]
        first = f"Local Functions host on {self.base_url} ({THREAD_COUNT_SETTING}={self.worker_threads})"
        return "\n".join([first, *(f"  {p}" for p in parts), ""])

    def _describe(self, entry: FunctionEntry) -> str:
        if entry.trigger_type != HTTP_TRIGGER:
            return f"{entry.name}: {entry.trigger_type}"
        methods = ",".join(sorted(entry.methods)) or "ALL"
        return f"{entry.name}: [{methods}] {self.base_url}/api/{entry.route}"

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request; never raises (an unexpected error is a logged 500)."""
        try:
            return self._dispatch(method, target, headers, body)
        except Exception:
            logger.exception("local host failed on %s %s", method, target)
            return json_reply(500, {"error": "internal error"})

    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path.lower().rstrip("/")
        if path == "/api" or path.startswith("/api/"):
            return self._http_trigger(method, target, headers, body)
        if path == "/runtime/webhooks/eventgrid":
            name = dict(parse_qsl(parts.query)).get("functionName", "")
            return handle_webhook(self.functions.get(name.lower()), method, headers, body)
        if path.startswith("/admin/functions/") or path == "/local/clock":
            refused = control_refusal(method, headers, self.port)
            if refused is not None:
                return refused
        if path.startswith("/admin/functions/"):
            name = unquote(parts.path[len("/admin/functions/") :].strip("/"))
            return invoke_endpoint(self.functions.get(name.lower()), self._scheduler, method, body)
        if path == "/local/clock":
            return clock_endpoint(self.clock, method, body)
        if path == "/local/health" and method in ("GET", "HEAD"):
            return json_reply(200, {"status": "ok", "pid": os.getpid(),
                                    "functions": sorted(e.name for e in self.functions.values())})
        return json_reply(404, {"error": "not found"})

    def _http_trigger(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        found = find_route(self._routes, method, request_path(parts.path)[len("/api") :])
        if isinstance(found, Reply):
            return found
        route, params = found
        try:
            seen_headers = with_principal(headers, self._principal)
        except ValueError as error:
            return json_reply(400, {"error": str(error)})
        url = f"http://{header(headers, 'Host') or f'127.0.0.1:{self.port}'}{target}"
        request = build_request(method, url, parts.query, seen_headers, params, body)
        try:
            result = route.entry.call(request)
        except Exception:
            # A failed invocation propagates out of the host's FunctionInvocationMiddleware: ASP.NET Core answers
            # 500 with no body (no detail of the failure reaches the caller).
            logger.exception("function %s failed", route.entry.name)
            return FAILED_INVOCATION
        return to_reply(route.entry.name, result)


def load_app(spec: str) -> func.FunctionApp:
    """Import `module:attribute` (default attribute `app`)."""
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    """CLI: serve until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m local.host", description="Local stand-in for the Functions host")
    parser.add_argument("--port", type=int, default=os.environ.get("PORT", "7071"))
    parser.add_argument("--app", default="function_app:app", help="module:attribute of the FunctionApp")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # This process is the local host, which writes the principal headers itself (local.host.principal).
    os.environ.setdefault(PRINCIPAL_HEADERS_TRUSTED, TRUST_LOCAL_HOST)
    host = LocalHost(load_app(args.app), port=args.port, clock=clock_from_env(os.environ))
    # Before anything is announced: a SIGTERM right after the start line must still stop the host cleanly.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        host.start()
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    print(host.describe(), flush=True)
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
