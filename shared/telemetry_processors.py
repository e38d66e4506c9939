"""OpenTelemetry processors that scrub spans and log records before any exporter sees them.

Registered ahead of the Azure Monitor export processors (configure_azure_monitor adds custom processors first).
Table Storage request URLs carry callback numbers in their row keys, log lines may carry addresses: both go.
"""

from __future__ import annotations

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
