"""The local host under a burst: every connection is accepted at once and answered, and no more function invocations
run at once than the Python worker's thread pool allows (PYTHON_THREADPOOL_THREAD_COUNT)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import azure.functions as func
import pytest

from local.host import LocalHost
from local.host.worker import InvocationSlots, default_thread_count

SLOW = 0.05  # seconds each test function takes
NOTIFY = {"aeg-event-type": "Notification", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}  # the control endpoints take JSON only
EVENT = {"id": "e1", "eventType": "Test.Event", "subject": "s", "eventTime": "2025-01-01T12:00:00Z", "data": {}}


class Gauge:
    """Counts the test app's invocations running at the same moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls = 0

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        with self._lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1


def burst_app(gauge: Gauge) -> func.FunctionApp:
    """One slow function per trigger kind, each reporting to the gauge."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="slow", methods=["GET", "POST"])
    def slow(req: func.HttpRequest) -> func.HttpResponse:
        with gauge.track():
            time.sleep(SLOW)
        return func.HttpResponse("done")

    @app.route(route="slow-async", methods=["GET"])
    async def slow_async(req: func.HttpRequest) -> func.HttpResponse:
        with gauge.track():
            await asyncio.sleep(SLOW)
        return func.HttpResponse("done")

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.EventGridEvent) -> None:
        with gauge.track():
            time.sleep(SLOW)

    @app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="mytimer")
    def sweep(mytimer: func.TimerRequest) -> None:
        with gauge.track():
            time.sleep(SLOW)

    return app


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: the connection failed
    connect_seconds: float
    total_seconds: float
    error: str = ""


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def burst(port: int, requests: list[Request]) -> list[Outcome]:
    """Open one connection per request, all at the same moment, and send each request on its own connection."""
    start = threading.Barrier(len(requests))

    def one(request: Request) -> Outcome:
        method, path, body, headers = request
        start.wait(timeout=30)
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connected = 0.0
        try:
            connection.connect()
            connected = time.perf_counter() - began
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return Outcome(response.status, connected, time.perf_counter() - began)
        except OSError as error:  # a reset, a refused or timed-out connection
            return Outcome(None, connected, time.perf_counter() - began, repr(error))
        finally:
            connection.close()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(one, requests))


@pytest.fixture
def gauge() -> Gauge:
    return Gauge()


@contextlib.contextmanager
def serving(gauge: Gauge, worker_threads: int | None = None) -> Iterator[LocalHost]:
    host = LocalHost(burst_app(gauge), timers=False, worker_threads=worker_threads)
    host.start()
    try:
        yield host
    finally:
        host.stop()


def test_200_concurrent_connections_are_all_answered_at_most_the_worker_threads_at_once(
    gauge: Gauge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_THREADPOOL_THREAD_COUNT", raising=False)
    with serving(gauge) as host:
        began = time.perf_counter()
        outcomes = burst(host.port, [("GET", "/api/slow", None, {})] * 200)
        elapsed = time.perf_counter() - began
    limit = default_thread_count()
    connects = sorted(o.connect_seconds for o in outcomes)
    print(f"\n200 connections, {limit} worker threads: {elapsed:.2f} s in all, connect p50 "
          f"{connects[100] * 1000:.1f} ms max {connects[-1] * 1000:.1f} ms, peak {gauge.peak} at once")
    assert [o.error for o in outcomes if o.error] == []
    assert [o.status for o in outcomes] == [200] * 200
    assert gauge.calls == 200
    assert gauge.peak == limit  # the limit is reached, and never passed
    assert connects[-1] < 0.5  # a full backlog shows as a SYN retransmitted after 1 s
    assert elapsed >= 200 * SLOW / limit * 0.9  # invocations waited for a thread


def test_every_trigger_kind_shares_the_worker_threads(gauge: Gauge) -> None:
    requests: list[Request] = [
        *[("GET", "/api/slow", None, {})] * 20,
        *[("POST", "/runtime/webhooks/EventGrid?functionName=on_event", json.dumps([EVENT]).encode(), NOTIFY)] * 20,
        *[("POST", "/admin/functions/sweep", b'{"input": ""}', JSON)] * 10,
        *[("POST", "/admin/functions/on_event", json.dumps({"input": json.dumps(EVENT)}).encode(), JSON)] * 10,
    ]
    with serving(gauge, worker_threads=3) as host:
        outcomes = burst(host.port, requests)
    assert sorted({o.status for o in outcomes}, key=str) == [200, 202]
    assert gauge.calls == 60
    assert gauge.peak == 3


def test_the_host_answers_its_own_endpoints_while_invocations_wait_for_a_thread(gauge: Gauge) -> None:
    with serving(gauge, worker_threads=1) as host, ThreadPoolExecutor(30) as pool:
        pending = [pool.submit(burst, host.port, [("GET", "/api/slow", None, {})]) for _ in range(30)]
        wait_until(lambda: gauge.calls >= 2)
        began = time.perf_counter()
        health = burst(host.port, [("GET", "/local/health", None, {})])[0]
        seconds = time.perf_counter() - began
        still_waiting = 30 - gauge.calls
        assert [f.result(timeout=30)[0].status for f in pending] == [200] * 30
    assert health.status == 200
    assert still_waiting > 10  # the health check did not wait for the queue of invocations
    assert seconds < SLOW * 5


def test_async_functions_run_on_the_event_loop_not_on_the_worker_threads(gauge: Gauge) -> None:
    with serving(gauge, worker_threads=1) as host:
        outcomes = burst(host.port, [("GET", "/api/slow-async", None, {})] * 10)
    assert [o.status for o in outcomes] == [200] * 10
    assert gauge.peak > 1


def test_waiting_invocations_get_a_thread_in_arrival_order() -> None:
    slots, order = InvocationSlots(1), []

    def invocation(n: int) -> None:
        with slots:
            order.append(n)

    with ThreadPoolExecutor(5) as pool, slots:  # every thread is busy
        for n in range(5):
            pool.submit(invocation, n)
            wait_until(lambda n=n: slots.waiting == n + 1)
    assert order == [0, 1, 2, 3, 4]


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)
