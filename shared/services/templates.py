"""Use cases of the template admin API: read, save a new version, preview, list and restore versions.

Every save (a restore included) adds a version; none is overwritten, so the history says who changed what, when.
One template serves every locale: its t("key") reads the catalogue of the recipient's locale (domain/template.py);
the answers list the locales and the messages (in en-US) a template may use.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.adapters import render_process
from shared.domain.locales import DEFAULT_LOCALE, LOCALES, locale_for_country, parse_locale
from shared.domain.notification_context import NotificationContext
from shared.domain.notification_sms import MAX_SEGMENTS, SmsSize, capacity, reply_ask, sms_size
from shared.domain.sample_contexts import longest_contexts
from shared.domain.template import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    NotificationTemplate,
    RenderedNotification,
    TemplateError,
    sms_text,
)
from shared.domain.template_versions import TEMPLATE_NAME, TemplateVersion
from shared.domain.voice_script import alert_script
from shared.errors import NotFound, StateConflict, ValidationError
from shared.ports import Conflict, NotifyPorts

log = logging.getLogger(__name__)

# Table Storage keeps at most 32K characters per text property; HTML mail of this size is already unusual.
MAX_CHARS = {"subject": 1_000, "html": 30_000, "text": 30_000}
MAX_AUTHOR_CHARS = 256


def get_template(deps: NotifyPorts) -> dict[str, Any]:
    """The current template (the default one, version 0, until an admin saves one), the placeholders, the locales
    and the messages t() reads (key -> en-US text)."""
    from shared.locales import messages

    return _view(deps.templates.current()) | {"placeholders": PLACEHOLDERS, "locales": list(LOCALES),
                                              "messages": dict(messages(DEFAULT_LOCALE))}


def save_template(body: dict[str, Any], author: str, deps: NotifyPorts) -> dict[str, Any]:
    """Validate (every validation context, within the render limits) and store a new version; 400 naming part,
    line and context; 409 when another save won the race; 503 when no render process can run."""
    template = template_from_body(body)
    check(template)
    return _view(_save(template, author, deps))


def preview(body: dict[str, Any] | None, deps: NotifyPorts, reply: bool = True) -> dict[str, Any]:
    """Render the given (unsaved) template, or the current one (a body with none of subject, html and text), with
    sample data, in a render process within its limits (render_process.RENDER_SECONDS); 400 when it is refused,
    over a limit or fails with any validation context in any locale. `locale` in the body (default en-US): the
    locale of the sample and of every channel. `channels`: what each channel carries with each country's longest
    sample (longest_contexts) in that locale, or without one in the country's own (en-CA for Canada): email
    subject and text, the SMS as sent with its size, the voice alert. `reply`: the SMS asks for a reply (the app
    has a public address, so messages can be acknowledged)."""
    asked = parse_locale((body or {}).get("locale"))
    locale = asked or DEFAULT_LOCALE
    if body and any(part in body for part in MAX_CHARS):
        template = template_from_body(body)
    else:
        current = deps.templates.current()
        template = current.template if current else DEFAULT_TEMPLATE
    rendered = check(template, locale)
    sms = sms_text(rendered, reply_ask(locale) if reply else "")
    channels = []
    for label, context in longest_contexts():
        shown = asked or locale_for_country(context.country)
        channels.append(_channels(label, context, render_process.pool().render(template, context, shown),
                                  reply_ask(shown) if reply else "", shown))
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text, "sms": sms,
            "smsSize": _size(sms_size(sms)), "channels": channels, "locale": locale, "locales": list(LOCALES)}


def list_versions(deps: NotifyPorts) -> dict[str, Any]:
    """Every saved version, newest first, without the content."""
    return {"template": TEMPLATE_NAME, "versions": [_summary(v) for v in deps.templates.versions()]}


def restore(version: int, author: str, deps: NotifyPorts) -> dict[str, Any]:
    """Save version N's content as a new version (history is kept); 404 when N does not exist; 400 when it fails
    today's validation (a version saved before the render limits may exceed them)."""
    old = deps.templates.get(version)
    if old is None:
        raise NotFound(f"no version {version} of the {TEMPLATE_NAME} template")
    check(old.template)
    return _view(_save(old.template, author, deps, restored_from=version))


def template_from_body(body: dict[str, Any]) -> NotificationTemplate:
    """{"subject", "html", "text"} as strings within their limits; html may be empty (plain-text email)."""
    parts: dict[str, str] = {}
    for name, limit in MAX_CHARS.items():
        value = body.get(name, "" if name == "html" else None)
        if not isinstance(value, str):
            raise ValidationError(name, "is required and must be a string")
        if len(value) > limit:
            raise ValidationError(name, f"must be at most {limit} characters")
        parts[name] = value
    return NotificationTemplate(subject=parts["subject"], html=parts["html"], text=parts["text"])


def check(template: NotificationTemplate, locale: str = DEFAULT_LOCALE) -> RenderedNotification:
    """The sample rendering in `locale`; ValidationError (400) naming the first issue's part, with every issue's
    part, line and message. The template never renders in this process: the render process bounds its time and
    memory."""
    try:
        return render_process.pool().preview(template, locale)
    except TemplateError as exc:
        first = exc.errors[0]
        details: list[dict[str, object]] = [
            {"field": e.field, "line": e.line, "message": e.message} for e in exc.errors]
        raise ValidationError(first.field, "; ".join(e.describe() for e in exc.errors), details) from None


def author_name(header: str | None) -> str:
    """Who saves: the signed-in user's name from App Service Authentication, else 'unknown'."""
    name = " ".join((header or "").split())[:MAX_AUTHOR_CHARS]
    return name or "unknown"


def _save(template: NotificationTemplate, author: str, deps: NotifyPorts,
          restored_from: int | None = None) -> TemplateVersion:
    try:
        saved = deps.templates.save(template, author, deps.clock.now(), restored_from)
    except Conflict:
        raise StateConflict("another version was saved at the same moment; reload and try again") from None
    log.info("notification template version %d saved by %s%s", saved.version, author,
             f" (restored from version {restored_from})" if restored_from else "")
    return saved


def _channels(label: str, context: NotificationContext, rendered: RenderedNotification,
              suffix: str, locale: str) -> dict[str, Any]:
    """One sample's message on every channel in `locale`, as sent."""
    sms = sms_text(rendered, suffix)
    return {"sample": label, "country": context.country, "locale": locale,
            "email": {"subject": rendered.subject, "text": rendered.text},
            "sms": {"text": sms, **_size(sms_size(sms))}, "voice": alert_script(context, locale)}


def _size(size: SmsSize) -> dict[str, Any]:
    """An SMS's size as the editor shows it: '2 segments, GSM-7, 281 of 306 characters'."""
    return {"encoding": size.encoding, "segments": size.segments, "characters": size.units,
            "maxCharacters": capacity(size.encoding, MAX_SEGMENTS), "maxSegments": MAX_SEGMENTS}


def _summary(v: TemplateVersion | None) -> dict[str, Any]:
    if v is None:
        return {"version": 0, "author": None, "savedAt": None, "restoredFrom": None, "isDefault": True}
    return {"version": v.version, "author": v.author, "savedAt": v.saved_at.isoformat(),
            "restoredFrom": v.restored_from, "isDefault": False}


def _view(v: TemplateVersion | None) -> dict[str, Any]:
    t = v.template if v is not None else DEFAULT_TEMPLATE
    return _summary(v) | {"subject": t.subject, "html": t.html, "text": t.text}
