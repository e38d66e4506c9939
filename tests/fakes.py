"""In-memory fakes of our ports for unit tests (never used in integration or end-to-end tests)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.clock import FixedClock
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.escalation import Policy, PolicyVersion, Step
from shared.domain.lease import FreeSlot, IndexRow, Lease, LeasePolicy, PoolNumber
from shared.domain.notify_rules import NotifyRules
from shared.domain.presence import Presence
from shared.domain.sites import Network, Site
from shared.domain.voice_config import VoiceConfig, VoiceRecord
from shared.ports import BoardRow, ClaimState, Conflict, StoreError, Take
from tests.fakes_routing import FakeRoutingEngine, FakeRoutingHolds

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
_versions = itertools.count(1)


def _v() -> str:
    return str(next(_versions))


class FakeAgents:
    def __init__(self) -> None:
        self.rows: dict[str, Agent] = {}
        self.down = False

    def get(self, agent_id: str) -> Agent | None:
        if self.down:
            raise StoreError("storage down")
        return self.rows.get(agent_id)

    def put(self, agent: Agent) -> Agent | None:
        old = self.rows.get(agent.agent_id)
        self.rows[agent.agent_id] = agent
        return old

    def list(self) -> list[Agent]:
        return list(self.rows.values())

    def by_acs_user(self, acs_user_id: str) -> Agent | None:
        return next((a for a in self.rows.values() if a.acs_user_id == acs_user_id), None)

    def by_sign_in(self, user_id: str) -> str | None:
        if self.down:
            raise StoreError("storage down")
        return next((a.agent_id for a in self.rows.values() if a.sign_in_id == user_id), None)


class FakePool:
    """The pool with its free-number index, as the table adapter keeps them: one free slot per number in service
    at the instant it becomes free, and the hints of each lease's call and agent."""

    def __init__(self) -> None:
        self.rows: dict[str, PoolNumber] = {}
        self.slots: dict[str, FreeSlot] = {}  # by number
        self.hints: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, owner) -> (number, version)
        self.holds: dict[str, tuple[str, ...]] = {}  # agent -> the other numbers her row names
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreError("storage down")

    def _slot_for(self, n: PoolNumber) -> None:
        """Move the number's free slot to where it now belongs (none when retired)."""
        current = self.slots.get(n.number)
        if n.retired:
            self.slots.pop(n.number, None)
        elif current is None or current.since != n.free_since():
            self.slots[n.number] = FreeSlot(n.number, n.region, n.free_since(), _v())

    def list_region(self, region: str) -> list[PoolNumber]:
        self._check()
        return [n for n in self.rows.values() if n.region == region]

    def list_all(self) -> list[PoolNumber]:
        self._check()
        return list(self.rows.values())

    def get(self, number: str) -> PoolNumber | None:
        self._check()
        return self.rows.get(number)

    def add(self, number: PoolNumber) -> None:
        if number.number in self.rows:
            raise Conflict("exists")
        self.rows[number.number] = replace(number, version=_v())
        self._slot_for(number)

    def replace(self, old: PoolNumber, new: PoolNumber) -> bool:
        self._check()
        current = self.rows.get(old.number)
        if current is None or current.version != old.version:
            return False
        self.rows[old.number] = replace(new, version=_v())
        self._slot_for(new)
        if new.lease is not None and (old.lease is None or old.lease.call_id != new.lease.call_id):
            self.hints[("call", new.lease.call_id)] = (new.number, _v())
            self.hints[("agent", new.lease.agent_id)] = (new.number, _v())
        return True

    def claim(self, held: PoolNumber, claimed: PoolNumber) -> bool:
        self._check()
        current = self.rows.get(held.number)
        if current is None or current.version != held.version:
            return False
        self.rows[held.number] = replace(claimed, version=_v())
        return True

    def remove(self, number: PoolNumber) -> bool:
        self.slots.pop(number.number, None)
        return self.rows.pop(number.number, None) is not None

    def free_numbers(self, region: str, until: datetime, limit: int) -> list[FreeSlot]:
        self._check()
        free = [s for s in self.slots.values() if s.region == region and (s.since is None or s.since <= until)]
        return sorted(free, key=lambda s: (s.since is not None, s.since or until, s.number))[:limit]

    def take(self, slot: FreeSlot, lease: Lease, agent_hint: str | None = None, holds: tuple[str, ...] = ()) -> Take:
        self._check()
        current = self.slots.get(slot.number)
        if current is None or current.version != slot.version:
            return Take.LOST
        hint = self.hints.get(("agent", lease.agent_id))
        if (hint[1] if hint else None) != agent_hint:
            return Take.AGENT
        taken = PoolNumber(slot.number, slot.region, lease=lease, released_at=slot.since, version=_v())
        self.rows[slot.number] = taken
        self._slot_for(taken)
        self.hints[("call", lease.call_id)] = (slot.number, _v())
        self.hints[("agent", lease.agent_id)] = (slot.number, _v())
        self.holds[lease.agent_id] = tuple(dict.fromkeys((*holds, slot.number)))
        return Take.TAKEN

    def _hinted(self, kind: str, owner: str) -> tuple[PoolNumber | None, str | None]:
        self._check()
        hint = self.hints.get((kind, owner))
        return (self.rows.get(hint[0]), hint[1]) if hint else (None, None)

    def leased_to_call(self, region: str, call_id: str) -> PoolNumber | None:
        return self._hinted("call", call_id)[0]

    def agent_holds(self, region: str, agent_id: str) -> tuple[list[PoolNumber], str | None]:
        _, version = self._hinted("agent", agent_id)
        if version is None:
            return [], None
        named = dict.fromkeys([self.hints[("agent", agent_id)][0], *self.holds.get(agent_id, ())])
        return [self.rows[n] for n in named if n in self.rows], version

    def list_index(self) -> list[IndexRow]:
        self._check()
        rows = [IndexRow(s.region, f"free|{s.number}", "free", s.number, since=s.since, version=s.version)
                for s in self.slots.values()]
        return rows + [IndexRow(self.rows[number].region if number in self.rows else "1", f"{kind}|{owner}", kind,
                                number, owner=owner, version=version,
                                holds=self.holds.get(owner, ()) if kind == "agent" else ())
                       for (kind, owner), (number, version) in self.hints.items()]

    def index_number(self, number: PoolNumber) -> bool:
        current = self.rows.get(number.number)
        if current is None or current.version != number.version or number.number in self.slots or number.retired:
            return False
        self.slots[number.number] = FreeSlot(number.number, number.region, number.free_since(), _v())
        return True

    def drop_index(self, row: IndexRow) -> bool:
        if row.kind == "free":
            slot = self.slots.get(row.number)
            if slot is None or slot.version != row.version:
                return False
            del self.slots[row.number]
            return True
        hint = self.hints.get((row.kind, row.owner))
        if hint is None or hint[1] != row.version:
            return False
        del self.hints[(row.kind, row.owner)]
        return True


