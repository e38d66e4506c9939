"""Telemetry for operations: Application Insights through OpenTelemetry, configured once (by the Python worker in
Azure, else here), off without a connection string. Custom events go to `customEvents`, measurements to
`customMetrics`; nothing leaves the process before a processor has scrubbed phone numbers, email addresses and
locations out of it."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)
EVENTS = logging.getLogger("emergency.telemetry")
CUSTOM_EVENT = "microsoft.custom_event.name"  # the Azure Monitor exporter sends such log records to customEvents

# Phone numbers (E.164 or formatted, 7+ digits; short codes such as 911 stay readable), email addresses, and
# anything under a location-like key (in attributes, and `key: value` / `key=value` pairs inside text such as a
# dict's repr in an exception message).
_PHONE = re.compile(
    r"(?:\+|%2B)\d[\d\s().\-]{5,}\d"  # E.164 or international, possibly formatted or URL-encoded
    r"|(?<![\w.-])(?:00|011)[\s.\-]?[1-9]\d{0,2}(?:[\s.\-]?\d){6,13}(?![\w-])"  # 0044 20 7946 0958, 011 44 …
    r"|(?<![\w-])\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?![\w-])"  # (202) 555-0142, 202.555.0142
    r"|(?<![\w.-])\(?0\d{1,4}\)?(?:[ ]\d{2,4}){2,4}(?![\w.-])"  # national with a trunk 0: 020 7946 0958
    r"|(?<![\w.:-])\d{3}[\s.\-]\d{4}(?![\w.:-])"  # 7-digit local: 555-0142, 555 0142
    r"|(?<![\w-])\d{7,15}(?![\w-])")  # bare local, national or international digits
_EMAIL = re.compile(r"[\w.+\-]+(?:@|%40)[\w\-]+(?:\.[\w\-]+)+")
_LOCATION_KEYS = re.compile(r"location|address|street|floor|room|latitude|longitude|\blat\b|\blon\b|city",
                            re.IGNORECASE)
# 'address': '1 Main St', "street": "…", address=1 Main St; (in text: the value up to its quote or the separator)
_LOCATION_PAIR = re.compile(
    r"""(?P<key>["']?[\w.\-]*(?:location|address|street|floor|room|latitude|longitude|city)[\w.\-]*["']?"""
    r"""\s*[:=]\s*)(?P<value>'[^']*'|"[^"]*"|[^,;&}\]\n]*)""", re.IGNORECASE)


def scrub_text(text: str) -> str:
    """Phone numbers keep their last 4 digits; email addresses become <email>; location-like pairs lose their
    value."""
    text = _LOCATION_PAIR.sub(lambda m: m.group("key") + "<redacted>", text)
    text = _EMAIL.sub("<email>", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-4:], text)


def scrub_value(key: str, value: Any) -> Any:
    if _LOCATION_KEYS.search(key):
        return "<redacted>"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, tuple | list):
        return type(value)(scrub_text(v) if isinstance(v, str) else v for v in value)
    return value


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: scrub_value(k, v) for k, v in (attributes or {}).items()}


class Telemetry:
    """The app's operational signals. Metrics are no-ops and events plain log lines until Azure Monitor is on."""

    def __init__(self) -> None:
        from opentelemetry import metrics

        meter = metrics.get_meter("emergency-calling")
        self._histograms = {name: meter.create_histogram(name, unit="ms") for name in (
            "emergency.dial_to_lease_ms", "emergency.dial_to_dnd_ms", "emergency.dial_to_notification_ms",
            "callback.event_to_redirect_ms", "escalation.due_to_run_ms")}
        self._pool_free = meter.create_histogram("pool.free", unit="{number}")

    def duration(self, name: str, ms: float, **dimensions: str) -> None:
        self._histograms[name].record(ms, scrub_attributes(dimensions))

    def pool_level(self, region: str, levels: Mapping[str, int]) -> None:
        self._pool_free.record(levels.get("free", 0), {"region": region})
        self.event("PoolLevel", region=region, **{k: str(v) for k, v in levels.items()})

    def setting_problem(self, setting: str, function: str) -> None:
        """A missing or malformed app setting stopped an event function (alert setting-missing)."""
        self.event("SettingMissing", setting=setting, function=function)

    def event(self, name: str, **dimensions: str) -> None:
        """A custom event with string dimensions (scrubbed again on export)."""
        EVENTS.info("%s %s", name, dimensions, extra={CUSTOM_EVENT: name, **scrub_attributes(dimensions)})


def install_log_scrubbing() -> None:
    """Mask phone numbers and email addresses in every log record of the process, whatever logger or handler
    (the Functions worker's, the console's): records are scrubbed when created. Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "scrubbing", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; leave it to the logging module to report
            return record
        record.msg, record.args = scrub_text(message), None
        _scrub_exception(record)
        return record

    factory.scrubbing = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    # The SDKs log each request URL at INFO; table row keys hold callback numbers. Warnings and errors stay.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


def _scrub_exception(record: logging.LogRecord) -> None:
    """The traceback and exception message as handlers will print them, scrubbed (handlers use exc_text when set;
    exc_info stays for exporters, whose attributes the processors scrub)."""
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        try:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        except Exception:  # an exception whose str() fails; the logging module reports it
            return
    if record.exc_text:
        record.exc_text = scrub_text(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub_text(record.stack_info)


def configure(env: Mapping[str, str]) -> bool:
    """Scrub logs, and make every span and log record pass the scrubbers before any exporter. With PYTHON_ENABLE_
    OPENTELEMETRY (4.x workers) or PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY (newer ones) the Python worker has
    configured Azure Monitor before importing the app: the scrubbers join its providers, for configuring twice is
    refused. Otherwise Azure Monitor is configured here when APPLICATIONINSIGHTS_CONNECTION_STRING is set.
    Idempotent; never raises. True when telemetry leaves the process, scrubbed."""
    install_log_scrubbing()
    try:
        tracer_provider = logger_provider = None
        # Whoever installed SDK providers (the worker) imported the SDK first; without it, nothing to join, and the
        # SDK is not imported here just to find that out (a cold start stays light).
        if "opentelemetry.sdk.trace" in sys.modules or "opentelemetry.sdk._logs" in sys.modules:
            from shared.telemetry_processors import sdk_providers

            tracer_provider, logger_provider = sdk_providers()
        if tracer_provider is not None or logger_provider is not None:
            from shared.telemetry_processors import scrub_before_export

            added = scrub_before_export(tracer_provider, logger_provider)
            if added:
                log.info("Telemetry: Azure Monitor was configured before the app (the Python worker); "
                         "scrubbing put ahead of its exporters for %s", " and ".join(added))
            return True
        connection = (env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or "").strip()
        return bool(connection) and _configure_azure_monitor(connection)
    except Exception as exc:  # telemetry must never take the functions down
        log.warning("Application Insights not configured: %s", exc)
        return False


def _configure_azure_monitor(connection: str) -> bool:
    from azure.monitor.opentelemetry import configure_azure_monitor

    from shared.telemetry_processors import ScrubbingLogProcessor, ScrubbingSpanProcessor

    # configure_azure_monitor adds custom processors ahead of its live-metrics and export processors.
    configure_azure_monitor(connection_string=connection, logger_name="", enable_live_metrics=False,
                            span_processors=[ScrubbingSpanProcessor()],
                            log_record_processors=[ScrubbingLogProcessor()])
    log.info("Telemetry: Azure Monitor configured by the app, scrubbing ahead of its exporters")
    return True
