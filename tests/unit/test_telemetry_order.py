"""Scrubbing holds whichever configured Azure Monitor first: the Python worker (PYTHON_ENABLE_OPENTELEMETRY on 4.x
workers, PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY on newer ones) or the app's own `telemetry.configure`.

Each order runs in its own process (tests/unit/telemetry_scenario.py tells how it reproduces the worker), with the
real OpenTelemetry SDK and Azure Monitor distro, and reports what in-memory exporters received.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.telemetry import CUSTOM_EVENT

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("2025550142", "alice@example.com", "%2B1202")
FAKE_CONNECTION = ("InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                   "IngestionEndpoint=https://127.0.0.1:9/;LiveEndpoint=https://127.0.0.1:9/")


def run_scenario(order: str, tmp_path: Path) -> dict[str, Any]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "FUNCTIONS_WORKER_RUNTIME": "python", "APPLICATIONINSIGHTS_CONNECTION_STRING": FAKE_CONNECTION,
           "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true", "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
           "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
           "OTEL_TRACES_SAMPLER": "always_on"}  # the distro's rate-limited sampler drops most spans of a short run
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "unit" / "telemetry_scenario.py"), order],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result["refused"], f"the scenario tried to leave the machine: {result['refused']}"
    return result


@pytest.fixture(scope="module")
def worker_first(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("worker-first", tmp_path_factory.mktemp("worker-first"))


@pytest.fixture(scope="module")
def app_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("app-only", tmp_path_factory.mktemp("app-only"))


def leaked(items: list[dict[str, Any]]) -> list[str]:
    return [s for s in SECRETS if s in json.dumps(items)]


def custom_events(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [log for log in result["logs"] if CUSTOM_EVENT in (log.get("attributes") or {})]


def test_worker_first_spans_reach_the_exporters_scrubbed(worker_first: dict[str, Any]) -> None:
    """GIVEN the worker configured Azure Monitor WHEN the app's configure() runs and a Table Storage span with a
    callback number in its URL, name and exception ends THEN every exporter already in place gets it scrubbed."""
    spans = worker_first["spans"]
    assert spans, "no span reached the exporter"
    assert not leaked(spans), json.dumps(spans, indent=1)
    assert "***0142" in spans[0]["attributes"]["url.full"]


def test_worker_first_logs_and_custom_events_reach_the_exporters_scrubbed(worker_first: dict[str, Any]) -> None:
    """GIVEN the worker configured Azure Monitor WHEN the app logs a phone number, an email and a table URL (in the
    message, the extras and an exception) and sends a custom event THEN the log exporter gets them scrubbed."""
    logs = worker_first["logs"]
    assert not leaked(logs), json.dumps(logs, indent=1)
    assert [e["attributes"][CUSTOM_EVENT] for e in custom_events(worker_first)] == ["CallbackRouted"]
    failure = next(log for log in logs if log["body"] == "callback lookup failed")
    assert "***0142" in failure["attributes"]["exception.message"]
    warning = next(log for log in logs if str(log["body"]).startswith("lease read failed"))
    assert warning["attributes"]["recipient"] == "<email>"


def test_worker_first_scrubbing_runs_before_every_processor_of_the_distro(worker_first: dict[str, Any]) -> None:
    """Span and log processors run in the order they were added: the scrubbers go first, ahead of live metrics and
    the batch export, and only once although configure() ran twice."""
    for signal in ("spans", "logs"):
        order = worker_first["order"][signal]
        assert order[0].startswith("Scrubbing"), order
        assert sum(name.startswith("Scrubbing") for name in order) == 1, order
        assert any(name.startswith("Batch") or name.startswith("_AzureBatch") for name in order), order


def test_worker_first_the_app_never_configures_azure_monitor_twice(worker_first: dict[str, Any]) -> None:
    assert not [w for w in worker_first["warnings"] if "Overriding" in w], worker_first["warnings"]
    assert worker_first["configured"] == [True, True]
    assert len([s for s in worker_first["said"] if "worker" in s]) == 1, worker_first["said"]


def test_app_only_configures_azure_monitor_with_the_scrubbers_once(app_only: dict[str, Any]) -> None:
    """GIVEN no provider at start (the worker did not configure) WHEN configure() runs twice THEN Azure Monitor is
    configured once, with the scrubbers, and the exporters get scrubbed spans, logs and custom events."""
    assert not [w for w in app_only["warnings"] if "Overriding" in w], app_only["warnings"]
    assert app_only["configured"] == [True, True]
    for signal in ("spans", "logs"):
        assert sum(name.startswith("Scrubbing") for name in app_only["order"][signal]) == 1, app_only["order"]
    assert app_only["spans"] and app_only["logs"]
    assert not leaked(app_only["spans"] + app_only["logs"])
    assert [e["attributes"][CUSTOM_EVENT] for e in custom_events(app_only)] == ["CallbackRouted"]


def test_azure_has_every_worker_configure_azure_monitor_for_the_app_to_join() -> None:
    """4.x workers configure on PYTHON_ENABLE_OPENTELEMETRY, newer runtimes on
    PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY; either way the worker's configuration carries the invocation's trace
    context and the app's configure() adds its scrubbers to it."""
    from tests.infra.test_bicep import azure_app_settings

    settings = azure_app_settings()
    assert settings["PYTHON_ENABLE_OPENTELEMETRY"] == "true"
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
