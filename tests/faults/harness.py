"""What every fault scenario shares: the stack, the agents and pool it seeds, the dialer and the responder it plays,
and the contract checked from outside only (HTTP API, admin views, what reached the ACS stand-in), as figures."""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from local import demo
from local.eventgrid.schema import load_subscriptions
from local.stack import Client, LocalStack, wait_for
from shared.domain.delivery import operation_id

ROOT = Path(__file__).resolve().parents[2]
FIGURES_FILE = ROOT / "artifacts" / "fault-figures.jsonl"
# Event Grid's retry schedule runs this many times faster in the fault suite (10 s -> 0.5 s, 5 min -> 15 s).
TIME_SCALE = 20.0
EMAILS = ("desk@example.com", "floor-{i}@example.org")
SMS = "+12025550142"


RUN_SEED: list[int] = []


def seed_value() -> int:
    """The run's random seed (FAULT_SEED to repeat one), printed so a failure can be replayed."""
    value = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"fault suite seed: FAULT_SEED={value}")
    RUN_SEED[:] = [value]
    return value


def agent_id(i: int) -> str:
    return f"agent-{i:02d}"


def acs_id(i: int) -> str:
    return f"8:acs:00000000-0000-0000-0000-000000000000_{agent_id(i)}"


def pool_numbers(n: int) -> list[str]:
    """Up to 100 fictional numbers, +1 202 555 0100 to 0199."""
    return [f"+1202555{100 + k:04d}" for k in range(n)]


def seed_stack(client: Client, agents: int, pool: int) -> None:
    """Agents with two email recipients and one SMS recipient each, and a pool, through the admin API."""
    for i in range(agents):
        body = {"displayName": f"Agent {i}", "acsUserId": acs_id(i), "timezone": "UTC",
                "emailRecipients": "; ".join(e.format(i=i) for e in EMAILS), "smsRecipients": SMS,
                "mailboxEnabled": True, "lastLocation": {"countryCode": "US", "address": "1 Example Plaza",
                                                         "floor": str(i % 9 + 1)}}
        status, answer = client.put(f"/api/manage/agents/{agent_id(i)}", body)
        assert status == 200, answer
    status, answer = client.put("/api/manage/callback-numbers", {"numbers": pool_numbers(pool)})
    assert status == 200, answer


def recipients(agent: str) -> list[tuple[str, str]]:
    i = int(agent.rsplit("-", 1)[1])
    return [("email", e.format(i=i)) for e in EMAILS] + [("sms", SMS)]


@dataclass
class Dial:
    agent: str
    status: int | None  # None: no answer (connection failed)
    ms: float
    answer: dict[str, Any] = field(default_factory=dict)
    requested: str | None = None  # the id the dialer chose, known with or without an answer

    @property
    def call_id(self) -> str | None:
        return self.answer.get("emergencyCallId") or self.requested


def dial(client: Client, agent: str, number: str = "933", call_id: str | None = None) -> Dial:
    """The dialer's request before an emergency dial (933, the test number, unless a test needs the 60-minute
    window of a real one); it dials whatever the answer (or none) says."""
    body: dict[str, Any] = {"agentId": agent, "dialedNumber": number, "countryCode": "US"}
    if call_id:
        body["emergencyCallId"] = call_id
    started = time.perf_counter()
    try:
        status, answer = client.post("/api/outbound-calls", body)
    except (OSError, http.client.HTTPException):  # refused, reset, or the answer cut off (the host killed mid-way)
        return Dial(agent, None, (time.perf_counter() - started) * 1000, requested=call_id)
    return Dial(agent, status, (time.perf_counter() - started) * 1000, answer if isinstance(answer, dict) else {},
                call_id)


def dial_all(client: Client | list[Client], agents: Iterable[str], workers: int = 20) -> list[Dial]:
    clients = client if isinstance(client, list) else [client]
    jobs = list(agents)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda j: dial(clients[j[0] % len(clients)], j[1]), enumerate(jobs)))


