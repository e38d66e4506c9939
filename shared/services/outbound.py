"""Use case: the agent is about to dial. Classify at once; for an emergency, lease, record and announce.

Nothing here may stop or delay the dial: every missing prerequisite or failing dependency becomes a warning.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from shared.commands import OutboundCall
from shared.domain import dispatchable, numbers
from shared.domain.calls import CALLBACK_FROM_EMERGENCY_SERVICE, Agent, EmergencyCall, panel
from shared.domain.dialed_by import DialedBy
from shared.domain.emergency_path import DialPath, PathKind, dial_path, responder_reach
from shared.domain.lease import FreeSlot, LeasePolicy, PoolNumber
from shared.domain.notification_context import format_utc
from shared.domain.numbers import Classification, mask_phone
from shared.domain.readiness import outbound_number
from shared.domain.voice_config import VoiceConfig
from shared.ports import Ports, StoreError
from shared.services.dial_record import Warnings, keep
from shared.services.leasing import PAGE, AgentHoldsEnough, RedialKeepsNumber, lease_number

log = logging.getLogger(__name__)


def place_outbound_call(cmd: OutboundCall, deps: Ports, policy: LeasePolicy,
                        dialed_by: DialedBy | None = None) -> dict[str, Any]:
    """Answer the dialer; for an emergency call the answer always says dial, whatever failed. `dialed_by`: the
    signed-in agent who dialed when she is not the agent named (the call is hers, recorded against what is known).

    Three storage round trips in sequence before the answer, when nothing races: what the lease needs (the
    agent, the id's owner, a page of free numbers: at once), the lease, then the record, the window and
    CallStarted at once. Marking the record announced comes after the answer (the timer's outbox covers it).
    """
    c = numbers.classify(cmd.dialed_number, cmd.country_code)
    if not c.emergency:
        return _normal_call(cmd, deps)
    call_id = cmd.emergency_call_id or str(uuid.uuid4())
    warnings = Warnings(call_id, [])
    if dialed_by is not None:
        cmd = replace(cmd, agent_id=dialed_by.agent_id)
        warnings.add(dialed_by.code, dialed_by.message)
    now = deps.clock.now()
    known = _prefetch(cmd, c, call_id, now, deps, policy)
    call = _start_emergency(cmd, c, known, now, deps, policy, warnings, dialed_by)
    return {
        "dial": True, "emergency": True, "emergencyCallId": call.call_id, "test": call.test,
        "emergencyNumber": c.number, "countryCode": call.country, "callbackNumber": call.callback_number,
        "callbackNumberSource": call.callback_source,
        "callbackWindowEndsAt": call.callback_until.isoformat() if call.callback_until else None,
        "emergencyPath": call.path, "callerId": call.caller_id, "responderCallback": responder_text(call, "you"),
        "panel": panel(call.test), "warnings": warnings.items,
        "location": location_summary(call.location),
    }


def location_summary(location: dict[str, Any] | None) -> dict[str, Any]:
    """What the panel shows her to read out: the line, where it comes from, since when confirmed."""
    if not location or not location.get("readout"):
        return {"source": "none", "readout": None, "confirmedAt": None}
    return {"source": location.get("source") or "typed", "readout": location["readout"],
            "confirmedAt": location.get("confirmedAt")}


def pre_dial(cmd: OutboundCall, deps: Ports, policy: LeasePolicy,
             dialed_by: DialedBy | None = None) -> dict[str, Any]:
    """The panel saw an emergency number typed, before Call: hold the callback number its dial will claim, so the
    dial answers without the lease's transaction. Never a call: nothing is recorded, announced or notified, no
    presence changes, no window opens, and the number is not told (the dial tells it). A hold no dial claims
    within `LeasePolicy.pre_dial_hold` is released by the timer; a later hold or dial of the agent's takes it over.
    Answers whether a number is held, and why not."""
    c = numbers.classify(cmd.dialed_number, cmd.country_code)
    if not c.emergency:
        return {"preDial": False, "reason": "not_emergency"}
    call_id = cmd.emergency_call_id
    if not call_id:
        return {"preDial": False, "reason": "no_emergency_call_id"}
    if dialed_by is not None:
        cmd = replace(cmd, agent_id=dialed_by.agent_id)
    now = deps.clock.now()
    known = _prefetch(cmd, c, call_id, now, deps, policy)
    why = _no_hold(known, c.number or cmd.dialed_number, dialed_by, policy)
    if why:
        return {"preDial": False, "reason": why}
    if deps.calls.get(call_id) is not None:  # dialed already, or an id of hers used before: nothing to hold for
        return {"preDial": False, "reason": "dialed"}
    agent = known.agent if isinstance(known.agent, Agent) else None
    region = _pool_region(c, agent)
    if region is None:
        return {"preDial": False, "reason": "no_pool_region"}
    read = region == numbers.region_for_country(c.country or "")
    try:
        held = lease_number(region, call_id, agent, cmd.agent_id, now, c.test, deps.pool, policy,
                            (c.number or cmd.dialed_number, c.country), known.page if read else None,
                            known.hers if read else None, pre_dial=True)
    except AgentHoldsEnough:
        return {"preDial": False, "reason": "agent_holds_numbers"}
    except RedialKeepsNumber:
        return {"preDial": False, "reason": "redial_keeps_number"}
    if held is None or held.lease is None:
        return {"preDial": False, "reason": "pool_exhausted"}
    if held.lease.call_id != call_id or not held.lease.unclaimed:
        return {"preDial": False, "reason": "dialed"}  # its dial came first: the call holds the number
    return {"preDial": True, "emergencyCallId": call_id,
            "heldUntil": held.lease.claim_by.isoformat() if held.lease.claim_by else None}


def _no_hold(known: _Prefetched, dialed: str, dialed_by: DialedBy | None, policy: LeasePolicy) -> str | None:
    """Why no number is to be held before this dial (None: one is)."""
    if known.taken:
        return "emergency_call_id_taken"
    if isinstance(known.agent, StoreError):
        raise known.agent
    if known.agent is None and (dialed_by is None or dialed_by.mapped_to is not None):
        return "unknown_agent"
    if isinstance(known.voice, Exception) or known.agent is None:
        return None  # the dial's path is unknown: it leases, so the hold is of use
    if dial_path(outbound_number(known.agent, known.voice), dialed, known.voice).direct_offer \
            and not policy.lease_on_direct_offer:
        return "direct_offer"  # the responder reaches her identity: the dial leases nothing
    return None


def responder_text(call: EmergencyCall, agent: str) -> str:
    """How the responder reaches the agent on this call's path, in one sentence."""
    until = format_utc(call.callback_until) if call.callback_until else "the window ends"
    return responder_reach(call.path, call.callback_number, call.callback_source, agent, until)


@dataclass(frozen=True)
class _Prefetched:
    """What the lease needs, read at once; a read that failed holds its error (the dial goes on without it)."""

    agent: Agent | StoreError | None
    taken: bool  # the dialer's own id names another agent's call
    voice: VoiceConfig | Exception
    page: list[FreeSlot] | None  # the first page of free numbers in the dialed country's pool (None: not read)
    # The numbers the agent's row in that pool names, and its version (None: not read): a redial after a dropped
    # call keeps its number in one transaction, with no transaction refused first.
    hers: tuple[list[PoolNumber], str | None] | None


def _prefetch(cmd: OutboundCall, c: Classification, call_id: str, now: datetime, deps: Ports,
              policy: LeasePolicy) -> _Prefetched:
    region = numbers.region_for_country(c.country) if c.country else None
    agent, taken, voice, page, hers = deps.concurrency.all(
        partial(_caught, partial(deps.agents.get, cmd.agent_id), StoreError),
        partial(_taken_by_another, call_id, cmd.agent_id, deps) if cmd.emergency_call_id else bool,
        partial(_caught, deps.voice_setup.load, Exception),  # a record it cannot read: path unknown
        # A dial after its pre-dial hold claims it: no page of free numbers to read (the lease reads one if not).
        partial(_free_page, region, now, deps, policy) if not cmd.pre_dialed else _nothing,
        partial(_agent_holds, region, cmd.agent_id, deps))
    return _Prefetched(agent, taken, voice, page, hers)


def _nothing() -> None:
    return None


def _agent_holds(region: str | None, agent_id: str, deps: Ports) -> tuple[list[PoolNumber], str | None] | None:
    if region is None:
        return None
    try:
        return deps.pool.agent_holds(region, agent_id)
    except StoreError:
        return None  # the lease finds out itself


def _caught(read: Callable[[], Any], errors: type[Exception]) -> Any:
    """What `read` returns, or the error it raised (one of `errors`)."""
    try:
        return read()
    except errors as exc:
        return exc


def _free_page(region: str | None, now: datetime, deps: Ports, policy: LeasePolicy) -> list[FreeSlot] | None:
    if region is None:
        return None
    try:
        return deps.pool.free_numbers(region, policy.free_until(now), PAGE)
    except StoreError:
        return None  # the lease reads it again, and reports what fails then


def _taken_by_another(call_id: str, agent_id: str, deps: Ports) -> bool:
    """A dialer's own id that names another agent's call must not reach that call's number or record."""
    try:
        loaded = deps.calls.get(call_id)
    except StoreError:
        return False  # nothing can be read or written of it either
    return loaded is not None and bool(loaded[0].agent_id) and loaded[0].agent_id != agent_id


def _start_emergency(cmd: OutboundCall, c: Classification, known: _Prefetched, now: datetime, deps: Ports,
                     policy: LeasePolicy, warnings: Warnings, dialed_by: DialedBy | None) -> EmergencyCall:
    call_id = warnings.call_id
    if known.taken:
        call_id = warnings.call_id = str(uuid.uuid4())
        warnings.add("emergency_call_id_taken", "the emergencyCallId sent is another agent's call: this call has "
                     "its own id (use it for call-ids and the end)")
    if not c.country_supported:
        warnings.add("country_not_supported", f"location country {cmd.country_code or 'unknown'} is not one where "
                     "ACS places emergency calls (US, PR, CA, DK, GB, AU); the call may be refused")
    # A signed-in user no profile names is known by her sign-in: the warning says so, and she may lease a number
    # (within her share, as any agent), whose callback goes to the fallback desk (no identity to redirect to).
    unmapped = dialed_by is not None and dialed_by.mapped_to is None
    agent = _agent(known.agent, cmd.agent_id, warnings, unmapped)
    path, own_number = _dial_path(c.number or cmd.dialed_number, agent, known.voice, warnings)
    number, source, until = _callback_number(cmd, c, call_id, agent, path, now, known, deps, policy, warnings,
                                             unmapped)
    call = EmergencyCall(
        call_id=call_id, agent_id=cmd.agent_id, dialed_number=c.number or cmd.dialed_number, country=c.country,
        test=c.test, dialed_at=now,
        agent_name=agent.display_name if agent else dialed_by.user_name if dialed_by else cmd.agent_id,
        acs_user_id=agent.acs_user_id if agent else None, callback_number=number, callback_source=source,
        callback_until=until, location=_location(cmd, agent, now, warnings),
        path=path.kind.value, caller_id=own_number if path.direct_offer else number, warnings=tuple(warnings.items))
    call = keep(call, deps, policy, warnings)
    log.info("emergency call %s by agent %s: %s%s, path %s (%s), callback %s (%s)", call.call_id, call.agent_id,
             call.dialed_number, " TEST" if call.test else "", call.path, path.reason,
             mask_phone(call.callback_number), call.callback_source)
    return call


def _location(cmd: OutboundCall, agent: Agent | None, now: datetime, warnings: Warnings) -> dict[str, Any] | None:
    """The location in force (dispatchable.in_force: its source, the line she reads out, its age), from what the
    dial has read already and the sites' networks in memory; what the panel sent is kept even when it locates
    nothing."""
    found = dispatchable.in_force(cmd.location, agent.last_location if agent else None, now,
                                  network=cmd.network, near=cmd.network_site)
    if cmd.network is not None and cmd.network_site is None and (found or {}).get("source") != "confirmed":
        warnings.add("location_lookup_unavailable", "the site of the network she dials from is not known yet (the "
                     "sites' networks are loading or storage cannot be read): the operator must be told where she is")
    if found is None and cmd.location:
        return cmd.location | {"source": "none", "readout": None, "confirmedAt": None}
    return found


def _agent(read: Agent | StoreError | None, agent_id: str, warnings: Warnings, unmapped: bool) -> Agent | None:
    """The agent's profile; `unmapped`: the call is a signed-in user's whom no profile names (warned already)."""
    if isinstance(read, StoreError):
        warnings.add("storage_unavailable", "agent profile could not be read", read)
        return None
    if read is None:
        if not unmapped:
            warnings.add("unknown_agent", f"agent {agent_id} is not configured: no notification recipients, "
                         "no callback routing to a known identity")
    elif not read.email_recipients.strip() and not read.sms_recipients.strip():
        warnings.add("no_recipients", "no emergency notification recipients are configured for this agent")
    return read


def _dial_path(dialed: str, agent: Agent | None, config: VoiceConfig | Exception,
               warnings: Warnings) -> tuple[DialPath, str | None]:
    """The call's path from the voice setup (recent, cached: no round trip on most dials), and the agent's number."""
    if agent is None:
        return DialPath(PathKind.UNKNOWN, "the agent is not configured"), None
    try:
        if isinstance(config, Exception):
            raise config
        own = outbound_number(agent, config)
        return dial_path(own, dialed, config), own
    except Exception as exc:  # storage down, or a record it cannot read: the dial goes on, path unknown
        warnings.add("voice_setup_unavailable", "the voice setup could not be read, so the call's path is unknown: "
                     "the callback number below is presented as on the direct-routing path", exc)
        return DialPath(PathKind.UNKNOWN, "voice setup unreadable"), agent.outbound_number


def _callback_number(cmd: OutboundCall, c: Classification, call_id: str, agent: Agent | None, path: DialPath,
                     now: datetime, known: _Prefetched, deps: Ports, policy: LeasePolicy,
                     warnings: Warnings, unmapped: bool) -> tuple[str | None, str | None, datetime | None]:
    """(number, source, window end). Direct offer: the emergency service's temporary number reaches the agent's
    identity, so no pool number is needed, unless the admin wants one the agent can read out. Configured agents
    and signed-in users (`unmapped`) lease; made-up agent ids would drain the pool."""
    offer_window = now + policy.window_for(c.test)
    if path.direct_offer and not policy.lease_on_direct_offer:
        return None, CALLBACK_FROM_EMERGENCY_SERVICE, offer_window
    region = _pool_region(c, agent)
    leased = None
    if agent is None and not unmapped:
        region = None  # only configured agents and signed-in users lease (made-up ids would drain the pool)
    elif region is None:
        warnings.add("no_pool_region", "no callback pool serves an unknown country")
    else:
        try:
            read = region == numbers.region_for_country(c.country or "")  # the pool read at once with the rest
            leased = lease_number(region, call_id, agent, cmd.agent_id, now, c.test, deps.pool, policy,
                                  (c.number or cmd.dialed_number, c.country), known.page if read else None,
                                  known.hers if read else None)
        except StoreError as exc:
            warnings.add("storage_unavailable", "callback number could not be leased", exc)
        except AgentHoldsEnough as exc:
            warnings.add("agent_holds_numbers", f"this agent already holds {policy.numbers_per_agent} callback "
                         "numbers (calls without an end, or a real call's window): none more for this call", exc)
    if leased is not None and leased.lease is not None:
        # The window the dialer is told about: at least this long; the lease itself is held while the call is live
        # (from its pre-dial hold or an earlier try of this dial on, so from now at the latest).
        return leased.number, "pool", max(leased.lease.leased_at, now) + policy.window_for(c.test)
    if region is not None and leased is None and \
            not any(w["code"] in ("storage_unavailable", "agent_holds_numbers") for w in warnings.items):
        warnings.add("pool_exhausted", f"no free callback number in the pool for +{region}")
    if path.direct_offer:  # the temporary number still reaches the agent; only the read-out number is missing
        return None, CALLBACK_FROM_EMERGENCY_SERVICE, offer_window
    if agent is not None and agent.outbound_number:
        warnings.add("callback_is_agent_number", "the agent's own outbound number is presented for callbacks; "
                     "a callback to it follows normal routing")
        return agent.outbound_number, "agent_outbound", None
    warnings.add("no_callback_number", "no callback number: the network will present the resource's default")
    return None, None, None


def _pool_region(c: Classification, agent: Agent | None) -> str | None:
    """The pool for the browser's country; without one, the agent's last known country, then their own number's."""
    if c.country:
        return numbers.region_for_country(c.country)
    known = numbers.valid_country(str((agent.last_location or {}).get("countryCode") or "")) if agent else None
    if known:
        return numbers.region_for_country(known)
    if agent is not None and agent.outbound_number:
        return numbers.pool_region(agent.outbound_number)
    return None


def _normal_call(cmd: OutboundCall, deps: Ports) -> dict[str, Any]:
    """Answered from what the request says, with no storage round trip: the history entry is written after the
    answer (a failure is logged; the entry is the agent's own record, not the call's)."""
    now = deps.clock.now()
    entry_id = str(uuid.uuid4())
    entry = {"id": entry_id, "direction": "outbound", "number": cmd.dialed_number, "at": now.isoformat(),
             "source": "dialer"}
    deps.concurrency.later(partial(_write_history, cmd.agent_id, entry_id, entry, deps))
    return {"dial": True, "emergency": False, "warnings": []}


def _write_history(agent_id: str, entry_id: str, entry: dict[str, Any], deps: Ports) -> None:
    try:
        deps.history.add(agent_id, entry_id, entry)
    except StoreError as exc:
        log.warning("call history not written for agent %s: %s", agent_id, exc)