class FakePresence:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[Presence, str]] = {}

    def get(self, agent_id: str) -> tuple[Presence, str | None]:
        if agent_id in self.rows:
            return self.rows[agent_id]
        return Presence(agent_id=agent_id), None

    def save(self, presence: Presence, version: str | None) -> None:
        current = self.rows.get(presence.agent_id)
        if (current[1] if current else None) != version:
            raise Conflict("changed")
        self.rows[presence.agent_id] = (presence, _v())

    def in_emergency(self) -> list[Presence]:
        return [p for p, _ in self.rows.values() if p.in_emergency]


class FakeCalls:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[EmergencyCall, str]] = {}
        self.links: dict[str, str] = {}
        self.ends: dict[str, datetime] = {}
        self.down = False
        # The board's index, listed as TableCallStore lists it: call id -> its kept summary and when, or None. The
        # fakes of the delivery and step stores mark no change, so a kept summary is trusted only when a test says
        # so (`trust_board_summaries`) and marks changes itself (`touch_board`).
        self.board: dict[str, tuple[dict[str, Any], datetime] | None] = {}
        self.trust_board_summaries = False

    def board_rows(self) -> list[BoardRow]:
        self._check()
        return [BoardRow(call_id, kept[0] if kept else None, self.trust_board_summaries and kept is not None,
                         kept[1] if kept else None) for call_id, kept in sorted(self.board.items())]

    def keep_board_summary(self, row: BoardRow, summary: dict[str, Any], at: datetime) -> bool:
        if row.call_id not in self.board:
            return False
        self.board[row.call_id] = (summary, at)
        return True

    def touch_board(self, call_id: str) -> None:
        if call_id in self.board:
            self.board[call_id] = None

    def off_board(self, call_id: str) -> None:
        self.board.pop(call_id, None)

    def mark_announced(self, call_id: str) -> None:
        self._check()
        self.board[call_id] = None
        if call_id in self.rows:
            self.rows[call_id] = (replace(self.rows[call_id][0], announced=True), _v())

    def remember_end(self, server_call_id: str | None, correlation_id: str | None, ended_at: datetime) -> None:
        for key in (server_call_id, correlation_id):
            if key:
                self.ends[key] = ended_at

    def remembered_end(self, server_call_id: str | None, correlation_id: str | None) -> datetime | None:
        return self.ends.get(correlation_id or "") or self.ends.get(server_call_id or "")

    def _check(self) -> None:
        if self.down:
            raise StoreError("storage down")

    def create(self, call: EmergencyCall) -> bool:
        self._check()
        if call.call_id in self.rows:
            return False
        self.rows[call.call_id] = (call, _v())
        if call.origin not in ("dial", "end"):
            self.board[call.call_id] = None
        return True

    def get(self, call_id: str) -> tuple[EmergencyCall, str] | None:
        self._check()
        return self.rows.get(call_id)

    def save(self, call: EmergencyCall, version: str) -> None:
        if self.rows[call.call_id][1] != version:
            raise Conflict("changed")
        self.rows[call.call_id] = (call, _v())
        self.touch_board(call.call_id)

    def link(self, call_id: str, server_call_id: str | None, correlation_id: str | None) -> None:
        for key in (server_call_id, correlation_id):
            if key:
                self.links[key] = call_id

    def find_linked(self, server_call_id: str | None, correlation_id: str | None) -> str | None:
        return self.links.get(correlation_id or "") or self.links.get(server_call_id or "")

    def list(self) -> list[EmergencyCall]:
        return [c for c, _ in self.rows.values()]

    def delete(self, call_id: str) -> None:
        self.rows.pop(call_id, None)
        self.board.pop(call_id, None)


