"""The admin's escalation policy (issue 20): read it (the default until an admin saves one) and replace it, audited."""

from __future__ import annotations

from typing import Any

from shared.domain.audit import Actor
from shared.domain.escalation import DEFAULT_POLICY, MODES, Policy
from shared.services import audit

POLICY_ENTITY = "escalation-policy"


def _policy(deps: Any) -> Policy:
    return deps.sites.get_escalation_policy() or DEFAULT_POLICY


def get_policy(deps: Any) -> dict[str, Any]:
    return {"policy": _policy(deps).as_json(), "default": DEFAULT_POLICY.as_json(), "modes": MODES}


def put_policy(policy: Policy, actor: Actor, deps: Any) -> dict[str, Any]:
    old = _policy(deps)
    deps.sites.put_escalation_policy(policy)
    audit.record(deps, actor, "updated", POLICY_ENTITY, "current", _audited(old), _audited(policy))
    return get_policy(deps)


def _audited(p: Policy) -> dict[str, Any]:
    return {"mode": p.mode, "escalateTests": str(p.escalate_tests).lower(),
            "onCall": "; ".join((*p.on_call_emails, *p.on_call_sms)),
            **{f"tier{i + 2}": f"{t.name}: after {int(t.after.total_seconds())} s, {', '.join(t.audiences)} by "
               f"{', '.join(t.channels)}" for i, t in enumerate(p.tiers)}}
