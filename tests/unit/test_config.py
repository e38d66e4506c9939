"""Settings fail at first use, naming the setting; nothing is read at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import SETTINGS, SettingError, Settings, problems


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


@pytest.mark.parametrize("target", ["4:+12025550101", "8:acs:00000000-0000-0000-0000-000000000000_desk",
                                    "8:orgid:00000000-0000-0000-0000-00000000de5c"])
def test_the_fallback_target_may_be_a_phone_an_acs_user_or_a_teams_user(target: str) -> None:
    assert Settings.from_env({"CALLBACK_FALLBACK_TARGET": target}).fallback_target == target


@pytest.mark.parametrize("target", ["+12025550101", "4:202-555-0101", "securitydesk", "8:acs:", "8:teamsvisitor:x",
                                    "28:bot-x"])
def test_a_malformed_fallback_target_names_the_setting(target: str) -> None:
    with pytest.raises(SettingError, match="CALLBACK_FALLBACK_TARGET is malformed") as raised:
        _ = Settings.from_env({"CALLBACK_FALLBACK_TARGET": target}).fallback_target
    assert raised.value.name == "CALLBACK_FALLBACK_TARGET"


@pytest.mark.parametrize(("name", "value", "prop"), [
    ("ACS_CONNECTION_STRING", "endpoint=https://acs.example.com/", "acs_connection_string"),
    ("ACS_CONNECTION_STRING", "accesskey=c2VjcmV0", "acs_connection_string"),
    ("ACS_CONNECTION_STRING", "endpoint=https://acs.example.com/;accesskey=not base64!", "acs_connection_string"),
    ("ACS_EMAIL_SENDER", "DoNotReply", "email_sender"),
    ("ACS_SMS_SENDER", "202-555-0190", "sms_sender"),
])
def test_malformed_acs_settings_name_themselves_and_never_quote_a_secret(name: str, value: str, prop: str) -> None:
    with pytest.raises(SettingError, match=name) as raised:
        getattr(Settings.from_env({name: value}), prop)
    assert raised.value.name == name and "c2VjcmV0" not in str(raised.value)


def test_problems_lists_every_malformed_setting_by_name_without_raising() -> None:
    from shared.config import problems

    env = {"CALLBACK_FALLBACK_TARGET": "securitydesk", "CALLBACK_WINDOW_MINUTES": "sixty",
           "ACS_EMAIL_SENDER": "DoNotReply@alerts.example.com"}
    assert [p["setting"] for p in problems(Settings.from_env(env))] == ["CALLBACK_FALLBACK_TARGET",
                                                                         "CALLBACK_WINDOW_MINUTES"]


def test_the_direct_offer_lease_switch_is_true_or_false_and_off_by_default() -> None:
    assert Settings.from_env({}).lease_on_direct_offer is False
    assert Settings.from_env({"LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "TRUE"}).lease_on_direct_offer is True
    assert [p["setting"] for p in problems(Settings.from_env({"LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "yes"}))] == [
        "LEASE_POOL_NUMBER_ON_DIRECT_OFFER"]