def post_at_once(client: Client, path: str, body: dict[str, Any], times: int = 3) -> list[int]:
    """The same request `times` times at once (a dialer retrying, a proxy repeating)."""
    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(lambda _: client.post(path, body)[0], range(times)))


def end(client: Client, call_id: str, agent: str, retries: int = 0) -> int:
    """The dialer's hang-up; a dialer repeats it on 5xx (bounded)."""
    for _ in range(retries + 1):
        try:
            status, _ = client.post(f"/api/outbound-calls/{call_id}/end", {"agentId": agent})
        except OSError:
            status = 599
        if status < 500:
            return status
        time.sleep(0.5)
    return status


def app_now(client: Client, patience: float = 30.0) -> datetime:
    """The app's clock (the local host serves it), read again while a killed host restarts: ACS publishes its
    events whether our host is up or not, so building one must not fail with it."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return client.now()
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):  # restarting: no answer yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def incoming_call(client: Client, to_raw: str, correlation: str) -> dict[str, Any]:
    """Microsoft.Communication.IncomingCall as ACS publishes it (the responder's callback), as the demo builds it."""
    to = demo.phone(to_raw[2:]) if to_raw.startswith("4:") else {
        "kind": "communicationUser", "rawId": to_raw, "communicationUser": {"id": to_raw}}
    return demo.incoming_call(client, to, correlation, at=app_now(client))


def acs_call_ended(client: Client, agent_index: int, server: str, correlation: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.CallEnded", "dataVersion": "1.0",
            "subject": f"call/{server}/startedBy/{acs_id(agent_index)}", "eventTime": app_now(client).isoformat(),
            "data": {"startedBy": {"communicationIdentifier": {"rawId": acs_id(agent_index),
                                                               "communicationUser": {"id": acs_id(agent_index)}},
                                   "role": "Caller"},
                     "serverCallId": server, "correlationId": correlation, "isTwoParty": True,
                     "callDurationInSeconds": 42.0, "endedBy": {"rawId": acs_id(agent_index)}, "reason": {}}}


def quiet(stack: LocalStack, timeout: float = 60.0) -> bool:
    """Every accepted event delivered or dead-lettered, on both topics (bounded)."""
    return bool(wait_for(lambda: stack.pending_events() == 0, timeout=timeout, interval=0.2))


@dataclass
class Figures:
    """One scenario's figures, printed and appended to artifacts/fault-figures.jsonl."""

    scenario: str
    seed: int | None = None
    calls: int = 0
    double_leases: int = 0
    lost_notifications: int = 0
    duplicate_notifications: int = 0
    lost_redirects: int = 0
    duplicate_redirects: int = 0
    stuck_dnd: int = 0
    server_errors: int = 0
    dial_p50_ms: float | None = None
    dial_p99_ms: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def dials(self, dials: list[Dial]) -> None:
        ms = sorted(d.ms for d in dials if d.status is not None)
        self.server_errors += sum(1 for d in dials if d.status is not None and d.status >= 500)
        if ms:
            self.dial_p50_ms = round(statistics.median(ms), 1)
            self.dial_p99_ms = round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)

    def report(self) -> Figures:
        self.seed = self.seed if self.seed is not None else (RUN_SEED[0] if RUN_SEED else None)
        line = json.dumps(asdict(self), default=str)
        print(f"FAULT FIGURES {line}")
        FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
        with FIGURES_FILE.open("a") as f:
            f.write(line + "\n")
        return self

    @property
    def contract_held(self) -> bool:
        return not (self.double_leases or self.lost_notifications or self.duplicate_notifications
                    or self.lost_redirects or self.duplicate_redirects or self.stuck_dnd)


def double_leases(dials: list[Dial]) -> int:
    """Answers that handed the same pool number to two calls (all of them still inside their windows)."""
    numbers = [d.answer["callbackNumber"] for d in dials
               if d.answer.get("callbackNumberSource") == "pool" and d.answer.get("callbackNumber")]
    return len(numbers) - len(set(numbers))


