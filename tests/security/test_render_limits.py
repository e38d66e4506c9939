"""Findings 4 and 5, the process half: previews, saves and sends of hostile templates end within their limits, and a
dial in another thread is not slowed while they run. The figures are printed (pytest -s) and kept in bench/README.md.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from shared.adapters import render_process
from shared.adapters.render_process import RENDER_SECONDS
from shared.commands import OutboundCall
from shared.domain.calls import Agent, EmergencyCall
from shared.domain.template import NotificationTemplate
from shared.errors import ValidationError
from shared.services import notify, templates
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeDeps
from tests.fakes_notify import NotifyDeps
from tests.security.bombs import DOUBLING, LOOP

SLACK = 0.5  # a bomb's answer within the time limit plus this
# What the sandbox cannot see coming: endless work, memory grown by concatenation, output by loops.
PROCESS_BOMBS = {
    "a billion loop steps": LOOP,
    "doubling a string 40 times": DOUBLING,
    "output of 300,000 characters": "{% for i in range(1000) %}{% for j in range(6) %}" + "x" * 50
                                    + "{% endfor %}{% endfor %}",
    "power folded at compile time": "{% set x = 10**(10**7) %}",
    "string repeat": "{{ 'a'*10**9 }}",
    "center width": "{{ 'a'|center(10**8) }}",
    "percent star width": "{{ '%*d' % (10**8, 1) }}",
}
GOOD = {"subject": "Emergency: {{ agent_name }}", "html": "<p>{{ location }}</p>", "text": "{{ agent_name }} dialed."}


def _timed_preview(text: str) -> tuple[float, ValidationError]:
    started = time.perf_counter()
    with pytest.raises(ValidationError) as refused:
        templates.preview(GOOD | {"text": text}, NotifyDeps())
    return time.perf_counter() - started, refused.value


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    templates.preview(GOOD, NotifyDeps())  # the pool starts on first use; its cold start is not what is measured


@pytest.mark.parametrize("source", PROCESS_BOMBS.values(), ids=PROCESS_BOMBS.keys())
def test_a_preview_of_each_bomb_is_refused_within_the_time_limit(source: str) -> None:
    # GIVEN an auditor's preview of a hostile template; WHEN it is rendered
    took, refused = _timed_preview(source)
    print(f"\npreview refused in {took:.3f} s: {refused.message[:110]}")
    # THEN a 400 naming the part comes back within the time limit (plus a little), and the next preview works
    assert took < RENDER_SECONDS + SLACK
    assert refused.field == "text"
    assert templates.preview(GOOD, NotifyDeps())["text"] == "Alice Example dialed."


def test_a_worker_over_its_time_limit_is_killed_and_replaced() -> None:
    # GIVEN the pool's workers; WHEN one is stuck in an endless template
    before = _worker_pids()
    _timed_preview(LOOP)
    # THEN its process is gone, and a warm successor answers the next preview at once
    after = _worker_pids()
    assert before - after and all(not _alive(pid) for pid in before - after)
    started = time.perf_counter()
    templates.preview(GOOD, NotifyDeps())
    assert time.perf_counter() - started < 1.0


def test_a_save_validates_with_several_contexts_and_refuses_a_time_bomb_keyed_on_the_sample() -> None:
    # GIVEN a template that is harmless only for the preview's sample agent (finding 5)
    deps = NotifyDeps()
    bomb = "{% if agent_id != 'alice.example@example.com' %}" + LOOP + "{% endif %}{{ agent_name }}"
    # WHEN an admin saves it
    started = time.perf_counter()
    with pytest.raises(ValidationError) as refused:
        templates.save_template(GOOD | {"text": bomb}, "admin@example.com", deps)
    took = time.perf_counter() - started
    print(f"\ntime bomb refused at save in {took:.3f} s: {refused.value.message}")
    # THEN 400 names the part, the limit and the context it hit; nothing is saved
    assert refused.value.field == "text" and "took longer" in refused.value.message
    assert "CA without location" in refused.value.message
    assert deps.templates.saved == [] and took < RENDER_SECONDS + SLACK


@pytest.mark.parametrize("text", ["{% if not location_known %}{{ location.x.y }}{% endif %}x",
                                  "{% if callback_number %}{{ callback_number }}{% else %}{{ nope() }}{% endif %}",
                                  "{{ agent_name[:150] }}{% if agent_name|length > 100 %}{{ 1/0 }}{% endif %}"])
def test_a_save_refuses_a_template_that_fails_on_a_context_other_than_the_sample(text: str) -> None:
    deps = NotifyDeps()
    with pytest.raises(ValidationError) as refused:
        templates.save_template(GOOD | {"text": text}, "admin@example.com", deps)
    assert refused.value.field == "text" and deps.templates.saved == []


@pytest.mark.parametrize(("source", "reason"), [(LOOP, "took longer"), (DOUBLING, "memory"),
                                                ("{{ 'a'*10**9 }}", "limit"), ("{{ 1/0 }}", "ZeroDivisionError")])
def test_at_send_a_template_over_its_limits_falls_back_to_the_default_and_says_why(source: str, reason: str) -> None:
    # GIVEN a saved template that explodes only for a real agent (saved before these limits, or keyed on her id)
    deps = _notify_deps()
    deps.templates.save(NotificationTemplate("Alert {{ agent_name }}", "", source), "admin", T0)
    # WHEN the emergency call is notified
    started = time.perf_counter()
    report = notify.notify_emergency("ec-1", deps)
    took = time.perf_counter() - started
    print(f"\nsend with a bomb ({reason}) fell back in {took:.3f} s")
    # THEN the default template went out in time, and the incident's records say why
    assert took < RENDER_SECONDS + SLACK
    assert [o.status for o in report.outcomes] == ["accepted"]
    assert "911" in deps.mailer.sent[0].subject and "Alert" not in deps.mailer.sent[0].subject
    assert notify.TEMPLATE_FALLBACK in report.warnings
    warning = deps.deliveries.get("ec-1", "none", notify.TEMPLATE_FALLBACK)
    assert warning is not None and reason in (warning.reason or "")


def test_at_send_a_good_saved_template_is_rendered_by_the_render_process() -> None:
    deps = _notify_deps()
    deps.templates.save(NotificationTemplate("Alert {{ agent_name }}", "", "{{ location }}"), "admin", T0)
    report = notify.notify_emergency("ec-1", deps)
    assert deps.mailer.sent[0].subject == "Alert Alice Example" and report.warnings == ()


@pytest.mark.parametrize("source", [LOOP, DOUBLING, "{% set x = 10**(10**7) %}"], ids=["loop", "memory", "power"])
def test_a_dial_is_not_delayed_while_a_hostile_preview_runs(source: str) -> None:
    # GIVEN the dial's latency alone
    alone = _dial_latencies(seconds=0.5)
    # WHEN a hostile preview renders in another thread
    with _hostile_preview(source):
        busy = _dial_latencies(seconds=1.0)
    # THEN the dial's median and 99th percentile move by at most a few milliseconds
    p50a, p50b = statistics.median(alone), statistics.median(busy)
    p99a, p99b = _p99(alone), _p99(busy)
    print(f"\ndial alone p50 {p50a * 1e3:.2f} ms p99 {p99a * 1e3:.2f} ms ({len(alone)} dials); "
          f"with a hostile preview p50 {p50b * 1e3:.2f} ms p99 {p99b * 1e3:.2f} ms max {max(busy) * 1e3:.2f} ms "
          f"({len(busy)} dials)")
    assert p50b < p50a + 0.003 and p99b < p99a + 0.015


def _dial_latencies(seconds: float) -> list[float]:
    out: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        deps = FakeDeps()
        deps.agents.put(Agent("alice", "Alice Example", acs_user_id="8:acs:r_alice"))
        deps.add_numbers("+12025550100")
        started = time.perf_counter()
        answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
        out.append(time.perf_counter() - started)
        assert answer["dial"] is True
        time.sleep(0.002)
    return out


class _hostile_preview:  # noqa: N801 - a context manager used like a function
    def __init__(self, source: str) -> None:
        self._thread = threading.Thread(target=_timed_preview, args=(source,), daemon=True)

    def __enter__(self) -> None:
        self._thread.start()
        time.sleep(0.05)  # the render is under way

    def __exit__(self, *exc: object) -> None:
        self._thread.join(RENDER_SECONDS + 2)


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def _notify_deps() -> NotifyDeps:
    deps = NotifyDeps()
    deps.agents.put(Agent("alice", "Alice Example", email_recipients="desk@example.org"))
    deps.calls.create(EmergencyCall("ec-1", "alice", "911", "US", False, T0, agent_name="Alice Example",
                                    callback_number="+12025550100", callback_source="pool",
                                    location={"address": "1 Main St", "city": "Springfield"}))
    return deps


def _worker_pids() -> set[int]:
    idle = render_process.pool()._idle  # noqa: SLF001 - the pool's own state is what this test inspects
    return {w.proc.pid for w in list(idle.queue) if w is not None}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "State:\tZ" not in status.read()
    except FileNotFoundError:
        return False



def test_hostile_previews_never_keep_a_notification_waiting() -> None:
    # GIVEN a good saved template, and an auditor keeping the admin render worker busy with an endless template
    deps = _notify_deps()
    deps.templates.save(NotificationTemplate("Alert {{ agent_name }}", "", "{{ location }}"), "admin", T0)
    with _hostile_preview(LOOP):
        # WHEN an emergency call is notified meanwhile
        started = time.perf_counter()
        report = notify.notify_emergency("ec-1", deps)
        took = time.perf_counter() - started
    print(f"\nnotification rendered in {took:.3f} s while a hostile preview ran")
    # THEN the send's own worker renders the admin's template at once
    assert deps.mailer.sent[0].subject == "Alert Alice Example" and report.warnings == () and took < 1.0
