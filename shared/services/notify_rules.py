"""Use cases of who is told of an emergency call, per dialed number (issue 19 part 4): read and change the rules,
audited with the signed-in admin."""

from __future__ import annotations

from typing import Any

from shared.domain.audit import Actor
from shared.domain.notify_rules import AUDIENCES, DEFAULTS, NUMBERS, NotifyRules
from shared.ports import SitePorts
from shared.services import audit

ENTITY, ENTITY_ID = "notification-rules", "current"


def rules_view(rules: NotifyRules) -> dict[str, Any]:
    return {"rules": rules.as_json(), "defaults": {n: list(a) for n, a in DEFAULTS.items()}, "numbers": NUMBERS,
            "audiences": AUDIENCES}


def get_rules(deps: SitePorts) -> dict[str, Any]:
    return rules_view(deps.sites.get_notify_rules() or NotifyRules())


def put_rules(changed: NotifyRules, actor: Actor, deps: SitePorts) -> dict[str, Any]:
    """The admin's rules for the numbers sent; the others keep what they had."""
    old = deps.sites.get_notify_rules() or NotifyRules()
    new = NotifyRules({**old.rules, **changed.rules})
    deps.sites.put_notify_rules(new)
    audit.record(deps, actor, "updated", ENTITY, ENTITY_ID, _audited(old), _audited(new))
    return rules_view(new)


def _audited(rules: NotifyRules) -> dict[str, Any]:
    return {n: ", ".join(a) for n, a in rules.as_json().items()}
