"""The admin's escalation policy (issue 20): read it (the default until an admin saves one), save it as a new version,
restore an older version as a new one; every save audited.

Versioned like the notification template: nothing is overwritten, so the history says who changed what, when. A save
may name the version it was read at (`expected`, the HTTP If-Match): when another admin saved meanwhile it is
refused (PreconditionFailed, 412) rather than silently undoing their change.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.domain.audit import Actor
from shared.domain.escalation import (
    AUDIENCES,
    CHANNELS,
    DEFAULT_POLICY,
    MAX_TIERS,
    MAX_VOICE_CALLS,
    MAX_WAIT,
    MIN_WAIT,
    MODES,
    Policy,
    PolicyVersion,
)
from shared.errors import AppError, NotFound, StateConflict, ValidationError
from shared.ports import Conflict
from shared.services import audit

log = logging.getLogger(__name__)

POLICY_ENTITY = "escalation-policy"
MAX_AUTHOR_CHARS = 256
_TRIES = 3
LIMITS = {"minSeconds": int(MIN_WAIT.total_seconds()), "maxSeconds": int(MAX_WAIT.total_seconds()),
          "maxTiers": MAX_TIERS, "maxVoiceCallsPerRecipient": MAX_VOICE_CALLS}


class PreconditionFailed(AppError):
    """The version the change was based on is no longer the current one (412): another admin saved meanwhile."""

    status = 412


def get_policy(deps: Any) -> dict[str, Any]:
    """The policy in force and its version (0: the default, nothing saved yet), the default, the words of the modes,
    audiences and channels, the limits, and every saved version, newest first."""
    current = deps.sites.current_escalation_policy()
    versions = deps.sites.escalation_policy_versions()
    policy = current.policy if current is not None and current.policy is not None else DEFAULT_POLICY
    return {"policy": policy.as_json(), "default": DEFAULT_POLICY.as_json(), "modes": MODES,
            "audiences": AUDIENCES, "channels": list(CHANNELS), "limits": LIMITS} | _summary(current) | {
        "isDefault": current is None or current.policy is None,
        "versions": [_summary(v) | {"policy": v.policy.as_json() if v.policy else None} for v in versions]}


def put_policy(policy: Policy, actor: Actor, deps: Any, expected: int | None = None) -> dict[str, Any]:
    """Save `policy` as a new version; PreconditionFailed when `expected` is not the current version."""
    _save(policy, actor, deps, expected)
    return get_policy(deps)


def restore(version: int, actor: Actor, deps: Any, expected: int | None = None) -> dict[str, Any]:
    """Make version `version` current again as a new version (history kept); NotFound when there is no such
    version; 400 when this release cannot read it; PreconditionFailed as put_policy."""
    old = deps.sites.escalation_policy_version(version)
    if old is None:
        raise NotFound(f"no version {version} of the escalation policy")
    if old.policy is None:
        raise ValidationError("version", f"version {version} cannot be read by this release; edit the policy "
                                         "and save it instead")
    _save(old.policy, actor, deps, expected, restored_from=version)
    return get_policy(deps)


def restore_version(body: dict[str, Any]) -> int:
    """The version a restore names: {"version": n}, nothing else."""
    unknown = sorted(set(body) - {"version"})
    if unknown:
        raise ValidationError(unknown[0], 'is not a field of a restore: send {"version": n}')
    return parse_version(body.get("version"))


def parse_version(raw: Any, field: str = "version") -> int:
    """A version number as the restore body or If-Match names it: a whole number from 1."""
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 10**9:
        raise ValidationError(field, "must be a version number (a whole number from 1)")
    return raw


def parse_if_match(header: str | None) -> int | None:
    """The version an HTTP If-Match names (`3`, `"3"` or `W/"3"`); None without one or for `*` (no check);
    0 means "the default, nothing saved yet"."""
    raw = (header or "").strip()
    if raw in ("", "*"):
        return None
    raw = raw.removeprefix("W/").strip('"').strip()
    if raw == "0":
        return 0
    return parse_version(raw, "If-Match")


def _save(policy: Policy, actor: Actor, deps: Any, expected: int | None,
          restored_from: int | None = None) -> PolicyVersion:
    author = " ".join((actor.name or actor.user_id or "").split())[:MAX_AUTHOR_CHARS] or "unknown"
    for _ in range(_TRIES):
        current = deps.sites.current_escalation_policy()
        number = current.version if current is not None else 0
        if expected is not None and expected != number:
            raise PreconditionFailed(f"the escalation policy was saved as version {number} after you loaded "
                                     f"version {expected}; reload it and make your change again")
        try:
            saved: PolicyVersion = deps.sites.save_escalation_policy(policy, number + 1, author, deps.clock.now(),
                                                                     restored_from)
        except Conflict:  # another save took the number: read again (and, with `expected`, refuse)
            continue
        action = "restored" if restored_from else "updated"
        audit.record(deps, actor, action, POLICY_ENTITY, "current", _audited(current), _audited(saved))
        log.info("escalation policy version %d %s", saved.version, action)
        return saved
    raise StateConflict("the escalation policy kept changing while it was saved; reload and try again")


def _summary(v: PolicyVersion | None) -> dict[str, Any]:
    if v is None:
        return {"version": 0, "author": None, "savedAt": None, "restoredFrom": None}
    return {"version": v.version, "author": v.author, "savedAt": v.saved_at.isoformat(),
            "restoredFrom": v.restored_from}


def _audited(v: PolicyVersion | None) -> dict[str, Any]:
    p = v.policy if v is not None and v.policy is not None else DEFAULT_POLICY
    return {"version": v.version if v is not None else 0, "restoredFrom": v.restored_from if v else None,
            "mode": p.mode, "escalateTests": str(p.escalate_tests).lower(),
            "voiceCallsPerRecipient": p.voice_calls, "onCall": "; ".join((*p.on_call_emails, *p.on_call_sms)),
            **{f"tier{i + 2}": f"{t.name}: after {int(t.after.total_seconds())} s, {', '.join(t.audiences)} by "
               f"{', '.join(t.channels)}" for i, t in enumerate(p.tiers)}}
