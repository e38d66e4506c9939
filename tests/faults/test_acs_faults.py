"""ACS answers 429 with Retry-After and 503 for email, SMS and the redirect: every message still goes out once,
every callback is redirected once."""

from __future__ import annotations

from local.stack import LocalStack
from tests.faults import harness as h


def test_acs_throttles_and_fails_for_email_sms_and_redirect(stack: LocalStack) -> None:
    c = stack.client
    stack.acs.set_faults({"email": {"mode": "throttle", "times": 4}, "sms": {"mode": "unavailable", "times": 3},
                          "redirect": {"mode": "unavailable", "times": 2}})
    try:
        dials = [h.dial(c, h.agent_id(i)) for i in range(8, 12)]
        callbacks = [h.incoming_call(c, "4:" + d.answer["callbackNumber"], f"cb-acs-{i}")
                     for i, d in enumerate(dials)]
        statuses = [h.publish_acs(stack, cb) for cb in callbacks]
        assert h.quiet(stack, timeout=90)
    finally:
        stack.acs.set_faults({})
    calls = {str(d.call_id): d.agent for d in dials}
    figures = h.Figures("ACS 429 with Retry-After and 503 for email, SMS and redirect", calls=len(calls))
    figures.dials(dials)
    figures.lost_notifications, figures.duplicate_notifications = h.wait_notified(stack, calls)
    figures.lost_redirects, figures.duplicate_redirects = h.redirect_counts(
        stack, [cb["data"]["incomingCallContext"] for cb in callbacks])
    figures.server_errors += sum(1 for s in statuses if s >= 500)
    figures.report()
    for d in dials:
        assert h.end(c, str(d.call_id), d.agent) == 200
    assert h.quiet(stack)
    assert figures.contract_held and figures.server_errors == 0, figures
