"""HTTP triggers on the local host: route templates as the Functions host reads them, requests and responses.

What the real host and worker do, and the local host with them:
- The path is percent-decoded before routing except `%2F` (Kestrel decodes every valid escape but the encoded slash,
  which would change the segments; dotnet/aspnetcore#30655, aspnet/KestrelHttpServer#124): route values keep `%2F`
  as sent and have every other escape decoded, and an encoded literal segment matches its route.
- Query: the host builds the worker's `query` map from ASP.NET's `Request.Query` (keys ignoring case, repeated values
  joined with commas) and leaves out every key whose value is empty (`GrpcMessageConversionExtensions.ToRpcHttp`;
  the Python worker's capabilities, `constants.py`, do not ask for the nullable-value maps); azure-functions'
  `HttpRequestConverter.decode` makes `req.params` of it.
- The answer: a `func.HttpResponse`, or a `str` (azure-functions `HttpResponseConverter.encode`; the host writes it
  as a 200 `text/plain; charset=utf-8`). Anything else, `None` and `bytes` included, makes `encode` raise
  NotImplementedError: the invocation fails and the caller gets a 500 with an empty body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

import azure.functions as func

from local.host.index import FunctionEntry, Reply, json_reply

logger = logging.getLogger(__name__)

# Constraints that narrow what a segment matches; the others (min, length, regex, …) accept any segment.
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?:true|false)",
    "decimal": r"-?\d+(?:\.\d+)?",
    "double": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "float": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "guid": r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}",
    "alpha": r"[a-z]+",
}
_PARAM = re.compile(r"\{((?:[^{}]|\{[^{}]*\})*)\}")  # one level of nested braces, for regex(\d{3})
_ENCODED_SLASH = re.compile(r"(%2[fF])")
FAILED_INVOCATION = Reply(500)  # what the host answers for an invocation that failed: no body


@dataclass(frozen=True)
class Route:
    """A compiled route template such as `agents/{agentId}/presence` or `items/{id:int?}`."""

    entry: FunctionEntry
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    defaults: Mapping[str, str]
    precedence: tuple[int, ...]

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters if the path after `/api/` (already decoded by `request_path`) matches, else None."""
        found = self.pattern.fullmatch(path.strip("/"))
        if found is None:
            return None
        params = dict(self.defaults)
        for index, name in enumerate(self.names):
            value = found.group(f"p{index}")
            if value is not None:
                params[name] = value
        return params


def compile_route(entry: FunctionEntry) -> Route:
    """Compile the entry's route template; literals match case-insensitively, like ASP.NET routing."""
    regex = ""
    names: list[str] = []
    precedence: list[int] = []
    defaults: dict[str, str] = {}
    for position, segment in enumerate(entry.route.split("/")):
        sep = "/" if position else ""
        whole = _PARAM.fullmatch(segment)
        if whole:
            name, part, optional, rank = _parameter(whole.group(1), len(names), defaults)
            names.append(name)
            regex += f"(?:{re.escape(sep)}{part})?" if optional else re.escape(sep) + part
            precedence.append(rank)
            continue
        regex += re.escape(sep) + _mixed_segment(segment, names, defaults)
        precedence.append(0 if not _PARAM.search(segment) else 1)
    return Route(entry, re.compile(regex, re.IGNORECASE), tuple(names), defaults, tuple(precedence))


def _parameter(spec: str, index: int, defaults: dict[str, str]) -> tuple[str, str, bool, int]:
    """Parse `name`, `name:int`, `name?`, `name=default`, `*rest` into (name, regex, optional, precedence rank)."""
    catch_all = spec.startswith("*")
    spec = spec.lstrip("*")
    spec, _, default = spec.partition("=")
    optional = spec.endswith("?") or bool(default) or catch_all
    name, *constraints = spec.rstrip("?").split(":")
    if default:
        defaults[name] = default
    if catch_all:
        return name, f"(?P<p{index}>.*)", True, 4
    known = [_CONSTRAINTS[c.split("(")[0].lower()] for c in constraints if c.split("(")[0].lower() in _CONSTRAINTS]
    part = f"(?P<p{index}>{known[0] if known else '[^/]+'})"
    return name, part, optional, 3 if optional else (1 if known else 2)


def _mixed_segment(segment: str, names: list[str], defaults: dict[str, str]) -> str:
    """A segment mixing literals and parameters, e.g. `{name}.{ext}`."""
    regex, last = "", 0
    for param in _PARAM.finditer(segment):
        regex += re.escape(segment[last : param.start()])
        name, part, _, _ = _parameter(param.group(1), len(names), defaults)
        names.append(name)
        regex += part.replace("[^/]+", "[^/]+?")
        last = param.end()
    return regex + re.escape(segment[last:])


def compile_routes(entries: Iterable[FunctionEntry]) -> list[Route]:
    """Routes in the order they are tried: literal segments before parameters, as ASP.NET orders them."""
    return sorted((compile_route(e) for e in entries), key=lambda r: r.precedence)


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | Reply:
    """The route and its parameters for this method and path; else a 404 (no route) or 405 (method not allowed)."""
    allowed: set[str] = set()
    for route in routes:
        params = route.match(path)
        if params is None:
            continue
        if not route.entry.methods or method in route.entry.methods:
            return route, params
        allowed |= route.entry.methods
    if allowed:
        return json_reply(405, {"error": "method not allowed"}, (("Allow", ", ".join(sorted(allowed))),))
    return json_reply(404, {"error": "not found"})


def request_path(raw: str) -> str:
    """The path as Kestrel hands it to routing: every escape decoded but `%2F`, which stays as it was sent."""
    return "".join(part if _ENCODED_SLASH.fullmatch(part) else unquote(part) for part in _ENCODED_SLASH.split(raw))


def query_params(query: str) -> dict[str, str]:
    """The query as the worker gets it: keys ignoring case (the first spelling kept), repeated values joined with
    commas, keys whose value is empty left out."""
    joined: dict[str, tuple[str, str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        first, so_far = joined.get(key.lower(), (key, None))
        joined[key.lower()] = (first, value if so_far is None else f"{so_far},{value}")
    return {key: value for key, value in joined.values() if value}


def build_request(
    method: str, url: str, query: str, headers: Mapping[str, str], route_params: Mapping[str, str], body: bytes
) -> func.HttpRequest:
    """A real `func.HttpRequest` with the query as the worker gets it (`query_params`)."""
    return func.HttpRequest(
        method, url, headers=dict(headers), params=query_params(query), route_params=dict(route_params), body=body
    )


def to_reply(name: str, result: object) -> Reply:
    """Turn what an HTTP function returned into the answer: an `HttpResponse` or a `str`; anything else fails the
    invocation (500, empty body), as azure-functions' `HttpResponseConverter.encode` does in the worker."""
    if isinstance(result, func.HttpResponse):
        headers = list(result.headers.items())
        if not any(k.lower() == "content-type" for k, _ in headers):
            mimetype = result.mimetype
            headers.append(
                ("Content-Type", f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype)
            )
        return Reply(result.status_code, result.get_body(), tuple(headers))
    if isinstance(result, str):
        # The host sniffs a str for a JSON "response object" ({"body": ..., "status": ...}); no function here
        # returns one, and the local host passes every str through as text.
        return Reply(200, result.encode(), (("Content-Type", "text/plain; charset=utf-8"),))
    logger.error("function %s returned %s: the worker takes only an HttpResponse or a str, so the invocation "
                 "failed", name, type(result).__name__)
    return FAILED_INVOCATION
