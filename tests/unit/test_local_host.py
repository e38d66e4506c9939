"""The local Functions host: URL shapes, triggers, admin invocation, clock and principal, over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from local.host import LocalHost
from local.host.timers import next_occurrence
from local.host.worker import THREAD_COUNT_SETTING, thread_count
from shared.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}  # the control endpoints take JSON only


@dataclass
class Record:
    """What the test app's functions saw."""

    events: list[Any] = field(default_factory=list)  # func.EventGridEvent or func.CloudEvent
    timers: list[func.TimerRequest] = field(default_factory=list)


def make_app(record: Record, timer_schedule: str = "0 0 0 1 1 *") -> func.FunctionApp:
    """A small app with each trigger kind the host serves."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

    @app.route(route="agents/{agentId}/presence", methods=["PUT"])
    def set_presence(req: func.HttpRequest) -> func.HttpResponse:
        answer = {"route": dict(req.route_params), "body": req.get_json(), "params": dict(req.params)}
        return func.HttpResponse(
            json.dumps(answer), status_code=201, mimetype="application/json", headers={"X-Seen-Method": req.method}
        )

    @app.route(route="items/{id:int?}", methods=["GET"])
    def get_item(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps(dict(req.route_params)), mimetype="application/json")

    @app.route(route="whoami", methods=["GET"])
    def whoami(req: func.HttpRequest) -> func.HttpResponse:
        raw = req.headers.get("X-MS-CLIENT-PRINCIPAL")
        seen = {
            "principal": json.loads(base64.b64decode(raw)) if raw else None,
            "name": req.headers.get("X-MS-CLIENT-PRINCIPAL-NAME"),
            "id": req.headers.get("X-MS-CLIENT-PRINCIPAL-ID"),
            "local": req.headers.get("X-Local-Principal"),
        }
        return func.HttpResponse(json.dumps(seen), mimetype="application/json")

    @app.route(route="echo", methods=["POST", "GET", "HEAD"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(req.get_body(), mimetype="application/octet-stream")

    @app.route(route="boom")
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail")

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.EventGridEvent) -> None:
        if event.subject == "fail":  # both event classes have a subject
            raise RuntimeError("cannot handle")
        record.events.append(event)

    @app.timer_trigger(schedule=timer_schedule, arg_name="mytimer")
    def sweep(mytimer: func.TimerRequest) -> None:
        record.timers.append(mytimer)

    return app


cli_app = make_app(Record())  # served by the CLI test in a subprocess


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """One request to the host; `body` is sent as JSON unless it is bytes."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@pytest.fixture
def record() -> Record:
    return Record()


