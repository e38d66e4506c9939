"""Use case: on Emergency.CallStarted, email (and text) the people configured for the agent.

Each recipient is told in her locale (domain/locales.RecipientLocales): the agent's own contacts in the agent's, her
site's security desk and everyone else in the site's, else in the agent's. The message is rendered once per locale.

Once per emergency call and recipient however often the event arrives: the delivery record is claimed with a
conditional write before each send (a concurrent duplicate backs off), and the email operation id / SMS
repeatability id is derived from the call and recipient, so the service drops a repeat too. A record left queued
(its run died mid-send, or is still sending) is claimed again and sent with the same id: backing off there could
lose the message for good, while the service de-duplicates the send. Transient failures are left for Event Grid's
redelivery (NotifyReport.retry); after MAX_ATTEMPTS the record is final.
"""

from __future__ import annotations

import contextlib
import html
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from shared.adapters import render_process
from shared.config import SettingError
from shared.domain import delivery as rules
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.delivery import Channel, Delivery, SendResult
from shared.domain.incident_context import context_for
from shared.domain.locales import RecipientLocales, agent_locale, site_locale
from shared.domain.notification_locale import text
from shared.domain.notification_sms import reply_ask
from shared.domain.notify_plan import Desk, PlanWarning, plan_notifications
from shared.domain.notify_rules import AGENT, SITE_DESK, NotifyRules
from shared.domain.numbers import mask_phone
from shared.domain.recipients import mask_email
from shared.domain.sites import Site
from shared.domain.template import DEFAULT_TEMPLATE, NotificationTemplate, RenderedNotification, render, sms_text
from shared.errors import NotFound
from shared.ports import Conflict, NotifyPorts, SendError, SiteStore, StoreError

log = logging.getLogger(__name__)

TEMPLATE_FALLBACK = "template_fallback"  # warning code: the admin's template failed or exceeded a render limit
MAX_PARALLEL_SENDS = 4  # a handful of recipients go out together; Event Grid waits 30 s for the answer


@dataclass(frozen=True)
class Outcome:
    """What happened to one recipient in this run; `retry` when a transient failure awaits the redelivery."""

    channel: Channel
    recipient: str
    status: str
    attempts: int
    note: str
    retry: bool = False


@dataclass(frozen=True)
class NotifyReport:
    """The result of one run for one emergency call."""

    call_id: str
    outcomes: tuple[Outcome, ...] = ()
    warnings: tuple[str, ...] = ()
    settings: tuple[SettingError, ...] = ()  # missing/malformed settings that failed a channel for good
    unread: tuple[str, ...] = ()  # what storage could not give this run (the rules, her site): who else is told

    @property
    def retry(self) -> bool:
        """True when the event should be delivered again (some send failed transiently, attempts remain, or who is
        told could not be read in full: the redelivery tells those this run could not know of)."""
        return any(o.retry for o in self.outcomes) or bool(self.unread)


def notify_emergency(call_id: str, deps: NotifyPorts, described: EmergencyCall | None = None,
                     fallback_emails: str = "", ack_base: str | None = None) -> NotifyReport:
    """Idempotent; without a call record, notifies from `described` (the event's account of the call), else
    raises NotFound; StoreError when storage fails (both safe to retry). The call of an agent nobody configured
    goes to `fallback_emails` (FALLBACK_EMAIL_RECIPIENTS, as typed: its valid addresses are notified). `ack_base`:
    the app's public address; each email then carries its recipient's acknowledgement link, each SMS asks for a
    reply (issue 20)."""
    call = the_call(call_id, deps, described)
    agent = deps.agents.get(call.agent_id)
    unread: list[str] = []
    audiences = _audiences(call, deps, unread)
    site = site_of(call, deps, unread) if SITE_DESK in audiences else UNREAD  # read for its locale when needed
    desk = Desk(site.desk_emails, site.desk_sms) if isinstance(site, Site) else Desk()
    plan = plan_notifications(agent, call.agent_id, _sms_configured(deps), fallback_emails, desk, AGENT in audiences)
    records = records_of(call_id, deps)
    jobs = plan.jobs + _unsettled(records, plan.jobs)
    for w in plan.warnings:
        _record_warning(call_id, w, deps)
    codes = tuple(w.code for w in plan.warnings)
    if not jobs:
        return NotifyReport(call_id, (), codes, unread=tuple(unread))
    outcomes, more = send_to(call, agent, jobs, records, deps, ack_base, site=site)
    return NotifyReport(call_id, outcomes, codes + more, _unusable({c for c, _ in jobs}, deps), tuple(unread))


