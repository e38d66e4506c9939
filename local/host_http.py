"""HTTP triggers on the local host: route templates as the Functions host reads them, requests and responses."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

import azure.functions as func

from local.host_index import FunctionEntry, Reply, json_reply

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


@dataclass(frozen=True)
class Route:
    """A compiled route template such as `agents/{agentId}/presence` or `items/{id:int?}`."""

    entry: FunctionEntry
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    defaults: Mapping[str, str]
    precedence: tuple[int, ...]

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters (URL-decoded) if the path after `/api/` matches, else None."""
        found = self.pattern.fullmatch(path.strip("/"))
        if found is None:
            return None
        params = dict(self.defaults)
        for index, name in enumerate(self.names):
            value = found.group(f"p{index}")
            if value is not None:
                params[name] = unquote(value)
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


def build_request(
    method: str, url: str, query: str, headers: Mapping[str, str], route_params: Mapping[str, str], body: bytes
) -> func.HttpRequest:
    """A real `func.HttpRequest`; repeated query keys are joined with commas, as ASP.NET does."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return func.HttpRequest(
        method, url, headers=dict(headers), params=params, route_params=dict(route_params), body=body
    )


def to_reply(name: str, result: object) -> Reply:
    """Turn what an HTTP function returned into the answer; an unusable return value is a 500, as in the worker."""
    if isinstance(result, func.HttpResponse):
        headers = list(result.headers.items())
        if not any(k.lower() == "content-type" for k, _ in headers):
            mimetype = result.mimetype
            headers.append(
                ("Content-Type", f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype)
            )
        return Reply(result.status_code, result.get_body(), tuple(headers))
    if result is None:
        return Reply(204)
    if isinstance(result, str | bytes):
        body = result.encode() if isinstance(result, str) else result
        return Reply(200, body, (("Content-Type", "text/plain; charset=utf-8"),))
    logger.error("function %s returned %s, not an HttpResponse", name, type(result).__name__)
    return json_reply(500, {"error": "internal error"})
