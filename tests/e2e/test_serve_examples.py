"""`make serve`'s printed examples: every curl command answers 2xx on a stack set up as serve sets it up (the page's
administrator as the default user, the demo's seed), and `make ring` rings a responder's callback to the agent."""

from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from local import ring
from local.seed import seeded_stack
from local.serve import DIALER, EXAMPLES, curl
from local.stack import ADMIN_PRINCIPAL, LocalStack, wait_for


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack(principal=ADMIN_PRINCIPAL) as s:
        yield s


def run_curl(command: str) -> tuple[int, object]:
    """The request the printed curl command line sends (its quoting included), sent; (status, decoded body)."""
    words = shlex.split(command)
    assert words[:2] == ["curl", "-s"], command
    method, url, headers, data = "GET", "", {}, None
    rest = iter(words[2:])
    for word in rest:
        if word == "-X":
            method = next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(": ")
            headers[name] = value
        elif word == "-d":
            data = next(rest).encode()
            method = method if method != "GET" else "POST"
        else:
            url = word
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                    timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{m} {p}" for m, p, *_ in EXAMPLES])
def test_every_printed_example_works(stack: LocalStack, example: tuple) -> None:
    command = curl(stack.client.base_url, *example)
    status, body = run_curl(command)
    assert 200 <= status < 300, f"{command}\n→ {status} {body}"


def test_make_ring_rings_a_responder_callback_to_the_agent_who_dialed(stack: LocalStack, tmp_path: Path) -> None:
    ring.remember(stack, tmp_path)
    with pytest.raises(ValueError, match="no open callback window"):
        ring.ring("carol", tmp_path)  # she has not dialed
    dial = ("POST", "/api/outbound-calls", {"agentId": "bob", "dialedNumber": "933", "countryCode": "US"}, DIALER)
    status, answer = run_curl(curl(stack.client.base_url, *dial))
    assert status == 200 and answer["emergency"], answer  # type: ignore[index]
    published, what = ring.ring("bob", tmp_path)
    assert published == 200 and "callback number" in what

    def ringing() -> object:
        shown = stack.client.get("/api/agents/bob/emergency-state")[1]
        return (shown.get("callback") or {}).get("status") == "ringing"
    assert wait_for(ringing, timeout=15), stack.client.get("/api/agents/bob/emergency-state")[1]