class FakeHistory:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, agent_id: str, entry_id: str, entry: dict[str, Any]) -> None:
        self.rows.setdefault(agent_id, {})[entry_id] = entry

    def list(self, agent_id: str) -> list[dict[str, Any]]:
        return list(self.rows.get(agent_id, {}).values())


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.fail = False

    def publish(self, event_type: str, subject: str, data: dict[str, Any], event_id: str) -> None:
        if self.fail:
            raise ConnectionError("topic unreachable")
        self.published.append((event_type, data))


class FakeVoiceConfig:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], VoiceRecord] = {}

    def load(self) -> VoiceConfig:
        return VoiceConfig.of(list(self.rows.values()))

    def put(self, record: VoiceRecord) -> None:
        self.rows[(record.KIND, record.key)] = record

    def delete(self, kind: str, key: str) -> bool:
        return self.rows.pop((kind, key), None) is not None


class Sequential:
    """Concurrency without threads, for unit tests: the calls run one after another in a fixed order (`reverse`
    runs them last to first: together the two orders show that no call relies on another's effect), and the
    deferred work runs at once, before the answer, so every step is counted in the same order each run."""

    def __init__(self, reverse: bool = False) -> None:
        self.reverse = reverse
        self.deferred = 0

    def all(self, *calls: Any) -> list[Any]:
        order = list(range(len(calls)))
        results: dict[int, Any] = {}
        errors: list[Exception] = []
        for i in reversed(order) if self.reverse else order:
            try:
                results[i] = calls[i]()
            except Exception as exc:  # raised once all have run, as the threads do; Killed (a death) is not caught
                errors.append(exc)
        if errors:
            raise errors[0]
        return [results[i] for i in order]

    def later(self, call: Any) -> None:
        self.deferred += 1
        call()


