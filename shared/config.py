"""Settings: one frozen object read from an environment mapping.

The setting names are the contract with `infra/` (Bicep sets exactly these app settings; a test checks it).
Nothing is read at import time; a missing or malformed setting fails at first use with its name.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class SettingError(RuntimeError):
    """A setting is missing or malformed; the message names it, `name` is the setting (never its value).

    Permanent: redelivering the event cannot help until someone fixes the app setting, so event functions
    acknowledge it, record it and alert (functions/_settings.py)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name} {problem}")
        self.name = name


# Every app setting the code reads, with what it is for. `infra/` must set each one (or document why not).
SETTINGS: dict[str, str] = {
    "AzureWebJobsStorage": "Storage connection string (tables live here); locally Azurite.",
    "TABLES_ENDPOINT": "Table service endpoint for managed identity (Azure); used when set instead of a key.",
    "ACS_CONNECTION_STRING": "Azure Communication Services connection string (endpoint=https://…;accesskey=…).",
    "ACS_ENDPOINT": "ACS endpoint for managed identity (Azure); used when set and no connection string.",
    "ACS_EMAIL_SENDER": "Sender address of a linked, verified ACS Email domain.",
    "ACS_SMS_SENDER": "E.164 number of the resource that sends emergency SMS (optional).",
    "EVENTGRID_TOPIC_ENDPOINT": "Endpoint of the Event Grid custom topic for internal events.",
    "EVENTGRID_TOPIC_KEY": "Access key of that topic; empty means managed identity.",
    "EVENTGRID_TOPIC_RESOURCE_ID": "Resource id of that topic: internal events from any other topic are ignored.",
    "ACS_RESOURCE_ID": "Resource id of the ACS resource: its events (IncomingCall, CallEnded, email reports) from "
                       "any other source are ignored.",
    "CALLBACK_WINDOW_MINUTES": "How long a callback number stays leased after the dial and after the call ends.",
    "CALLBACK_QUARANTINE_MINUTES": "How long a released callback number rests before reuse.",
    "TEST_CALLBACK_WINDOW_MINUTES": "How long a 933 test call keeps its callback number after it ends.",
    "LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "true: on the direct-offer path (where the responder sees the emergency "
                                         "service's temporary number) a pool number is still leased, as a number "
                                         "the agent can read out; default false, so the pool serves the calls "
                                         "that need it.",
    "MAX_EMERGENCY_CALL_MINUTES": "After this long without an end signal, presence is restored by the timer.",
    "INCOMING_CALL_MAX_AGE_SECONDS": "IncomingCall events older than this are dropped (a call rings 30 s).",
    "CALLBACK_FALLBACK_TARGET": "ACS identity that takes callbacks to pool numbers with no live lease, or leased "
                                "to a call whose agent has no ACS identity (a signed-in user no profile names).",
    "FALLBACK_EMAIL_RECIPIENTS": "Semicolon-separated email addresses (the security desk) notified of an emergency "
                                 "call whose agent's own recipients are unknown: no profile has the agent id, or "
                                 "no profile names the signed-in user who dialed. Empty: nobody is notified then.",
    "INCIDENT_RETENTION_DAYS": "Emergency incident records are purged after this many days.",
    "DRILL_MAX_AGE_DAYS": "Readiness fails an agent whose last passed 933 drill is older than this many days "
                          "(default 90).",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "Application Insights; telemetry is off when unset.",
    "ROUTING_ENGINE": "What presence reaches: jobrouter (the agent's ACS Job Router worker stops taking offers during "
                      "an emergency call; needs ACS_CONNECTION_STRING), event (Emergency.PresenceChanged on the "
                      "custom topic, for any other engine) or none (default: presence stays in the app).",
    "PUBLIC_BASE_URL": "Where recipients open acknowledgement links and ACS posts voice-call events (a custom domain); "
                       "empty: https://WEBSITE_HOSTNAME, the app's own host name.",
    "VOICE_CALLER_ID": "E.164 number of the ACS resource (calling enabled) that escalation voice calls come from; "
                       "empty: ACS_SMS_SENDER when it is a number; neither: no voice escalation (recorded per step).",
    "ACS_IMMUTABLE_RESOURCE_ID": "The ACS resource's immutable id: the audience of the JWT on every Call Automation "
                                 "callback (voice escalation); callbacks for another resource are refused.",
    "ACS_CALLBACK_OPENID_CONFIGURATION": "Where Call Automation publishes the keys that sign its callbacks; default "
                                         "ACS's own (acscallautomation.communication.azure.com).",
    "ACS_COGNITIVE_SERVICES_ENDPOINT": "Azure AI services endpoint connected to ACS: text-to-speech of the escalation "
                                       "call's alert.",
    "PRINCIPAL_HEADERS_TRUSTED": "Who strips forged X-MS-CLIENT-PRINCIPAL headers: app-service-authentication (Azure, "
                                 "with App Service Authentication on) or local-host; unset: nobody is signed in.",
}


def _bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise SettingError(name, f"must be true or false, got {raw!r}")
    return lowered == "true"


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(name, f"must be an integer, got {raw!r}") from None
    if value < 0:
        raise SettingError(name, f"must not be negative, got {value}")
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# What ACS sends SMS from: an E.164 number, a short code, or an alphanumeric sender ID.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
ACS_OPENID_CONFIGURATION = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"
_SMS_SENDER = re.compile(r"\+[1-9]\d{6,14}|\d{5,6}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def _connection_string(name: str, raw: str) -> str:
    """endpoint=https://…;accesskey=<base64>, as the ACS SDKs parse it; the message never quotes the value."""
    parts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in raw.split(";")) if k.strip()}
    if not parts.get("endpoint", "").lower().startswith("https://"):
        raise SettingError(name, "is malformed: needs endpoint=https://<resource>;accesskey=<key>")
    try:
        base64.b64decode(parts.get("accesskey", ""), validate=True)
    except (binascii.Error, ValueError):
        raise SettingError(name, "is malformed: accesskey is missing or not base64") from None
    if not parts.get("accesskey"):
        raise SettingError(name, "is malformed: accesskey is missing or not base64")
    return raw


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str, str], str]:
    def check(name: str, raw: str) -> str:
        if not pattern.fullmatch(raw):
            raise SettingError(name, f"must be {what}")
        return raw
    return check


