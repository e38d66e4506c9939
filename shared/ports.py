"""Ports: one small Protocol per role the services need. Adapters implement them; tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from shared.domain.audit import AuditEntry, AuditQuery
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.delivery import Channel, Delivery, SendResult
from shared.domain.drills import Drill, Schedule
from shared.domain.escalation import Policy, PolicyVersion, Step
from shared.domain.lease import FreeSlot, IndexRow, Lease, PoolNumber
from shared.domain.notify_rules import NotifyRules
from shared.domain.presence import Presence
from shared.domain.routing import CallbackWindow
from shared.domain.routing_hold import RoutingHold, WorkerStatus
from shared.domain.sites import Network, Site
from shared.domain.template import NotificationTemplate, RenderedNotification
from shared.domain.template_versions import TemplateVersion
from shared.domain.voice_config import VoiceConfig, VoiceRecord


class StoreError(Exception):
    """Storage failed or is unreachable (transient: the platform may retry)."""


class Conflict(Exception):
    """A conditional write lost a race: someone else changed or created the record first."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class AgentStore(Protocol):
    def get(self, agent_id: str) -> Agent | None: ...
    def put(self, agent: Agent) -> Agent | None:
        """Create or replace; returns the agent it replaced (None when new)."""
        ...
    def list(self) -> list[Agent]: ...
    def by_acs_user(self, acs_user_id: str) -> Agent | None: ...
    def by_sign_in(self, user_id: str) -> str | None:
        """The agent id the signed-in user (Entra object id) acts as, or None."""
        ...


class Take(StrEnum):
    """What a lease of an indexed free number came to."""

    TAKEN = "taken"
    LOST = "lost"  # the number went to another call (or left the pool) since it was read
    AGENT = "agent"  # the agent's hint names a number: she may hold a lease already


class PoolStore(Protocol):
    """Callback numbers, one partition per region (country calling code), with a free-number index in it."""

    def list_region(self, region: str) -> list[PoolNumber]: ...
    def list_all(self) -> list[PoolNumber]: ...
    def get(self, number: str) -> PoolNumber | None: ...
    def add(self, number: PoolNumber) -> None: ...
    def replace(self, old: PoolNumber, new: PoolNumber) -> bool:
        """Write `new` only if the number is unchanged since `old` was read; False when someone else changed it."""
        ...
    def claim(self, held: PoolNumber, claimed: PoolNumber) -> bool:
        """A dial claims its pre-dial hold: only the lease's claim changes (not its expiry, number or agent), only
        if the number is unchanged since `held` was read; False when someone else changed it."""
        ...
    def remove(self, number: PoolNumber) -> bool: ...
    def free_numbers(self, region: str, until: datetime, limit: int) -> list[FreeSlot]:
        """At most `limit` numbers free since `until` or earlier, least recently used first; one request."""
        ...
    def take(self, slot: FreeSlot, lease: Lease, agent_hint: str | None = None, holds: tuple[str, ...] = ()) -> Take:
        """Lease `slot`'s number if its index row is unchanged since read, and the agent's row too (`agent_hint`:
        its version; None: it must not exist); `holds`: her other numbers, kept in her row. One transaction."""
        ...
    def leased_to_call(self, region: str, call_id: str) -> PoolNumber | None:
        """The number the call's index row names (its lease to be checked), None without one."""
        ...
    def agent_holds(self, region: str, agent_id: str) -> tuple[list[PoolNumber], str | None]:
        """The numbers the agent's index row names, as they are now, and that row's version ([], None without
        one)."""
        ...
    def list_index(self) -> Sequence[IndexRow]: ...
    def index_number(self, number: PoolNumber) -> bool:
        """Give an in-service number its missing free-index row, if unchanged since read."""
        ...
    def drop_index(self, row: IndexRow) -> bool:
        """Remove an index row if unchanged since read."""
        ...


class PresenceStore(Protocol):
    def get(self, agent_id: str) -> tuple[Presence, str | None]:
        """The presence and its version tag (None when never stored)."""
        ...
    def save(self, presence: Presence, version: str | None) -> None:
        """Write if unchanged since read (raise Conflict otherwise)."""
        ...
    def in_emergency(self) -> list[Presence]: ...


