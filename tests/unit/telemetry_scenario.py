"""One telemetry start-up order in a fresh process, as the Python worker would run it; prints what the exporters got.

OpenTelemetry's global providers can be set once per process, so tests/unit/test_telemetry_order.py runs this
script once per order:

    python tests/unit/telemetry_scenario.py worker-first   # the worker configured Azure Monitor, then the app
    python tests/unit/telemetry_scenario.py app-only       # no provider yet: the app configures Azure Monitor

`worker-first` makes the worker's own call (azure-functions-python-worker 4.x `initialize_azure_monitor`:
`configure_azure_monitor(connection_string=…, logger_name="")` with the azure_functions resource detector) with the
real distro, before `function_app.py` would import. Then, still before the app's `configure()`, an in-memory
exporter behind a SimpleSpanProcessor / SimpleLogRecordProcessor is added to each provider: it stands for every
processor already in place when the app starts (the distro's live-metrics processors, its BatchSpanProcessor), and
it exports synchronously, so it records what was exported at that moment. A snapshot is taken at export time
(`to_json()`), because an in-memory exporter keeps references and a processor running later would change what it
shows afterwards.

No network: the connection string points at 127.0.0.1:9, statsbeat and the control plane are off, and any
connection to a host other than the loopback is refused and listed in the output. The process ends with
`os._exit` before the batch exporters' schedule, so the distro's Azure exporters send nothing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PHONE, EMAIL = "+12025550142", "alice@example.com"
TABLE_URL = ("https://stexample.table.core.windows.net/callbacknumbers(PartitionKey='US',"
             "RowKey='%2B12025550142')")
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"  # the host's invocation, sampled
refused: list[str] = []


def _refuse_other_hosts() -> None:
    loopback = {"127.0.0.1", "::1", "localhost"}
    connect, resolve = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in loopback:
            refused.append(f"connect {host}")
            raise OSError("network refused by telemetry_scenario")
        return connect(sock, address)

    def guarded_resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in loopback and host is not None:
            refused.append(f"resolve {host}")
            raise OSError("network refused by telemetry_scenario")
        return resolve(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_resolve


class Snapshot:
    """An exporter of spans or log records that keeps each item as it was when exported."""

    def __init__(self, success: Any) -> None:
        self.exported: list[dict[str, Any]] = []
        self._success = success

    def export(self, items: Sequence[Any]) -> Any:
        self.exported.extend(json.loads(item.to_json()) for item in items)
        return self._success

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_snapshot() -> Snapshot:
    from opentelemetry.sdk.trace.export import SpanExportResult

    return Snapshot(SpanExportResult.SUCCESS)


def log_snapshot() -> Snapshot:
    from opentelemetry.sdk._logs.export import LogRecordExportResult

    return Snapshot(LogRecordExportResult.SUCCESS)


def _the_worker_configures_azure_monitor() -> None:
    """What the worker does at WorkerInitRequest when PYTHON_ENABLE_OPENTELEMETRY=true, before indexing."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    os.environ.setdefault("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "azure_functions")
    configure_azure_monitor(connection_string=os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"),
                            logger_name="")


def _attach_exporters(spans: Snapshot, logs: Snapshot) -> None:
    from opentelemetry import _logs, trace
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(spans))  # type: ignore[attr-defined]
    _logs.get_logger_provider().add_log_record_processor(  # type: ignore[attr-defined]
        SimpleLogRecordProcessor(logs))


def _emit_telemetry() -> None:
    """Within an invocation (the worker attaches the host's sampled trace context, as it does for each one): a Table
    Storage span with a failed read, a custom event, a log line with extras and an exception."""
    from opentelemetry import context, trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    from shared.telemetry import Telemetry

    context.attach(TraceContextTextMapPropagator().extract({"traceparent": TRACEPARENT}))
    tracer = trace.get_tracer("azure.data.tables")
    with tracer.start_as_current_span(f"GET callbacknumbers RowKey='{PHONE}'") as span:
        span.set_attribute("url.full", TABLE_URL)
        span.set_attribute("az.namespace", "Microsoft.Storage")
        span.record_exception(LookupError(f"no lease for {PHONE}, notify {EMAIL}"))
    Telemetry().event("CallbackRouted", agent="alice", callback=PHONE, recipient=EMAIL)
    logger = logging.getLogger("shared.adapters.tables")
    logger.warning("lease read failed for %s", PHONE, extra={"url.full": TABLE_URL, "recipient": EMAIL})
    try:
        raise LookupError(f"no row {TABLE_URL} for {EMAIL}")
    except LookupError:
        logger.exception("callback lookup failed")


def _processor_order() -> dict[str, list[str]]:
    from opentelemetry import _logs, trace

    tracer_provider: Any = trace.get_tracer_provider()
    logger_provider: Any = _logs.get_logger_provider()
    return {
        "spans": [type(p).__name__ for p in tracer_provider._active_span_processor._span_processors],
        "logs": [type(p).__name__ for p in logger_provider._multi_log_record_processor._log_record_processors],
    }


def main(order: str) -> None:
    _refuse_other_hosts()
    warnings: list[str] = []
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING and record.name.startswith(("opentelemetry", "azure.monitor")):
                warnings.append(f"{record.name}: {record.getMessage()}")
            if record.name == "shared.telemetry":
                said.append(record.getMessage())

    logging.getLogger().addHandler(Collect())
    logging.getLogger().setLevel(logging.INFO)
    spans, logs = span_snapshot(), log_snapshot()
    if order == "worker-first":
        _the_worker_configures_azure_monitor()
        _attach_exporters(spans, logs)

    from shared import telemetry

    results = [telemetry.configure(os.environ), telemetry.configure(os.environ)]  # function_app.py, then again
    if order == "app-only":
        _attach_exporters(spans, logs)
    _emit_telemetry()
    print(json.dumps({"configured": results, "order": _processor_order(), "spans": spans.exported,
                      "logs": logs.exported, "warnings": warnings, "said": said,
                      "refused": refused}))
    sys.stdout.flush()
    os._exit(0)  # skip the exit-time flush of the distro's Azure exporters


if __name__ == "__main__":
    main(sys.argv[1])
