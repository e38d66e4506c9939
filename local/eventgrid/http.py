"""Small HTTP and file helpers of the Event Grid stand-in: one delivery POST, a producer's publish, atomic JSON."""

from __future__ import annotations

import http.client
import json
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_ANSWER = 64 * 1024  # what a delivery reads of an answer (the validation code is all it needs)


@dataclass(frozen=True)
class Answer:
    """The outcome of one POST: the HTTP status (None when no answer came) and Event Grid's name for it."""

    status: int | None
    outcome: str
    body: bytes = b""


def outcome_name(status: int) -> str:
    """HTTP status as Event Grid names delivery outcomes: NotFound, InternalServerError, ..."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return str(status)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float,
         context: ssl.SSLContext | None = None) -> Answer:
    """POST once, no redirects, no retries; a time-out or a connection failure is an Answer without status."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout,
                                                 context=context or ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("POST", target, body, {**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        return Answer(response.status, outcome_name(response.status), response.read(MAX_ANSWER))
    except TimeoutError:
        return Answer(None, "TimedOut")
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"Unreachable ({type(error).__name__})")
    finally:
        connection.close()


def publish(endpoint: str, key: str, events: Any, ca_bundle: Path | None, *,
            content_type: str = "application/json; charset=utf-8", timeout: float = 10.0) -> tuple[int, Any]:
    """Publish as a producer does over plain HTTPS with the topic key; (status, decoded answer body)."""
    url = f"{endpoint}?api-version=2018-01-01"
    request = urllib.request.Request(url, data=json.dumps(events).encode(), method="POST",
                                     headers={"Content-Type": content_type, "aeg-sas-key": key})
    context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, _decode(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decode(error.read())


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def write_json(path: Path, value: Any) -> None:
    """Write through a temp file, fsync and rename, so a reader never sees half a file and a crash leaves none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
