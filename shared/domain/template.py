"""The editable "Emergency call notification" template: validate it for admins, render it in a Jinja2 sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from shared.domain import default_template
from shared.domain.notification_context import (
    PLACEHOLDERS,
    NotificationContext,
    PlaceholderValue,
    sample_context,
)
from shared.domain.notification_sms import sms_text

__all__ = [  # re-exported so callers need only this module
    "DEFAULT_TEMPLATE",
    "MAX_SUBJECT_CHARS",
    "PLACEHOLDERS",
    "NotificationContext",
    "NotificationTemplate",
    "RenderedNotification",
    "TemplateError",
    "TemplateIssue",
    "render",
    "sample_context",
    "sms_text",
    "validate_template",
]

Field = Literal["subject", "html", "text"]
MAX_SUBJECT_CHARS = 250
TEST_PREFIX = "[TEST] "

# Subject and text are plain text (never HTML-escaped); the html part is always autoescaped. StrictUndefined turns
# a misspelt name into an error instead of a silently empty field in an emergency message.
_TEXT_ENV = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML_ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class NotificationTemplate:
    """Jinja2 sources of the three parts of the notification email."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class RenderedNotification:
    """A rendered notification: one-line subject, escaped HTML, plain text, and whether it is a test call."""

    subject: str
    html: str
    text: str
    is_test: bool = False


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


def validate_template(t: NotificationTemplate) -> None:
    """Raise TemplateError unless every part parses, uses only PLACEHOLDERS, and renders with sample data."""
    issues: list[TemplateIssue] = []
    parts: tuple[tuple[Field, str], ...] = (("subject", t.subject), ("html", t.html), ("text", t.text))
    for field, source in parts:
        issues.extend(_check_part(field, source))
    if issues:
        raise TemplateError(tuple(issues))


def render(t: NotificationTemplate, context: NotificationContext) -> RenderedNotification:
    """Render all parts; the subject is one line and starts with [TEST] for a test call unless it says TEST already.

    Does not validate: call validate_template when the template is saved. The sandbox still refuses unsafe access
    (jinja2.sandbox.SecurityError) and StrictUndefined refuses unknown names (jinja2.UndefinedError).
    """
    values = context.as_placeholders()
    subject = _one_line(_render_part("subject", t.subject, values))
    if context.is_test and "TEST" not in subject:
        subject = TEST_PREFIX + subject
    return RenderedNotification(
        subject=subject,
        html=_render_part("html", t.html, values),
        text=_render_part("text", t.text, values),
        is_test=context.is_test,
    )


def _env(field: Field) -> ImmutableSandboxedEnvironment:
    """Autoescaping environment for html, plain-text environment for subject and text."""
    return _HTML_ENV if field == "html" else _TEXT_ENV


def _render_part(field: Field, source: str, values: dict[str, PlaceholderValue]) -> str:
    """Render one part's source in the sandbox."""
    return _env(field).from_string(source).render(values)


def _one_line(subject: str) -> str:
    """Collapse all whitespace, newlines included, so a subject can never inject a mail header."""
    return " ".join(subject.split())


def _check_part(field: Field, source: str) -> list[TemplateIssue]:
    """All issues of one part: emptiness, syntax, names and underscore access, then a trial render."""
    if field != "html" and not source.strip():
        return [TemplateIssue(field, None, "must not be empty")]
    try:
        ast = _env(field).parse(source)
        issues = _unknown_names(field, ast) + _private_access(field, ast)  # the name scan compiles: unknown filters
    except TemplateSyntaxError as exc:
        return [TemplateIssue(field, exc.lineno, exc.message or "syntax error")]
    return issues or _trial_render(field, source)


def _unknown_names(field: Field, ast: nodes.Template) -> list[TemplateIssue]:
    """One issue per variable that is not a placeholder, at the line where it is first used."""
    issues = []
    for name in sorted(meta.find_undeclared_variables(ast) - PLACEHOLDERS.keys()):
        lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name]
        message = f"unknown placeholder '{name}'; allowed: {', '.join(PLACEHOLDERS)}"
        issues.append(TemplateIssue(field, min(lines, default=None), message))
    return issues


def _private_access(field: Field, ast: nodes.Template) -> list[TemplateIssue]:
    """Refuse `x._y`, `x['_y']` and `x|attr('_y')` up front; the sandbox would only refuse them while rendering."""
    issues = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _accessed_name(node)
        if name is not None and name.startswith("_"):
            issues.append(TemplateIssue(field, node.lineno, f"access to '{name}' is not allowed"))
    return issues


def _accessed_name(node: nodes.Node) -> str | None:
    """The attribute or key a Getattr/Getitem/attr-filter node reads, when it is a literal."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem):
        key = node.arg
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        key = node.args[0]
    else:
        return None
    return key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else None


def _trial_render(field: Field, source: str) -> list[TemplateIssue]:
    """Compile and render the part with sample data; report failures and an empty or overlong subject."""
    try:
        rendered = _render_part(field, source, sample_context().as_placeholders())
    except TemplateSyntaxError as exc:  # compile-time checks, e.g. an unknown filter
        return [TemplateIssue(field, exc.lineno, exc.message or "syntax error")]
    except Exception as exc:  # an admin's template can fail in any way; report it instead of crashing the save
        return [TemplateIssue(field, None, f"fails with sample data: {type(exc).__name__}: {exc}")]
    if field != "subject":
        return []
    subject = _one_line(rendered)
    if not subject:
        return [TemplateIssue(field, None, "renders to an empty subject")]
    if len(subject) > MAX_SUBJECT_CHARS:
        return [TemplateIssue(field, None, f"renders to {len(subject)} characters; at most {MAX_SUBJECT_CHARS}")]
    return []