@pytest.fixture
def host(record: Record, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("LOCAL_PRINCIPAL", raising=False)
    monkeypatch.delenv("LOCAL_PRINCIPAL_FILE", raising=False)
    local = LocalHost(make_app(record), port=0, clock=FixedClock(START), timers=False)
    local.start()
    yield local
    local.stop()


GRID_EVENT = {
    "id": "e1",
    "topic": "/subscriptions/x/resourceGroups/y",
    "subject": "calls/1",
    "eventType": "Microsoft.Communication.IncomingCall",
    "eventTime": "2025-01-01T12:00:00.1234567Z",
    "data": {"serverCallId": "s1"},
    "dataVersion": "1.0",
}
CLOUD_EVENT = {
    "specversion": "1.0",
    "id": "c1",
    "source": "/subscriptions/x/acs",
    "type": "Microsoft.Communication.IncomingCall",
    "subject": "calls/2",
    "time": "2025-01-01T12:00:01Z",
    "data": {"serverCallId": "s2"},
}
NOTIFY = {"aeg-event-type": "Notification", "Content-Type": "application/json"}
WEBHOOK = "/runtime/webhooks/EventGrid?functionName=on_event"


def test_route_parameters_query_and_json_body_reach_the_function(host: LocalHost) -> None:
    answer = call(host.port, "PUT", "/api/agents/a%201/presence?code=k&x=1", {"status": "available"})
    assert answer.status == 201
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-seen-method"] == "PUT"
    assert answer.json() == {
        "route": {"agentId": "a 1"},
        "body": {"status": "available"},
        "params": {"code": "k", "x": "1"},
    }


def test_int_constraint_and_optional_parameter(host: LocalHost) -> None:
    assert call(host.port, "GET", "/api/items/42").json() == {"id": "42"}
    assert call(host.port, "GET", "/api/items").json() == {}
    assert call(host.port, "GET", "/api/items/abc").status == 404


def test_unknown_route_is_404_and_wrong_method_is_405(host: LocalHost) -> None:
    assert call(host.port, "GET", "/api/nowhere").status == 404
    answer = call(host.port, "GET", "/api/agents/a1/presence")
    assert answer.status == 405
    assert answer.headers["allow"] == "PUT"


def test_exception_in_function_is_a_500_without_details(host: LocalHost) -> None:
    answer = call(host.port, "POST", "/api/boom")
    assert (answer.status, answer.body) == (500, b"")


def test_event_grid_schema_array_calls_the_function_once_per_event(host: LocalHost, record: Record) -> None:
    second = {**GRID_EVENT, "id": "e2", "eventTime": None}
    answer = call(host.port, "POST", WEBHOOK, [GRID_EVENT, second], NOTIFY)
    assert answer.status == 200
    assert [e.id for e in record.events] == ["e1", "e2"]
    first = record.events[0]
    assert (first.event_type, first.subject, first.topic, first.data_version) == (
        "Microsoft.Communication.IncomingCall",
        "calls/1",
        GRID_EVENT["topic"],
        "1.0",
    )
    assert first.get_json() == {"serverCallId": "s1"}
    assert first.event_time == datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert record.events[1].event_time is None


def test_single_cloud_event_reaches_the_function_as_a_cloud_event(host: LocalHost, record: Record) -> None:
    headers = {**NOTIFY, "Content-Type": "application/cloudevents+json"}
    answer = call(host.port, "POST", "/runtime/webhooks/eventgrid?functionName=on_event", CLOUD_EVENT, headers)
    assert answer.status == 200
    (event,) = record.events
    assert isinstance(event, func.CloudEvent)  # as the Python worker hands it over, not an EventGridEvent
    assert (event.id, event.type, event.source, event.subject, event.specversion) == (
        "c1",
        "Microsoft.Communication.IncomingCall",
        "/subscriptions/x/acs",
        "calls/2",
        "1.0",
    )
    assert event.time == datetime(2025, 1, 1, 12, 0, 1, tzinfo=UTC)
    assert event.get_json() == {"serverCallId": "s2"}


def test_cloud_events_batch(host: LocalHost, record: Record) -> None:
    headers = {**NOTIFY, "Content-Type": "application/cloudevents-batch+json"}
    batch = [CLOUD_EVENT, {**CLOUD_EVENT, "id": "c2", "dataschema": "https://example.com/s", "myext": "x"}]
    assert call(host.port, "POST", WEBHOOK, batch, headers).status == 200
    assert [(e.id, e.dataschema, e.extension_attrs) for e in record.events] == [
        ("c1", None, {}), ("c2", "https://example.com/s", {"myext": "x"})]


def test_subscription_validation_answers_the_code(host: LocalHost, record: Record) -> None:
    validation = {
        **GRID_EVENT,
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "data": {"validationCode": "abc-123"},
    }
    headers = {"aeg-event-type": "SubscriptionValidation"}
    answer = call(host.port, "POST", WEBHOOK, [validation], headers)
    assert (answer.status, answer.json()) == (200, {"validationResponse": "abc-123"})
    assert record.events == []


def test_cloud_events_abuse_protection_handshake(host: LocalHost) -> None:
    answer = call(host.port, "OPTIONS", WEBHOOK, headers={"WebHook-Request-Origin": "eventgrid.azure.net"})
    assert answer.status == 200
    assert answer.headers["webhook-allowed-origin"] == "eventgrid.azure.net"


def test_failing_event_is_500_so_event_grid_redelivers(host: LocalHost, record: Record) -> None:
    answer = call(host.port, "POST", WEBHOOK, [{**GRID_EVENT, "subject": "fail"}, GRID_EVENT], NOTIFY)
    assert answer.status == 500
    assert [e.id for e in record.events] == ["e1"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/runtime/webhooks/EventGrid?functionName=nobody", [GRID_EVENT], NOTIFY, 404),
        ("/runtime/webhooks/EventGrid?functionName=sweep", [GRID_EVENT], NOTIFY, 404),
        (WEBHOOK, b"[{not json", NOTIFY, 400),
        (WEBHOOK, [{"id": "no type"}], NOTIFY, 400),
        (WEBHOOK, [GRID_EVENT], {"Content-Type": "application/json"}, 400),
    ],
)
def test_webhook_rejects(host: LocalHost, record: Record, path: str, body: Any, headers: dict, status: int) -> None:
    assert call(host.port, "POST", path, body, headers).status == status
    assert record.events == []