def the_call(call_id: str, deps: NotifyPorts, described: EmergencyCall | None = None) -> EmergencyCall:
    """The call as notified: its record, or the event's account of it when the record is missing or partial;
    NotFound when neither describes it."""
    loaded = deps.calls.get(call_id)
    record = loaded[0] if loaded is not None else None
    # A tombstone (the end came first) knows the end, not the call, and a record rebuilt from a lease lacks the
    # location: the dial's own account in the event describes the call better.
    partial = record is None or record.origin in ("end", "reported", "lease")
    call = described if described is not None and partial else record
    if call is None or not call.described:
        raise NotFound(f"no emergency call record {call_id}")
    return call


class SiteReader(Protocol):
    sites: SiteStore


class _Unread:
    """send_to's default for the call's site: not read yet (read when someone needs its locale)."""


UNREAD = _Unread()


def send_to(call: EmergencyCall, agent: Agent | None, jobs: tuple[tuple[Channel, str], ...], records: Records | None,
            deps: NotifyPorts, ack_base: str | None, step: int = 0,
            site: Site | _Unread | None = UNREAD) -> tuple[tuple[Outcome, ...], tuple[str, ...]]:
    """Render the call's notification once per locale its recipients need and deliver it to each (channel,
    recipient), once per call however often asked (the delivery records); answers the outcomes and the warning
    codes recorded (a template fallback). `site`: the site of the call's location as already read (None: none),
    else read here when a recipient who is not her own contact needs its locale."""
    locales = recipient_locales(call, agent, jobs, deps, site)
    template = _current_template(deps)
    rendered: dict[str, RenderedNotification] = {}
    codes: tuple[str, ...] = ()
    for locale in dict.fromkeys(locales.of(r) for _, r in jobs):
        rendered[locale], fallback = _render(call, agent, template, locale)
        if fallback is not None and not codes:
            _record_warning(call.call_id, fallback, deps)
            codes = (fallback.code,)
    workers = min(MAX_PARALLEL_SENDS, len(jobs))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify") as pool:
        outcomes = tuple(pool.map(lambda job: _deliver(call.call_id, job[0], job[1], rendered[locales.of(job[1])],
                                                       deps, records, ack_base, step), jobs))
    return outcomes, codes


def recipient_locales(call: EmergencyCall, agent: Agent | None, jobs: tuple[tuple[Channel, str], ...],
                      deps: SiteReader, site: Site | _Unread | None = UNREAD) -> RecipientLocales:
    """Who is told in which locale (RecipientLocales); the site is read only when someone who is not one of her own
    contacts is told, and an unreadable site leaves them in her locale."""
    own = tuple(r for _, r in plan_notifications(agent, call.agent_id, True).jobs) if agent is not None else ()
    mine = RecipientLocales.of_call(agent_locale(agent, call.country), None, own)
    if all(r.casefold() in mine.own for _, r in jobs):
        return mine
    if isinstance(site, _Unread):
        site = site_of(call, deps, [])
    return replace(mine, site=site_locale(site)) if site is not None else mine


Records = dict[tuple[str, str], Delivery]


def records_of(call_id: str, deps: NotifyPorts) -> Records | None:
    """The call's delivery records by (channel, recipient folded), in one query (instead of a read per recipient);
    None when they cannot be read (each recipient's record is then read on its own)."""
    try:
        return {(d.channel, d.recipient.casefold()): d for d in deps.deliveries.list(call_id)}
    except StoreError as exc:
        log.warning("emergency call %s: earlier deliveries not readable at once: %s", call_id, exc)
        return None


def _unsettled(records: Records | None, planned: tuple[tuple[Channel, str], ...]) -> tuple[tuple[Channel, str], ...]:
    """Recipients an earlier run of this call began to notify and did not finish (a transient failure, a run that
    died mid-send), whom this run's plan leaves out (an admin changed the rules or the site's desk meanwhile):
    someone told of a call is told in full, never dropped half-way."""
    known = {(c, r.casefold()) for c, r in planned}
    return tuple((d.channel, d.recipient) for key, d in (records or {}).items()
                 if d.channel in ("email", "sms") and not d.settled and key not in known)


def _audiences(call: EmergencyCall, deps: NotifyPorts, unread: list[str]) -> tuple[str, ...]:
    """Who the admin's rule for the dialed number tells; when the rules cannot be read, the default rule now and
    the admin's on the redelivery (`unread`)."""
    try:
        rules = deps.sites.get_notify_rules() or NotifyRules()
    except Exception as exc:  # storage or settings: her notification goes out under the default rule all the same
        log.error("emergency call %s: notification rules could not be read, the default rule is used: %s",
                  call.call_id, exc)
        if isinstance(exc, StoreError):  # storage comes back; a setting that cannot build the store does not
            unread.append("notification_rules")
        rules = NotifyRules()
    return rules.audiences(call.dialed_number, call.test)


