"""Event publisher: the Event Grid custom topic, in Azure and locally (local/eventgrid/standin.py) alike."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import AzureKeyCredential
from azure.eventgrid import EventGridEvent, EventGridPublisherClient

from shared.adapters import lanes

# The dial publishes CallStarted while the dialer waits: one quick retry and short time-outs, so a bus that is
# down or silent costs the dial about six seconds at most, never azure-core's defaults (10 retries, 300 s reads).
SEND_OPTIONS: dict[str, Any] = {"retry_total": 1, "retry_backoff_factor": 0.2, "connection_timeout": 2,
                                "read_timeout": 3, "timeout": 6}


class EventGridPublisher:
    """Publishes Event Grid schema events to the custom topic (key or managed identity); raises when refused."""

    def __init__(self, endpoint: str, key: str | None, credential: Any = None) -> None:
        # Options go with each send: for a basic topic, azure-eventgrid 4.22's EventGridPublisherClient builds its
        # inner client from the endpoint, credential and api_version only, and drops constructor keywords.
        self._client = EventGridPublisherClient(endpoint, AzureKeyCredential(key) if key else credential)

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        lanes.yield_to_emergency()  # the dial's own CallStarted never waits (adapters/lanes.py)
        self._client.send([EventGridEvent(subject=subject, event_type=event_type, data=data, data_version="1.0",
                                          id=event_id)], **SEND_OPTIONS)
