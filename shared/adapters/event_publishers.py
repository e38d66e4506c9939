"""Event publishers: Event Grid custom topic in Azure; direct webhook delivery to the local host on a laptop."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azure.core.credentials import AzureKeyCredential
from azure.eventgrid import EventGridEvent, EventGridPublisherClient

log = logging.getLogger(__name__)

SUBSCRIPTIONS_FILE = Path(__file__).resolve().parent.parent / "event_subscriptions.json"


def load_subscriptions(section: str = "internal") -> list[dict[str, Any]]:
    """The subscriptions of one section of the shared file (the Bicep loads the same file)."""
    data = json.loads(SUBSCRIPTIONS_FILE.read_text())
    return list(data[section])


class EventGridPublisher:
    """Publishes Event Grid schema events to the custom topic (key or managed identity)."""

    def __init__(self, endpoint: str, key: str | None, credential: Any = None) -> None:
        self._client = EventGridPublisherClient(endpoint, AzureKeyCredential(key) if key else credential,
                                                retry_total=2, connection_timeout=3)

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        self._client.send([EventGridEvent(subject=subject, event_type=event_type, data=data, data_version="1.0",
                                          id=event_id)])


class LocalWebhookPublisher:
    """Delivers each event to every subscribed function's webhook on the local host, at least once and
    asynchronously (the publisher never waits for a handler), retrying failures with backoff. One delivery
    thread per function, so a slow handler (email) never holds up another (presence)."""

    def __init__(self, base_url: str, subscriptions: list[dict[str, Any]] | None = None,
                 attempts: int = 5, backoff: float = 0.2) -> None:
        self._base = base_url.rstrip("/")
        self._subs = subscriptions if subscriptions is not None else load_subscriptions()
        self._attempts = attempts
        self._backoff = backoff
        self._queues: dict[str, queue.Queue[bytes]] = {}
        self._lock = threading.Lock()

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        event = {"id": event_id, "eventType": event_type, "subject": subject, "data": data, "dataVersion": "1.0",
                 "metadataVersion": "1", "eventTime": datetime.now(UTC).isoformat(), "topic": "local/internal"}
        body = json.dumps([event]).encode()
        for sub in self._subs:
            if event_type in sub["eventTypes"]:
                with self._lock:
                    q = self._queues.get(sub["function"])
                    if q is None:
                        q = self._queues[sub["function"]] = queue.Queue()
                        threading.Thread(target=self._run, args=(sub["function"], q), daemon=True,
                                         name=f"local-delivery-{sub['function']}").start()
                q.put(body)

    def _run(self, function: str, q: queue.Queue[bytes]) -> None:
        while True:
            self._deliver(function, q.get())

    def _deliver(self, function: str, body: bytes) -> None:
        url = f"{self._base}/runtime/webhooks/EventGrid?functionName={function}"
        for attempt in range(1, self._attempts + 1):
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/json", "aeg-event-type": "Notification"})
            try:
                with urllib.request.urlopen(request, timeout=30):
                    return
            except (urllib.error.URLError, OSError) as exc:
                log.warning("local delivery to %s failed (attempt %d): %s", function, attempt, exc)
                time.sleep(self._backoff * 2 ** (attempt - 1))
        log.error("local delivery to %s given up after %d attempts", function, self._attempts)