@dataclass(frozen=True)
class BoardRow:
    """One call on the live board's index: the board's summary of it (None until one is kept), whether the summary
    was made since the call's last change (`current`), when, and the row's version and change mark (for `keep`)."""

    call_id: str
    summary: dict[str, Any] | None = None
    current: bool = False
    summarized_at: datetime | None = None
    version: str | None = None
    change: str | None = None


class CallStore(Protocol):
    """Emergency call records (incidents)."""

    def create(self, call: EmergencyCall) -> bool:
        """Insert; False if a record with this id exists already."""
        ...
    def get(self, call_id: str) -> tuple[EmergencyCall, str] | None: ...
    def save(self, call: EmergencyCall, version: str) -> None: ...
    def mark_announced(self, call_id: str) -> None:
        """Set only the outbox flag (a merge, so it never undoes a concurrent change); nothing when absent."""
        ...
    def link(self, call_id: str, server_call_id: str | None, correlation_id: str | None) -> None: ...
    def find_linked(self, server_call_id: str | None, correlation_id: str | None) -> str | None: ...
    def remember_end(self, server_call_id: str | None, correlation_id: str | None, ended_at: datetime) -> None:
        """Keep an ACS CallEnded that matched no emergency call yet (its call-ids may still be on their way)."""
        ...
    def remembered_end(self, server_call_id: str | None, correlation_id: str | None) -> datetime | None: ...
    def board_rows(self) -> list[BoardRow]:
        """The calls the live board lists: each announced (or rebuilt) call is added, the board drops it once its
        window has closed. One query of a small index, never the history. Every write of the call's record, its
        delivery records or its escalation steps marks its row changed."""
        ...
    def keep_board_summary(self, row: BoardRow, summary: dict[str, Any], at: datetime) -> bool:
        """Keep the board's summary of the call, made from reads after `row` was read; False (nothing kept) when
        the row changed or left the index since."""
        ...
    def off_board(self, call_id: str) -> None:
        """Drop the call from the board's index (its window has closed); absent already is no error."""
        ...
    def list(self) -> list[EmergencyCall]: ...
    def delete(self, call_id: str) -> None: ...


class HistoryStore(Protocol):
    """The agent's call history: normal calls only."""

    def add(self, agent_id: str, entry_id: str, entry: dict[str, Any]) -> None: ...
    def list(self, agent_id: str) -> list[dict[str, Any]]: ...


class EventPublisher(Protocol):
    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        """Hand the event to the bus; delivery is at least once and may happen after this returns."""
        ...


class CallbackWindowStore(Protocol):
    """Emergency callback windows, one per call, found by the agent's ACS identity (callback path) or agent id
    (panel): a call's window is its own, so no later call of the agent can shorten or replace it."""

    def open(self, window: CallbackWindow) -> None:
        """Write the call's window (idempotent; it replaces only the same call's window)."""
        ...
    def of_call(self, acs_user_id: str, call_id: str) -> CallbackWindow | None: ...
    def by_identity(self, acs_user_id: str) -> list[CallbackWindow]:
        """Every window kept for the identity, open or not (kept until the incident's purge); one query."""
        ...
    def by_agent(self, agent_id: str) -> list[CallbackWindow]: ...
    def forget(self, acs_user_id: str, agent_id: str, call_id: str) -> None:
        """Remove the call's window (the incident's purge); absent already is no error."""
        ...


class ClaimState(StrEnum):
    WON = "won"  # this delivery holds the claim: it redirects
    BUSY = "busy"  # another delivery holds a claim that has not expired: it is redirecting right now
    DONE = "done"  # the call was redirected already


class IncomingCallLog(Protocol):
    """Per ringing call: who redirects it. A claim is "in progress" until `until`; a crashed holder's claim expires
    and the next delivery takes it over, so a crash never turns into a lost callback."""

    def claim(self, key: str, event_id: str, now: datetime, until: datetime) -> ClaimState:
        """Conditional insert, or a conditional take-over of an expired claim."""
        ...
    def complete(self, key: str) -> None:
        """The redirect has left: every later delivery is a duplicate."""
        ...
    def unclaim(self, key: str, event_id: str) -> None:
        """Give back a claim this delivery holds (its redirect failed); another delivery's claim is left alone."""
        ...


