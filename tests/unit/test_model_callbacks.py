"""A model-based test of the callback lease and window rules (issue 17): random sequences of dials (911, 933, normal;
direct routing and direct offer; same and different agents), pre-dial holds (the panel saw 911 typed; issue 18),
claimed by their dial or not, ends from the dialer and from ACS, events delivered late, twice or out of order, the
clock moved across windows and quarantines, timer runs, and responder callbacks to every number ever given out.
In-memory ports with a controllable clock; the contract is checked after every step.

The seed is printed; MODEL_SEED=<n> replays a run, MODEL_EXAMPLES=<n> explores more sequences.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from shared.commands import OutboundCall
from shared.domain.calls import Agent
from shared.domain.lease import LeasePolicy
from shared.domain.routing import IncomingCall
from shared.domain.voice_config import NumberType, ResourceNumber
from shared.events import call_from_started
from shared.services.callbacks import route_callback
from shared.services.ending import AcsCallEnded, acs_call_ended, end_emergency_call, link_call_ids
from shared.services.expiry import run_expiry
from shared.services.outbound import place_outbound_call, pre_dial
from shared.services.panel import emergency_state
from shared.services.presence import on_call_ended, on_call_started
from tests.fakes import FakeDeps

DESK = "8:acs:r_securitydesk"
RESPONDER = "4:+12025550177"
MAX_AGE = timedelta(seconds=30)
RETENTION = timedelta(days=30)
# More numbers than one agent's share (3), fewer than three agents' shares: both limits are reached.
POOL = ("+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104")
# Alice and Bob place their calls through direct routing (their numbers are a carrier's); Carol's number is
# Microsoft's, so her calls go by direct offer.
AGENTS = {"alice": ("+12025550181", NumberType.DIRECT_ROUTING), "bob": ("+12025550182", NumberType.DIRECT_ROUTING),
          "carol": ("+12025550180", NumberType.MICROSOFT)}
DIALS = ("911", "933", "2025550123")
# Steps that cross the test window (5 min), the quarantine (10 min), the window (60 min) and the maximum call.
ADVANCES = (timedelta(seconds=20), timedelta(minutes=4), timedelta(minutes=6), timedelta(minutes=11),
            timedelta(minutes=50), timedelta(minutes=61), timedelta(hours=5))

SEED = int(os.environ.get("MODEL_SEED") or random.SystemRandom().randrange(1 << 32))
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES") or 2000)
STEPS = 40
explored = {"sequences": 0, "steps": 0}


def identity(agent: str) -> str:
    return f"8:acs:r_{agent}"


@dataclass
class Dialed:
    """The model's account of one emergency call: what the dialer was told, and the first end it sent."""

    call_id: str
    agent: str
    test: bool
    dialed_at: datetime
    number: str | None  # the pool number given out, if any
    direct_offer: bool
    ended_at: datetime | None = None

    def held_until(self, policy: LeasePolicy) -> datetime:
        """The least the contract holds the callback for: the window after the first end; without one, or after
        one that came when the call's hold (maximum call length and a window) had run out, the window after the
        maximum call length, where the safety net ends a call."""
        longest = self.dialed_at + policy.max_call
        ended = self.ended_at if self.ended_at and self.ended_at < longest + policy.window else longest
        return max(self.dialed_at, ended) + policy.window_for(self.test)


class CallbackModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.deps = FakeDeps()
        self.calls: list[Dialed] = []
        self.seen = 0  # events published so far that are pending or delivered
        self.pending: list[tuple[str, dict]] = []
        self.delivered: list[tuple[str, dict]] = []
        self.ids = itertools.count(1)
        self.holds: dict[str, str] = {}  # agent -> the call id of her latest pre-dial hold not dialed yet
        self.hinted_only: set[str] = set()  # call ids of holds whose dial never came
        explored["sequences"] += 1

    @initialize(lease_on_direct_offer=st.booleans())
    def setup(self, lease_on_direct_offer: bool) -> None:
        d = self.deps
        d.policy = LeasePolicy(window=timedelta(minutes=60), quarantine=timedelta(minutes=10),
                               max_call=timedelta(hours=4), lease_on_direct_offer=lease_on_direct_offer)
        for agent, (number, kind) in AGENTS.items():
            d.agents.put(Agent(agent, agent.title(), acs_user_id=identity(agent), outbound_number=number,
                               email_recipients="desk@example.com"))
            d.voice_setup.put(ResourceNumber(number, kind, "US"))
        d.add_numbers(*POOL)

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    def _check_no_number(self, agent: str, codes: set[str]) -> None:
        """A call on a path that needs a pool number went without one: only when the pool had none free, or she
        held her share already."""
        leases = [n.active_lease(self.now) for n in self.deps.pool.list_all()]
        hers = sum(1 for lease in leases if lease is not None and lease.agent_id == agent)
        free = [n for n in self.deps.pool.list_all() if n.state(self.now, self.deps.policy.quarantine).value == "free"]
        assert ("agent_holds_numbers" in codes and hers == self.deps.policy.numbers_per_agent) or \
            ("pool_exhausted" in codes and not free), (codes, hers, [n.number for n in free])

    def _collect(self) -> None:
        published = self.deps.events.published
        self.pending += published[self.seen:]
        self.seen = len(published)

    # --- what the agents, ACS, Event Grid, the clock and the timer do -------------------------------------------

    @rule(agent=st.sampled_from(sorted(AGENTS)), number=st.sampled_from(DIALS))
    def type_a_number(self, agent: str, number: str) -> None:
        """The panel sees a number typed and asks for a pre-dial hold (the panel's next dial may use it)."""
        explored["steps"] += 1
        call_id = self.holds.get(agent) or f"call-{next(self.ids)}"
        answer = pre_dial(OutboundCall(agent, number, "US", None, call_id), self.deps, self.deps.policy)
        if answer["preDial"]:
            self.holds[agent] = call_id
            self.hinted_only.add(call_id)
        self._collect()
        assert self.seen == len(self.deps.events.published)  # a hold publishes nothing

    @rule(agent=st.sampled_from(sorted(AGENTS)), number=st.sampled_from(DIALS), after_hold=st.booleans())
    def dial(self, agent: str, number: str, after_hold: bool) -> None:
        explored["steps"] += 1
        # The dialer's own call id (a panel sends one): the same sequence leases the same numbers every run. After a
        # pre-dial hold, the panel dials with its call id (whatever number she then dials).
        held = self.holds.pop(agent, None) if after_hold else None
        call_id = held or f"call-{next(self.ids)}"
        answer = place_outbound_call(OutboundCall(agent, number, "US", None, call_id, pre_dialed=held is not None),
                                     self.deps, self.deps.policy)
        if answer["emergency"]:  # a normal number dialed after all leaves the hold to the timer
            self.hinted_only.discard(call_id)
        assert answer["dial"] is True
        if answer["emergency"]:
            call_id = answer["emergencyCallId"]
            given = answer["callbackNumber"] if answer["callbackNumberSource"] == "pool" else None
            if given is None and (answer["emergencyPath"] != "direct_offer" or self.deps.policy.lease_on_direct_offer):
                self._check_no_number(agent, {w["code"] for w in answer["warnings"]})
            self.calls.append(Dialed(call_id, agent, answer["test"], self.now, given,
                                     answer["emergencyPath"] == "direct_offer"))
            link_call_ids(call_id, self.deps, self.deps.policy, f"srv-{call_id}", f"corr-{call_id}")
        self._collect()

    @rule(data=st.data(), acs=st.booleans())
    def end(self, data: st.DataObject, acs: bool) -> None:
        live = [c for c in self.calls if c.ended_at is None]
        if not live:
            return
        explored["steps"] += 1
        call = data.draw(st.sampled_from(live), label="call")
        if acs:
            event = AcsCallEnded(f"ev-end-{call.call_id}", f"srv-{call.call_id}", f"corr-{call.call_id}",
                                 identity(call.agent), self.now, 30.0)
            assert acs_call_ended(event, self.deps, self.deps.policy) == "emergency"
        else:
            end_emergency_call(call.call_id, "dialer", self.deps, self.deps.policy, agent_id=call.agent)
        recorded = self.deps.calls.get(call.call_id)
        # The first end signal wins: the timer's safety net may have ended the call before this.
        first = recorded[0].ended_at if recorded and recorded[0].ended_at else self.now
        call.ended_at = min(first, self.now)
        self._collect()

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Event Grid delivers one pending event, in any order."""
        if not self.pending:
            return
        explored["steps"] += 1
        event = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1), label="event"))
        self._handle(event)
        self.delivered.append(event)

    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        """Event Grid delivers an event once more (at least once), late."""
        if not self.delivered:
            return
        explored["steps"] += 1
        self._handle(data.draw(st.sampled_from(self.delivered), label="again"))

    def _handle(self, event: tuple[str, dict]) -> None:
        kind, payload = event
        if kind == "Emergency.CallStarted":
            on_call_started(payload["agentId"], payload["emergencyCallId"], self.deps, self.deps.policy,
                            call_from_started(payload))
        elif kind == "Emergency.CallEnded":
            on_call_ended(payload["agentId"], payload["emergencyCallId"], self.deps)
        self._collect()

    @rule(step=st.sampled_from(ADVANCES))
    def advance(self, step: timedelta) -> None:
        explored["steps"] += 1
        self.deps.clock.advance(step)

    @rule()
    def timer(self) -> None:
        explored["steps"] += 1
        run_expiry(self.deps, self.deps.policy, RETENTION)
        self._collect()

    @rule(data=st.data())
    def responder_calls_a_number(self, data: st.DataObject) -> None:
        """The responder calls back a number given out at any time (the redirect really happens)."""
        given = sorted({c.number for c in self.calls if c.number})
        if not given:
            return
        explored["steps"] += 1
        number = data.draw(st.sampled_from(given), label="number")
        self._check_number(number, redirect=True)

    # --- the contract, after every step ---------------------------------------------------------------------------

    def _in_force(self) -> list[Dialed]:
        """The calls whose callback the contract holds now: within the model's window, or the one its incident
        promises (an incident never promises a hold that is not in force)."""
        return [c for c in self.calls if self.now < max(c.held_until(self.deps.policy), self._promised(c))]

    def _promised(self, call: Dialed) -> datetime:
        loaded = self.deps.calls.get(call.call_id)
        record = loaded[0] if loaded else None
        if record is None or record.ended_at is None or record.callback_until is None:
            return call.dialed_at
        return record.callback_until

    def _route(self, to: str) -> tuple[str, str | None, str | None, str]:
        """(outcome, redirect target, agent, the ringing call's context) of a callback to `to` now."""
        key = f"cb-{next(self.ids)}"
        result = route_callback(IncomingCall(key, to, RESPONDER, "ctx-" + key, "srv-" + key, key, self.now),
                                self.deps, MAX_AGE, DESK)
        decision = result.decision
        return (result.outcome, decision.target if decision else None, decision.agent_id if decision else None,
                "ctx-" + key)

    def _check_number(self, number: str, redirect: bool = False) -> None:
        holders = [c for c in self._in_force() if c.number == number]
        before = len(self.deps.call_control.redirects)
        outcome, target, _, context = self._route("4:" + number)
        if holders:
            agent = holders[0].agent
            assert (outcome, target) == ("redirected", identity(agent)), \
                f"callback to {number} given to {agent}'s call within its window went to {target} ({outcome})"
            assert self.deps.call_control.redirects[before:] == [(context, identity(agent))]
        elif redirect:
            assert outcome in ("redirected", "fallback"), outcome

    @invariant()
    def a_callback_within_a_window_reaches_that_call_s_agent(self) -> None:
        for number in sorted({c.number for c in self._in_force() if c.number}):
            self._check_number(number)
        for c in self._in_force():
            if c.direct_offer:
                outcome, _, agent, _ = self._route(identity(c.agent))
                assert (outcome, agent) == ("ringing_direct", c.agent), \
                    f"{c.agent}'s callback on the direct-offer path within the window of {c.call_id}: {outcome}"

    @invariant()
    def no_number_is_held_by_two_calls(self) -> None:
        by_number: dict[str, set[str]] = {}
        for c in self._in_force():
            if c.number:
                by_number.setdefault(c.number, set()).add(c.agent)
        for number, agents in by_number.items():
            assert len(agents) == 1, f"{number} holds the windows of {sorted(agents)} at once"
            lease = self.deps.pool.get(number).active_lease(self.now)
            assert lease is not None, f"{number} is within a window but has no lease"
            holders = [c for c in self._in_force() if c.number == number]
            assert lease.call_id in {c.call_id for c in self.calls if c.number == number}
            # The pool shows the hold that is really in force: never a test call over a real call's window,
            # never shorter than any window it carries.
            assert not (lease.test and any(not c.test for c in holders)), f"{number}: a test call over a real one"
            assert all(lease.expires_at >= c.held_until(self.deps.policy) for c in holders), \
                f"{number}'s lease ends {lease.expires_at}, before a window it carries"

    @invariant()
    def her_panel_shows_the_hold_in_force(self) -> None:
        for agent in AGENTS:
            held = [c for c in self._in_force() if c.agent == agent]
            if not held or self.deps.presence.get(agent)[0].in_emergency:
                continue
            state = emergency_state(agent, self.deps)
            assert state["callbackWindowOpen"] and state["emergencyCallId"] in {c.call_id for c in held}, state
            assert state["test"] == all(c.test for c in held), (state, held)

    @invariant()
    def no_agent_holds_more_than_her_share_of_the_pool(self) -> None:
        held: dict[str, int] = {}
        for n in self.deps.pool.list_all():
            lease = n.active_lease(self.now)
            if lease is not None:
                held[lease.agent_id] = held.get(lease.agent_id, 0) + 1
        assert max(held.values(), default=0) <= self.deps.policy.numbers_per_agent, held

    @invariant()
    def a_pre_dial_hold_is_never_a_call(self) -> None:
        """No incident, no window, no routed callback for a hold whose dial never came; released by the timer
        once its dial is overdue."""
        for call_id in self.hinted_only:
            assert self.deps.calls.get(call_id) is None, f"the pre-dial hold {call_id} became an incident"
        for n in self.deps.pool.list_all():
            lease = n.active_lease(self.now)
            if lease is not None and lease.unclaimed:
                assert lease.call_id in self.hinted_only, f"{n.number}: a dialed call's hold left unclaimed"
                outcome, _, _, _ = self._route("4:" + n.number)
                assert outcome == "fallback", f"a callback to the unclaimed hold {n.number}: {outcome}"

    @invariant()
    def no_agent_stays_in_dnd_after_all_her_calls_ended(self) -> None:
        for agent in AGENTS:
            mine = [c for c in self.calls if c.agent == agent]
            waiting = any(p["agentId"] == agent for _, p in self.pending)
            if mine and all(c.ended_at is not None for c in mine) and not waiting:
                presence = self.deps.presence.get(agent)[0]
                assert not presence.in_emergency, f"{agent} still in DND for {presence.emergency_call_id}"


def test_the_lease_and_window_rules_hold_for_every_sequence() -> None:
    print(f"\nmodel-based test of the callback rules: seed {SEED} (MODEL_SEED={SEED} replays it)")
    explored.update(sequences=0, steps=0)
    seeded = hypothesis_seed(SEED)(type("SeededCallbackModel", (CallbackModel,), {}))
    try:
        run_state_machine_as_test(seeded, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        print(f"model-based test: {explored['sequences']} sequences, {explored['steps']} steps (seed {SEED})")