ROUTING_ENGINES = ("jobrouter", "event", "none")


def _one_of(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def check(name: str, raw: str) -> str:
        if raw.lower() not in choices:
            raise SettingError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw.lower()
    return check


def _redirect_target(name: str, raw: str) -> str:
    from shared.identifiers import redirect_target

    try:
        return str(redirect_target(raw).raw_id)
    except ValueError as exc:
        raise SettingError(name, f"is malformed: {exc}") from None


@dataclass(frozen=True)
class Settings:
    """All settings, lazily validated: reading a property that is missing raises SettingError naming it."""

    env: Mapping[str, str] = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(dict(env))

    def _get(self, name: str, default: str | None = None) -> str:
        value = self.env.get(name, "").strip()
        if value:
            return value
        if default is not None:
            return default
        raise SettingError(name, "is not set")

    def _cast(self, name: str, default: str, cast: Callable[[str, str], T]) -> T:
        return cast(name, self._get(name, default))

    def optional(self, name: str) -> str | None:
        return self.env.get(name, "").strip() or None

    @property
    def storage_connection_string(self) -> str:
        return self._get("AzureWebJobsStorage")

    def _optional_cast(self, name: str, cast: Callable[[str, str], T]) -> T | None:
        raw = self.optional(name)
        return cast(name, raw) if raw is not None else None

    @property
    def acs_connection_string(self) -> str:
        return _connection_string("ACS_CONNECTION_STRING", self._get("ACS_CONNECTION_STRING"))

    @property
    def email_sender(self) -> str:
        return _matching(_EMAIL, "an email address (DoNotReply@<verified domain>)")(
            "ACS_EMAIL_SENDER", self._get("ACS_EMAIL_SENDER"))

    @property
    def sms_sender(self) -> str | None:
        return self._optional_cast("ACS_SMS_SENDER", _matching(
            _SMS_SENDER, "an E.164 number (+15550100), a short code or an alphanumeric sender ID"))

    @property
    def eventgrid_topic_endpoint(self) -> str:
        return self._get("EVENTGRID_TOPIC_ENDPOINT")

    @property
    def eventgrid_topic_resource_id(self) -> str:
        return self._get("EVENTGRID_TOPIC_RESOURCE_ID")

    @property
    def acs_resource_id(self) -> str:
        return self._get("ACS_RESOURCE_ID")

    @property
    def eventgrid_topic_key(self) -> str | None:
        return self.optional("EVENTGRID_TOPIC_KEY")

    @property
    def callback_window_minutes(self) -> int:
        return self._cast("CALLBACK_WINDOW_MINUTES", "60", _int)

    @property
    def test_callback_window_minutes(self) -> int:
        return self._cast("TEST_CALLBACK_WINDOW_MINUTES", "5", _int)

    @property
    def quarantine_minutes(self) -> int:
        return self._cast("CALLBACK_QUARANTINE_MINUTES", "10", _int)

    @property
    def lease_on_direct_offer(self) -> bool:
        return self._cast("LEASE_POOL_NUMBER_ON_DIRECT_OFFER", "false", _bool)

    @property
    def max_call_minutes(self) -> int:
        return self._cast("MAX_EMERGENCY_CALL_MINUTES", "240", _int)

    @property
    def incoming_call_max_age_seconds(self) -> int:
        return self._cast("INCOMING_CALL_MAX_AGE_SECONDS", "20", _int)

    @property
    def fallback_target(self) -> str | None:
        """Optional on purpose: without it a callback to an orphaned pool number is reported (no_fallback). When set,
        the raw id of a phone number (4:+E164), an ACS user (8:acs:…) or a Teams user (8:orgid:…)."""
        return self._optional_cast("CALLBACK_FALLBACK_TARGET", _redirect_target)

    @property
    def fallback_email_recipients(self) -> str:
        """Optional: the list as typed ('' when unset), checked here; notify parses it leniently (an emergency
        notification goes to every valid address even when another one is malformed)."""
        raw = self.optional("FALLBACK_EMAIL_RECIPIENTS") or ""
        from shared.domain.recipients import RecipientListError, parse_email_recipients

        try:
            parse_email_recipients(raw)
        except RecipientListError as exc:  # positions only: the message never quotes a setting's value
            positions = ", ".join(f"#{e.position}" for e in exc.errors)
            raise SettingError("FALLBACK_EMAIL_RECIPIENTS", f"is malformed: item(s) {positions} are not valid email "
                               "addresses (separate them with semicolons)") from None
        return raw

    @property
    def fallback_email_recipients_as_typed(self) -> str:
        """The list as typed, unchecked ('' when unset): what the notification reads."""
        return self.optional("FALLBACK_EMAIL_RECIPIENTS") or ""

    @property
    def public_base_url(self) -> str | None:
        """Where recipients open their acknowledgement links: PUBLIC_BASE_URL (a custom domain, the local host), else
        App Service's own host name (WEBSITE_HOSTNAME, set by the platform); None when neither is set (the messages
        then carry no link, and say nothing of one)."""
        explicit = self.optional("PUBLIC_BASE_URL")
        if explicit:
            return explicit.rstrip("/")
        host = self.optional("WEBSITE_HOSTNAME")
        return f"https://{host}" if host else None

    @property
    def voice_caller_id(self) -> str | None:
        """The number escalation calls come from (issue 20): VOICE_CALLER_ID, else ACS_SMS_SENDER when it is a phone
        number (a toll-free or geographic number of the ACS resource with calling enabled); None: no voice calls."""
        explicit = self._optional_cast("VOICE_CALLER_ID", _matching(_E164, "an E.164 number of the ACS resource"))
        if explicit:
            return explicit
        sender = self.sms_sender
        return sender if sender and _E164.fullmatch(sender) else None

    @property
    def acs_immutable_resource_id(self) -> str:
        """The audience of the JWTs on Call Automation's callbacks (the ACS resource's immutable id, a GUID)."""
        return self._get("ACS_IMMUTABLE_RESOURCE_ID")

    @property
    def acs_callback_openid_configuration(self) -> str:
        """Where Call Automation publishes its signing keys; a stand-in's for the local stack."""
        return self._get("ACS_CALLBACK_OPENID_CONFIGURATION", ACS_OPENID_CONFIGURATION)

    @property
    def cognitive_services_endpoint(self) -> str | None:
        """The Azure AI services resource connected to ACS, for the escalation call's text-to-speech."""
        return self.optional("ACS_COGNITIVE_SERVICES_ENDPOINT")

    @property
    def principal_headers_trusted(self) -> str | None:
        """Optional on purpose: unset, principal headers are not believed and /api/manage answers 401 (shared/auth)."""
        return self.optional("PRINCIPAL_HEADERS_TRUSTED")

    @property
    def routing_engine(self) -> str:
        """jobrouter needs the connection string: JobRouterClient 1.0.0 takes no token credential."""
        engine = self._cast("ROUTING_ENGINE", "none", _one_of(ROUTING_ENGINES))
        if engine == "jobrouter" and self.optional("ACS_CONNECTION_STRING") is None:
            raise SettingError("ROUTING_ENGINE", "is jobrouter, which needs ACS_CONNECTION_STRING (the Job Router "
                               "SDK takes only an access key, not a managed identity)")
        return engine

    @property
    def incident_retention_days(self) -> int:
        return self._cast("INCIDENT_RETENTION_DAYS", "30", _int)

    @property
    def drill_max_age_days(self) -> int:
        return self._cast("DRILL_MAX_AGE_DAYS", "90", _int)


# The settings whose value is checked when read, with the property that reads it (problems() tries each one).
CHECKED = {"ACS_CONNECTION_STRING": "acs_connection_string", "ACS_EMAIL_SENDER": "email_sender",
           "ACS_SMS_SENDER": "sms_sender", "CALLBACK_FALLBACK_TARGET": "fallback_target",
           "FALLBACK_EMAIL_RECIPIENTS": "fallback_email_recipients",
           "CALLBACK_WINDOW_MINUTES": "callback_window_minutes", "CALLBACK_QUARANTINE_MINUTES": "quarantine_minutes",
           "TEST_CALLBACK_WINDOW_MINUTES": "test_callback_window_minutes",
           "MAX_EMERGENCY_CALL_MINUTES": "max_call_minutes",
           "LEASE_POOL_NUMBER_ON_DIRECT_OFFER": "lease_on_direct_offer",
           "INCOMING_CALL_MAX_AGE_SECONDS": "incoming_call_max_age_seconds",
           "INCIDENT_RETENTION_DAYS": "incident_retention_days", "ROUTING_ENGINE": "routing_engine",
           "DRILL_MAX_AGE_DAYS": "drill_max_age_days"}


def problems(settings: Settings) -> list[dict[str, str]]:
    """Every setting that is set but malformed, as {setting, problem}; never raises (readiness reports these).

    Missing settings are not listed: which are needed depends on the mode (connection string or managed identity).
    """
    found = []
    for name, prop in CHECKED.items():
        if settings.optional(name) is None:
            continue
        try:
            getattr(settings, prop)
        except SettingError as exc:
            found.append({"setting": exc.name, "problem": str(exc)})
    return found
