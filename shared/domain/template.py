"""The editable "Emergency call notification" template: validate it for admins, render it in a Jinja2 sandbox.

One template serves every locale. Besides the placeholders, it may call `t("key")`: the message of that key in the
recipient's locale (shared/locales/), its `{placeholders}` filled from the call's values (keyword arguments add or
override values: `t("email.line", label=t("label.site"), value=location_site)`). The default template says
everything through t(), so each recipient reads it in her locale; a template without t() reads the same in every
locale. A template is validated in every locale, and its SMS must keep its first lines with each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from shared.domain import default_template
from shared.domain.locales import DEFAULT_LOCALE, LOCALES
from shared.domain.notification_context import (
    PLACEHOLDERS,
    NotificationContext,
    PlaceholderValue,
    sample_context,
)
from shared.domain.notification_sms import MAX_SEGMENTS, capacity, reply_ask, sms_size, sms_text, uncut_sms
from shared.domain.sample_contexts import sms_contexts, validation_contexts

if TYPE_CHECKING:  # Jinja2 and the sandbox load on first use, so that indexing the app stays cheap
    from jinja2 import Template, nodes

    from shared.domain.template_sandbox import BoundedSandbox, RenderLimitError

__all__ = [  # re-exported so callers need only this module
    "DEFAULT_TEMPLATE",
    "MAX_SUBJECT_CHARS",
    "PLACEHOLDERS",
    "NotificationContext",
    "NotificationTemplate",
    "RenderLimitError",
    "RenderedNotification",
    "TemplateError",
    "TemplateIssue",
    "preview_template",
    "render",
    "render_values",
    "sample_context",
    "sms_text",
    "validate_template",
]

Field = Literal["subject", "html", "text"]
MAX_SUBJECT_CHARS = 250
TEST_PREFIX = "[TEST] "
TRANSLATE = "t"  # the template's function for the catalogue's messages

Step = Callable[[Field, str], None]  # told which part and context is about to render (the render process reports it)
Contexts = Sequence[tuple[str, NotificationContext]]


def __getattr__(name: str) -> Any:
    """RenderLimitError, re-exported without loading Jinja2 at import."""
    if name == "RenderLimitError":
        from shared.domain.template_sandbox import RenderLimitError

        return RenderLimitError
    raise AttributeError(name)


@dataclass(frozen=True)
class NotificationTemplate:
    """Jinja2 sources of the three parts of the notification email."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class RenderedNotification:
    """A rendered notification: one-line subject, escaped HTML, plain text, whether it is a test call, and the
    locale it was rendered in (what the app adds to it, the acknowledgement link and the reply request, follows)."""

    subject: str
    html: str
    text: str
    is_test: bool = False
    locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class TemplateIssue:
    """One problem in one part of a template; line is 1-based within that part, None when not tied to a line."""

    field: Field
    line: int | None
    message: str

    def describe(self) -> str:
        """'text line 3: message' style one-liner."""
        where = f"{self.field} line {self.line}" if self.line is not None else self.field
        return f"{where}: {self.message}"


class TemplateError(ValueError):
    """A template was refused; `.errors` lists every issue found (safe to return to the admin as a 400)."""

    def __init__(self, errors: tuple[TemplateIssue, ...]) -> None:
        self.errors = errors
        super().__init__("invalid notification template: " + "; ".join(e.describe() for e in errors))


DEFAULT_TEMPLATE = NotificationTemplate(
    subject=default_template.SUBJECT, html=default_template.HTML, text=default_template.TEXT
)


def validate_template(t: NotificationTemplate, contexts: Contexts | None = None, on_step: Step | None = None) -> None:
    """Raise TemplateError unless every part parses, uses only PLACEHOLDERS and known messages, and renders within
    the limits with every one of `contexts` (validation_contexts() by default) in every locale, and the SMS keeps
    its first paragraph whole with each of sms_contexts() in every locale."""
    preview_template(t, contexts, on_step)


def preview_template(t: NotificationTemplate, contexts: Contexts | None = None, on_step: Step | None = None,
                     locale: str = DEFAULT_LOCALE) -> RenderedNotification:
    """validate_template, then the rendering with the first context (the preview's sample data) in `locale`."""
    cases = tuple(contexts) if contexts is not None else validation_contexts()
    issues: list[TemplateIssue] = []
    parts: tuple[tuple[Field, str], ...] = (("subject", t.subject), ("html", t.html), ("text", t.text))
    for field, source in parts:
        issues.extend(_check_part(field, source, cases, on_step))
    if not issues:
        issues.extend(_sms_issues(t.text, sms_contexts(), on_step))
    if issues:
        raise TemplateError(tuple(issues))
    return render(t, cases[0][1], locale)


