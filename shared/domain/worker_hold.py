"""How an emergency call holds a routing worker: the change to make, and how to undo exactly that change.

The hold is written on the worker itself, in the same conditional update that stops its offers: the tag
`emergencyHolds` lists the emergency calls holding it and `emergencyHoldPrior` keeps whether it took offers before
the first of them. So a redelivered start finds its own hold on the worker and never takes the unavailable worker
for the state to return to, and a crash between the change and any record of ours loses nothing. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HOLDS_TAG = "emergencyHolds"
PRIOR_TAG = "emergencyHoldPrior"


@dataclass(frozen=True)
class WorkerView:
    """What a hold needs of a worker: whether it takes offers, and the holds written on it."""

    available: bool
    holds: tuple[str, ...] = ()
    prior: bool | None = None


def view(available: bool | None, tags: Mapping[str, Any] | None) -> WorkerView:
    """The worker as the engine answered it; an unset availability counts as not taking offers."""
    tags = tags or {}
    raw = tags.get(HOLDS_TAG)
    holds = tuple(raw.split()) if isinstance(raw, str) else ()
    prior = tags.get(PRIOR_TAG)
    return WorkerView(bool(available), holds, prior if isinstance(prior, bool) else None)


def hold_patch(w: WorkerView, call_id: str) -> dict[str, Any] | None:
    """The merge patch that stops offers for `call_id`; None when this call holds the worker already.
    A second overlapping emergency call keeps the first one's prior state."""
    if call_id in w.holds:
        return None
    prior = w.prior if w.holds and w.prior is not None else w.available
    return {"availableForOffers": False, "tags": {HOLDS_TAG: " ".join((*w.holds, call_id)), PRIOR_TAG: prior}}


def release_patch(w: WorkerView, call_id: str) -> dict[str, Any] | None:
    """The merge patch that undoes `call_id`'s hold, and only what the hold changed; None when it holds nothing.

    Availability returns to True only if it was True before and is still the False the hold set: a worker made
    available meanwhile stays so, and one that was unavailable before stays unavailable."""
    if call_id not in w.holds:
        return None
    rest = tuple(h for h in w.holds if h != call_id)
    if rest:
        return {"tags": {HOLDS_TAG: " ".join(rest)}}
    patch: dict[str, Any] = {"tags": {HOLDS_TAG: None, PRIOR_TAG: None}}
    if w.prior is True and not w.available:
        patch["availableForOffers"] = True
    return patch


def apply_patch(doc: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396): objects merge, null removes; what the engine does with the patch."""
    merged = dict(doc)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = apply_patch(dict(merged[key]), value)
        elif isinstance(value, Mapping):
            merged[key] = apply_patch({}, value)
        else:
            merged[key] = value
    return merged
