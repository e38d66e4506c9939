"""Callback-number lease policy: who holds a pool number, until when, and which number to lease next.

Expiry is decided from timestamps whenever a number is read ("expired means free"); the timer only cleans up.
A lease is held while its call is live (no end signal yet), up to the maximum call length after which the safety
net ends the call, and then for the window after the first end signal: a number is never handed to another
agent's call while the first one could still be called back, and a later call of the same agent keeps it only as
an extension of that hold (`LeasePolicy.may_take_over`, `kept_until`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum


class NumberState(StrEnum):
    LEASED = "leased"
    QUARANTINED = "quarantined"
    FREE = "free"
    RETIRED = "retired"


@dataclass(frozen=True)
class Lease:
    """One emergency call's hold on a callback number."""

    call_id: str
    agent_id: str
    acs_user_id: str | None
    leased_at: datetime
    expires_at: datetime
    call_ended_at: datetime | None = None
    test: bool = False
    # What the dial was, so that a lease whose incident was never written (the process died in between) can be
    # turned back into an incident and announced.
    dialed_number: str = ""
    country: str | None = None
    # The hold of the earlier call whose number this lease took over: never released before it, whatever this
    # call's own window (a redial never shortens another call's callback hold).
    kept_until: datetime | None = None
    # A pre-dial hold (the panel saw an emergency number typed, before Call): no dial has claimed it yet. Its dial
    # claims it before this instant; otherwise the timer releases it. Never a call: no incident, no window, no
    # callback is routed to it (no one was told its number).
    claim_by: datetime | None = None

    @property
    def live(self) -> bool:
        """No end signal yet: held until the safety net's end plus the window."""
        return self.call_ended_at is None

    @property
    def unclaimed(self) -> bool:
        """A pre-dial hold no dial has claimed (yet)."""
        return self.claim_by is not None


@dataclass(frozen=True)
class PoolNumber:
    """A callback number of the pool with its current (possibly expired) lease."""

    number: str
    region: str
    lease: Lease | None = None
    released_at: datetime | None = None
    retired: bool = False
    version: str | None = field(default=None, compare=False)  # storage's opaque tag for conditional writes

    def free_since(self) -> datetime | None:
        """When the number last became free: its lease's expiry, else its recorded release."""
        if self.lease is not None:
            return self.lease.expires_at
        return self.released_at

    def active_lease(self, now: datetime) -> Lease | None:
        """The lease if it still holds at `now`."""
        if self.lease is not None and self.lease.expires_at > now:
            return self.lease
        return None

    def state(self, now: datetime, quarantine: timedelta) -> NumberState:
        if self.active_lease(now) is not None:
            return NumberState.LEASED
        if self.retired:
            return NumberState.RETIRED
        since = self.free_since()
        if since is not None and now < since + quarantine:
            return NumberState.QUARANTINED
        return NumberState.FREE


