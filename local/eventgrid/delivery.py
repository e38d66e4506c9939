"""Delivery as Event Grid does it (learn.microsoft.com/azure/event-grid/delivery-and-retry): each event to each
matching subscription, one event per request, at least once, in no guaranteed order.

Per subscription, a lane: a scheduler thread that first completes the validation handshake, then claims due
deliveries from the store and hands them to a pool of `workers` threads, so a slow handler holds up neither another
subscription nor the rest of its own. An attempt succeeds on 200-204 within the response timeout; 400, 401, 403,
404 and 413 are dead-lettered at once; anything else (other codes, time-outs, refused connections) is retried after
10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h, until the subscription's maximum attempts
(MaxDeliveryAttemptsExceeded) or time to live (TimeToLiveExceeded). `time_scale` divides the delays and the time to
live (not the response timeout).
"""

from __future__ import annotations

import itertools
import json
import logging
import ssl
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.eventgrid.http import Answer, post, write_json
from local.eventgrid.schema import Subscription
from local.eventgrid.store import DEAD_LETTERED, DELIVERED, PENDING, Delivery, DeliveryStore

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = (10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600)
RETRY_AFTER_SCHEDULE = 12 * 3600
NO_RETRY = frozenset({400, 401, 403, 404, 413})
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
MAX_ATTEMPTS, TIME_TO_LIVE, CLIENT_ERROR = "MaxDeliveryAttemptsExceeded", "TimeToLiveExceeded", \
    "UndeliverableDueToClientError"


def retry_delay(failed_attempts: int) -> float:
    """Seconds from the n-th failed attempt to the next one, on Event Grid's schedule."""
    if failed_attempts <= len(RETRY_SCHEDULE):
        return float(RETRY_SCHEDULE[failed_attempts - 1])
    return float(RETRY_AFTER_SCHEDULE)


def iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class _Lane:
    """One subscription's scheduler state: its worker pool, how many attempts are in flight, a wake-up event."""

    def __init__(self, subscription: Subscription, workers: int) -> None:
        self.subscription = subscription
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix=f"eventgrid-{subscription.name}")
        self.wake = threading.Event()
        self.validated = False
        self._in_flight = 0
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def free(self) -> int:
        with self._lock:
            return self.workers - self._in_flight

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self.wake.set()


