"""The Jinja2 sandbox of the notification template, bounded: no huge numbers, repeats, ranges, widths or fills.

Jinja's own sandbox stops attribute escapes, not work: `10**(10**7)` is folded while compiling, `'a'*10**9` and
`'%*d' % (10**8, 1)` allocate gigabytes. Here every operator that can grow a value is intercepted (an intercepted
operator is never folded at compile time, nodes.BinExpr.as_const), the optimizer is off, and the filters and str
methods that take a width or count refuse one beyond the output limit. The separate render process (time and
address-space limits, shared/adapters/render_process.py) is the guard for whatever this does not foresee.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Iterable
from typing import Any

from jinja2 import StrictUndefined, filters, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 100_000  # per part of the message; the email of a long template is a few thousand characters
MAX_INT_BITS = 4_096  # about 1,200 decimal digits: no notification needs a bigger number
MAX_RANGE = 1_000  # Jinja's sandbox allows 100,000, and two nested loops of that never end

_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


class RenderLimitError(SecurityError):
    """A template asked for more than the limits allow (a number, a repeat, a width or the output size)."""


def bounded_range(*args: int) -> range:
    """range() with at most MAX_RANGE items."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise RenderLimitError(f"range of {len(rng)} items; at most {MAX_RANGE}")
    return rng


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse a power, product or sum whose result would exceed MAX_INT_BITS or MAX_OUTPUT_CHARS."""
    if operator == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        _check_bits(right * abs(left).bit_length(), "power")
    elif operator == "*":
        if _is_int(left) and _is_int(right):
            _check_bits(abs(left).bit_length() + abs(right).bit_length(), "product")
        elif _is_seq(left) and _is_int(right):
            check_size(len(left) * right, "repeat")
        elif _is_int(left) and _is_seq(right):
            check_size(left * len(right), "repeat")
    elif operator == "+" and _is_seq(left) and _is_seq(right):
        check_size(len(left) + len(right), "concatenation")
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left)


def check_size(size: int, what: str) -> None:
    """Refuse a value of more than MAX_OUTPUT_CHARS characters or items."""
    if size > MAX_OUTPUT_CHARS:
        raise RenderLimitError(f"{what} of {size} characters or items; at most {MAX_OUTPUT_CHARS}")


def check_percent_format(fmt: str) -> None:
    """'%…' formatting: no '*' widths (the width would come from data), literal widths within the output limit."""
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for value in (width, precision):
            if value == "*":
                raise RenderLimitError("'*' widths in % formatting are not allowed")
            if value:
                check_size(int(value), "format width")


def check_brace_format(fmt: str) -> None:
    """str.format: no nested fields in a format spec, widths and precisions within the output limit."""
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise RenderLimitError("nested fields in a format spec are not allowed")
        for digits in re.findall(r"\d+", spec or ""):
            check_size(int(digits), "format width")


def check_replace(s: str, old: str, new: str, count: int | None = None) -> None:
    """Refuse a replace whose result would exceed the output limit."""
    hits = s.count(old) if old else len(s) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    check_size(len(s) + hits * max(0, len(new) - len(old)), "replace result")


def check_string_call(method: Any, args: tuple[Any, ...]) -> None:
    """Widths of str.center/ljust/rjust/zfill/expandtabs and the growth of str.replace, before the call."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(owner, str) or not args:
        return
    if name in _WIDTH_METHODS and _is_int(args[0]):
        check_size(args[0], f"{name} width")
    elif name == "expandtabs" and _is_int(args[0]):
        check_size(len(owner) + owner.count("\t") * args[0], "expandtabs result")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        check_replace(owner, args[0], args[1], args[2] if len(args) > 2 and _is_int(args[2]) else None)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment that also refuses work and output beyond the limits above."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, undefined=StrictUndefined, optimized=False)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(10**6) is a megabyte of Latin, and no message needs it
        self.filters.update(_bounded_filters())

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        check_string_call(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        check_brace_format(value.__self__)
        return wrapped


def bounded_join(chunks: Iterable[str], limit: int = MAX_OUTPUT_CHARS) -> str:
    """Join a template's output stream, stopping as soon as it passes `limit` characters."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RenderLimitError(f"renders more than {limit} characters")
        parts.append(chunk)
    return "".join(parts)


def _bounded_filters() -> dict[str, Callable[..., Any]]:
    """Jinja's filters that take a width, a count or a fill, checked first."""

    def center(value: Any, width: int = 80) -> str:
        _check_int_arg(width, "center width")
        return filters.do_center(value, width)

    def indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        size = width if _is_int(width) else len(str(width))
        check_size(int(size) * (str(s).count("\n") + 1) + len(str(s)), "indent result")
        return filters.do_indent(s, width, first, blank)

    def format_(value: str, *args: Any, **kwargs: Any) -> str:
        check_percent_format(str(value))
        return filters.do_format(value, *args, **kwargs)

    def batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterable[list[Any]]:
        _check_int_arg(linecount, "batch size")
        return filters.do_batch(value, linecount, fill_with)

    def slice_(value: Collection[Any], slices: int, fill_with: Any = None) -> Iterable[list[Any]]:
        _check_int_arg(slices, "slice count")
        return filters.sync_do_slice(value, slices, fill_with)

    @pass_eval_context
    def replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
        check_replace(str(s), str(old), str(new), count)
        return filters.do_replace(eval_ctx, s, old, new, count)

    return {"center": center, "indent": indent, "format": format_, "batch": batch, "slice": slice_,
            "replace": replace}


def _check_int_arg(value: Any, what: str) -> None:
    if _is_int(value):
        check_size(value, what)


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise RenderLimitError(f"{what} of about {bits} bits; at most {MAX_INT_BITS}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _is_seq(value: Any) -> bool:
    return isinstance(value, str | list | tuple)