class CallControl(Protocol):
    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        """Redirect a ringing call (Call Automation redirect_call); raises CallControlError."""
        ...


class CallControlError(Exception):
    """Call Automation refused or failed the action."""


# --- the routing engine (issue 12, part 4) ------------------------------------------------------------------------


class RoutingEngineError(Exception):
    """The routing engine refused or could not be reached; the timer tries again."""


class WorkerNotFound(RoutingEngineError):
    """The engine has no worker with this id (registered later, the next try finds it)."""


class RoutingEngine(Protocol):
    """Whatever offers the agent her next customer. `configured` False: no engine, every call a no-op."""

    name: str
    configured: bool

    def hold(self, agent: Agent, call_id: str) -> bool | None:
        """Stop offers to the agent for this emergency call; idempotent per call (a repeat changes nothing and
        answers the same). Returns whether the worker took offers before (None when the engine does not say).
        Raises RoutingEngineError (WorkerNotFound when the worker does not exist)."""
        ...
    def release(self, agent: Agent, call_id: str) -> None:
        """Undo this call's hold, and only what it changed; idempotent; nothing when the call holds nothing."""
        ...
    def status(self, agent: Agent) -> WorkerStatus:
        """Whether the engine knows the agent's worker (readiness); never raises."""
        ...


class RoutingHoldStore(Protocol):
    """Per agent and emergency call: what the app wants of the routing engine, and whether it is done."""

    def get(self, agent_id: str, call_id: str) -> RoutingHold | None: ...
    def create(self, hold: RoutingHold) -> RoutingHold:
        """Insert; Conflict when it exists. Returns it with its version."""
        ...
    def replace(self, hold: RoutingHold) -> RoutingHold:
        """Write if unchanged since `hold.version` was read; Conflict otherwise."""
        ...
    def unsettled(self) -> list[RoutingHold]:
        """Every hold that is not a completed release (wanted holds, and releases still to do)."""
        ...


class Concurrency(Protocol):
    """How a use case overlaps independent round trips, and defers what its answer need not wait for."""

    def all(self, *calls: Callable[[], Any]) -> list[Any]:
        """Run the calls at once and return their results in order; a call's exception is raised here once all
        have finished (calls catch what they expect themselves)."""
        ...

    def later(self, call: Callable[[], None]) -> None:
        """Run `call` after the caller has answered, without waiting for it. It may be lost with the process, so
        it must be work that the timer or a redelivery also finishes (a mark, never an effect)."""
        ...


class Ports(Protocol):
    """Everything a use case may touch."""

    clock: Clock
    agents: AgentStore
    pool: PoolStore
    presence: PresenceStore
    calls: CallStore
    history: HistoryStore
    events: EventPublisher
    windows: CallbackWindowStore
    incoming: IncomingCallLog
    call_control: CallControl
    voice_setup: VoiceSetupReader
    routing: RoutingEngine
    routing_holds: RoutingHoldStore
    concurrency: Concurrency


# --- notification (issue 3, section 2) ---------------------------------------------------------------------------


class SendError(Exception):
    """A message could not be handed to the service; `transient` says whether trying again may succeed."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Mailer(Protocol):
    def send(self, to: str, message: RenderedNotification, operation_id: str) -> SendResult:
        """Send one email; the same operation id is sent once by the service (for minutes). Refusals are returned,
        transient failures raise SendError(transient=True). Time limit about 30 s."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, text: str, repeatability_id: str, first_sent: datetime) -> SendResult:
        """Send one SMS with a stable repeatability id (first_sent: the first attempt); as Mailer.send."""
        ...


class VoiceCaller(Protocol):
    """Escalation calls through Call Automation (issue 20); every failure raises SendError (transient or not)."""

    def place(self, to: str, callback_url: str, context: str, request_id: str, first_sent: datetime) -> str:
        """Dial `to` (E.164) from the app's caller id; the call connection id. Events follow at `callback_url`.
        The same `request_id` and `first_sent` again within ACS's repeatability window dial nobody twice."""
        ...

    def is_active(self, connection_id: str) -> bool:
        """Whether the call is still ringing or connected (False once ACS has ended it or does not know it)."""
        ...

    def ask(self, connection_id: str, to: str, text: str, context: str, locale: str | None = None) -> None:
        """Read `text` in `locale`'s voice and collect one DTMF key from `to` (RecognizeCompleted /
        RecognizeFailed follow)."""
        ...

    def say(self, connection_id: str, text: str, context: str, locale: str | None = None) -> None:
        """Read `text` in `locale`'s voice (PlayCompleted / PlayFailed follow)."""
        ...

    def hang_up(self, connection_id: str) -> None: ...