def test_admin_invokes_the_timer_and_answers_after_it_ran(host: LocalHost, record: Record) -> None:
    answer = call(host.port, "POST", "/admin/functions/sweep", {"input": ""}, headers=JSON)
    assert answer.status == 202
    (timer,) = record.timers
    assert timer.past_due is False


def test_admin_invokes_the_event_grid_function_with_the_input_event(host: LocalHost, record: Record) -> None:
    answer = call(host.port, "POST", "/admin/functions/on_event", {"input": json.dumps(GRID_EVENT)}, headers=JSON)
    assert answer.status == 202
    assert [e.id for e in record.events] == ["e1"]


def test_admin_reports_failure_unknown_function_and_bad_input(host: LocalHost) -> None:
    failing = json.dumps({**GRID_EVENT, "subject": "fail"})
    answer = call(host.port, "POST", "/admin/functions/on_event", {"input": failing}, headers=JSON)
    assert answer.status == 500
    assert "cannot handle" in answer.json()["error"]
    assert call(host.port, "POST", "/admin/functions/nobody", {"input": ""}, headers=JSON).status == 404
    assert call(host.port, "POST", "/admin/functions/on_event", {"input": "{oops"}, headers=JSON).status == 400
    assert call(host.port, "POST", "/admin/functions/boom", {"input": ""}, headers=JSON).status == 400


def test_clock_reads_and_advances(host: LocalHost) -> None:
    assert call(host.port, "GET", "/local/clock").json() == {"now": START.isoformat()}
    answer = call(host.port, "POST", "/local/clock", {"advanceSeconds": 90}, headers=JSON)
    assert answer.json() == {"now": (START + timedelta(seconds=90)).isoformat()}
    assert host.clock.now() == START + timedelta(seconds=90)


@pytest.mark.parametrize(
    "body", [b"not json", {"advance": 5}, {"advanceSeconds": "5"}, {"advanceSeconds": -1}, {"advanceSeconds": True}]
)
def test_clock_rejects_a_bad_body_naming_the_field(host: LocalHost, body: Any) -> None:
    answer = call(host.port, "POST", "/local/clock", body, headers=JSON)
    assert answer.status == 400
    assert "advanceSeconds" in answer.json()["error"]
    assert host.clock.now() == START


def test_health_lists_the_functions(host: LocalHost) -> None:
    answer = call(host.port, "GET", "/local/health")
    assert answer.json() == {
        "status": "ok", "pid": os.getpid(),  # this test's host runs in the test's process
        "functions": sorted(["boom", "echo", "get_item", "on_event", "set_presence", "sweep", "whoami"]),
    }


ADMIN = {"userId": "u-1", "userDetails": "admin@example.com", "roles": ["EmergencyCalling.Admin"]}


def test_local_principal_header_becomes_the_app_service_principal(host: LocalHost) -> None:
    seen = call(host.port, "GET", "/api/whoami", headers={"X-Local-Principal": json.dumps(ADMIN)}).json()
    assert (seen["name"], seen["id"], seen["local"]) == ("admin@example.com", "u-1", None)
    principal = seen["principal"]
    assert (principal["auth_typ"], principal["name_typ"], principal["role_typ"]) == ("aad", "name", "roles")
    assert {"typ": "roles", "val": "EmergencyCalling.Admin"} in principal["claims"]
    assert {"typ": "name", "val": "admin@example.com"} in principal["claims"]


def test_sent_principal_header_is_passed_through_untouched(host: LocalHost) -> None:
    raw = base64.b64encode(b'{"claims": []}').decode()
    headers = {"X-MS-CLIENT-PRINCIPAL": raw, "X-Local-Principal": json.dumps(ADMIN)}
    assert call(host.port, "GET", "/api/whoami", headers=headers).json()["principal"] == {"claims": []}


def test_malformed_local_principal_is_400(host: LocalHost) -> None:
    answer = call(host.port, "GET", "/api/whoami", headers={"X-Local-Principal": '{"userId": "u"}'})
    assert answer.status == 400
    assert "userDetails" in answer.json()["error"]