class FakeSites:
    def __init__(self) -> None:
        self.sites: dict[str, Site] = {}
        self.networks: dict[str, Network] = {}
        self.rules: NotifyRules | None = None
        self.policy_versions: dict[int, PolicyVersion] = {}  # the escalation policy's, as the table keeps them

    def list_sites(self) -> list[Site]:
        return list(self.sites.values())

    def get_site(self, site_id: str) -> Site | None:
        return self.sites.get(site_id)

    def put_site(self, site: Site, create_only: bool = False) -> None:
        if create_only and site.site_id in self.sites:
            raise Conflict(f"site {site.site_id} exists")
        self.sites[site.site_id] = site

    def delete_site(self, site_id: str) -> bool:
        return self.sites.pop(site_id, None) is not None

    def list_networks(self) -> list[Network]:
        return list(self.networks.values())

    def put_network(self, network: Network) -> None:
        self.networks[network.cidr] = network

    def delete_network(self, cidr: str) -> bool:
        return self.networks.pop(cidr, None) is not None

    def get_notify_rules(self) -> NotifyRules | None:
        return self.rules

    def put_notify_rules(self, rules: NotifyRules) -> None:
        self.rules = rules

    def get_escalation_policy(self) -> Policy | None:
        current = self.current_escalation_policy()
        return current.policy if current else None

    def current_escalation_policy(self) -> PolicyVersion | None:
        return self.policy_versions[max(self.policy_versions)] if self.policy_versions else None

    def escalation_policy_versions(self) -> list[PolicyVersion]:
        return sorted(self.policy_versions.values(), key=lambda v: v.version, reverse=True)

    def escalation_policy_version(self, version: int) -> PolicyVersion | None:
        return self.policy_versions.get(version)

    def save_escalation_policy(self, policy: Policy, version: int, author: str, at: datetime,
                               restored_from: int | None = None) -> PolicyVersion:
        if version in self.policy_versions:
            raise Conflict(f"version {version} exists")
        self.policy_versions[version] = PolicyVersion(version, policy, author, at, restored_from)
        return self.policy_versions[version]

    def put_escalation_policy(self, policy: Policy) -> None:
        current = self.current_escalation_policy()
        self.save_escalation_policy(policy, (current.version if current else 0) + 1, "unknown", T0)


class FakeEscalations:
    """Steps with versions, conditional like the table."""

    def __init__(self) -> None:
        self.steps: dict[tuple[str, int], Step] = {}
        self.claims: dict[tuple[str, int], datetime] = {}
        self._versions = iter(range(1, 1_000_000))

    def schedule(self, step: Step) -> bool:
        if (step.call_id, step.index) in self.steps:
            return False
        self.steps[(step.call_id, step.index)] = replace(step, version=str(next(self._versions)))
        return True

    def due(self, now: datetime, stuck_after: timedelta) -> list[Step]:
        return sorted((s for k, s in self.steps.items() if s.due_at <= now and (
            s.status == "pending" or (s.status == "running" and self.claims.get(k, now) <= now - stuck_after))),
            key=lambda s: s.due_at)

    def of_call(self, call_id: str) -> list[Step]:
        return sorted((s for s in self.steps.values() if s.call_id == call_id), key=lambda s: s.index)

    def save(self, step: Step, claimed_at: datetime | None = None) -> Step:
        key = (step.call_id, step.index)
        if key not in self.steps or self.steps[key].version != step.version:
            raise Conflict("changed")
        if claimed_at is not None:
            self.claims[key] = claimed_at
        self.steps[key] = replace(step, version=str(next(self._versions)))
        return self.steps[key]