class CallbackVerifier(Protocol):
    def verify(self, authorization: str | None) -> None:
        """Accept a Call Automation callback's Authorization header; CallbackRefused (not ACS's: 401) or
        CallbackUnverifiable (ACS's keys not readable now: 503)."""
        ...


class CallbackRefused(Exception):
    """A callback that is not ACS's: no token, a token not signed by ACS's keys, for another resource, or expired."""


class CallbackUnverifiable(Exception):
    """ACS's signing keys cannot be read now: the callback may well be ACS's, but nothing unverified is believed."""


class DeliveryStore(Protocol):
    """Per emergency call, channel and recipient: the delivery record. Writes are conditional."""

    def get(self, call_id: str, channel: Channel, recipient: str) -> Delivery | None: ...
    def create(self, delivery: Delivery) -> Delivery:
        """Insert; Conflict when the record exists. Returns it with its version."""
        ...
    def replace(self, delivery: Delivery) -> Delivery:
        """Write if unchanged since `delivery.version` was read; Conflict otherwise. Returns the new version."""
        ...
    def by_message_id(self, message_id: str) -> Delivery | None:
        """The delivery an operation id or service message id belongs to (for delivery reports)."""
        ...
    def by_ack_token(self, token: str) -> Delivery | None:
        """The delivery a recipient's acknowledgement token belongs to; None for any other string."""
        ...
    def latest_sms_to(self, number: str) -> Delivery | None:
        """The latest SMS notification to `number`, whichever call it was for (an SMS reply acknowledges it)."""
        ...
    def list(self, call_id: str) -> list[Delivery]: ...
    def purge(self, call_id: str) -> int:
        """Delete the call's records and their id index (incident retention); idempotent; returns how many."""
        ...


class IncidentQueries(Protocol):
    """Read-only queries over the incidents for the evidence views (list, export, compliance): never on a dial's
    path, so they may read many rows."""

    def dialed_between(self, start: datetime | None, end: datetime | None, test: bool | None = None,
                       agent_id: str | None = None) -> list[EmergencyCall]:
        """The incidents dialed in [start, end) (a bound None: open), of one kind and one agent when given; the
        store filters what it can, one query."""
        ...
    def deliveries_of(self, call_ids: Sequence[str], since: datetime | None,
                      until: datetime | None = None) -> dict[str, list[Delivery]]:
        """The delivery records of the given calls (warnings included), by call id. `since` and `until`: their
        earliest and latest dial, so a store may read one time range instead of one partition per call."""
        ...


class TemplateStore(Protocol):
    """Versions of the "Emergency call notification" template; a save never overwrites."""

    def current(self) -> TemplateVersion | None: ...
    def save(self, template: NotificationTemplate, author: str, at: datetime,
             restored_from: int | None = None) -> TemplateVersion:
        """Store the next version; Conflict when another save took that number first."""
        ...
    def versions(self) -> list[TemplateVersion]:
        """All versions, newest first."""
        ...
    def get(self, version: int) -> TemplateVersion | None: ...


class NotifyPorts(Protocol):
    """What the notification use cases touch; `sms` is None when no SMS sender is configured."""

    clock: Clock
    agents: AgentStore
    calls: CallStore
    mailer: Mailer
    sms: SmsSender | None
    deliveries: DeliveryStore
    templates: TemplateStore
    sites: SiteStore


# --- administration (issue 4): voice setup, audit log ------------------------------------------------------------


class VoiceSetupReader(Protocol):
    """The voice setup as a dial reads it (recent enough: adapters/voice_cache.py)."""

    def load(self) -> VoiceConfig: ...


class VoiceConfigStore(Protocol):
    """Capacity and outbound profiles, the resource's numbers and direct-routing rules (small: read whole)."""

    def load(self) -> VoiceConfig: ...
    def put(self, record: VoiceRecord) -> None: ...
    def delete(self, kind: str, key: str) -> bool:
        """False when there was no such record."""
        ...


