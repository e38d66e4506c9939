"""The Event Grid stand-in against the real azure-eventgrid publisher client and a webhook receiver of the test's
own: what the topic accepts and refuses, and how it delivers (schedule, no-retry codes, dead letters, time to
live, validation handshake, durability, concurrency). Time-scaled schedules keep each test within seconds; every
wait is bounded and every figure checked."""

from __future__ import annotations

import json
import queue
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential, AzureSasCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.eventgrid import EventGridEvent, EventGridPublisherClient, generate_sas

from local.azurite import ROOT, free_port
from local.eventgrid.http import publish
from local.eventgrid.standin import EventGridStandIn
from local.stack import wait_for
from tests.integration.webhook_receiver import Receiver

CERTS = ROOT / ".local" / "certs"
ONE = [{"name": "only", "function": "only_fn", "eventTypes": ["Test.Event"]}]
TWO = [{"name": "first", "function": "first_fn", "eventTypes": ["Test.Event"]},
       {"name": "second", "function": "second_fn", "eventTypes": ["Test.Event"]}]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def topic(tmp_path: Path) -> Iterator[Callable[..., EventGridStandIn]]:
    """Starts stand-ins on tmp_path (or a given data folder) and stops them all at the end."""
    started: list[EventGridStandIn] = []

    def make(subscriptions: Any, hosts: Any, data_dir: Path | None = None, **kw: Any) -> EventGridStandIn:
        standin = EventGridStandIn(data_dir or tmp_path / "topic", subscriptions, hosts, certs_dir=CERTS, **kw)
        standin.start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


def send(standin: EventGridStandIn, *events: EventGridEvent, key: str | None = None) -> None:
    client = EventGridPublisherClient(standin.endpoint, AzureKeyCredential(key or standin.access_key))
    client.send(list(events), connection_verify=str(standin.ca_bundle))


def event(event_type: str = "Test.Event", **kw: Any) -> EventGridEvent:
    return EventGridEvent(subject="tests/x", event_type=event_type, data={"n": 1}, data_version="1.0",
                          id=kw.pop("id", str(uuid.uuid4())), **kw)


def grid_dict(**overrides: Any) -> dict[str, Any]:
    base = {"id": str(uuid.uuid4()), "subject": "tests/x", "eventType": "Test.Event", "dataVersion": "1.0",
            "eventTime": datetime.now(UTC).isoformat(), "data": {}}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens: validation never completes


# ---- what the topic accepts -----------------------------------------------------------------------------------

def test_an_accepted_event_is_on_disk_before_the_200(topic: Callable[..., EventGridStandIn]) -> None:
    standin = topic(TWO, nowhere())
    sent = event()
    send(standin, sent)
    with sqlite3.connect(standin.database_path) as db:  # another connection sees only what was committed
        rows = db.execute("SELECT d.subscription, d.status FROM deliveries d JOIN events e ON e.seq = d.event_seq "
                          "WHERE e.event_id = ?", (sent.id,)).fetchall()
    assert sorted(rows) == [("first", "pending"), ("second", "pending")]


def test_a_publish_without_the_key_or_with_a_wrong_one_is_401(topic: Callable[..., EventGridStandIn]) -> None:
    standin = topic(ONE, nowhere())
    status, body = publish(standin.endpoint, "", [grid_dict()], standin.ca_bundle)
    assert status == 401 and body["error"]["code"] == "Unauthorized"
    assert "aeg-sas-key" in body["error"]["message"]
    with pytest.raises(ClientAuthenticationError) as refused:
        send(standin, event(), key="d3Jvbmcta2V5")
    assert refused.value.status_code == 401
    assert standin.deliveries()["deliveries"] == []


