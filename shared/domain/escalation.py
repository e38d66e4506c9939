"""Escalation of an emergency notification nobody acknowledged (issue 20): the admin's policy and its steps. Pure.

The first tier is the notification itself, at the dial (who it tells: the notification rules). The policy's tiers
follow, each a wait after the dial, the audiences it tells and on which channels; a step per tier is scheduled when
the call is notified and runs when due unless an acknowledgement has made it unnecessary (mode `any`: one person;
`allFirstTier`: every recipient of the first tier). A 933 test never escalates unless the policy says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.domain.delivery import Delivery
from shared.domain.recipients import RecipientListError, parse_email_recipients, parse_sms_recipients
from shared.errors import ValidationError

AUDIENCES = {"notified": "everyone the first notification told", "agent": "the agent's own contacts",
             "siteDesk": "the security desk of her site", "onCall": "the on-call recipients of this policy"}
CHANNELS = ("email", "sms", "voice")  # voice: a Call Automation call to each recipient's phone number
# Where an acknowledgement may come from: the channels, and the live board (a desk member; nothing is sent on it).
ACKNOWLEDGING = (*CHANNELS, "board")
MODES = {"any": "one acknowledgement stops the escalation",
         "allFirstTier": "every recipient first notified must acknowledge"}
MIN_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(hours=1)  # the callback window: a later step would tell people of a call long over
MAX_TIERS = 5
MAX_VOICE_CALLS = 5  # per recipient and call: the cap an admin may set
DEFAULT_VOICE_CALLS = 2
Mode = Literal["any", "allFirstTier"]


@dataclass(frozen=True)
class Tier:
    name: str
    after: timedelta  # after the dial
    audiences: tuple[str, ...]
    channels: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "afterSeconds": int(self.after.total_seconds()), "audiences": list(self.audiences),
                "channels": list(self.channels)}


@dataclass(frozen=True)
class Policy:
    tiers: tuple[Tier, ...]
    mode: Mode = "any"
    on_call_emails: tuple[str, ...] = ()
    on_call_sms: tuple[str, ...] = ()  # phone numbers: texted on the sms channel, called on the voice channel
    escalate_tests: bool = False  # a 933 test: never by voice, even when it escalates
    voice_calls: int = DEFAULT_VOICE_CALLS  # at most this many calls to one recipient for one emergency call

    def as_json(self) -> dict[str, Any]:
        return {"tiers": [t.as_json() for t in self.tiers], "mode": self.mode,
                "onCall": {"emails": list(self.on_call_emails), "sms": list(self.on_call_sms)},
                "escalateTests": self.escalate_tests, "voiceCallsPerRecipient": self.voice_calls}


@dataclass(frozen=True)
class PolicyVersion:
    """One saved version of the escalation policy (issue 20): never overwritten, a restore is a new version.
    `policy` is None for a version this release cannot read (the default is in force while it is the newest)."""

    version: int
    policy: Policy | None
    author: str
    saved_at: datetime
    restored_from: int | None = None


# Tier 1 is the notification at the dial (email and SMS); nobody acknowledged after 2 minutes: a voice call to the
# same people; after 5: the security desk and the on-call recipients on every channel.
DEFAULT_POLICY = Policy(tiers=(
    Tier("Call the people notified", timedelta(minutes=2), ("notified",), ("voice",)),
    Tier("Security desk and on call", timedelta(minutes=5), ("siteDesk", "onCall"), ("email", "sms", "voice"))))


@dataclass(frozen=True)
class Step:
    """One tier of one call, due at a time; what it tells is copied from the policy when scheduled (an edit of the
    policy never changes a call already escalating)."""

    call_id: str
    index: int
    due_at: datetime
    tier: Tier
    on_call_emails: tuple[str, ...] = ()
    on_call_sms: tuple[str, ...] = ()
    mode: Mode = "any"
    voice_calls: int = DEFAULT_VOICE_CALLS
    status: str = "pending"  # pending, running, done, skipped
    outcome: str = ""  # done: "told N"; skipped: acknowledged, window_ended, call_unknown
    ran_at: datetime | None = None
    version: str | None = field(default=None, compare=False)


def steps_for(call_id: str, dialed_at: datetime, test: bool, policy: Policy) -> list[Step]:
    """The steps a call's notification schedules: none for a test unless the policy escalates tests, and then never
    by voice (a tier of a test left with no channel is no step)."""
    if test and not policy.escalate_tests:
        return []
    tiers = [t if not test else Tier(t.name, t.after, t.audiences, tuple(c for c in t.channels if c != "voice"))
             for t in policy.tiers]
    return [Step(call_id, i + 1, dialed_at + t.after, t, policy.on_call_emails, policy.on_call_sms, policy.mode,
                 policy.voice_calls)
            for i, t in enumerate(tiers) if t.channels]


def acknowledged_enough(step: Step, records: list[Delivery]) -> bool:
    """Whether the acknowledgements so far make the step unnecessary. A desk member's acknowledgement on the board
    counts as one person's (mode `any`: enough; `allFirstTier`: she was not notified, so the first tier's still
    count)."""
    sent = [d for d in records if d.channel in ACKNOWLEDGING]
    if step.mode == "any":
        return any(d.acknowledged for d in sent)
    people: dict[str, bool] = {}
    for d in sent:  # a recipient emailed and texted is one person when either acknowledged
        people[d.recipient.casefold()] = people.get(d.recipient.casefold(), False) or d.acknowledged
    first = [d for d in sent if d.first_attempt_at is not None and d.step == 0]  # told by the first notification
    return bool(first) and all(people[d.recipient.casefold()] for d in first)


def parse_policy(body: Any) -> Policy:
    """The admin's policy, strict; every problem named by its field (`tiers[1].afterSeconds`)."""
    if not isinstance(body, dict):
        raise ValidationError("policy", "must be an object with tiers, mode, onCall, escalateTests")
    fields = ("tiers", "mode", "onCall", "escalateTests", "voiceCallsPerRecipient")
    unknown = [k for k in body if k not in fields]
    if unknown:
        raise ValidationError(unknown[0], f"is not a field of an escalation policy ({', '.join(fields)})")
    raw = body.get("tiers")
    if not isinstance(raw, list) or not raw:
        raise ValidationError("tiers", "must list at least one tier: who is told when nobody has acknowledged")
    if len(raw) > MAX_TIERS:
        raise ValidationError("tiers", f"must list at most {MAX_TIERS} tiers")
    tiers = tuple(_tier(i, t) for i, t in enumerate(raw))
    for i in range(1, len(tiers)):
        if tiers[i].after <= tiers[i - 1].after:
            raise ValidationError(f"tiers[{i}].afterSeconds", "must come after the tier before it (each tier waits "
                                  "longer than the last: no tier repeats or goes back)")
    mode = body.get("mode", "any")
    if mode not in MODES:
        raise ValidationError("mode", f"must be one of {', '.join(MODES)}")
    on_call = body.get("onCall") or {}
    if not isinstance(on_call, dict) or set(on_call) - {"emails", "sms"}:
        raise ValidationError("onCall", "must be {\"emails\": [...], \"sms\": [...]}")
    emails = _recipients(on_call.get("emails"), "onCall.emails", parse_email_recipients)
    sms = _recipients(on_call.get("sms"), "onCall.sms", parse_sms_recipients)
    if any(t.audiences == ("onCall",) for t in tiers) and not (emails or sms):  # a tier that would tell nobody
        raise ValidationError("onCall", "names no recipient, yet a tier tells only the on-call recipients")
    tests = body.get("escalateTests", False)
    if not isinstance(tests, bool):
        raise ValidationError("escalateTests", "must be true or false")
    calls = body.get("voiceCallsPerRecipient", DEFAULT_VOICE_CALLS)
    if isinstance(calls, bool) or not isinstance(calls, int) or not 1 <= calls <= MAX_VOICE_CALLS:
        raise ValidationError("voiceCallsPerRecipient", f"must be a whole number from 1 to {MAX_VOICE_CALLS}")
    return Policy(tiers, mode, emails, sms, tests, calls)


