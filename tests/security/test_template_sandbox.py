"""Finding 4, the sandbox half: the bombs are refused by the sandbox itself, at compile time as at render time."""

from __future__ import annotations

import time

import pytest

from shared.domain.template import NotificationTemplate, TemplateError, validate_template
from shared.domain.template_sandbox import MAX_OUTPUT_CHARS, BoundedSandbox

BOMBS = {
    "power folded at compile time": "{% set x = 10**(10**7) %}",
    "power in output": "{{ 10**(10**7) }}",
    "power of a literal exponent": "{{ 9**99999999 }}",
    "string repeat": "{{ 'a'*10**9 }}",
    "list repeat": "{{ [1]*100000000 }}",
    "two nested big ranges": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "center filter": "{{ 'a'|center(10**8) }}",
    "center filter, literal width": "{{ 'a'|center(100000000) }}",
    "center method": "{{ 'a'.center(100000000) }}",
    "ljust method": "{{ location.ljust(100000000) }}",
    "percent star width": "{{ '%*d' % (10**8, 1) }}",
    "percent literal width": "{{ '%100000000d' % 1 }}",
    "percent precision": "{{ '%.100000000f' % 1 }}",
    "format filter": "{{ '%*d'|format(10**8, 1) }}",
    "str.format width": "{{ '{:>100000000}'.format(1) }}",
    "batch fill": "{{ [1]|batch(100000000, 'x')|list }}",
    "replace growth": "{{ ('a'*1000)|replace('a', 'a'*1000) }}",
    "indent width": "{{ 'a\nb'|indent(100000000) }}",
    "lipsum": "{{ lipsum(100000) }}",
}


@pytest.mark.parametrize("source", BOMBS.values(), ids=BOMBS.keys())
def test_each_bomb_is_refused_by_the_sandbox_in_milliseconds(source: str) -> None:
    # GIVEN a template part that would take seconds or gigabytes in Jinja's own sandbox
    started = time.perf_counter()
    # WHEN it is validated in this process
    with pytest.raises(TemplateError) as refused:
        validate_template(NotificationTemplate("Emergency", "", source))
    # THEN the sandbox refuses it at once and says which limit
    assert time.perf_counter() - started < 0.5
    assert refused.value.errors[0].field == "text"
    assert any(w in str(refused.value) for w in ("limit", "at most", "not allowed", "unknown placeholder"))


def test_compiling_a_huge_constant_power_does_not_fold_it() -> None:
    # GIVEN Jinja's optimizer, which would compute 10**(10**7) while compiling (about 6 s holding the GIL)
    started = time.perf_counter()
    # WHEN the bounded sandbox compiles it
    BoundedSandbox(autoescape=False).from_string("{% set x = 10**(10**7) %}{{ x }}")
    # THEN nothing is computed: the power is left to call_binop, which refuses it when rendering
    assert time.perf_counter() - started < 0.2


def test_ordinary_templates_still_render() -> None:
    # GIVEN the things a real template does: loops over small ranges, formatting, filters with small widths
    source = ("{% for i in range(3) %}{{ '%-5s|' % i }}{% endfor %} {{ agent_name|center(30) }} "
              "{{ '{:>6}'.format(dialed_number) }} {{ location|replace(',', ';') }} {{ 2**10 }} {{ 'ab' * 3 }}")
    env = BoundedSandbox(autoescape=False)
    # WHEN rendered
    out = env.from_string(source).render(agent_name="Alice", dialed_number="911", location="a, b")
    # THEN it works as in Jinja
    assert out.startswith("0    |1    |2    |") and "1024 ababab" in out and "a; b" in out and "   911" in out


def test_the_output_limit_is_what_the_sandbox_allows_a_repeat() -> None:
    env = BoundedSandbox(autoescape=False)
    assert len(env.from_string("{{ 'a' * n }}").render(n=MAX_OUTPUT_CHARS)) == MAX_OUTPUT_CHARS
