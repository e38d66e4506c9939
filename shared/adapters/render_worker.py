"""The render process: `python -m shared.adapters.render_worker`, started and fed by render_process.

Protocol, one JSON object per line: the worker writes {"ready": true} once its address space and CPU time are
limited, then answers each request line on stdin with any number of {"step": [field, context]} lines (what it is
about to render, so a time-out can name it) and one {"result": …} line. Requests:
  {"op": "preview", "template": {subject, html, text}, "locale"?} -> {"rendered": {…}} | {"issues": [[field, line,
  msg], …]}
  {"op": "render", "template": …, "values": {placeholder: value}, "is_test": bool, "locale"?} -> {"rendered": …} |
  {"failed": msg}
Every result also says {"recycle": true} when the worker exits after it.
It exits at the end of its input, after a MemoryError (its heap may be fragmented), or when it has used its CPU
budget (RLIMIT_CPU: a render the parent gave up on cannot burn CPU for long once the parent is gone).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import IO, Any

from shared.domain.locales import DEFAULT_LOCALE, known_locale

# The parent kills a render after 2 s; this is the backstop should the parent be gone (RENDER_CPU_SECONDS: tests).
CPU_SECONDS_PER_REQUEST = int(os.environ.get("RENDER_CPU_SECONDS", "5"))
NICENESS = 19  # the lowest CPU priority: the dial and callback processes come first when cores are scarce
_MEMORY_NOTE = "memory limit"


def main() -> int:
    """Limit this process, load the template code, announce readiness, answer requests until stdin ends."""
    limit = int(os.environ.get("RENDER_MEMORY_BYTES", "0"))
    from shared.domain import template  # the heavy import happens here, in the child, never in the parent

    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(NICENESS)  # a template's CPU must never slow the dial or the callback path on the same instance
    out = sys.stdout
    _send(out, {"ready": True})
    for line in sys.stdin:
        _limit_cpu()
        result, recycle = _answer(template, json.loads(line), out)
        _send(out, {"result": result | {"recycle": recycle}})
        if recycle:
            return 0
    return 0


def _answer(template: Any, request: dict[str, Any], out: IO[str]) -> tuple[dict[str, Any], bool]:
    """The result of one request, and whether this process should exit after it."""
    t = template.NotificationTemplate(**request["template"])
    locale = known_locale(request.get("locale")) or DEFAULT_LOCALE
    if request["op"] == "preview":
        try:
            rendered = template.preview_template(t, on_step=lambda field, label: _send(out, {"step": [field, label]}),
                                                 locale=locale)
        except template.TemplateError as exc:
            issues = [[e.field, e.line, e.message] for e in exc.errors]
            return {"issues": issues}, any(_MEMORY_NOTE in e.message for e in exc.errors)
        return {"rendered": _rendered(rendered)}, False
    try:
        return {"rendered": _rendered(template.render_values(t, request["values"], request["is_test"], locale))}, False
    except MemoryError:
        return {"failed": "it exceeded the memory limit"}, True
    except template.RenderLimitError as exc:
        return {"failed": f"it exceeded a limit: {exc}"}, False
    except Exception as exc:  # the template's own failure; its text may quote the call's data, so only the type
        return {"failed": f"it failed ({type(exc).__name__})"}, False


def _rendered(r: Any) -> dict[str, Any]:
    return {"subject": r.subject, "html": r.html, "text": r.text, "is_test": r.is_test, "locale": r.locale}


def _limit_cpu() -> None:
    """Allow this request CPU_SECONDS_PER_REQUEST more seconds of CPU time; SIGXCPU ends the process after."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + CPU_SECONDS_PER_REQUEST
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=True) + "\n")
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