def site_desk(call: EmergencyCall, deps: NotifyPorts, unread: list[str]) -> Desk:
    """The security desk of the site the call's location names; when the site cannot be read, none in this run
    (her own contacts are told at once) and the desk on the redelivery (`unread`)."""
    site = site_of(call, deps, unread)
    return Desk(site.desk_emails, site.desk_sms) if site is not None else Desk()


def site_of(call: EmergencyCall, deps: SiteReader, unread: list[str]) -> Site | None:
    """The site the call's location names; None without one, or when it cannot be read (`unread` then says so)."""
    site_id = (call.location or {}).get("siteId")
    if not isinstance(site_id, str) or not site_id:
        return None
    try:
        return deps.sites.get_site(site_id)
    except Exception as exc:  # storage or settings: her own contacts are told all the same
        log.error("emergency call %s: site %s could not be read, its security desk is not told now: %s",
                  call.call_id, site_id, exc)
        if isinstance(exc, StoreError):  # told on the redelivery, once storage answers
            unread.append("site")
        return None


def _sms_configured(deps: NotifyPorts) -> bool:
    """SMS is on when ACS_SMS_SENDER is set, even if the sender cannot be built (each SMS then fails, naming the
    setting, rather than silently becoming a 'no SMS sender' warning)."""
    try:
        return deps.sms is not None
    except SettingError:
        return True


def _unusable(channels: set[Channel], deps: NotifyPorts) -> tuple[SettingError, ...]:
    """The setting errors that stop a channel: a port that cannot be built from its settings."""
    found = []
    for channel in sorted(channels):
        try:
            _ = deps.mailer if channel == "email" else deps.sms
        except SettingError as exc:
            found.append(exc)
    return tuple(found)


def _render(call: EmergencyCall, agent: Agent | None, template: NotificationTemplate,
            locale: str) -> tuple[RenderedNotification, PlanWarning | None]:
    """The admin's current template in `locale`, rendered in a render process within its limits (at most
    RENDER_SECONDS); the default one, and a warning saying why, when it fails, exceeds a limit or no render process
    can run."""
    context = context_for(call, agent)
    if template == DEFAULT_TEMPLATE:  # our own template: rendered here, no process needed
        return render(DEFAULT_TEMPLATE, context, locale), None
    try:
        return render_process.pool("send").render(template, context, locale), None
    except Exception as exc:  # validated when saved, but an emergency message must go out whatever the template does
        reason = exc.reason if isinstance(exc, render_process.RenderFailed) else f"it failed ({type(exc).__name__})"
        log.warning("emergency call %s: notification template not used (%s); using the default", call.call_id, reason)
        warning = PlanWarning(TEMPLATE_FALLBACK, f"the notification template was not used: {reason}; "
                                                 "the default template was sent instead")
        return render(DEFAULT_TEMPLATE, context, locale), warning


def _current_template(deps: NotifyPorts) -> NotificationTemplate:
    try:
        current = deps.templates.current()
    except StoreError as exc:
        log.warning("notification template not readable, the default template is used: %s", exc)
        return DEFAULT_TEMPLATE
    return current.template if current is not None else DEFAULT_TEMPLATE


def _record_warning(call_id: str, w: PlanWarning, deps: NotifyPorts) -> None:
    """Logged every time, recorded once per call and code."""
    log.warning("emergency call %s: notification warning %s: %s", call_id, w.code, w.message)
    with contextlib.suppress(Conflict):  # Conflict: recorded by an earlier delivery of the event
        deps.deliveries.create(rules.warning(call_id, w.code, w.message, deps.clock.now()))


def _deliver(call_id: str, channel: Channel, recipient: str, rendered: RenderedNotification,
             deps: NotifyPorts, records: Records | None = None, ack_base: str | None = None, step: int = 0) -> Outcome:
    """Skip when settled, give up when out of attempts, else claim the record, send, and record the result.
    `records`: the call's records read at the start of this run (a record another run writes meanwhile makes the
    claim conflict, and this run backs off)."""
    current = (records.get((channel, recipient.casefold())) if records is not None
               else deps.deliveries.get(call_id, channel, recipient))
    if current is not None and current.settled:
        return _outcome(current, f"already {current.status}")
    if rules.exhausted(current):
        assert current is not None
        return _log(_write_result(rules.give_up(current, deps.clock.now()), deps)[0], "gave up")
    try:
        claimed = _claim(current, call_id, channel, recipient, deps, step)
    except Conflict:
        log.info("emergency call %s: %s to %s is being sent by another delivery of the event; backing off",
                 call_id, channel, _mask(channel, recipient))
        return Outcome(channel, recipient, "queued", current.attempts if current else 0, "backed off")
    result = _send(claimed, personal(rendered, claimed, ack_base), deps, ack_base is not None)
    stored, ours = _write_result(rules.settle(claimed, result, deps.clock.now()), deps, result.accepted)
    return _log(stored, "sent" if ours else "settled by another delivery", retry=ours and stored.needs_retry)


