"""Escalation voice calls through Call Automation's real SDK client (issue 20): dial a recipient from the app's caller
id, read the alert with text-to-speech, collect one DTMF key, say goodbye, hang up. Text-to-speech needs an Azure AI
services resource connected to ACS (ACS_COGNITIVE_SERVICES_ENDPOINT); the events come back to the callback URL. Each
text is read by the neural voice of its locale (locales.VOICES: fr-CA-SylvieNeural, da-DK-ChristelNeural, …)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from azure.communication.callautomation import (
    PhoneNumberIdentifier,
    RecognizeInputType,
    TextSource,
)
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from shared.adapters.acs_calls import call_automation_client
from shared.domain.locales import VOICES
from shared.ports import SendError

TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
SILENCE_SECONDS = 10  # after the prompt, before RecognizeFailed (the person is asked again, see voice_alert)
DEFAULT_VOICE = "en-US-JennyNeural"


class AcsVoiceCaller:
    def __init__(self, caller_id: str, connection_string: str | None = None, endpoint: str | None = None,
                 credential: Any = None, cognitive_services_endpoint: str | None = None,
                 voice_name: str = DEFAULT_VOICE) -> None:
        self._client = call_automation_client(connection_string, endpoint, credential, retry_total=1,
                                              connection_timeout=3, read_timeout=5)
        self._caller_id, self._cognitive, self._voice = caller_id, cognitive_services_endpoint, voice_name

    def place(self, to: str, callback_url: str, context: str, request_id: str, first_sent: datetime) -> str:
        # Our own repeatability id and first-sent time: a retaken step's second dial is ACS's replay of the first.
        headers = {"Repeatability-Request-ID": request_id,
                   "Repeatability-First-Sent": format_datetime(first_sent.astimezone(UTC), usegmt=True)}
        with _errors("place the call"):
            props = self._client.create_call(PhoneNumberIdentifier(to), callback_url,
                                             source_caller_id_number=PhoneNumberIdentifier(self._caller_id),
                                             operation_context=context,
                                             cognitive_services_endpoint=self._cognitive, headers=headers)
        connection = props.call_connection_id
        if not connection:
            raise SendError("ACS answered without a call connection id", transient=True)
        return str(connection)

    def is_active(self, connection_id: str) -> bool:
        try:
            with _errors("read the call"):
                props = self._client.get_call_connection(connection_id).get_call_properties()
        except SendError as exc:
            if isinstance(exc.__cause__, ResourceNotFoundError):
                return False  # ended (ACS forgets a call once it is over) or never known
            raise
        return str(props.call_connection_state or "").lower() not in ("disconnected", "disconnecting")

    def ask(self, connection_id: str, to: str, text: str, context: str, locale: str | None = None) -> None:
        with _errors("ask for a key"):
            self._client.get_call_connection(connection_id).start_recognizing_media(
                RecognizeInputType.DTMF, PhoneNumberIdentifier(to), play_prompt=self._speech(text, locale),
                initial_silence_timeout=SILENCE_SECONDS, dtmf_max_tones_to_collect=1, interrupt_prompt=True,
                operation_context=context)

    def say(self, connection_id: str, text: str, context: str, locale: str | None = None) -> None:
        with _errors("play the message"):
            self._client.get_call_connection(connection_id).play_media(self._speech(text, locale),
                                                                       operation_context=context)

    def hang_up(self, connection_id: str) -> None:
        with _errors("hang up"):
            self._client.get_call_connection(connection_id).hang_up(is_for_everyone=True)

    def _speech(self, text: str, locale: str | None) -> TextSource:
        """The text in its locale's voice (the configured voice without a locale)."""
        if locale in VOICES:
            return TextSource(text=text, source_locale=locale, voice_name=VOICES[locale])
        return TextSource(text=text, voice_name=self._voice)


@contextlib.contextmanager
def _errors(doing: str) -> Iterator[None]:
    """HttpResponseError / AzureError → SendError, transient for throttling, server errors and no answer."""
    try:
        yield
    except HttpResponseError as exc:
        first = str(exc).splitlines()[0][:200]
        raise SendError(f"could not {doing}: HTTP {exc.status_code}: {first}",
                        transient=exc.status_code in TRANSIENT) from exc
    except AzureError as exc:
        raise SendError(f"could not {doing}: {type(exc).__name__}", transient=True) from exc
