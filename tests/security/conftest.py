"""The security suite: hostile inputs against the limits that keep an emergency call safe. Its stack: the whole
local stack per module, seeded, plus a raw client and a view of every stored row (to prove that a refused request
wrote nothing)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from azure.data.tables import TableServiceClient

from local.seed import seeded_stack
from local.stack import OPERATOR_PRINCIPAL, LocalStack, as_principal
from shared.adapters import render_process

Rows = dict[tuple[str, str, str], str]


@pytest.fixture(scope="session", autouse=True)
def _render_processes_end_with_the_suite() -> Iterator[None]:
    yield
    render_process.close_all()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with seeded_stack() as s:
        yield s


def send(stack: LocalStack, method: str, path: str, body: bytes | None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw request as the admin (status, headers, body); never raises on an HTTP error."""
    request = urllib.request.Request(stack.client.base_url + path, data=body, method=method, headers={
        "Content-Type": "application/json", **as_principal(OPERATOR_PRINCIPAL), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def rows(stack: LocalStack) -> Rows:
    """Every row of every table: (table, PartitionKey, RowKey) -> ETag. Any write changes it."""
    service = TableServiceClient.from_connection_string(stack.azurite.connection_string)
    found: Rows = {}
    for table in service.list_tables():
        for entity in service.get_table_client(table.name).list_entities():
            found[(table.name, entity["PartitionKey"], entity["RowKey"])] = str(entity.metadata.get("etag"))
    return found
