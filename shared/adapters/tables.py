"""Azure Table Storage access shared by the table adapters: clients, table creation, codecs, error translation."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode

from shared.adapters import lanes
from shared.ports import Conflict, StoreError

T = TypeVar("T")

# Storage must never hold up a dial: fail fast and let the caller report a warning.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 1, "retry_backoff_factor": 0.1}
TIMEOUTS: dict[str, Any] = {"connection_timeout": 2, "read_timeout": 5}
# Connections kept open to the storage account: the worker's invocations and the round trips each overlaps
# (adapters/threads.py) at once. requests keeps 10 per host and discards the others, so a burst would open (and,
# in Azure, handshake) a new TLS connection for most of its requests.
CONNECTIONS = 64


def storage_transport(environ: Mapping[str, str] = os.environ) -> Any:
    """The SDK's requests transport on a session with room for `CONNECTIONS`. The environment is read once, here:
    requests would otherwise scan every variable on every request for proxies and CA bundles (a quarter of a
    millisecond of CPU each; a dial makes seven). A CA bundle is loaded once into the connections' TLS context
    (given as a path, requests would look the path up on the disk on every request); with a proxy variable set,
    requests reads the environment itself, as before."""
    import ssl

    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class Connections(HTTPAdapter):
        """requests' adapter whose TLS connections verify with one context, built once (None: the default)."""

        def __init__(self, context: ssl.SSLContext | None, **options: Any) -> None:
            self._context = context
            super().__init__(**options)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if self._context is not None:
                kwargs["ssl_context"] = self._context
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = bool(proxies_in(environ))
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")  # requests' own order
    context = None
    if bundle:
        with contextlib.suppress(OSError):  # unreadable: passed on as a path, requests names it in each error
            context = ssl.create_default_context(cafile=bundle)
            context.hostname_checks_common_name = False  # as urllib3's own context: the name in a SAN only
    adapter = Connections(context, pool_connections=4, pool_maxsize=CONNECTIONS,
                          max_retries=Retry(total=False, redirect=False, raise_on_status=False))
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return RequestsTransport(session=session, session_owner=True, **TIMEOUTS,
                             **({"connection_verify": bundle} if bundle and context is None else {}))