def incidents(client: Client) -> dict[str, dict[str, Any]]:
    status, body = client.get("/api/manage/incidents")
    assert status == 200, body
    return {i["emergencyCallId"]: i for i in body["incidents"]}


def leases(client: Client) -> dict[str, str]:
    """Call id -> number, for every live lease in the pool view."""
    status, body = client.get("/api/manage/callback-numbers")
    assert status == 200, body
    return {n["lease"]["emergencyCallId"]: n["number"] for n in body["numbers"] if n["lease"]}


def notification_counts(stack: LocalStack, calls: dict[str, str]) -> tuple[int, int]:
    """(lost, duplicate) messages over `calls` (call id -> agent): what reached the ACS stand-in per operation id."""
    sent: dict[str, int] = {}
    for kind in ("email", "sms"):
        for r in stack.acs.requests(kind):
            sent[r["id"]] = sent.get(r["id"], 0) + 1
    lost = duplicate = 0
    for call_id, agent in calls.items():
        for channel, recipient in recipients(agent):
            n = sent.get(operation_id(call_id, channel, recipient), 0)  # type: ignore[arg-type]
            lost += n == 0
            duplicate += max(0, n - 1)
    return lost, duplicate


def wait_notified(stack: LocalStack, calls: dict[str, str], timeout: float = 60.0) -> tuple[int, int]:
    """Notification counts once every message has gone out, or when `timeout` runs out (bounded)."""
    wait_for(lambda: notification_counts(stack, calls)[0] == 0, timeout=timeout, interval=0.3)
    return notification_counts(stack, calls)


def stuck_dnd(client: Client, agents: Iterable[str]) -> list[str]:
    return [a for a in agents if client.get(f"/api/agents/{a}/presence")[1].get("emergency")]


def without_callback_window(client: Client, calls: dict[str, str]) -> list[str]:
    """The calls whose agent's panel does not show the callback window after the call (the window after the end
    is an hour: the panel counts it down and shows the number the responder calls back)."""
    missing = []
    for call_id, agent in calls.items():
        state = client.get(f"/api/agents/{agent}/emergency-state")[1]
        if not (state.get("callbackWindowOpen") and state.get("emergencyCallId") == call_id):
            missing.append(call_id)
    return missing


def redirect_counts(stack: LocalStack, contexts: Iterable[str]) -> tuple[int, int]:
    """(lost, duplicate) redirects of the callbacks whose incomingCallContext is in `contexts`."""
    first = [r["body"]["incomingCallContext"] for r in stack.acs.requests("redirect")]
    again = [r["body"]["incomingCallContext"] for r in stack.acs.requests("duplicateRedirect")]
    wanted = list(contexts)
    return sum(1 for c in wanted if c not in first), sum(again.count(c) + max(0, first.count(c) - 1) for c in wanted)


def redirect_target(stack: LocalStack, context: str) -> str | None:
    for r in stack.acs.requests("redirect"):
        if r["body"]["incomingCallContext"] == context:
            target = r["body"]["target"]
            return str(target.get("rawId") or target.get("communicationUser", {}).get("id"))
    return None



# --- events: as ACS publishes them, as Event Grid (re)delivers the app's own ---------------------------------------

def publish_acs(stack: LocalStack, events: list[dict[str, Any]] | dict[str, Any]) -> int:
    """ACS's events to the system topic; waits (bounded) until every delivery of them has settled."""
    status = stack.publish_acs(events)
    wait_for(lambda: stack.acs_settled(events), timeout=60, interval=0.05)
    return status


def stored_event(stack: LocalStack, event_id: str) -> dict[str, Any] | None:
    """The app's event as its topic accepted it (the first publish of that id), or None when never published."""
    found = stack.custom_topic.store().events(event_id)
    return found[0] if found else None