class FakeDeps:
    """All ports in memory, a fixed clock at T0 and the default lease policy."""

    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.agents = FakeAgents()
        self.pool = FakePool()
        self.presence = FakePresence()
        self.calls = FakeCalls()
        self.history = FakeHistory()
        self.events = FakeEvents()
        self.windows = FakeWindows()
        self.incoming = FakeIncoming()
        self.call_control = FakeCallControl()
        self.telemetry = FakeTelemetry()
        self.voice_setup = FakeVoiceConfig()
        self.routing = FakeRoutingEngine()
        self.routing_holds = FakeRoutingHolds()
        self.concurrency = Sequential()
        self.sites = FakeSites()
        self.escalations = FakeEscalations()
        self.voice: Any = None  # tests/fakes_voice.py FakeVoice where a test calls by voice
        self.policy = LeasePolicy(window=timedelta(minutes=60), quarantine=timedelta(minutes=10),
                                  max_call=timedelta(hours=4))

    def add_numbers(self, *numbers: str, region: str = "1") -> None:
        for n in numbers:
            self.pool.add(PoolNumber(number=n, region=region))


class FakeWindows:
    """One window per call, found by identity or agent, as the table adapter keeps them."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Any] = {}  # (partition, call id) -> window

    def open(self, window: Any) -> None:
        self.rows[("acs:" + window.acs_user_id, window.call_id)] = window
        self.rows[("agent:" + window.agent_id, window.call_id)] = window

    def of_call(self, acs_user_id: str, call_id: str) -> Any:
        return self.rows.get(("acs:" + acs_user_id, call_id))

    def by_identity(self, acs_user_id: str) -> list[Any]:
        return [w for (pk, _), w in self.rows.items() if pk == "acs:" + acs_user_id]

    def by_agent(self, agent_id: str) -> list[Any]:
        return [w for (pk, _), w in self.rows.items() if pk == "agent:" + agent_id]

    def forget(self, acs_user_id: str, agent_id: str, call_id: str) -> None:
        self.rows.pop(("acs:" + acs_user_id, call_id), None)
        self.rows.pop(("agent:" + agent_id, call_id), None)

    def latest(self, acs_user_id: str) -> Any:
        """The identity's window that lasts longest (None without one): what tests of one call look at."""
        return max(self.by_identity(acs_user_id), key=lambda w: w.until, default=None)


class FakeIncoming:
    """Claims as the table adapter keeps them: key -> ("in_progress", until) or ("done", None)."""

    def __init__(self) -> None:
        self.claims: dict[str, tuple[str, datetime | None]] = {}
        self.down = False

    def claim(self, key: str, event_id: str, now: datetime, until: datetime) -> ClaimState:
        if self.down:
            raise StoreError("storage down")
        current = self.claims.get(key)
        if current is not None and current[0] == "done":
            return ClaimState.DONE
        if current is not None and current[1] is not None and current[1] > now:
            return ClaimState.BUSY
        self.claims[key] = ("in_progress", until)
        return ClaimState.WON

    def complete(self, key: str) -> None:
        if self.down:
            raise StoreError("storage down")
        self.claims[key] = ("done", None)

    def unclaim(self, key: str, event_id: str) -> None:
        if self.claims.get(key, ("", None))[0] == "in_progress":
            self.claims.pop(key, None)


class FakeCallControl:
    def __init__(self) -> None:
        self.redirects: list[tuple[str, str]] = []
        self.fail = False

    def redirect(self, incoming_call_context: str, target_raw_id: str) -> None:
        from shared.ports import CallControlError

        if self.fail:
            raise CallControlError("redirect failed: 503")
        self.redirects.append((incoming_call_context, target_raw_id))


class FakeTelemetry:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, str]]] = []
        self.durations: list[tuple[str, float, dict[str, str]]] = []
        self.levels: dict[str, Any] = {}

    def event(self, name: str, **dimensions: str) -> None:
        self.events.append((name, dimensions))

    def duration(self, name: str, ms: float, **dimensions: str) -> None:
        self.durations.append((name, ms, dimensions))

    def pool_level(self, region: str, levels: Any) -> None:
        self.levels[region] = dict(levels)

    def setting_problem(self, setting: str, function: str) -> None:
        self.event("SettingMissing", setting=setting, function=function)