def proxies_in(environ: Mapping[str, str]) -> list[str]:
    """The proxy variables set (any case), as urllib and requests read them."""
    return [name for name, value in environ.items()
            if value and name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")]


class Tables:
    """Lazily created table clients, one per table, each table created once per process."""

    def __init__(self, connection_string: str | None = None, endpoint: str | None = None,
                 credential: Any = None, prefix: str = "", **client_options: Any) -> None:
        # e.g. raw_request_hook for the benchmarks' request counter
        options = CLIENT_OPTIONS | {"transport": storage_transport()} | client_options
        if connection_string:
            self._service = TableServiceClient.from_connection_string(connection_string, **options)
        elif endpoint:
            self._service = TableServiceClient(endpoint, credential=credential, **options)
        else:
            raise ValueError("a connection string or an endpoint is needed")
        self._prefix = prefix
        self._clients: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> TableClient:
        """The client for table `name`, creating the table on first use in this process."""
        full = self._prefix + name
        client = self._clients.get(full)
        if client is not None:
            return client
        lanes.yield_to_emergency()  # before the lock, never while holding it (an emergency dial may wait for it)
        with self._lock, lanes.holding(), translate_errors():
            client = self._clients.get(full)
            if client is None:
                self._service.create_table_if_not_exists(full)
                client = self._service.get_table_client(full)
                self._clients[full] = client
        return client


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SDK failures into the ports' errors; 409/412 become Conflict, the rest StoreError. Every request goes
    through here: work that is not an emergency first yields to the emergency work in flight (adapters/lanes.py)."""
    lanes.yield_to_emergency()
    try:
        yield
    except (ResourceExistsError, ResourceModifiedError) as exc:
        raise Conflict(str(exc).splitlines()[0]) from exc
    except AzureError as exc:
        raise StoreError(f"table storage: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from exc


class RowConflict(Conflict):
    """One operation of an entity group transaction failed its condition (409, 412 or 404); `index` says which."""

    def __init__(self, message: str, index: int, status: int | None) -> None:
        super().__init__(message)
        self.index, self.status = index, status


def transact(table: TableClient, operations: list[Any]) -> list[dict[str, Any]]:
    """One entity group transaction (one partition, at most 100 operations), all or nothing. Sent without SDK
    retries: a retried transaction that had landed would come back as a false conflict."""
    if len(operations) > 100:
        raise ValueError("an entity group transaction holds at most 100 operations")
    try:
        with translate_errors():
            return [dict(r) for r in table.submit_transaction(operations, retry_total=0)]
    except StoreError as exc:
        cause = exc.__cause__
        if isinstance(cause, TableTransactionError) and cause.status_code in (404, 409, 412):
            raise RowConflict(str(cause).splitlines()[0], cause.index, cause.status_code) from cause
        raise


def first_page(table: TableClient, filter_: str, per_page: int, **params: Any) -> list[dict[str, Any]]:
    """The first page of a query only (a `$top`-style read: one request, at most `per_page` entities)."""
    with translate_errors():
        pages = table.query_entities(filter_, parameters=params, results_per_page=per_page).by_page()
        return [_with_etag(e) for e in next(pages, [])]


def get_entity(table: TableClient, pk: str, rk: str) -> dict[str, Any] | None:
    """Point read; None when absent."""
    with translate_errors():
        try:
            return _with_etag(table.get_entity(pk, rk))
        except ResourceNotFoundError:
            return None


def _with_etag(entity: Any) -> dict[str, Any]:
    out = dict(entity)
    out["_etag"] = entity.metadata.get("etag")
    return out


def query(table: TableClient, filter_: str, **params: Any) -> list[dict[str, Any]]:
    with translate_errors():
        return [_with_etag(e) for e in table.query_entities(filter_, parameters=params)]


def insert(table: TableClient, entity: dict[str, Any]) -> None:
    """Conditional insert: Conflict when the key exists."""
    with translate_errors():
        # No SDK retry: a retried insert that had landed would come back as a false conflict.
        table.create_entity(_clean(entity), retry_total=0)


def replace_if(table: TableClient, entity: dict[str, Any], etag: str) -> None:
    """Replace only if unchanged since read: Conflict otherwise."""
    with translate_errors():
        table.update_entity(_clean(entity), mode=UpdateMode.REPLACE, etag=etag,
                            match_condition=MatchConditions.IfNotModified, retry_total=0)


def merge_existing(table: TableClient, entity: dict[str, Any]) -> bool:
    """Set the given properties of an existing entity, leaving the others as they are; False when it is absent."""
    with translate_errors():
        try:
            table.update_entity(_clean(entity), mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            return False
    return True


def upsert(table: TableClient, entity: dict[str, Any]) -> None:
    with translate_errors():
        table.upsert_entity(_clean(entity), mode=UpdateMode.REPLACE)


def delete(table: TableClient, pk: str, rk: str, etag: str | None = None) -> None:
    with translate_errors():
        if etag is None:
            table.delete_entity(pk, rk)
        else:
            table.delete_entity(pk, rk, etag=etag, match_condition=MatchConditions.IfNotModified)


def _clean(entity: dict[str, Any]) -> dict[str, Any]:
    """Drop our metadata and None values (Table Storage has no null)."""
    return {k: v for k, v in entity.items() if not k.startswith("_") and v is not None}


def ts(value: datetime | None) -> str | None:
    """Datetimes are stored as ISO 8601 strings in UTC, so they sort and read back exactly."""
    return value.isoformat() if value is not None else None


def dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dumps(value: Any) -> str | None:
    return json.dumps(value, separators=(",", ":")) if value is not None else None


def loads(value: Any, default: Callable[[], T]) -> Any:
    return json.loads(value) if value else default()


def escape_key(value: str) -> str:
    """Keys may not hold '/', '\\', '#', '?' (ACS raw ids hold ':' only, but be safe)."""
    return value.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C").replace("#", "%23").replace("?", "%3F")