def render(t: NotificationTemplate, context: NotificationContext,
           locale: str = DEFAULT_LOCALE) -> RenderedNotification:
    """Render all parts in `locale`; the subject is one line and starts with [TEST] for a test call unless it says
    TEST already.

    Does not validate: call validate_template when the template is saved. The sandbox still refuses unsafe access
    (jinja2.sandbox.SecurityError), work beyond its limits (RenderLimitError) and unknown names
    (jinja2.UndefinedError). Run an admin's template in the render process, which bounds time and memory too.
    """
    return render_values(t, context.as_placeholders(locale), context.is_test, locale)


def render_values(t: NotificationTemplate, values: dict[str, PlaceholderValue], is_test: bool,
                  locale: str = DEFAULT_LOCALE) -> RenderedNotification:
    """render() from the placeholder values (what the render process receives)."""
    subject = _one_line(_render_part("subject", t.subject, values, locale))
    if is_test and "TEST" not in subject:
        subject = TEST_PREFIX + subject
    return RenderedNotification(
        subject=subject,
        html=_render_part("html", t.html, values, locale),
        text=_render_part("text", t.text, values, locale),
        is_test=is_test,
        locale=locale,
    )


def translator(locale: str, values: dict[str, PlaceholderValue]) -> Callable[..., str]:
    """The template's t(key, **values): the catalogue's message of `key` in `locale`, its placeholders filled from
    the call's values and the keyword arguments; its size bounded like any value the template makes."""
    from shared.domain.notification_locale import MessageError, text
    from shared.domain.template_sandbox import check_size

    def t(key: object, /, **extra: object) -> str:
        if not isinstance(key, str):
            raise MessageError("t() takes the key of a message, e.g. t('sms.dialed')")
        for value in extra.values():
            if isinstance(value, str):
                check_size(len(value), "message value")
        message = text(locale, key, {**values, **extra})
        check_size(len(message), "message")
        return message

    return t


@lru_cache(maxsize=2)
def _env(field: Field) -> BoundedSandbox:
    """Autoescaping environment for html, plain-text environment for subject and text, built on first use.

    Subject and text are plain text (never HTML-escaped); the html part is always autoescaped. StrictUndefined turns
    a misspelt name into an error instead of a silently empty field in an emergency message. Both refuse huge
    numbers, repeats, ranges and widths (template_sandbox); time and memory are bounded by the render process."""
    from shared.domain.template_sandbox import BoundedSandbox

    return BoundedSandbox(autoescape=field == "html")


def _render_part(field: Field, source: str, values: dict[str, PlaceholderValue], locale: str) -> str:
    """Render one part's source in the sandbox in `locale`, stopping once the output passes the limit."""
    from shared.domain.template_sandbox import bounded_join

    return bounded_join(_compiled(field, source).generate({**values, TRANSLATE: translator(locale, values)}))


@lru_cache(maxsize=16)
def _compiled(field: Field, source: str) -> Template:
    """Compiled once per source: a notification renders the same saved template again and again."""
    return _env(field).from_string(source)


def _one_line(subject: str) -> str:
    """Collapse all whitespace, newlines included, so a subject can never inject a mail header."""
    return " ".join(subject.split())


def _check_part(field: Field, source: str, cases: Contexts, on_step: Step | None) -> list[TemplateIssue]:
    """All issues of one part: emptiness, syntax, names, messages and underscore access, then a trial render with
    each context in each locale."""
    from jinja2 import TemplateSyntaxError

    if field != "html" and not source.strip():
        return [TemplateIssue(field, None, "must not be empty")]
    try:
        ast = _env(field).parse(source)
        issues = (_unknown_names(field, ast) + _unknown_messages(field, ast)  # the name scan compiles: filters
                  + _private_access(field, ast))
    except TemplateSyntaxError as exc:
        return [TemplateIssue(field, exc.lineno, exc.message or "syntax error")]
    for label, context, locale in _in_every_locale(cases):
        if issues:
            break
        if on_step is not None:
            on_step(field, label)
        issues = _trial_render(field, source, label, context, locale)
    return issues


def _in_every_locale(cases: Contexts) -> list[tuple[str, NotificationContext, str]]:
    """Each context in the default locale (labelled as it is), then in each other locale ('…, fr-CA')."""
    others = [(f"{label}, {locale}", context, locale) for locale in LOCALES if locale != DEFAULT_LOCALE
              for label, context in cases]
    return [(label, context, DEFAULT_LOCALE) for label, context in cases] + others


def _unknown_names(field: Field, ast: nodes.Template) -> list[TemplateIssue]:
    """One issue per variable that is not a placeholder (or t), at the line where it is first used."""
    from jinja2 import meta, nodes

    issues = []
    for name in sorted(meta.find_undeclared_variables(ast) - PLACEHOLDERS.keys() - {TRANSLATE}):
        lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name]
        message = f"unknown placeholder '{name}'; allowed: {', '.join(PLACEHOLDERS)}, and t('message key')"
        issues.append(TemplateIssue(field, min(lines, default=None), message))
    return issues