@dataclass(frozen=True)
class FreeSlot:
    """A number's row in the free-number index: its key orders the pool by when each number became (or becomes)
    free, so the least recently used free numbers are the first rows up to `now - quarantine`."""

    number: str
    region: str
    since: datetime | None  # None: never leased
    version: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class IndexRow:
    """One row of a pool's index as read (a free slot or a call's or agent's hint), for the timer's repair."""

    region: str
    key: str  # the storage's row key
    kind: str  # "free", "call" or "agent"
    number: str
    since: datetime | None = None  # a free slot's instant (None: never leased)
    owner: str = ""  # a hint's call or agent id
    holds: tuple[str, ...] = ()  # an agent's row: every number she held when it was written
    version: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LeasePolicy:
    """The configurable windows: held while the call is live (at most `max_call`) and `window` after its end (at
    least `window` after the dial); rests `quarantine` after."""

    window: timedelta = timedelta(minutes=60)
    quarantine: timedelta = timedelta(minutes=10)
    max_call: timedelta = timedelta(minutes=240)
    # A 933 test call needs no callback hour: its number goes back to the pool soon after it ends.
    test_window: timedelta = timedelta(minutes=5)
    # On the direct-offer path the responder sees the emergency service's temporary number, not ours: a pool
    # number is leased there only as a number the agent can read out, when the admin asks for it.
    lease_on_direct_offer: bool = False
    # How many numbers one agent may hold at once (a live call, a real call's window and a drill overlapping):
    # a dialer that dials for her again and again without ending never drains the pool.
    numbers_per_agent: int = 3
    # How long a pre-dial hold waits for its dial (the agent typed 911 and has not pressed Call yet).
    pre_dial_hold: timedelta = timedelta(minutes=2)

    def window_for(self, test: bool) -> timedelta:
        return self.test_window if test else self.window

    def live_hold(self, dialed_at: datetime) -> datetime:
        """How long a call without an end signal holds its number: the safety net's end plus the window."""
        return dialed_at + self.max_call + self.window

    def counted_end(self, dialed_at: datetime, ended_at: datetime) -> datetime:
        """The end a window counts from: the first end signal, when it came while the call's hold (the maximum
        call length and a window) still ran; one after that counts from the maximum call length, where the
        safety net ends a call: the number and identity were held that long, and may be another's since."""
        if ended_at < self.live_hold(dialed_at):  # held until then, not at that instant (`active_lease`)
            return max(dialed_at, ended_at)
        return dialed_at + self.max_call

    def window_until(self, dialed_at: datetime, ended_at: datetime | None, test: bool) -> datetime:
        """Until when the agent's identity is her callback's: held while the call lasts, then the window after
        its first end."""
        if ended_at is None:
            return self.live_hold(dialed_at)
        return self.counted_end(dialed_at, ended_at) + self.window_for(test)

    def new_lease(self, call_id: str, agent_id: str, acs_user_id: str | None, now: datetime, test: bool,
                  dialed_number: str = "", country: str | None = None) -> Lease:
        return Lease(call_id, agent_id, acs_user_id, leased_at=now, expires_at=self.live_hold(now), test=test,
                     dialed_number=dialed_number, country=country)

    def pre_dial_lease(self, call_id: str, agent_id: str, acs_user_id: str | None, now: datetime, test: bool,
                       dialed_number: str = "", country: str | None = None) -> Lease:
        """A pre-dial hold: the lease its dial will claim, unless no dial claims it by `pre_dial_hold` from now.
        Held as a call dialed at that deadline would be, so that claiming it changes neither its expiry nor its
        index rows: the number's row alone."""
        claim_by = now + self.pre_dial_hold
        return replace(self.new_lease(call_id, agent_id, acs_user_id, now, test, dialed_number, country),
                       expires_at=self.live_hold(claim_by), claim_by=claim_by)

    def may_claim(self, held: Lease, lease: Lease, now: datetime) -> bool:
        """Whether the dial `lease` claims the pre-dial hold `held`: the same call and agent, in time."""
        return held.claim_by is not None and held.call_id == lease.call_id and held.agent_id == lease.agent_id \
            and now < held.claim_by and lease.claim_by is None

    def claimed(self, held: Lease, lease: Lease) -> Lease:
        """The pre-dial hold, now the call's: dialed when the dial says (its hold already reaches as far as a
        call dialed at the claim's deadline needs, `pre_dial_lease`), with what the dial says of itself."""
        return replace(held, claim_by=None, leased_at=lease.leased_at, test=lease.test,
                       acs_user_id=lease.acs_user_id, dialed_number=lease.dialed_number, country=lease.country)

    def unclaimed_over(self, lease: Lease, now: datetime) -> bool:
        """A pre-dial hold whose dial did not come in time: the timer releases it."""
        return lease.claim_by is not None and now >= lease.claim_by

    def holds_to_yield(self, numbers: Iterable[PoolNumber], agent_id: str) -> list[PoolNumber]:
        """Other agents' unclaimed pre-dial holds a dial may take when no number is free: the longest overdue or
        oldest first."""
        held = [(n.lease.claim_by, n) for n in numbers if n.lease is not None and n.lease.claim_by is not None
                and n.lease.agent_id != agent_id and not n.retired]
        return [n for _, n in sorted(held, key=lambda pair: (pair[0], pair[1].number))]

    def release_unclaimed(self, number: PoolNumber) -> PoolNumber:
        """An unclaimed pre-dial hold ends as if it never was: no one was told the number, so no quarantine."""
        return replace(number, lease=None)

    def on_call_end(self, lease: Lease, ended_at: datetime) -> Lease:
        """Hold the number until `window` after the first end signal (and at least `window` after the dial, and
        as long as the earlier call's hold it took over); later signals change nothing. An end that comes for a
        pre-dial hold means its call was placed (its dial never reached us): the hold is the call's."""
        if lease.call_ended_at is not None:
            return lease
        until = self.counted_end(lease.leased_at, ended_at) + self.window_for(lease.test)
        return replace(lease, call_ended_at=ended_at, expires_at=max(until, lease.kept_until or until),
                       claim_by=None)

    def may_take_over(self, earlier: Lease, lease: Lease) -> bool:
        """Whether a new call of the same agent may keep the number of her earlier call: only once the earlier
        call's end has fixed its hold (which the new lease then keeps), and never a test call over a real call's
        number (the pool and the incident would show a test call where a real call's window is in force). Her
        unclaimed pre-dial hold is no call: any dial or hold of hers may move it to itself; a pre-dial hold takes
        over nothing else (the dial itself keeps an ended call's number)."""
        if earlier.agent_id != lease.agent_id:
            return False
        if earlier.unclaimed:
            return True
        return not lease.unclaimed and not earlier.live and (earlier.test or not lease.test)

    def taken_over(self, earlier: Lease, lease: Lease) -> Lease:
        """`lease` on the earlier call's number, keeping the earlier hold (and any hold that one kept); an
        unclaimed pre-dial hold held nothing for anyone."""
        if earlier.unclaimed:
            return replace(lease, kept_until=earlier.kept_until) if earlier.kept_until else lease
        kept = max(earlier.expires_at, earlier.kept_until or earlier.expires_at)
        return replace(lease, kept_until=kept, expires_at=max(lease.expires_at, kept))

    def candidates(self, numbers: Iterable[PoolNumber], now: datetime) -> list[PoolNumber]:
        """Free numbers, least recently used first (never used first of all)."""
        free = [n for n in numbers if n.state(now, self.quarantine) is NumberState.FREE]
        return sorted(free, key=lambda n: (n.free_since() is not None, n.free_since() or now, n.number))

    def free_until(self, now: datetime) -> datetime:
        """A number is free at `now` if it has been free since this instant or earlier (the quarantine's range)."""
        return now - self.quarantine

    def take(self, slot: FreeSlot, lease: Lease) -> PoolNumber:
        """The number row a lease of an indexed free number writes (in service, its release kept)."""
        return PoolNumber(number=slot.number, region=slot.region, lease=lease, released_at=slot.since)

    def release(self, number: PoolNumber, now: datetime) -> PoolNumber:
        """Forget an expired lease, keeping when it ended so the quarantine still counts from there."""
        since = number.free_since() or now
        return replace(number, lease=None, released_at=min(since, now))


