"""The app's EventGridPublisher (shared/adapters/event_publishers.py) through the real SDK: it reaches the topic
with the key, and it gives up quickly on a topic that does not answer, because the dial waits for it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import AzureError

from local.azurite import ROOT
from local.eventgrid.standin import EventGridStandIn
from local.stack import wait_for
from shared.adapters.event_publishers import EventGridPublisher
from tests.integration.webhook_receiver import Receiver


@pytest.fixture
def ca_bundle(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app trusts the dev CA through REQUESTS_CA_BUNDLE, as the local host's environment sets it."""
    bundle = ROOT / ".local" / "certs" / "ca-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return bundle


@pytest.fixture
def silent_topic() -> Iterator[str]:
    """A TCP listener that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/events"


def test_the_app_publishes_an_event_grid_event_with_its_id_to_the_topic(tmp_path: Path, ca_bundle: Path) -> None:
    receiver = Receiver().start()
    subscriptions = [{"name": "presence", "function": "presence_update", "eventTypes": ["Emergency.CallStarted"]}]
    try:
        with EventGridStandIn(tmp_path, subscriptions, receiver.url, certs_dir=ca_bundle.parent) as topic:
            EventGridPublisher(topic.endpoint, topic.access_key).publish(
                "Emergency.CallStarted", "agents/a/emergency-calls/c", {"emergencyCallId": "c"}, "c:started")
            assert wait_for(lambda: receiver.notifications())
        event = receiver.notifications()[0].event
        assert (event["id"], event["eventType"], event["dataVersion"], event["data"]) == (
            "c:started", "Emergency.CallStarted", "1.0", {"emergencyCallId": "c"})
    finally:
        receiver.stop()


def test_a_topic_that_never_answers_fails_the_publish_within_seconds(silent_topic: str) -> None:
    publisher = EventGridPublisher(silent_topic, "a2V5")
    started = time.monotonic()
    with pytest.raises(AzureError):
        publisher.publish("Emergency.CallStarted", "s", {}, "id-1")
    took = time.monotonic() - started
    print(f"publish to a silent topic gave up after {took:.1f} s")
    assert took < 8, "azure-core's defaults would wait 300 s per read"