def test_a_sas_token_signed_with_the_key_publishes_and_an_expired_one_does_not(
        topic: Callable[..., EventGridStandIn]) -> None:
    standin = topic(ONE, nowhere())

    def with_token(expires: datetime) -> None:
        token = generate_sas(standin.endpoint, standin.access_key, expires)
        EventGridPublisherClient(standin.endpoint, AzureSasCredential(token)).send(
            [event()], connection_verify=str(standin.ca_bundle))

    with_token(datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(ClientAuthenticationError):
        with_token(datetime.now(UTC) - timedelta(minutes=1))
    assert len(standin.deliveries()["deliveries"]) == 1


@pytest.mark.parametrize("body", [
    [grid_dict(id=None)], [grid_dict(subject="")], [grid_dict(eventType=None)], [grid_dict(eventTime=None)],
    [grid_dict(eventTime="yesterday")], [grid_dict(metadataVersion="2")], [grid_dict(topic="/another/topic")],
    grid_dict(), ["not an event"],
], ids=["no-id", "empty-subject", "no-type", "no-time", "bad-time", "metadata-2", "other-topic", "not-an-array",
        "not-an-object"])
def test_an_event_the_service_refuses_is_400_and_nothing_is_kept(topic: Callable[..., EventGridStandIn],
                                                                 body: Any) -> None:
    standin = topic(ONE, nowhere())
    status, answer = publish(standin.endpoint, standin.access_key, body, standin.ca_bundle)
    assert status == 400
    assert answer["error"]["code"] == "BadRequest" and answer["error"]["details"][0]["code"] == "InputJsonInvalid"
    assert standin.deliveries()["deliveries"] == []


def test_a_batch_over_1_mb_is_413_and_cloudevents_are_400_on_an_event_grid_schema_topic(
        topic: Callable[..., EventGridStandIn]) -> None:
    standin = topic(ONE, nowhere())
    big = [grid_dict(data={"blob": "x" * 600_000}), grid_dict(data={"blob": "y" * 600_000})]
    assert publish(standin.endpoint, standin.access_key, big, standin.ca_bundle)[0] == 413
    cloud = [{"id": "c1", "source": "/tests", "type": "Test.Event", "specversion": "1.0"}]
    assert publish(standin.endpoint, standin.access_key, cloud, standin.ca_bundle,
                   content_type="application/cloudevents-batch+json; charset=utf-8")[0] == 400
    assert standin.deliveries()["deliveries"] == []


def test_an_event_without_data_version_is_stamped_as_the_service_does(topic: Callable[..., EventGridStandIn],
                                                                       receiver: Receiver) -> None:
    standin = topic(ONE, receiver.url)
    sent = grid_dict(dataVersion=None)
    assert standin.publish([sent]) == 200
    assert wait_for(lambda: receiver.notifications())
    delivered = receiver.notifications()[0]
    assert delivered.event["id"] == sent["id"] and delivered.event["dataVersion"] == ""
    assert delivered.event["metadataVersion"] == "1" and delivered.event["topic"] == standin.topic


# ---- how it delivers ------------------------------------------------------------------------------------------

def test_the_validation_handshake_comes_first_and_deliveries_wait_for_it(topic: Callable[..., EventGridStandIn],
                                                                         receiver: Receiver) -> None:
    receiver.validate = lambda n: n >= 3  # the first three handshakes get a wrong code back
    standin = topic(ONE, receiver.url)
    send(standin, event())
    assert wait_for(lambda: receiver.notifications(), timeout=10)
    validations, first = receiver.validations(), receiver.notifications()[0]
    assert len(validations) == 4 and all(v.headers["aeg-subscription-name"] == "ONLY" for v in validations)
    assert validations[0].event["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert first.at > validations[-1].at
    assert (first.headers["aeg-subscription-name"], first.headers["aeg-delivery-count"],
            first.headers["aeg-data-version"], first.headers["aeg-metadata-version"]) == ("ONLY", "0", "1.0", "1")


def test_a_500_is_retried_after_10_s_then_30_s_scaled(topic: Callable[..., EventGridStandIn],
                                                      receiver: Receiver) -> None:
    receiver.status = lambda received, earlier: 500 if earlier < 2 else 200
    standin = topic(ONE, receiver.url, time_scale=50)  # 10 s -> 0.2 s, 30 s -> 0.6 s
    send(standin, event())
    assert wait_for(lambda: standin.deliveries()["subscriptions"]["only"]["delivered"] == 1, timeout=10)
    attempts = receiver.notifications()
    assert [a.headers["aeg-delivery-count"] for a in attempts] == ["0", "1", "2"]
    first_gap, second_gap = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
    print(f"retry gaps at time scale 50: {first_gap:.3f} s, {second_gap:.3f} s (expected 0.2, 0.6)")
    assert 0.2 <= first_gap < 0.4 and 0.6 <= second_gap < 0.85


@pytest.mark.parametrize("status", [400, 404])
def test_a_client_error_is_dead_lettered_at_once_without_a_retry(topic: Callable[..., EventGridStandIn],
                                                                 receiver: Receiver, status: int) -> None:
    receiver.status = lambda received, earlier: status
    standin = topic(ONE, receiver.url, time_scale=50)
    sent = event()
    send(standin, sent)
    assert wait_for(lambda: standin.dead_letters("only"), timeout=10)
    time.sleep(3 * 10 / 50)  # three times the first retry delay: no second attempt may come
    [letter] = standin.dead_letters("only")
    assert len(receiver.notifications()) == 1
    assert (letter["id"], letter["deliveryAttempts"], letter["lastHttpStatusCode"]) == (sent.id, 1, status)
    assert letter["deadLetterReason"] == "UndeliverableDueToClientError"
    assert letter["lastDeliveryOutcome"] == {400: "BadRequest", 404: "NotFound"}[status]
    assert {"publishTime", "lastDeliveryAttemptTime", "eventType", "data"} <= set(letter)


def test_the_incoming_call_subscription_gives_up_after_two_attempts(topic: Callable[..., EventGridStandIn],
                                                                    receiver: Receiver) -> None:
    receiver.status = lambda received, earlier: 503
    standin = topic("acs", receiver.url, time_scale=100)
    send(standin, event("Microsoft.Communication.IncomingCall"))
    assert wait_for(lambda: standin.dead_letters("incoming-callback"), timeout=10)
    time.sleep(0.5)  # past the next scaled retry (30 s / 100): none may come
    [letter] = standin.dead_letters("incoming-callback")
    assert (letter["deadLetterReason"], letter["deliveryAttempts"]) == ("MaxDeliveryAttemptsExceeded", 2)
    assert letter["lastHttpStatusCode"] == 503 and letter["lastDeliveryOutcome"] == "ServiceUnavailable"
    assert [n.function for n in receiver.notifications()] == ["inbound_callback"] * 2


def test_an_event_is_dead_lettered_when_its_time_to_live_passes(topic: Callable[..., EventGridStandIn],
                                                                receiver: Receiver) -> None:
    receiver.status = lambda received, earlier: 500
    short = [{"name": "short", "function": "short_fn", "eventTypes": ["Test.Event"], "eventTimeToLiveInMinutes": 1}]
    standin = topic(short, receiver.url, time_scale=100)  # TTL 0.6 s; attempts at 0, 0.1, 0.4; the next at 1.0
    started = time.monotonic()
    send(standin, event())
    assert wait_for(lambda: standin.dead_letters("short"), timeout=10)
    elapsed = time.monotonic() - started
    [letter] = standin.dead_letters("short")
    assert (letter["deadLetterReason"], letter["deliveryAttempts"]) == ("TimeToLiveExceeded", 3)
    # Dead-lettered once the TTL passed and before the fourth attempt (three attempts, not four); no upper bound on
    # the time itself, which only says how busy the machine was
    assert len(receiver.notifications()) == 3 and elapsed >= 0.6


def test_no_answer_within_the_response_timeout_is_a_failed_attempt(topic: Callable[..., EventGridStandIn],
                                                                   receiver: Receiver) -> None:
    receiver.delay = lambda received: 1.0 if received.headers["aeg-delivery-count"] == "0" else 0.0
    standin = topic(ONE, receiver.url, time_scale=50, response_timeout=0.3)
    send(standin, event())
    assert wait_for(lambda: standin.deliveries()["subscriptions"]["only"]["delivered"] == 1, timeout=10)
    [delivery] = standin.deliveries()["deliveries"]
    assert delivery["attempts"] == 2 and len(receiver.notifications()) == 2


def test_a_slow_handler_holds_up_neither_another_subscription_nor_other_events(
        topic: Callable[..., EventGridStandIn], receiver: Receiver) -> None:
    slow_id = "slow-one"
    receiver.delay = lambda r: 3.0 if r.function == "first_fn" and r.event["id"] == slow_id else 0.0
    standin = topic(TWO, receiver.url)
    send(standin, event(id=slow_id), *(event() for _ in range(5)))
    assert wait_for(lambda: len(receiver.notifications("second_fn")) == 6, timeout=1.5)
    assert wait_for(lambda: len(receiver.notifications("first_fn")) == 6, timeout=1.5)
    # all six reached first_fn while the slow one was still being answered (3 s)
    assert standin.deliveries()["subscriptions"]["first"]["delivered"] == 5


def test_deliveries_are_spread_round_robin_over_two_hosts(topic: Callable[..., EventGridStandIn]) -> None:
    a, b = Receiver().start(), Receiver().start()
    try:
        standin = topic(ONE, [a.url, b.url])
        send(standin, *(event() for _ in range(10)))
        assert wait_for(lambda: len(a.notifications()) + len(b.notifications()) == 10, timeout=10)
        assert (len(a.notifications()), len(b.notifications())) == (5, 5)
    finally:
        a.stop()
        b.stop()


def test_200_concurrent_publishes_are_all_accepted_and_delivered(topic: Callable[..., EventGridStandIn],
                                                                 receiver: Receiver) -> None:
    standin = topic(ONE, receiver.url)
    barrier = threading.Barrier(200)

    def one(_: int) -> str:
        client = EventGridPublisherClient(standin.endpoint, AzureKeyCredential(standin.access_key))
        barrier.wait(timeout=30)
        try:
            client.send([event()], connection_verify=str(standin.ca_bundle), retry_total=0)
            return "ok"
        except Exception as error:  # counted, not raised: the figure is the point
            return type(error).__name__

    started = time.monotonic()
    with ThreadPoolExecutor(200) as pool:
        outcomes = list(pool.map(one, range(200)))
    took = time.monotonic() - started
    print(f"200 concurrent publishes: {outcomes.count('ok')} accepted in {took:.2f} s")
    assert outcomes == ["ok"] * 200
    assert wait_for(lambda: standin.deliveries()["subscriptions"]["only"]["delivered"] == 200, timeout=30)
    assert len({n.event["id"] for n in receiver.notifications()}) == 200


# ---- durability -----------------------------------------------------------------------------------------------

def test_a_restarted_topic_resumes_a_pending_delivery_with_its_attempts_and_time(
        topic: Callable[..., EventGridStandIn], receiver: Receiver, tmp_path: Path) -> None:
    receiver.status = lambda received, earlier: 500 if earlier == 0 else 200
    first = topic(ONE, receiver.url, data_dir=tmp_path / "kept", time_scale=20)  # 10 s -> 0.5 s
    send(first, event())
    assert wait_for(lambda: first.deliveries()["deliveries"][0]["attempts"] == 1, timeout=10)
    first.stop()
    second = topic(ONE, receiver.url, data_dir=tmp_path / "kept", time_scale=20)
    assert wait_for(lambda: second.deliveries()["subscriptions"]["only"]["delivered"] == 1, timeout=10)
    attempts = receiver.notifications()
    assert [a.headers["aeg-delivery-count"] for a in attempts] == ["0", "1"]
    assert attempts[1].at - attempts[0].at >= 0.5
    assert len(receiver.validations()) == 1, "the subscription stays validated across the restart"


def test_a_killed_topic_delivers_what_it_had_accepted_when_started_again(
        topic: Callable[..., EventGridStandIn], receiver: Receiver, tmp_path: Path) -> None:
    data = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "local.eventgrid.standin", "--port", "0", "--data-dir", str(data),
                             "--host", nowhere(), "--certs-dir", str(CERTS)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        printed = dict(line.split("=", 1) for line in _lines(proc, 3, timeout=20))
        client = EventGridPublisherClient(printed["EVENTGRID_TOPIC_ENDPOINT"],
                                          AzureKeyCredential(printed["EVENTGRID_TOPIC_KEY"]))
        sent = event("Emergency.CallStarted")
        client.send([sent], connection_verify=printed["REQUESTS_CA_BUNDLE"])
    finally:
        proc.kill()  # SIGKILL: no chance to flush or close anything
        proc.wait(timeout=10)
    again = topic("internal", receiver.url, data_dir=data)
    assert wait_for(lambda: len(receiver.notifications()) == 2, timeout=10)
    assert {n.function for n in receiver.notifications()} == {"presence_update", "emergency_notification"}
    assert {n.event["id"] for n in receiver.notifications()} == {sent.id}
    assert again.deliveries()["subscriptions"]["presence-update"]["delivered"] == 1


def _lines(proc: subprocess.Popen[str], count: int, timeout: float) -> list[str]:
    """The first `count` lines the process prints, waiting at most `timeout` seconds in all."""
    assert proc.stdout is not None
    stdout, lines = proc.stdout, queue.Queue[str]()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in stdout], daemon=True).start()
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        try:
            got.append(lines.get(timeout=max(deadline - time.monotonic(), 0.01)))
        except queue.Empty:
            raise AssertionError(f"the stand-in printed only {got} in {timeout} s") from None
    return got