def held_by_agent(numbers: Iterable[PoolNumber], agent_id: str, now: datetime) -> PoolNumber | None:
    """A number an agent's active lease (of any of her calls) holds: she holds several when a call of hers was
    dialed while an earlier one had no end yet, or a drill while a real call's window was open."""
    for n in numbers:
        lease = n.active_lease(now)
        if lease is not None and lease.agent_id == agent_id:
            return n
    return None


def pool_shares(numbers: Iterable[PoolNumber], now: datetime) -> dict[str, int]:
    """How much of a region's pool live leases take: by test calls, and by the agent holding the most."""
    per_agent: dict[str, int] = {}
    test = 0
    for n in numbers:
        lease = n.active_lease(now)
        if lease is not None and not lease.unclaimed:  # a pre-dial hold is no call (yet)
            per_agent[lease.agent_id] = per_agent.get(lease.agent_id, 0) + 1
            test += lease.test
    return {"testLeases": test, "maxLeasesOneAgent": max(per_agent.values(), default=0)}


def held_by(numbers: Iterable[PoolNumber], call_id: str, now: datetime) -> PoolNumber | None:
    """The number whose live lease belongs to `call_id` (makes leasing idempotent per emergency call)."""
    for n in numbers:
        lease = n.active_lease(now)
        if lease is not None and lease.call_id == call_id:
            return n
    return None


def count_states(numbers: Iterable[PoolNumber], now: datetime, quarantine: timedelta) -> dict[str, int]:
    """Pool level per state (for the admin page and the PoolLevel metric)."""
    counts = {state.value: 0 for state in NumberState}
    for n in numbers:
        counts[n.state(now, quarantine).value] += 1
    return counts


def stale_index(numbers: Iterable[PoolNumber], rows: Iterable[IndexRow],
                now: datetime) -> tuple[list[IndexRow], list[PoolNumber]]:
    """Index drift: rows that name no current state (to remove) and in-service numbers without their free slot
    (to put back). A free slot belongs to a number in service at the instant it became or becomes free; a hint,
    to a live lease of its call or agent."""
    by_number = {(n.region, n.number): n for n in numbers}
    stale, slotted = [], set()
    for row in rows:
        n = by_number.get((row.region, row.number))
        if row.kind == "free":
            fits = n is not None and not n.retired and row.since == n.free_since()
            if fits:
                slotted.add((row.region, row.number))
        elif row.kind == "call":
            lease = n.active_lease(now) if n is not None else None
            fits = lease is not None and row.owner == lease.call_id
        else:  # an agent's row stays while any number it names holds a lease of hers (it counts her share)
            named = [by_number.get((row.region, number)) for number in (row.number, *row.holds)]
            fits = any(held_by_agent([m], row.owner, now) is not None for m in named if m is not None)
        if not fits:
            stale.append(row)
    missing = [n for key, n in by_number.items() if not n.retired and key not in slotted]
    return stale, missing
