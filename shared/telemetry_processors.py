"""OpenTelemetry processors that scrub spans and log records before any exporter sees them, and their placement.

Table Storage request URLs carry callback numbers in their row keys, log lines may carry addresses: both go.
A provider calls its processors in the order they were added, each synchronously: the scrubbers must come first.
When the app configures Azure Monitor, configure_azure_monitor puts them ahead of its own processors. When the
Python worker configured it first, its providers already hold the live-metrics processors (which read each span and
record as it ends) and the batch export processors (which queue a reference and may export it from their thread
at once when the batch is full): a scrubber added after them with the public add_*_processor would come too late.
So `scrub_before_export` puts the scrubbers at the head of the provider's processor tuple. The SDK exposes no
public way to insert ahead; the tuple and its lock are the one place the SDK itself appends to, and
tests/unit/test_telemetry_order.py fails if an SDK upgrade changes them. Wrapping the exporters instead would miss
live metrics and any exporter added later.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor

from shared.telemetry import scrub_attributes, scrub_text


class ScrubbingSpanProcessor(SpanProcessor):
    """Scrubs a span's name and attributes when it ends, before the export processor queues it."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        # The SDK freezes attributes at end; replacing the container is the one way to change them here.
        span._attributes = BoundedAttributes(attributes=scrub_attributes(span.attributes), immutable=True)
        span._name = scrub_text(span.name)
        # Recorded exceptions are span events whose attributes hold the message and the formatted traceback.
        span._events = tuple(Event(e.name, scrub_attributes(e.attributes), e.timestamp) for e in span.events)
        if span._status.description:
            span._status = type(span._status)(span._status.status_code, scrub_text(span._status.description))

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class ScrubbingLogProcessor(LogRecordProcessor):
    """Scrubs a log record's body and attributes before the export processor queues it."""

    def on_emit(self, log_record: Any) -> None:
        record = log_record.log_record
        if isinstance(record.body, str):
            record.body = scrub_text(record.body)
        if record.attributes:
            record.attributes = scrub_attributes(record.attributes)

    def emit(self, log_data: Any) -> None:  # older SDKs call emit()
        self.on_emit(log_data)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


log = logging.getLogger("shared.telemetry")


def _put_first(multi: Any, attribute: str, processor: Any) -> bool | None:
    """Place `processor` ahead of the multi-processor's others: True when added, False when one of its kind was
    there already, None when the SDK's shape is not the one known here."""
    current, lock = getattr(multi, attribute, None), getattr(multi, "_lock", None)
    if not isinstance(current, tuple) or lock is None:
        return None
    with lock:
        current = getattr(multi, attribute)
        if any(isinstance(p, type(processor)) for p in current):
            return False
        setattr(multi, attribute, (processor, *current))
    return True


def _join(provider: Any, multi_name: str, attribute: str, processor: Any, add: str) -> bool:
    """True when `processor` was added to the provider; a provider of unknown shape gets it last (warned)."""
    placed = _put_first(getattr(provider, multi_name, None), attribute, processor)
    if placed is None:
        log.warning("Telemetry scrubbing added after the exporters of %s: this SDK's processor list is unknown",
                    type(provider).__name__)
        getattr(provider, add)(processor)
        return True
    return placed


def sdk_providers() -> tuple[Any, Any]:
    """The global SDK TracerProvider and LoggerProvider, each None while nobody installed one."""
    from opentelemetry import _logs, trace
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.trace import TracerProvider

    tracer_provider, logger_provider = trace.get_tracer_provider(), _logs.get_logger_provider()
    return (tracer_provider if isinstance(tracer_provider, TracerProvider) else None,
            logger_provider if isinstance(logger_provider, LoggerProvider) else None)


def scrub_before_export(tracer_provider: Any, logger_provider: Any) -> list[str]:
    """Put the span scrubber first on an SDK TracerProvider and the log scrubber first on an SDK LoggerProvider,
    whoever installed them; others are left alone. Idempotent. Returns the signals a scrubber was added to."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.trace import TracerProvider

    added = []
    if isinstance(tracer_provider, TracerProvider) and _join(
            tracer_provider, "_active_span_processor", "_span_processors", ScrubbingSpanProcessor(),
            "add_span_processor"):
        added.append("spans")
    if isinstance(logger_provider, LoggerProvider) and _join(
            logger_provider, "_multi_log_record_processor", "_log_record_processors", ScrubbingLogProcessor(),
            "add_log_record_processor"):
        added.append("logs")
    return added