# ---- inspection and CloudEvents -------------------------------------------------------------------------------

def test_the_inspection_api_shows_counts_and_each_delivery(topic: Callable[..., EventGridStandIn],
                                                           receiver: Receiver) -> None:
    standin = topic(TWO, receiver.url)
    sent = event()
    send(standin, sent)
    assert wait_for(lambda: standin.settled([sent.id]))
    import ssl
    import urllib.request
    url = standin.endpoint.replace("/api/events", f"/_standin/deliveries?eventId={sent.id}")
    context = ssl.create_default_context(cafile=str(standin.ca_bundle))
    with urllib.request.urlopen(url, timeout=10, context=context) as answer:
        view = json.loads(answer.read())
    assert view["subscriptions"]["first"] == {"pending": 0, "delivered": 1, "deadLettered": 0, "validated": True}
    assert [(d["subscription"], d["eventId"], d["status"], d["attempts"], d["lastHttpStatus"])
            for d in view["deliveries"]] == [("first", sent.id, "delivered", 1, 200),
                                             ("second", sent.id, "delivered", 1, 200)]
    assert view["deadLetterDir"] == str(standin.dead_letter_dir)


def test_a_cloudevents_topic_takes_a_batch_and_delivers_each_event_alone(topic: Callable[..., EventGridStandIn],
                                                                         receiver: Receiver) -> None:
    from azure.core.messaging import CloudEvent

    standin = topic(ONE, receiver.url, input_schema="CloudEventSchemaV1_0")
    client = EventGridPublisherClient(standin.endpoint, AzureKeyCredential(standin.access_key))
    client.send([CloudEvent(source="/tests", type="Test.Event", data={"n": i}) for i in range(2)],
                connection_verify=str(standin.ca_bundle))
    assert wait_for(lambda: len(receiver.notifications()) == 2)
    for delivered in receiver.notifications():
        assert delivered.headers["content-type"].startswith("application/cloudevents+json")
        assert isinstance(delivered.body, dict) and delivered.body["specversion"] == "1.0"
    assert publish(standin.endpoint, standin.access_key, [grid_dict()], standin.ca_bundle)[0] == 400