def deliver_internal(stack: LocalStack, event_id: str) -> list[int]:
    """Deliver the app's event to every function subscribed to its type, as Event Grid would (for a topic whose
    deliveries the test holds back); a handler answering 5xx gets it again, as Event Grid retries (bounded)."""
    event = stored_event(stack, event_id)
    if event is None:
        return []
    statuses = []
    for sub in load_subscriptions("internal"):
        if sub.wants(event["eventType"]):
            for _ in range(10):
                status = stack.client.event_grid(sub.function, [event])
                if status < 500:
                    break
                time.sleep(0.2)
            statuses.append(status)
    return statuses


def redeliver_internal(stack: LocalStack, event_id: str, times: int) -> list[int]:
    """Event Grid delivering the app's event `times` more times (in one publish: its deliveries run at once)."""
    event = stored_event(stack, event_id)
    assert event is not None, f"{event_id} was never published"
    return [stack.custom_topic.publish([event] * times)]


def sent_email_ids(stack: LocalStack) -> list[str]:
    return sorted({str(r["id"]) for r in stack.acs.requests("email")})


def email_report(client: Client, message_id: str) -> dict[str, Any]:
    """Microsoft.Communication.EmailDeliveryReportReceived: the mailbox took the message."""
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.EmailDeliveryReportReceived",
            "subject": f"sender/DoNotReply@notifications.example.com/message/{message_id}", "dataVersion": "1.0",
            "eventTime": client.now().isoformat(),
            "data": {"sender": "DoNotReply@notifications.example.com", "messageId": message_id, "status": "delivered",
                     "deliveryAttemptTimeStamp": client.now().isoformat()}}


def delivery_statuses(client: Client, call_id: str) -> list[str]:
    """The mailbox's verdict per email delivery of the call (admin deliveries view)."""
    status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
    assert status == 200, body
    return [str(d["deliveryStatus"]).lower() for d in body["deliveries"] if d["channel"] == "email"]


def board_disagreements(client: Client) -> list[str]:
    """Where the live board differs from the incidents and their deliveries (admin views): a call in progress or
    over, how many people were notified, who acknowledged. Empty when it agrees."""
    status, board = client.get("/api/manage/board")
    assert status == 200, board
    found = []
    known = incidents(client)
    for row in board["calls"]:
        call_id = row["emergencyCallId"]
        incident = known.get(call_id)
        if incident is None:
            found.append(f"{call_id}: on the board, no incident")
            continue
        status, body = client.get(f"/api/manage/incidents/{call_id}/deliveries")
        assert status == 200, body
        sent = body["deliveries"]
        notified = len({d["recipient"].casefold() for d in sent
                        if d["channel"] in ("email", "sms", "voice") and d["status"] == "accepted"})
        acknowledged = sum(1 for d in sent if d["acknowledgedAt"])
        if row["inProgress"] != (incident.get("endedAt") is None):
            found.append(f"{call_id}: inProgress {row['inProgress']}, incident ended at {incident.get('endedAt')}")
        if row["notification"]["notified"] != notified:
            found.append(f"{call_id}: {row['notification']['notified']} notified on the board, {notified} accepted")
        if len(row["notification"]["acknowledgements"]) > acknowledged:
            found.append(f"{call_id}: more acknowledgements on the board than recorded")
    return found


def sms_report(client: Client, message_id: str, status: str = "Delivered") -> dict[str, Any]:
    """Microsoft.Communication.SMSDeliveryReportReceived as the event schema's example writes it (PascalCase)."""
    now = client.now().isoformat()
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
            "subject": "/phonenumber/12025550100", "dataVersion": "1.0", "eventTime": now,
            "data": {"MessageId": message_id, "From": "12025550100", "To": SMS, "DeliveryStatus": status,
                     "DeliveryStatusDetails": "No error." if status == "Delivered" else "Carrier rejected",
                     "ReceivedTimestamp": now,
                     "DeliveryAttempts": [{"Timestamp": now, "SegmentsSucceeded": 2, "SegmentsFailed": 0}]}}
