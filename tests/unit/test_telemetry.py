"""No phone number, email address or location leaves the process: proven on a recorded span and log record."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import CUSTOM_EVENT, configure, install_log_scrubbing, scrub_text
from shared.telemetry_processors import ScrubbingLogProcessor, ScrubbingSpanProcessor, scrub_before_export
from tests.unit.telemetry_scenario import span_snapshot

SECRETS = ("2025550123", "202) 555-0142", "alice@example.com", "1 Example Plaza")


@pytest.mark.parametrize(("raw", "expected"), [
    ("call +12025550123 now", "call ***0123 now"),
    ("(202) 555-0142", "***0142"),
    ("to alice@example.com", "to <email>"),
    ("RowKey='%2B12025550100'", "RowKey='***0100'"),
    ("dialed 911", "dialed 911"),
    ("agent alice, call 3f2a", "agent alice, call 3f2a"),
])
def test_scrub_text(raw: str, expected: str) -> None:
    assert scrub_text(raw) == expected


def test_a_recorded_span_is_scrubbed_before_export() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubbingSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("PUT callbacknumbers +12025550123") as span:
        span.set_attribute("url.full", "https://x.table.core.windows.net/callbacknumbers(PartitionKey='1',"
                                       "RowKey='%2B12025550123')")
        span.set_attribute("recipient", "alice@example.com")
        span.set_attribute("location", "1 Example Plaza, Floor 3")
        span.set_attribute("agent.id", "alice")
    exported = exporter.get_finished_spans()[0]
    text = repr(dict(exported.attributes)) + exported.name
    assert not any(s in text for s in SECRETS), text
    assert exported.attributes["agent.id"] == "alice" and exported.attributes["location"] == "<redacted>"
    assert "***0123" in exported.attributes["url.full"]


def _end_a_table_span(provider: TracerProvider) -> None:
    with provider.get_tracer("t").start_as_current_span("GET callbacknumbers") as span:
        span.set_attribute("url.full", "https://x.table.core.windows.net/callbacknumbers(RowKey='%2B12025550142')")


def test_a_scrubber_added_after_the_export_processor_comes_too_late() -> None:
    """Why scrub_before_export does not use add_span_processor: the SDK runs processors in the order they were
    added, so an exporter already in place (the worker's) exports before a scrubber added after it."""
    exporter, provider = span_snapshot(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[arg-type]
    provider.add_span_processor(ScrubbingSpanProcessor())
    _end_a_table_span(provider)
    assert "%2B12025550142" in exporter.exported[0]["attributes"]["url.full"]


def test_scrub_before_export_puts_the_scrubbers_ahead_of_processors_already_in_place_once() -> None:
    exporter, tracer_provider, logger_provider = span_snapshot(), TracerProvider(), LoggerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[arg-type]
    assert scrub_before_export(tracer_provider, logger_provider) == ["spans", "logs"]
    assert scrub_before_export(tracer_provider, logger_provider) == []  # idempotent
    _end_a_table_span(tracer_provider)
    assert "***0142" in exporter.exported[0]["attributes"]["url.full"]
    assert "2025550142" not in repr(exporter.exported)
    assert isinstance(logger_provider._multi_log_record_processor._log_record_processors[0], ScrubbingLogProcessor)


def test_a_provider_of_unknown_shape_gets_the_scrubber_last_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    class OtherMulti(SpanProcessor):  # a multi-processor without the SDK's tuple
        def __init__(self) -> None:
            self.added: list[object] = []

        def add_span_processor(self, processor: object) -> None:
            self.added.append(processor)

    multi = OtherMulti()
    with caplog.at_level(logging.WARNING):
        added = scrub_before_export(TracerProvider(active_span_processor=multi), None)  # type: ignore[arg-type]
    assert added == ["spans"] and isinstance(multi.added[0], ScrubbingSpanProcessor)
    assert "after the exporters" in caplog.text


def test_a_recorded_log_record_and_custom_event_are_scrubbed_before_export() -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(ScrubbingLogProcessor())
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = logging.getLogger("test.telemetry.scrub")
    handler = LoggingHandler(logger_provider=provider)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("email to %s about +1 (202) 555-0142", "alice@example.com",
                       extra={CUSTOM_EVENT: "NotificationDelivery", "recipient": "alice@example.com",
                              "address": "1 Example Plaza"})
    finally:
        logger.removeHandler(handler)
    record = exporter.get_finished_logs()[0].log_record
    text = str(record.body) + repr(dict(record.attributes))
    assert not any(s in text for s in SECRETS), text
    assert record.attributes[CUSTOM_EVENT] == "NotificationDelivery"


def test_telemetry_is_off_without_a_connection_string() -> None:
    assert configure({}) is False
    assert configure({"APPLICATIONINSIGHTS_CONNECTION_STRING": "  "}) is False


def test_every_log_record_of_the_process_is_masked_once_scrubbing_is_installed(
        caplog: pytest.LogCaptureFixture) -> None:
    install_log_scrubbing()
    install_log_scrubbing()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("azure.data.tables.anything").warning(
            "GET callbacknumbers(RowKey='%s') for %s", "%2B12025550123", "alice@example.com")
    assert "2025550123" not in caplog.text and "alice@example.com" not in caplog.text
    assert "***0123" in caplog.text