def _unknown_messages(field: Field, ast: nodes.Template) -> list[TemplateIssue]:
    """One issue per t('key') whose key no catalogue has (a key computed while rendering is checked then)."""
    from jinja2 import nodes

    from shared.locales import messages

    known = messages(DEFAULT_LOCALE)
    issues = []
    for call in ast.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == TRANSLATE and call.args):
            continue
        key = call.args[0]
        if isinstance(key, nodes.Const) and isinstance(key.value, str) and key.value not in known:
            issues.append(TemplateIssue(field, call.lineno, f"unknown message '{key.value}' in t(); the messages "
                                        "are listed with the template (GET …/emergency-call-notification)"))
    return issues


def _private_access(field: Field, ast: nodes.Template) -> list[TemplateIssue]:
    """Refuse `x._y`, `x['_y']` and `x|attr('_y')` up front; the sandbox would only refuse them while rendering."""
    from jinja2 import nodes

    issues = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _accessed_name(node)
        if name is not None and name.startswith("_"):
            issues.append(TemplateIssue(field, node.lineno, f"access to '{name}' is not allowed"))
    return issues


def _accessed_name(node: nodes.Node) -> str | None:
    """The attribute or key a Getattr/Getitem/attr-filter node reads, when it is a literal."""
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem):
        key = node.arg
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        key = node.args[0]
    else:
        return None
    return key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else None


def _sms_issues(source: str, cases: Contexts, on_step: Step | None) -> list[TemplateIssue]:
    """The first issue of the SMS: its first paragraph and the reply request in more than MAX_SEGMENTS segments with
    one of `cases` in one locale (the SMS would be cut, and with it the location or the callback number)."""
    for label, context, locale in _in_every_locale(cases):
        if on_step is not None:
            on_step("text", label)
        text, issues = _try_render("text", source, label, context, locale)
        if text is None:
            return issues
        ask = reply_ask(locale)
        whole = uncut_sms(RenderedNotification("", "", text, context.is_test, locale), ask)
        size = sms_size(whole)
        if size.segments > MAX_SEGMENTS:
            return [TemplateIssue("text", None, (
                f"the SMS would be cut with sample data ({label}): its first paragraph and '{ask.strip()}' "
                f"are {size.units} {size.encoding} characters, {size.segments} SMS segments; at most {MAX_SEGMENTS} "
                f"segments ({capacity('GSM-7', MAX_SEGMENTS)} GSM-7 characters, {capacity('UCS-2', MAX_SEGMENTS)} "
                "when one is outside GSM-7), or the location and the callback number may be lost. Shorten the first "
                "paragraph (who, where, callback number) and put the details after a blank line"))]
    return []


def _try_render(field: Field, source: str, label: str, context: NotificationContext,
                locale: str = DEFAULT_LOCALE) -> tuple[str | None, list[TemplateIssue]]:
    """(the rendered part, []) or (None, the issue): a failure, a limit."""
    from jinja2 import TemplateSyntaxError

    from shared.domain.template_sandbox import RenderLimitError

    try:
        return _render_part(field, source, _values(context, locale), locale), []
    except TemplateSyntaxError as exc:  # compile-time checks, e.g. an unknown filter
        return None, [TemplateIssue(field, exc.lineno, exc.message or "syntax error")]
    except RenderLimitError as exc:
        return None, [TemplateIssue(field, None, f"exceeds a limit with sample data ({label}): {exc}")]
    except MemoryError:
        return None, [TemplateIssue(field, None, f"exceeds the memory limit with sample data ({label})")]
    except Exception as exc:  # an admin's template can fail in any way; report it instead of crashing the save
        return None, [TemplateIssue(field, None, f"fails with sample data ({label}): {type(exc).__name__}: {exc}")]


def _trial_render(field: Field, source: str, label: str, context: NotificationContext,
                  locale: str = DEFAULT_LOCALE) -> list[TemplateIssue]:
    """Compile and render the part with one context; report failures, limits and an empty or overlong subject."""
    rendered, issues = _try_render(field, source, label, context, locale)
    if rendered is None or field != "subject":
        return issues
    subject = _one_line(rendered)
    if not subject:
        return [TemplateIssue(field, None, f"renders to an empty subject ({label})")]
    if len(subject) > MAX_SUBJECT_CHARS:
        return [TemplateIssue(field, None,
                              f"renders to {len(subject)} characters ({label}); at most {MAX_SUBJECT_CHARS}")]
    return []


@lru_cache(maxsize=256)
def _values(context: NotificationContext, locale: str) -> dict[str, PlaceholderValue]:
    """A sample's placeholders in one locale, computed once per validation run (three parts, the SMS check)."""
    return context.as_placeholders(locale)
