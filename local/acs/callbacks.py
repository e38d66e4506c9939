"""Delivery of Call Automation's mid-call events to the app's callback URI, as ACS posts them: one POST per event,
the body a JSON array holding one CloudEvent 1.0, `Authorization: Bearer <JWT>` with a new token per POST.

Order: a call's events are posted one after the other, in the order they happened, from a thread per call (a slow
receiver for one call delays no other call). Failures: ACS documents no retry of a mid-call callback (unlike Event
Grid's schedule, nothing in the Call Automation docs, the REST spec or the SDKs mentions redelivery; the only advice
is to answer quickly with a 2xx). So a POST that is refused, times out or finds nobody listening is recorded with its
outcome and not tried again: the app has to survive a lost event (read the call with GET, time out its waits).
Lateness is a fault (`callbackDelaySeconds`): each event is posted that long after it happened."""

from __future__ import annotations

import json
import logging
import queue
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.acs.jwt_signer import CallbackSigner
from local.acs.store import Faults
from local.eventgrid.http import post

logger = logging.getLogger(__name__)

EVENT_PREFIX = "Microsoft.Communication."
POST_TIMEOUT = 10.0  # seconds ACS-like patience for the app's answer (ACS does not publish its own)


def cloud_event(kind: str, call_connection_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """One Call Automation CloudEvent (the shape of the examples in ACS's how-to guides)."""
    source = f"calling/callConnections/{call_connection_id}"
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "type": EVENT_PREFIX + kind,
        "data": data,
        "time": datetime.now(UTC).isoformat(),
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "subject": source,
    }


@dataclass(frozen=True)
class _Posting:
    url: str
    event: dict[str, Any]
    due: float  # time.monotonic() at which to post
    last: bool  # the call's last event: the lane closes after it


class CallbackDelivery:
    """Posts each call's events in order; `on_delivered(call_id, record)` hears how each POST went."""

    def __init__(self, signer: CallbackSigner, faults: Faults,
                 on_delivered: Callable[[str, dict[str, Any]], None]) -> None:
        self._signer, self._faults, self._on_delivered = signer, faults, on_delivered
        self._lock = threading.Lock()
        self._lanes: dict[str, queue.Queue[_Posting | None]] = {}
        self._context: ssl.SSLContext | None = None
        self._stop = threading.Event()

    def bind(self, ca_bundle: Path) -> None:
        """Trust the dev CA bundle (and the system CAs it includes) for https callback URIs."""
        self._context = ssl.create_default_context(cafile=str(ca_bundle))
        self._stop.clear()

    def enqueue(self, call_id: str, url: str, event: dict[str, Any], last: bool = False) -> None:
        """Queue one event of a call; never blocks."""
        posting = _Posting(url, event, time.monotonic() + self._faults.callback_delay(), last)
        with self._lock:
            lane = self._lanes.get(call_id)
            if lane is None:
                lane = self._lanes[call_id] = queue.Queue()
                threading.Thread(target=self._run, args=(call_id, lane), name=f"acs-callbacks-{call_id[:8]}",
                                 daemon=True).start()
            lane.put(posting)

    def stop(self) -> None:
        """Stop every lane (pending events are dropped, as when the service goes away)."""
        self._stop.set()
        with self._lock:
            for lane in self._lanes.values():
                lane.put(None)
            self._lanes.clear()

    def _run(self, call_id: str, lane: queue.Queue[_Posting | None]) -> None:
        while (posting := lane.get()) is not None:
            if self._stop.wait(max(0.0, posting.due - time.monotonic())):
                return
            self._on_delivered(call_id, self._post(posting))
            if posting.last:
                with self._lock:
                    if self._lanes.get(call_id) is lane:
                        del self._lanes[call_id]
                return

    def _post(self, posting: _Posting) -> dict[str, Any]:
        """One POST, no redirect followed, no retry; the record of how it went."""
        body = json.dumps([posting.event]).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Authorization": f"Bearer {self._signer.token()}", "User-Agent": "acs-standin-callautomation"}
        answer = post(posting.url, body, headers, POST_TIMEOUT, self._context)
        kind = posting.event["type"].removeprefix(EVENT_PREFIX)
        if answer.status is None or not 200 <= answer.status < 300:
            logger.warning("callback %s to %s failed (%s); not retried", kind, posting.url, answer.outcome)
        return {"id": posting.event["id"], "type": kind, "status": answer.status, "outcome": answer.outcome,
                "url": posting.url, "deliveredAt": datetime.now(UTC).isoformat()}