def test_env_principal_is_the_default_and_the_header_overrides_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    principal_file = tmp_path / "principal.json"
    principal_file.write_text(json.dumps(ADMIN))
    monkeypatch.setenv("LOCAL_PRINCIPAL_FILE", str(principal_file))
    local = LocalHost(make_app(Record()), timers=False)
    local.start()
    try:
        assert call(local.port, "GET", "/api/whoami").json()["id"] == "u-1"
        other = {**ADMIN, "userId": "u-2", "roles": []}
        assert (
            call(local.port, "GET", "/api/whoami", headers={"X-Local-Principal": json.dumps(other)}).json()["id"]
            == "u-2"
        )
        assert call(local.port, "GET", "/api/whoami", headers={"X-Local-Principal": "null"}).json()["principal"] is None
    finally:
        local.stop()


def test_keep_alive_serves_several_requests_on_one_connection(host: LocalHost) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
    try:
        sockets = []
        for body in (b"one", b"two", b"three"):
            connection.request("POST", "/api/echo", body=body)
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, body)
            assert response.getheader("Connection") != "close"
            sockets.append(connection.sock)
        assert sockets[0] is sockets[1] is sockets[2]  # http.client would have reconnected after a close
    finally:
        connection.close()


def test_a_chunked_request_body_reaches_the_function_whole(host: LocalHost) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
    try:
        connection.request("POST", "/api/echo", body=iter([b"chunk-1;", b"chunk-2;", b"end"]), encode_chunked=True)
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"chunk-1;chunk-2;end")
    finally:
        connection.close()


def test_head_answers_the_length_without_the_body(host: LocalHost) -> None:
    answer = call(host.port, "HEAD", "/local/health")
    assert answer.status == 200
    assert answer.body == b""
    assert int(answer.headers["content-length"]) == len(call(host.port, "GET", "/local/health").body)


def test_a_body_over_100_mb_is_refused_with_413_before_it_is_read(host: LocalHost) -> None:
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as raw:
        raw.sendall(b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 104857601\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 413 ")


def test_a_url_over_4_kb_is_refused_with_414(host: LocalHost) -> None:
    assert call(host.port, "GET", "/api/items/1?x=" + "a" * 4096).status == 414
    assert call(host.port, "GET", "/api/items/1?x=" + "a" * 4000).status == 200


def test_worker_thread_count_follows_the_setting_as_the_python_worker_reads_it() -> None:
    default = min(32, (os.cpu_count() or 1) + 4)
    assert thread_count({}) == default
    assert thread_count({THREAD_COUNT_SETTING: "3"}) == 3
    assert thread_count({THREAD_COUNT_SETTING: "64"}) == 64
    assert thread_count({THREAD_COUNT_SETTING: "0"}) == default  # the worker logs and ignores a bad value
    assert thread_count({THREAD_COUNT_SETTING: "many"}) == default


def test_the_host_takes_its_worker_threads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREAD_COUNT_SETTING, "5")
    local = LocalHost(make_app(Record()), timers=False)
    assert local.worker_threads == 5
    assert f"({THREAD_COUNT_SETTING}=5)" in local.describe().splitlines()[0]


def test_ncrontab_schedule_is_seconds_first() -> None:
    assert next_occurrence("0 */5 * * * *", START + timedelta(seconds=1)) == START + timedelta(minutes=5)
    assert next_occurrence("30 * * * * *", START) == START + timedelta(seconds=30)
    with pytest.raises(ValueError, match="six fields"):
        next_occurrence("*/5 * * * *", START)


def test_timer_runs_on_its_schedule_when_timers_are_on(record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCAL_HOST_TIMERS", raising=False)
    local = LocalHost(make_app(record, timer_schedule="* * * * * *"), timers=True)
    local.start()
    try:
        deadline = time.monotonic() + 5
        while len(record.timers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        local.stop()
    assert len(record.timers) >= 2
    assert all(t.past_due is False for t in record.timers)


def test_env_switch_keeps_timers_off(record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_HOST_TIMERS", "0")
    local = LocalHost(make_app(record, timer_schedule="* * * * * *"))
    local.start()
    time.sleep(1.5)
    local.stop()
    assert record.timers == []


def test_cli_serves_the_app_and_prints_its_functions() -> None:
    command = [sys.executable, "-m", "local.host", "--port", "0", "--app", "tests.unit.test_local_host:cli_app"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={"PATH": "", "LOCAL_HOST_TIMERS": "0"},
    )
    try:
        assert process.stdout is not None
        line = "".join(iter(process.stdout.readline, "\n"))  # the start lines, up to the blank one
        assert "set_presence: [PUT] http://127.0.0.1:" in line
        assert "on_event: eventGridTrigger" in line and "sweep: timerTrigger" in line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        assert call(port, "GET", "/local/health").status == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