class Dispatcher:
    """Runs the lanes of one topic's subscriptions against the host base URL(s), round-robin."""

    def __init__(self, store: DeliveryStore, subscriptions: list[Subscription], hosts: list[str],
                 dead_letter_dir: Path, topic: str, *, time_scale: float, response_timeout: float,
                 workers: int, ssl_context: ssl.SSLContext | None = None) -> None:
        if time_scale <= 0 or response_timeout <= 0 or not hosts:
            raise ValueError("time_scale and response_timeout must be positive, and a host is needed")
        self._store, self._topic, self._dead_letter_dir = store, topic, dead_letter_dir
        self._scale, self._timeout, self._ssl = time_scale, response_timeout, ssl_context
        self._hosts_key = " ".join(hosts)
        self._hosts = itertools.cycle([h.rstrip("/") for h in hosts])
        self._hosts_lock = threading.Lock()
        self._stop = threading.Event()
        self.lanes = {s.name: _Lane(s, workers) for s in subscriptions}

    def start(self) -> None:
        for lane in self.lanes.values():
            lane.thread = threading.Thread(target=self._run, args=(lane,), daemon=True,
                                           name=f"eventgrid-lane-{lane.subscription.name}")
            lane.thread.start()

    def wake(self) -> None:
        for lane in self.lanes.values():
            lane.wake.set()

    def stop(self, grace: float = 2.0) -> None:
        """Stop scheduling and give attempts in flight `grace` seconds to record their outcome; any still running
        then is attempted again by the next start (its lease is not renewed)."""
        self._stop.set()
        self.wake()
        for lane in self.lanes.values():
            if lane.thread is not None:
                lane.thread.join(timeout=5)
            lane.pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        while any(lane.free() < lane.workers for lane in self.lanes.values()) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _run(self, lane: _Lane) -> None:
        if not self._validate(lane.subscription):
            return
        lane.validated = True
        name, lease = lane.subscription.name, self._timeout + 5
        while not self._stop.is_set():
            lane.wake.clear()
            timeout = 0.5
            try:
                now = time.time()
                for delivery in self._store.claim(name, now, lane.free(), now + lease):
                    lane.begin()
                    lane.pool.submit(self._attempt, lane, delivery)
                due = self._store.next_due(name) if lane.free() > 0 else None
                if due is not None:
                    timeout = min(max(due - time.time(), 0.005), 0.5)
            except Exception:  # keep the lane alive: a fault here must not stop every later delivery
                logger.exception("scheduling for subscription %s failed", name)
            lane.wake.wait(timeout)

    def _attempt(self, lane: _Lane, delivery: Delivery) -> None:
        try:
            self._deliver(lane.subscription, delivery)
        except Exception:
            logger.exception("delivery %s to %s failed in the stand-in", delivery.id, delivery.subscription)
        finally:
            lane.end()

    def _url(self, subscription: Subscription) -> str:
        with self._hosts_lock:
            base = next(self._hosts)
        return f"{base}/runtime/webhooks/EventGrid?functionName={subscription.function}"

    def _deliver(self, subscription: Subscription, d: Delivery) -> None:
        if time.time() >= d.expires_at:
            self._dead_letter(d, TIME_TO_LIVE, d.attempts, d.last_status, d.last_outcome, d.last_attempt_at)
            return
        event = d.event
        cloud = "specversion" in event
        headers = {"Content-Type": f"application/{'cloudevents+' if cloud else ''}json; charset=utf-8",
                   "aeg-event-type": "Notification", "aeg-subscription-name": subscription.name.upper(),
                   "aeg-delivery-count": str(d.attempts),
                   "aeg-data-version": "" if cloud else str(event.get("dataVersion", "")),
                   "aeg-metadata-version": "1.0" if cloud else "1"}
        body = json.dumps(event if cloud else [event]).encode()
        answer = post(self._url(subscription), body, headers, self._timeout, self._ssl)
        done, attempts = time.time(), d.attempts + 1
        logger.debug("delivery %s of %s to %s: %s", d.id, d.event_id, subscription.name, answer.outcome)
        if answer.status is not None and 200 <= answer.status <= 204:
            self._store.record(d.id, DELIVERED, attempts, done, answer.status, answer.outcome, done)
        elif answer.status in NO_RETRY:
            self._dead_letter(d, CLIENT_ERROR, attempts, answer.status, answer.outcome, done)
        elif attempts >= d.max_attempts:
            self._dead_letter(d, MAX_ATTEMPTS, attempts, answer.status, answer.outcome, done)
        else:
            upcoming = min(done + retry_delay(attempts) / self._scale, d.expires_at)  # at expiry: dead-letter
            self._store.record(d.id, PENDING, attempts, upcoming, answer.status, answer.outcome, done)

    def _dead_letter(self, d: Delivery, reason: str, attempts: int, status: int | None, outcome: str | None,
                     attempted_at: float | None) -> None:
        """Write the dead letter first, then mark the delivery (a crash in between writes the same file again)."""
        event = d.event
        cloud = "specversion" in event
        extra: dict[str, Any] = {"deadLetterReason": reason, "deliveryAttempts": attempts,
                                 "lastDeliveryOutcome": outcome or "NotAttempted",
                                 "publishTime": iso(d.publish_time), "lastDeliveryAttemptTime": iso(attempted_at)}
        if status is not None:
            extra["lastHttpStatusCode"] = status
        if cloud:  # the CloudEvents dead-letter shape uses lower-case attribute names
            extra = {key.lower(): value for key, value in extra.items()}
        safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in d.event_id)[:80]
        write_json(self._dead_letter_dir / d.subscription / f"{safe_id}-{d.id}.json", [{**event, **extra}])
        self._store.record(d.id, DEAD_LETTERED, attempts, time.time(), status, outcome, attempted_at, reason)
        logger.warning("event %s dead-lettered for %s: %s after %d attempt(s), last %s", d.event_id,
                       d.subscription, reason, attempts, outcome)

    def _validate(self, subscription: Subscription) -> bool:
        """The handshake, retried until the host answers the code; remembered per subscription and endpoint."""
        if self._store.is_validated(subscription.name, self._hosts_key):
            return True
        delay, tries = 0.05, 0
        while not self._stop.is_set():
            code, tries = str(uuid.uuid4()), tries + 1
            event = {"id": str(uuid.uuid4()), "topic": self._topic, "subject": "", "data": {"validationCode": code},
                     "eventType": VALIDATION_EVENT, "eventTime": iso(time.time()), "metadataVersion": "1",
                     "dataVersion": "2"}
            headers = {"Content-Type": "application/json; charset=utf-8", "aeg-event-type": "SubscriptionValidation",
                       "aeg-subscription-name": subscription.name.upper(), "aeg-delivery-count": "0",
                       "aeg-data-version": "2", "aeg-metadata-version": "1"}
            answer = post(self._url(subscription), json.dumps([event]).encode(), headers, self._timeout, self._ssl)
            if _validation_code(answer) == code:
                self._store.mark_validated(subscription.name, self._hosts_key, time.time())
                logger.info("subscription %s validated after %d attempt(s)", subscription.name, tries)
                return True
            (logger.warning if tries % 20 == 0 else logger.debug)(
                "validation of subscription %s not answered yet: %s", subscription.name, answer.outcome)
            self._stop.wait(delay)
            delay = min(delay * 2, 1.0)
        return False


def _validation_code(answer: Answer) -> str | None:
    if answer.status != 200:
        return None
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    code = body.get("validationResponse") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None
