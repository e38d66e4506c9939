"""Who gets the emergency notification, on which channel, and what the admin must be warned about: pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.domain.calls import Agent
from shared.domain.delivery import Channel
from shared.domain.recipients import SEPARATOR, RecipientListError, parse_email_recipients, parse_sms_recipients


@dataclass(frozen=True)
class PlanWarning:
    """Something that keeps a notification from someone; recorded once per emergency call and code."""

    code: str
    message: str


@dataclass(frozen=True)
class Plan:
    """The (channel, recipient) pairs to notify, and the warnings to record."""

    jobs: tuple[tuple[Channel, str], ...]
    warnings: tuple[PlanWarning, ...]


@dataclass(frozen=True)
class Desk:
    """The security desk of the site she confirmed she is at (none when she confirmed no site)."""

    emails: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()


def plan_notifications(agent: Agent | None, agent_id: str, sms_enabled: bool, fallback_emails: str = "",
                       desk: Desk = Desk(), own: bool = True) -> Plan:
    """Email (if the mailbox is enabled) and SMS (if a sender is configured) recipients of the agent; for an agent
    nobody configured (no profile has the id, or it is a signed-in user's whom no profile names), whose own
    recipients are unknown, the tenant's fallback email recipients (FALLBACK_EMAIL_RECIPIENTS, as typed). `desk`:
    the security desk of her site, told too (a recipient on both lists once). `own`: False when the number's rule
    tells only the desk; with no desk to tell, her own contacts are told all the same: never nobody."""
    mine = _own_plan(agent, agent_id, sms_enabled, fallback_emails)
    desk_jobs, desk_warnings = _desk_plan(desk, sms_enabled)
    if not own:
        if desk_jobs:
            return Plan(desk_jobs, desk_warnings)
        return Plan(mine.jobs, (*desk_warnings, *mine.warnings, PlanWarning(
            "no_desk_for_rule", "the rule for this number tells only the site's security desk, and there is none "
            "(she confirmed no site, or the site has no desk recipient): her own contacts were told instead")))
    known = {(c, r.casefold()) for c, r in mine.jobs}
    extra = tuple((c, r) for c, r in desk_jobs if (c, r.casefold()) not in known)
    warnings = mine.warnings if not extra else tuple(w for w in mine.warnings if w.code != "no_recipients")
    return Plan(mine.jobs + extra, (*warnings, *desk_warnings))


def _desk_plan(desk: Desk, sms_enabled: bool) -> tuple[tuple[tuple[Channel, str], ...], tuple[PlanWarning, ...]]:
    email: Channel = "email"
    sms: Channel = "sms"
    jobs = tuple((email, e) for e in dict.fromkeys(desk.emails))
    if desk.sms and not sms_enabled:
        return jobs, (PlanWarning("desk_sms_disabled", f"no SMS sender is configured (ACS_SMS_SENDER): the "
                                  f"security desk's {len(desk.sms)} mobile number(s) were not texted"),)
    return jobs + tuple((sms, p) for p in dict.fromkeys(desk.sms)), ()


def _own_plan(agent: Agent | None, agent_id: str, sms_enabled: bool, fallback_emails: str) -> Plan:
    if agent is None:
        return _fallback_plan(agent_id, fallback_emails)
    warnings: list[PlanWarning] = []
    emails = _lenient(agent.email_recipients, parse_email_recipients, "email", warnings)
    phones = _lenient(agent.sms_recipients, parse_sms_recipients, "sms", warnings)
    if emails and not agent.mailbox_enabled:
        warnings.append(PlanWarning("mailbox_disabled", f"the mailbox is disabled for agent {agent_id}: "
                                    f"{len(emails)} email recipient(s) were not notified"))
        emails = ()
    if phones and not sms_enabled:
        warnings.append(PlanWarning("sms_disabled", f"no SMS sender is configured (ACS_SMS_SENDER): "
                                    f"{len(phones)} SMS recipient(s) were not notified"))
        phones = ()
    email: Channel = "email"
    sms: Channel = "sms"
    jobs = tuple((email, e) for e in emails) + tuple((sms, p) for p in phones)
    if not jobs and not warnings:
        warnings.append(PlanWarning("no_recipients", f"no notification recipients are configured for agent "
                                    f"{agent_id}: nobody was notified"))
    return Plan(jobs, tuple(warnings))


def _fallback_plan(agent_id: str, fallback_emails: str) -> Plan:
    warnings: list[PlanWarning] = []
    emails = _lenient(fallback_emails, parse_email_recipients, "fallback_email", warnings)
    if not emails:
        warnings.append(PlanWarning("unknown_agent", f"agent {agent_id} is not configured and no fallback "
                                    "recipients are set (FALLBACK_EMAIL_RECIPIENTS): nobody was notified"))
        return Plan((), tuple(warnings))
    warnings.append(PlanWarning("unknown_agent", f"agent {agent_id} is not configured, so her own contacts are "
                                f"unknown: the {len(emails)} fallback recipient(s) (FALLBACK_EMAIL_RECIPIENTS) "
                                "were notified instead"))
    email: Channel = "email"
    return Plan(tuple((email, e) for e in emails), tuple(warnings))


def _lenient(raw: str, parse: Callable[[str], tuple[str, ...]], channel: str,
             warnings: list[PlanWarning]) -> tuple[str, ...]:
    """The whole list when valid; otherwise its valid items, with a warning naming the positions left out.

    The admin API refuses bad lists, but a stored list may predate a stricter rule: in an emergency, notify whoever
    can be notified.
    """
    try:
        return parse(raw)
    except RecipientListError as exc:
        positions = ", ".join(f"#{e.position}" for e in exc.errors)
        warnings.append(PlanWarning(f"invalid_{channel}_recipients",
                                    f"{channel} recipient(s) {positions} are not valid and were skipped"))
    valid: list[str] = []
    for item in raw.split(SEPARATOR):
        try:
            valid.extend(v for v in parse(item) if v.casefold() not in {x.casefold() for x in valid})
        except RecipientListError:
            continue
    return tuple(valid)
