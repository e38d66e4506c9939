"""Nothing personal leaks (issue 9, item 7): exception text and tracebacks are scrubbed like messages, 7-digit and
international numbers are masked (last four digits kept), answers carry no-store and nosniff, pages HSTS, and the
dial's warnings keep their code and a generic message (details go to the log only)."""

from __future__ import annotations

import io
import logging

import pytest
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from functions._common import error_response, json_response
from functions.admin_page import SECURITY_HEADERS
from shared.domain.numbers import mask_phone
from shared.services.dial_record import Warnings
from shared.telemetry import install_log_scrubbing, scrub_text
from shared.telemetry_processors import ScrubbingLogProcessor, ScrubbingSpanProcessor

SECRETS = ("555-0142", "5550142", "7946 0958", "79460958", "2025550100", "1 Example Plaza", "alice@example.com")


@pytest.mark.parametrize(("raw", "masked"), [
    ("local 555-0142 rang", "local ***0142 rang"),
    ("local 5550142", "local ***0142"),
    ("+44 20 7946 0958", "***0958"),
    ("0044 20 7946 0958", "***0958"),
    ("011 44 20 7946 0958", "***0958"),
    ("020 7946 0958", "***0958"),
    ("+4532123456", "***3456"),
    ("{'address': '1 Example Plaza, Floor 3', 'agent': 'alice'}", "{'address': <redacted>, 'agent': 'alice'}"),
    # what must stay readable for operations
    ("dialed 911 then 933", "dialed 911 then 933"),
    ("at 2026-12-01T09:28:34+00:00 from 127.0.0.1:10002", "at 2026-12-01T09:28:34+00:00 from 127.0.0.1:10002"),
    ("call 3f2a1b4c-1234-5678-9abc-def012345678", "call 3f2a1b4c-1234-5678-9abc-def012345678"),
])
def test_local_and_international_numbers_are_masked(raw: str, masked: str) -> None:
    assert scrub_text(raw) == masked


@pytest.mark.parametrize(("number", "masked"), [
    ("555-0142", "***0142"), ("+44 20 7946 0958", "***0958"), ("+4532123456", "***3456"), ("911", "***"),
    (None, "<none>")])
def test_mask_phone_keeps_the_last_four_digits_only(number: str | None, masked: str) -> None:
    assert mask_phone(number) == masked


def _failing_template() -> None:
    context = {"address": "1 Example Plaza", "callback": "+12025550100", "local": "555-0142"}
    raise RuntimeError(f"template failed on {context} for alice@example.com")


def test_exception_text_and_tracebacks_are_scrubbed_in_every_handler() -> None:
    install_log_scrubbing()
    out = io.StringIO()
    logger = logging.getLogger("test.security.tracebacks")
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            _failing_template()
        except RuntimeError:
            logger.exception("notification failed")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback" in text and "RuntimeError" in text
    assert not any(s in text for s in SECRETS), text


def test_exceptions_are_scrubbed_before_export_on_logs_and_spans() -> None:
    logs = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(ScrubbingLogProcessor())
    provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    logger = logging.getLogger("test.security.export")
    handler = LoggingHandler(logger_provider=provider)
    logger.addHandler(handler)
    logger.propagate = False
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(ScrubbingSpanProcessor())
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    try:
        with tracer_provider.get_tracer("t").start_as_current_span("notify"):
            try:
                _failing_template()
            except RuntimeError:
                logger.exception("notification failed")
                raise
    except RuntimeError:
        pass
    finally:
        logger.removeHandler(handler)
    record = logs.get_finished_logs()[0].log_record
    span = spans.get_finished_spans()[0]
    text = (str(record.body) + repr(dict(record.attributes or {})) + repr([dict(e.attributes or {})
                                                                         for e in span.events])
            + str(span.status.description))
    assert "exception.stacktrace" in text
    assert not any(s in text for s in SECRETS), text


def test_json_answers_are_not_cached_nor_sniffed() -> None:
    for response in (json_response({"callbackNumber": "+12025550100"}), error_response(400, "bad")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_hsts() -> None:
    assert SECURITY_HEADERS["Strict-Transport-Security"] == "max-age=31536000"


def test_a_dial_warning_keeps_its_code_and_a_generic_message(caplog: pytest.LogCaptureFixture) -> None:
    warnings = Warnings("ec-1", [])
    with caplog.at_level(logging.WARNING):
        warnings.add("storage_unavailable", "callback number could not be leased",
                     OSError("[Errno 111] Connection refused: storage.internal.example:10002"))
    assert warnings.items == [{"code": "storage_unavailable", "message": "callback number could not be leased"}]
    assert "storage.internal.example:10002" in caplog.text
