"""A tiny webhook on 127.0.0.1 that plays a Functions host's Event Grid endpoint for the stand-in's tests: it
records every request and answers as the test scripts it (status, delay, validation answer)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    """One request: when (monotonic), for which function, its aeg-event-type, headers (lower case) and body."""

    at: float
    function: str
    kind: str
    headers: dict[str, str]
    body: Any

    @property
    def event(self) -> dict[str, Any]:
        """The one event of a delivery (an array of one in the Event Grid schema, an object as a CloudEvent)."""
        return self.body[0] if isinstance(self.body, list) else self.body


class Receiver:
    """`status(received, earlier)` answers notifications (`earlier`: notifications of the same function and event
    before this one); `delay(received)` seconds pass before answering; `validate(n)` says whether the n-th
    validation request (from 0) gets the right code back."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status: Callable[[Received, int], int] = lambda received, earlier: 200
        self.delay: Callable[[Received], float] = lambda received: 0.0
        self.validate: Callable[[int], bool] = lambda n: True
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # a hung-up peer
        self._server.request_queue_size = 512  # the stand-in sends up to 8 requests at once per subscription
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def notifications(self, function: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.kind == "Notification" and function in (None, r.function)]

    def validations(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.kind == "SubscriptionValidation"]

    def _record(self, received: Received) -> tuple[int, int]:
        """Append; (earlier notifications of the same function and event, earlier validations)."""
        with self._lock:
            earlier = sum(1 for r in self.received if r.kind == "Notification" and r.function == received.function
                          and r.event.get("id") == received.event.get("id"))
            validations = sum(1 for r in self.received if r.kind == "SubscriptionValidation")
            self.received.append(received)
        return earlier, validations

    def _answer(self, received: Received) -> tuple[int, Any]:
        earlier, validations = self._record(received)
        if received.kind == "SubscriptionValidation":
            code = received.event["data"]["validationCode"]
            return 200, {"validationResponse": code if self.validate(validations) else "not-the-code"}
        time.sleep(self.delay(received))
        return self.status(received, earlier), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                query = parse_qs(urlsplit(self.path).query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = Received(time.monotonic(), query.get("functionName", [""])[0],
                                    headers.get("aeg-event-type", ""), headers, body)
                status, answer = receiver._answer(received)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
