"""The local host refuses what the real Functions host and Python worker refuse: each rule against a small bad app.

Sources of each rule are cited next to it in `local/host/index.py`, `local/host/http.py` and `local/host/eventgrid.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import azure.functions as func
import pytest

from local.host import LocalHost
from shared.clock import FixedClock
from tests.unit.test_local_host import CLOUD_EVENT, NOTIFY, START, Answer, call


@contextmanager
def serve(app: func.FunctionApp) -> Iterator[LocalHost]:
    local = LocalHost(app, port=0, clock=FixedClock(START), timers=False)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def http_app(result: Callable[[func.HttpRequest], Any]) -> func.FunctionApp:
    """One anonymous HTTP function answering `result(req)`."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="it/{*rest}")
    def it(req: func.HttpRequest) -> func.HttpResponse:
        return result(req)  # type: ignore[no-any-return]

    return app


def ask(result: Callable[[func.HttpRequest], Any], path: str = "/api/it") -> Answer:
    with serve(http_app(result)) as host:
        return call(host.port, "GET", path)


# --- what an HTTP function may return ---------------------------------------------------------------------------

@pytest.mark.parametrize("returned", [None, b"bytes are not a response", 42, {"a": 1}])
def test_an_http_function_returning_anything_but_a_response_or_str_fails_with_500_and_no_body(returned: Any) -> None:
    answer = ask(lambda req: returned)
    assert (answer.status, answer.body) == (500, b"")


def test_a_str_is_a_200_text_answer() -> None:
    answer = ask(lambda req: "plain words")
    assert (answer.status, answer.body) == (200, b"plain words")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"


def test_an_http_function_that_raises_is_a_500_with_an_empty_body() -> None:
    def fail(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail")

    answer = ask(fail)
    assert (answer.status, answer.body) == (500, b"")


# --- request shapes ---------------------------------------------------------------------------------------------

def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"params": dict(req.params), "route": dict(req.route_params)}),
                             mimetype="application/json")


def test_query_values_that_are_empty_are_not_passed_and_repeated_keys_are_joined() -> None:
    answer = ask(echo, "/api/it?empty=&flag&x=1&x=2&X=3&blank=&blank=")
    assert answer.json()["params"] == {"x": "1,2,3", "blank": ","}


def test_route_values_are_decoded_except_an_encoded_slash() -> None:
    answer = ask(echo, "/api/it/a%20b%2Fc%2fd/e%3F")
    assert answer.json()["route"] == {"rest": "a b%2Fc%2fd/e?"}


def test_an_encoded_literal_segment_matches_its_route() -> None:
    assert ask(echo, "/api/%69t/x").json()["route"] == {"rest": "x"}


# --- indexing ---------------------------------------------------------------------------------------------------

def add_route(app: func.FunctionApp, name: str, route: str, methods: list[str] | None = None) -> None:
    """An HTTP function `name` on `route` that answers its name."""
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(name)

    app.function_name(name)(app.route(route=route, methods=methods)(handler))


def refused(app: func.FunctionApp, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        LocalHost(app, port=0, timers=False)


def test_a_parameter_that_is_no_binding_fails_indexing_of_the_whole_app() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="fine")
    def fine(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok")

    @app.route(route="extra")
    def extra(req: func.HttpRequest, settings: str = "") -> func.HttpResponse:
        return func.HttpResponse("ok")

    refused(app, "declared in Python but not in function.json: {'settings'}")


def test_context_is_the_one_parameter_that_needs_no_binding() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="ctx")
    def ctx(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        return func.HttpResponse(context.function_name)

    with serve(app) as host:
        assert call(host.port, "GET", "/api/ctx").body == b"ctx"


def test_a_context_parameter_of_another_type_fails_indexing() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="ctx")
    def ctx(req: func.HttpRequest, context: str) -> func.HttpResponse:
        return func.HttpResponse("ok")

    refused(app, "expected to be of type azure.functions.Context")


def test_a_union_annotation_on_the_trigger_fails_indexing() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.EventGridEvent | func.CloudEvent) -> None:
        return None

    refused(app, "invalid non-type annotation")


def test_an_annotation_the_binding_cannot_convert_to_fails_indexing() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.HttpRequest) -> None:
        return None

    refused(app, 'does not match its Python annotation "HttpRequest"')


@pytest.mark.parametrize("annotation", [func.EventGridEvent, func.CloudEvent])
def test_either_event_class_is_accepted_for_an_event_grid_trigger(annotation: type) -> None:
    app = func.FunctionApp()

    def on_event(event: Any) -> None:
        return None

    on_event.__annotations__["event"] = annotation
    app.event_grid_trigger(arg_name="event")(on_event)
    assert list(LocalHost(app, port=0, timers=False).functions) == ["on_event"]


def test_a_binding_name_that_is_not_alphanumeric_is_refused() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="named", trigger_arg_name="the_request")
    def named(the_request: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok")

    refused(app, "The binding name the_request is invalid")


@pytest.mark.parametrize(("first_route", "first_methods", "second_route", "second_methods"), [
    ("Items/{id}", ["GET", "PUT"], "/items/{id}/", ["PUT", "DELETE"]),  # templates equal ignoring case and slashes
    ("things", ["GET"], "things", None),  # no methods: every method
])
def test_two_functions_on_one_route_with_a_common_method_are_refused(
        first_route: str, first_methods: list[str], second_route: str, second_methods: list[str] | None) -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    add_route(app, "first", first_route, first_methods)
    add_route(app, "second", second_route, second_methods)
    refused(app, "The route specified conflicts with the route defined by function 'first'")


def test_the_same_route_with_other_methods_is_served() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    add_route(app, "read", "things", ["GET"])
    add_route(app, "write", "things", ["POST"])
    with serve(app) as host:
        assert call(host.port, "POST", "/api/things").body == b"write"


def test_function_names_differing_only_in_case_are_refused() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    add_route(app, "Sweep", "one")
    add_route(app, "sweep", "two")
    refused(app, "must be unique within the function app")


def test_a_function_name_the_host_does_not_allow_is_refused() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    add_route(app, "9lives", "cat")
    refused(app, "'9lives' is not a valid function name")


# --- Event Grid: the worker's binding types ---------------------------------------------------------------------

def deliver(body: dict[str, Any]) -> tuple[int, list[Any]]:
    """POST one event to a tiny Event Grid function: the webhook's status and what the function was handed."""
    seen: list[Any] = []
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.EventGridEvent) -> None:
        seen.append(event)

    with serve(app) as host:
        return call(host.port, "POST", "/runtime/webhooks/EventGrid?functionName=on_event", body, NOTIFY).status, seen


def test_a_cloud_event_reaches_the_function_as_the_worker_decodes_it() -> None:
    status, seen = deliver({**CLOUD_EVENT, "data": None, "data_base64": "aGk=", "traceparent": "00-abc-def-01"})
    assert status == 200
    (event,) = seen
    assert isinstance(event, func.CloudEvent)
    assert (event.id, event.source, event.type, event.subject, event.specversion) == (
        "c1", "/subscriptions/x/acs", "Microsoft.Communication.IncomingCall", "calls/2", "1.0")
    assert event.get_json() is None  # the converter does not decode data_base64
    assert event.extension_attrs == {"data_base64": "aGk=", "traceparent": "00-abc-def-01"}


def test_a_time_the_worker_cannot_parse_fails_the_invocation_so_event_grid_retries() -> None:
    # azure-functions 1.26 parses a time with no offset but Z (or +00:00): the conversion, hence the invocation, fails
    assert deliver({**CLOUD_EVENT, "time": "2025-01-01T13:00:01+01:00"}) == (500, [])
