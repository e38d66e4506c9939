"""Settings fail at first use, naming the setting; nothing is read at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import SETTINGS, SettingError, Settings


def test_a_missing_setting_names_itself_at_first_use() -> None:
    settings = Settings.from_env({})
    with pytest.raises(SettingError, match="ACS_CONNECTION_STRING"):
        _ = settings.acs_connection_string


def test_a_malformed_number_names_the_setting() -> None:
    with pytest.raises(SettingError, match="CALLBACK_WINDOW_MINUTES must be an integer"):
        _ = Settings.from_env({"CALLBACK_WINDOW_MINUTES": "sixty"}).callback_window_minutes
    with pytest.raises(SettingError, match="must not be negative"):
        _ = Settings.from_env({"CALLBACK_QUARANTINE_MINUTES": "-1"}).quarantine_minutes


def test_defaults_apply_when_unset() -> None:
    s = Settings.from_env({})
    assert (s.callback_window_minutes, s.quarantine_minutes, s.incoming_call_max_age_seconds,
            s.incident_retention_days) == (60, 10, 20, 30)


def test_the_event_topic_endpoint_is_required_in_every_mode() -> None:
    with pytest.raises(SettingError, match="EVENTGRID_TOPIC_ENDPOINT"):
        _ = Settings.from_env({}).eventgrid_topic_endpoint


def test_settings_repr_does_not_leak_secrets() -> None:
    assert "secret" not in repr(Settings.from_env({"ACS_CONNECTION_STRING": "endpoint=x;accesskey=secret"}))


def test_importing_the_app_reads_no_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    code = "import function_app; print(len(function_app.app.get_functions()))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 10
