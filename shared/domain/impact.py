"""What a destructive admin change would do before it is made: who uses the item, which agents lose a readiness
check. Pure: the readiness of every agent before and after the change is computed by the caller.

The rule the admin API applies: a change is refused when something still uses the item (a profile named by an agent
or an outbound profile) or when it would make a check of any agent fail that passes now; a callback number that is
the last free one of its region is not retired while an agent's callback check relies on it. There is no override:
the admin changes what uses the item first, so that no agent is left unable to call for help by one click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.domain.calls import Agent
from shared.domain.emergency_path import Status
from shared.domain.readiness import AgentReadiness, Check
from shared.domain.voice_config import CapacityProfile, OutboundProfile, VoiceConfig, VoiceRecord

_RANK = {Status.PASS: 0, Status.WARNING: 1, Status.FAIL: 2}
CALLBACK_CHECK = "callback_number"


@dataclass(frozen=True)
class UsedBy:
    """One thing that names the item: an agent or an outbound profile, by which of its fields."""

    kind: str  # "agent" or "outbound-profile"
    key: str
    name: str
    field: str


@dataclass(frozen=True)
class AgentImpact:
    """One agent whose readiness the change makes worse: the checks it worsens, each as it would be after."""

    agent_id: str
    name: str
    before: Status
    after: Status
    worse: tuple[Check, ...]

    @property
    def becomes_not_ready(self) -> bool:
        return self.after is Status.FAIL and self.before is not Status.FAIL

    @property
    def newly_failing(self) -> bool:
        return any(c.status is Status.FAIL for c in self.worse)


@dataclass(frozen=True)
class Impact:
    action: str  # "delete" or "retire"
    entity: str  # as the audit log names it: capacity-profile, outbound-profile, callback-number, ...
    key: str
    used_by: tuple[UsedBy, ...]
    agents: tuple[AgentImpact, ...]
    last_free: bool = False  # retiring: the last free number of its region

    @property
    def refusal(self) -> str | None:
        """Why the change is refused, naming who uses the item and whom it would harm; None when it may go ahead."""
        failing = [a for a in self.agents if a.newly_failing]
        relying = [a for a in self.agents if any(c.check_id == CALLBACK_CHECK for c in a.worse)]
        if not self.used_by and not failing and not (self.last_free and relying):
            return None
        parts = []
        if self.used_by:
            parts.append(f"it is used by {_names_of(self.used_by)}")
        if failing:
            parts.append(f"{_agents(failing)} would fail a readiness check ({_checks(failing)})")
        if self.last_free and relying:
            parts.append(f"it is the last free callback number of its region, which {_agents(relying)} "
                         f"rel{'ies' if len(relying) == 1 else 'y'} on")
        what = self.entity.replace("-", " ").capitalize()
        return f"{what} {self.key} cannot be {_done(self.action)}: {'; '.join(parts)}. {_first(self)}"

    def summary(self) -> str:
        """"2 agents will become not ready: Alice Example, Bob Example." and the rest, or that nobody is affected."""
        if not self.agents:
            return "No agent's readiness changes."
        groups: dict[str, list[str]] = {}
        for a in self.agents:
            groups.setdefault(_outcome(a), []).append(a.name)
        return " ".join(f"{_count(len(names), 'agent')} {what}: {', '.join(names)}." for what, names in
                        sorted(groups.items(), key=lambda g: _OUTCOMES.index(g[0])))


_OUTCOMES = ["will become not ready", "will be at risk (a warning)", "not ready already, will lose another check",
             "at risk already, will get another warning"]


def _outcome(a: AgentImpact) -> str:
    if a.becomes_not_ready:
        return _OUTCOMES[0]
    if a.before is Status.PASS:
        return _OUTCOMES[1]
    return _OUTCOMES[2] if a.before is Status.FAIL else _OUTCOMES[3]


def references(record: VoiceRecord, agents: Sequence[Agent], config: VoiceConfig) -> tuple[UsedBy, ...]:
    """Who names a capacity or outbound profile (agents; outbound profiles listing a capacity profile)."""
    if isinstance(record, CapacityProfile):
        named = [UsedBy("agent", a.agent_id, a.display_name, "capacityProfile") for a in agents
                 if a.capacity_profile == record.profile_id]
        return (*named, *(UsedBy("outbound-profile", p.profile_id, p.name, "capacityProfiles")
                          for p in config.outbound_profiles if record.profile_id in p.capacity_profiles))
    if isinstance(record, OutboundProfile):
        return tuple(UsedBy("agent", a.agent_id, a.display_name, "outboundProfile") for a in agents
                     if a.outbound_profile == record.profile_id)
    return ()


def compare(before: Sequence[AgentReadiness], after: Sequence[AgentReadiness]) -> tuple[AgentImpact, ...]:
    """The agents whose checks get worse from `before` to `after` (the same agents, in the same order)."""
    found = []
    for b, a in zip(before, after, strict=True):
        was = {c.check_id: c.status for c in b.checks}
        worse = tuple(c for c in a.checks if _RANK[c.status] > _RANK[was.get(c.check_id, Status.PASS)])
        if worse:
            found.append(AgentImpact(a.agent.agent_id, a.agent.display_name or a.agent.agent_id, b.status, a.status,
                                     worse))
    return tuple(found)


def without(config: VoiceConfig, kind: str, key: str) -> VoiceConfig:
    """The configuration as it would be once the record of `kind` and `key` is deleted."""
    records: list[VoiceRecord] = [*config.capacity_profiles, *config.outbound_profiles, *config.numbers,
                                  *config.routing_rules]
    return VoiceConfig.of([r for r in records if not (kind == r.KIND and r.key == key)])


def _done(action: str) -> str:
    return {"delete": "deleted", "retire": "retired"}.get(action, action)


def _first(impact: Impact) -> str:
    if impact.action == "retire":
        return "Add another callback number for its region first."
    if impact.used_by:
        return "Give them another one under Voice setup or on each agent's page first."
    return "Change the agents' setup first."


def _names_of(used: Sequence[UsedBy]) -> str:
    agents = [u.key for u in used if u.kind == "agent"]
    profiles = [u.key for u in used if u.kind == "outbound-profile"]
    parts = [f"{_count(len(agents), 'agent')} ({', '.join(agents)})"] if agents else []
    if profiles:
        parts.append(f"{_count(len(profiles), 'outbound profile')} ({', '.join(profiles)})")
    return " and ".join(parts)


def _agents(found: Sequence[AgentImpact]) -> str:
    return f"{_count(len(found), 'agent')} ({', '.join(a.agent_id for a in found)})"


def _checks(found: Sequence[AgentImpact]) -> str:
    titles = dict.fromkeys(c.title for a in found for c in a.worse if c.status is Status.FAIL)
    return "; ".join(titles)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
