"""Acknowledging an emergency notification (issue 20): the recipient's link and SMS replies.

`GET /api/ack/{token}` shows the call and one button; `POST /api/ack/{token}` (the button) acknowledges. Neither
needs a sign-in (the recipient may be a guard without an account): the token is the capability, unguessable and bound
to one recipient of one call until the call's callback window ends. `sms_reply` (Event Grid
`Microsoft.Communication.SMSReceived` on the ACS system topic): "1" from a notified number acknowledges.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import azure.functions as func

from functions._common import container, parse_event
from functions.admin_page import SECURITY_HEADERS
from shared import events, ports
from shared.errors import NotFound
from shared.services import acknowledge

log = logging.getLogger(__name__)
bp = func.Blueprint()

SMS_RECEIVED = "Microsoft.Communication.SMSReceived"
# The page has no script; its one form posts back to itself.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STYLE = ("body{font:1.1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}"
         "button{font-size:1.3rem;min-height:48px;padding:.5rem 1.5rem}dt{font-weight:bold}"
         ".alert{border:3px solid #b00020;padding:.5rem 1rem}")


@bp.function_name("acknowledge_link")
@bp.route(route="ack/{token}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def acknowledge_link(req: func.HttpRequest) -> func.HttpResponse:
    token = req.route_params.get("token", "")
    try:
        c = container()
        act = acknowledge.acknowledge_link if req.method == "POST" else acknowledge.summary
        view = act(token, c)
    except NotFound:
        return _page("Link not valid", "<p>This link is not valid, or the emergency it was for has ended.</p>", 404)
    except ports.StoreError:
        log.exception("acknowledgement link: storage unavailable")
        return _page("Try again", "<p>Your answer could not be recorded just now. Press the button again in a few "
                     "seconds, or tell the security desk by phone.</p>", 503)
    return _page("Emergency call", _summary_html(view, token, just_now=req.method == "POST"))


@bp.function_name("sms_reply")
@bp.event_grid_trigger(arg_name="event")
def sms_reply(event: func.EventGridEvent) -> None:
    """A reply to an emergency SMS: "1" acknowledges; anything else, or an unknown number, is logged and ignored.
    Storage trouble raises, so Event Grid delivers the reply again."""
    c = container()
    sms = parse_event(event, (SMS_RECEIVED,), lambda e: events.sms_received(e.data, e.time, c.clock.now()))
    if sms is None:
        return
    outcome = acknowledge.acknowledge_reply(sms.from_number, sms.message, c)
    log.info("SMS reply %s: %s", sms.message_id[:64], outcome)
    c.telemetry.event("SmsReply", outcome=outcome)


def _summary_html(view: dict[str, Any], token: str, just_now: bool) -> str:
    e = html.escape
    where = ", ".join(str(p) for p in (view.get("site"), view.get("floor") and f"floor {view['floor']}",
                                        view.get("room") and f"room {view['room']}") if p)
    test = '<p class="alert"><strong>TEST CALL</strong>: no emergency response is needed.</p>' if view["test"] else ""
    rows = [("Agent", view["agentName"]), ("Number dialed", view["dialedNumber"]),
            ("Location", view.get("location") or "not known: ask the agent"), ("Site, floor, room", where or "—"),
            ("Callback number", view["callback"]), ("Dialed", f"{view['minutesSinceDial']} min ago")]
    others = view["others"]
    also = ("<p>Also acknowledged by: " + ", ".join(f"{e(a['by'])} ({e(a['channel'])})" for a in others) + ".</p>"
            if others else "<p>No one else has acknowledged yet.</p>")
    if view["acknowledged"]:
        action = ('<p role="status" class="alert"><strong>Thank you: your acknowledgement is recorded.</strong> '
                  "Go to the agent, or meet the responders at the door.</p>" if just_now else
                  '<p role="status"><strong>You have acknowledged this call.</strong></p>')
    else:
        action = (f'<form method="post" action="/api/ack/{e(token)}"><button type="submit">I&rsquo;m on my way / '
                  "I&rsquo;ve got it</button></form>")
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in rows)
    return f"<h1>Emergency call: {e(view['agentName'])} dialed {e(view['dialedNumber'])}</h1>{test}{action}" \
           f"<dl>{facts}</dl>{also}"


def _page(title: str, body: str, status: int = 200) -> func.HttpResponse:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>")
    return func.HttpResponse(page, status_code=status, headers=SECURITY_HEADERS | {
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store"})