class AuditLog(Protocol):
    """Append-only record of every change an admin made."""

    def append(self, entries: Sequence[AuditEntry]) -> None:
        """Store the entries of one change together (all or none)."""
        ...
    def recent(self, query: AuditQuery) -> list[AuditEntry]:
        """The entries of the newest `query.limit` changes that match it, whole: newest change first, each
        change's entries in the order they were written."""
        ...


class SiteStore(Protocol):
    """The contact center's sites and the networks that suggest them (small: read whole)."""

    def list_sites(self) -> list[Site]: ...
    def get_site(self, site_id: str) -> Site | None: ...
    def put_site(self, site: Site, create_only: bool = False) -> None:
        """`create_only`: Conflict when the site exists."""
        ...
    def delete_site(self, site_id: str) -> bool:
        """False when there was no such site."""
        ...
    def list_networks(self) -> list[Network]: ...
    def put_network(self, network: Network) -> None: ...
    def delete_network(self, cidr: str) -> bool: ...
    def get_notify_rules(self) -> NotifyRules | None:
        """Who is told of a call per dialed number, as the admin set it; None before any admin did."""
        ...
    def put_notify_rules(self, rules: NotifyRules) -> None: ...
    def get_escalation_policy(self) -> Policy | None:
        """The admin's escalation policy; None before any admin set one."""
        ...
    def put_escalation_policy(self, policy: Policy) -> None: ...
    def current_escalation_policy(self) -> PolicyVersion | None:
        """The newest saved version (its policy None when this release cannot read it), or None."""
        ...
    def escalation_policy_versions(self) -> list[PolicyVersion]:
        """Every saved version, newest first."""
        ...
    def escalation_policy_version(self, version: int) -> PolicyVersion | None: ...
    def save_escalation_policy(self, policy: Policy, version: int, author: str, at: datetime,
                               restored_from: int | None = None) -> PolicyVersion:
        """Insert that version; Conflict when another save took the number first."""
        ...


class EscalationStore(Protocol):
    """Escalation steps (issue 20), each written conditionally."""

    def schedule(self, step: Step) -> bool:
        """Insert; False when scheduled already."""
        ...
    def due(self, now: datetime, stuck_after: timedelta) -> list[Step]: ...
    def of_call(self, call_id: str) -> list[Step]: ...
    def save(self, step: Step, claimed_at: datetime | None = None) -> Step:
        """Write if unchanged since `step.version` was read; Conflict otherwise."""
        ...


class SitePorts(Protocol):
    """What the site use cases touch."""

    clock: Clock
    agents: AgentStore
    sites: SiteStore
    audit: AuditLog


class AdminPorts(Protocol):
    """What the admin use cases touch."""

    clock: Clock
    agents: AgentStore
    pool: PoolStore
    voice_config: VoiceConfigStore
    sites: SiteStore
    audit: AuditLog


# --- drills (issue 21, item 2) -----------------------------------------------------------------------------------


class DrillStore(Protocol):
    """933 drills and the admins' drill schedules; every change of a drill is conditional."""

    def create(self, drill: Drill) -> Drill:
        """Insert; Conflict when the drill exists. Returns it with its version."""
        ...
    def get(self, drill_id: str) -> Drill | None: ...
    def replace(self, drill: Drill) -> Drill:
        """Write if unchanged since `drill.version` was read; Conflict otherwise."""
        ...
    def delete(self, drill: Drill) -> None:
        """Remove if unchanged since read (Conflict otherwise); absent already is no error."""
        ...
    def add_schedule(self, schedule: Schedule) -> None:
        """Insert; Conflict when the id exists."""
        ...
    def schedules(self) -> list[Schedule]: ...
    def delete_schedule(self, schedule_id: str) -> bool:
        """False when there was no such schedule."""
        ...
    def list(self, agent_id: str | None = None) -> list[Drill]:
        """Newest first; every agent's, or one agent's."""
        ...


class DrillPorts(Protocol):
    """What the drill use cases touch: the drill store, and the records a report is judged from."""

    clock: Clock
    agents: AgentStore
    calls: CallStore
    presence: PresenceStore
    deliveries: DeliveryStore
    drills: DrillStore
    audit: AuditLog