class Killed(BaseException):
    """The process died here: not an Exception, so no handler of ours catches it (as with kill -9)."""


class _CrashingPort:
    """A port whose `method` dies the first time it is called (before it has any effect); the rest pass through."""

    def __init__(self, port: Any, method: str, after: bool) -> None:
        self._port, self._method, self._after, self.fired = port, method, after, False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._port, name)
        if name != self._method or self.fired:
            return attr

        def dying(*args: Any, **kwargs: Any) -> Any:
            self.fired = True
            if self._after:
                attr(*args, **kwargs)
            raise Killed(f"killed {'after' if self._after else 'before'} {name}")
        return dying


def crash_at(deps: FakeDeps, port: str, method: str, after: bool = False) -> None:
    """The process dies at the first `deps.<port>.<method>(...)` call, before it (or, with `after`, right after
    it has taken effect)."""
    setattr(deps, port, _CrashingPort(getattr(deps, port), method, after))


def restart(deps: FakeDeps) -> None:
    """A new process: the same storage, no crash pending."""
    for name in ("agents", "pool", "presence", "calls", "events", "incoming", "call_control", "windows", "routing",
                 "routing_holds"):
        port = getattr(deps, name)
        if isinstance(port, _CrashingPort):
            setattr(deps, name, port._port)


class FakeIncidentQueries:
    """IncidentQueries over a FakeCalls and a FakeDeliveries (tests/fakes_notify.py); counts its reads."""

    def __init__(self, calls: FakeCalls, deliveries: Any) -> None:
        self.calls, self.deliveries = calls, deliveries
        self.reads: list[str] = []

    def dialed_between(self, start: datetime | None, end: datetime | None, test: bool | None = None,
                       agent_id: str | None = None) -> list[EmergencyCall]:
        self.reads.append("calls")
        self.calls._check()
        return [c for c, _ in self.calls.rows.values() if (start is None or c.dialed_at >= start)
                and (end is None or c.dialed_at < end) and (test is None or c.test == test)
                and (agent_id is None or c.agent_id == agent_id)]

    def deliveries_of(self, call_ids: Any, since: datetime | None,
                      until: datetime | None = None) -> dict[str, list[Any]]:
        self.reads.append("deliveries")
        return {c: self.deliveries.list(c) for c in call_ids}


class FakeDrills:
    """Drills and schedules with Table Storage's conditions: insert conflicts, replace and delete on a version."""

    def __init__(self) -> None:
        self.rows: dict[str, Any] = {}
        self.plans: dict[str, Any] = {}

    def create(self, drill: Any) -> Any:
        if drill.drill_id in self.rows:
            raise Conflict("exists")
        self.rows[drill.drill_id] = replace(drill, version=_v())
        return self.rows[drill.drill_id]

    def get(self, drill_id: str) -> Any:
        return self.rows.get(drill_id)

    def replace(self, drill: Any) -> Any:
        current = self.rows.get(drill.drill_id)
        if current is None or current.version != drill.version:
            raise Conflict("changed")
        self.rows[drill.drill_id] = replace(drill, version=_v())
        return self.rows[drill.drill_id]

    def delete(self, drill: Any) -> None:
        current = self.rows.get(drill.drill_id)
        if current is not None and current.version != drill.version:
            raise Conflict("changed")
        self.rows.pop(drill.drill_id, None)

    def add_schedule(self, schedule: Any) -> None:
        if schedule.schedule_id in self.plans:
            raise Conflict("exists")
        self.plans[schedule.schedule_id] = schedule

    def schedules(self) -> list[Any]:
        return sorted(self.plans.values(), key=lambda s: (s.starts, s.schedule_id))

    def delete_schedule(self, schedule_id: str) -> bool:
        return self.plans.pop(schedule_id, None) is not None

    def list(self, agent_id: str | None = None) -> list[Any]:
        found = [d for d in self.rows.values() if agent_id is None or d.agent_id == agent_id]
        return sorted(found, key=lambda d: d.started_at, reverse=True)