def _claim(current: Delivery | None, call_id: str, channel: Channel, recipient: str, deps: NotifyPorts,
           step: int = 0) -> Delivery:
    """Write the queued record (one more attempt): insert the first time, conditional replace after that."""
    queued = rules.claim(current, call_id, channel, recipient, deps.clock.now(), step)
    return deps.deliveries.create(queued) if current is None else deps.deliveries.replace(queued)


def personal(rendered: RenderedNotification, record: Delivery, ack_base: str | None) -> RenderedNotification:
    """The message as this recipient gets it: with her own acknowledgement link (email), in the message's locale.
    The link names neither the agent nor the call: only the recipient's token, which the app maps back."""
    if not ack_base or not record.ack_token or record.channel != "email":
        return rendered
    url = f"{ack_base}/api/ack/{record.ack_token}"
    note = text(rendered.locale, "ack.note")
    plain = f"{rendered.text.rstrip()}\n\n{text(rendered.locale, 'ack.text', {'url': url})}\n{note}\n"
    link = (f'<p><strong><a href="{html.escape(url)}">{html.escape(text(rendered.locale, "ack.link"))}</a></strong>'
            f" {html.escape(note)}</p>\n")
    body = rendered.html
    at = body.lower().rfind("</body>")
    return replace(rendered, text=plain, html=body[:at] + link + body[at:] if at >= 0 else body + link)


def _sms_body(rendered: RenderedNotification, ask_reply: bool) -> str:
    """The SMS: the text's first paragraph in at most two segments (cut at a word only if it must be: a saved
    template's fits with the longest samples), ending with the request for a reply that acknowledges (issue 20), in
    the message's locale."""
    return sms_text(rendered, reply_ask(rendered.locale) if ask_reply else "")


def _send(claimed: Delivery, rendered: RenderedNotification, deps: NotifyPorts, ask_reply: bool = False) -> SendResult:
    """One message through the channel's port; any failure becomes a result, never an exception."""
    try:
        if claimed.channel == "email":
            return deps.mailer.send(claimed.recipient, rendered, claimed.operation_id)
        if deps.sms is None:
            return SendResult(False, reason="no SMS sender is configured")
        first = rules.first_sent(claimed, deps.clock.now())
        return deps.sms.send(claimed.recipient, _sms_body(rendered, ask_reply), claimed.operation_id, first)
    except SendError as exc:
        return SendResult(False, reason=str(exc), transient=exc.transient)
    except SettingError as exc:  # permanent: no redelivery helps until the app setting is fixed
        return SendResult(False, reason=str(exc), transient=False)
    except Exception as exc:  # a bug or an unexpected SDK error must not cost the other recipients their message
        log.exception("emergency call %s: unexpected error sending %s", claimed.call_id, claimed.channel)
        return SendResult(False, reason=f"unexpected error: {type(exc).__name__}", transient=True)


def _write_result(record: Delivery, deps: NotifyPorts, accepted: bool = False) -> tuple[Delivery, bool]:
    """Store the result (ours=True) unless someone else settled or took over the record first (ours=False).

    An acceptance wins over another delivery's queued claim (the service de-duplicated the send anyway).
    """
    for _ in range(3):
        try:
            return deps.deliveries.replace(record), True
        except Conflict:
            current = deps.deliveries.get(record.call_id, record.channel, record.recipient)
            if current is None or current.settled or not accepted:
                return current or record, False
            record = rules.settle(current, SendResult(True, record.message_id), deps.clock.now())
    return record, False


def _outcome(d: Delivery, note: str, retry: bool = False) -> Outcome:
    return Outcome(d.channel, d.recipient, d.status, d.attempts, note, retry)


def _log(d: Delivery, note: str, retry: bool = False) -> Outcome:
    """One log line per delivery, recipient masked; failures at warning level."""
    level = logging.INFO if d.status == "accepted" else logging.WARNING
    reason = f": {_scrub(d.reason, d.recipient)}" if d.reason else ""
    log.log(level, "emergency call %s: %s to %s %s (attempt %d%s, %s)%s", d.call_id, d.channel,
            _mask(d.channel, d.recipient), d.status, d.attempts, ", final" if d.final else "", note, reason)
    return _outcome(d, note, retry)


def _mask(channel: str, recipient: str) -> str:
    return mask_email(recipient) if channel == "email" else mask_phone(recipient)


def _scrub(text: str, recipient: str) -> str:
    """A service's error message may quote the address: mask it before it reaches a record or a log."""
    return text.replace(recipient, mask_email(recipient) if "@" in recipient else mask_phone(recipient))
