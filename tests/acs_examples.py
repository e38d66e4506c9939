"""The official ACS example events (../shared/acs-event-examples/) and what ACS means by each: the tests read
them unchanged and assert their meaning (who started the call, how long it lasted, the status, the time, the ids)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "acs-event-examples"


@dataclass(frozen=True)
class Example:
    """One file: its schema (by its content, not its name), type, id, time and data."""

    name: str
    document: dict[str, Any]

    @property
    def cloud_event(self) -> bool:
        # The SMSReceived example spells it `specVersion`; CloudEvents attribute names are lower case.
        return any(key.lower() == "specversion" for key in self.document)

    @property
    def event_type(self) -> str:
        return str(self.document["type" if self.cloud_event else "eventType"])

    @property
    def event_id(self) -> str:
        return str(self.document["id"])

    @property
    def time(self) -> str:
        return str(self.document["time" if self.cloud_event else "eventTime"])

    @property
    def data(self) -> Any:
        return self.document["data"]

    def stamped(self, resource_id: str) -> dict[str, Any]:
        """As Event Grid delivers it for our ACS resource: the example's placeholder source replaced (and a
        CloudEvent's attribute names in lower case, as the specification has them; data as it is)."""
        document = {(k.lower() if self.cloud_event and k != "data" else k): v for k, v in self.document.items()}
        return {**document, ("source" if self.cloud_event else "topic"): resource_id}


def examples() -> list[Example]:
    return [Example(p.name, json.loads(p.read_text())) for p in sorted(EXAMPLES.glob("*.json"))]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


CALLER_2021 = "8:acs:bc360ba8-d29b-4ef2-b698-769ebef85521_0000000c-1fb9-4878-07fd-0848220077e1"
CALLER_CLOUD = "8:acs:d9ff4983-39e7-4420-8d54-f6354ed06ccd_7a668e62-08f4-4ac1-b29e-f01010f57475"
CALLER_FOLDER = "8:acs:fc0d8c38-b794-4ae5-850c-ad9c8b9e02b9_752c851d-11dd-411d-bfd7-8d1de9aef16b"

# What ACS means by each file, from the files themselves and the schema (not from our parser).
CALL_ENDED = {  # file -> (started by, duration in seconds, serverCallId, correlationId)
    "eventgrid-call_ended-2021.json": (CALLER_2021, 49.728617199999995, "{serverCallId}", None),
    "cloudevents-call_ended.json": (CALLER_CLOUD, 10.0, "Y3NVcmw", "CallIdGuid"),
    "eventgrid-folder-call_ended-cloudevent.json": (CALLER_FOLDER, 10.0, "Y3NVcmw", "CallIdGuid"),
}
EMAIL_REPORTS = {  # file -> (messageId, status, attempt time, recipient, detail)
    "eventgrid-email_delivery_report_received.json": (
        "950850f5-bcdf-4315-b77a-6447cf56fac9", "Delivered", utc("2023-02-09T19:46:12.248026+00:00"),
        "test1@contoso.com", "DestinationMailboxFull"),
    "cloudevents-email_delivery_report_received.json": (
        "950850f5-bcdf-4315-b77a-6447cf56fac9", "Delivered", utc("2023-02-09T19:46:12.248026+00:00"),
        "test1@contoso.com", None),
}
INCOMING_CALLS = {  # file -> (to, from, serverCallId, correlationId, incomingCallContext)
    name: ("{recipient-id}", "{caller-id}", "{server-call-id}", "correlationId", "{incoming-call-contextValue}")
    for name in ("eventgrid-incoming_call.json", "cloudevents-incoming_call.json")
}
SMS_RECEIVED = {  # file -> (messageId, from, to, message, received)
    name: ("Incoming_20200918002745d29ebbea-3341-4466-9690-0a03af35228e", "+15555555555", "+15555555555",
           "Great to connect with ACS events", utc("2020-09-18T00:27:45.32+00:00"))
    for name in ("eventgrid-sms_received.json", "cloudevents-sms_received.json")
}
IGNORED = {"cloudevents-call_started.json"}  # ACS's CallStarted: no function subscribes to it