def _tier(index: int, raw: Any) -> Tier:
    where = f"tiers[{index}]"
    if not isinstance(raw, dict) or set(raw) - {"name", "afterSeconds", "audiences", "channels"}:
        raise ValidationError(where, "must be {name, afterSeconds, audiences, channels}")
    name = raw.get("name") or f"Tier {index + 2}"
    if not isinstance(name, str) or len(name) > 80:
        raise ValidationError(f"{where}.name", "must be text of at most 80 characters")
    seconds = raw.get("afterSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError(f"{where}.afterSeconds", "must be a whole number of seconds after the dial")
    after = timedelta(seconds=seconds)
    if not MIN_WAIT <= after <= MAX_WAIT:
        raise ValidationError(f"{where}.afterSeconds", f"must be from {int(MIN_WAIT.total_seconds())} to "
                              f"{int(MAX_WAIT.total_seconds())} seconds (the callback window)")
    audiences = _choice(raw.get("audiences"), f"{where}.audiences", AUDIENCES)
    channels = _choice(raw.get("channels"), f"{where}.channels", CHANNELS)
    return Tier(name.strip(), after, audiences, channels)


def _choice(raw: Any, where: str, known: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise ValidationError(where, f"must list at least one of {', '.join(known)}")
    unknown = [x for x in raw if x not in known]
    if unknown:
        raise ValidationError(where, f"{unknown[0]!r} is not one of {', '.join(known)}")
    return tuple(x for x in known if x in raw)


def _recipients(raw: Any, where: str, parse: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw) or len(raw) > 20:
        raise ValidationError(where, "must be a list of at most 20 recipients")
    try:
        return tuple(parse("; ".join(raw))) if raw else ()
    except RecipientListError as exc:
        raise ValidationError(where, "; ".join(e.describe() for e in exc.errors)) from exc
