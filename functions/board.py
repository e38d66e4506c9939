"""The security desk's live emergency board (issue 21): SecurityDesk, Admin or Auditor role.

`GET /api/manage/board` answers the board with an ETag and the server's now (header X-Server-Now); `If-None-Match`
with the current tag answers 304 without a body (the page polls every second).
`POST /api/manage/board/{emergencyCallId}/acknowledge` acknowledges the call as the signed-in desk member (idempotent
per member; 404 once the call's window has closed, as a link).
"""

from __future__ import annotations

import azure.functions as func

from functions._auth import authorized
from functions._common import JSON_HEADERS, container
from shared import commands
from shared.adapters import lanes
from shared.auth import Access, Principal
from shared.services import acknowledge
from shared.services import board as service

bp = func.Blueprint()
# The board is the desk's view of an emergency: it yields to dials in flight, but for a bounded time in all (its
# 1 + 3 per call reads would otherwise each wait up to lanes.MAX_WAIT during a burst of dials).
WAITS_AT_MOST = 0.25
_snapshots: list[service.Snapshots] = []  # per process: every screen polling this instance shares one board


def snapshots() -> service.Snapshots:
    """Built on first use (indexing loads no use case)."""
    if not _snapshots:
        _snapshots.append(service.Snapshots())
    return _snapshots[0]


@bp.function_name("manage_board")
@bp.route(route="manage/board", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_board(req: func.HttpRequest) -> func.HttpResponse:
    tags: list[str] = []

    def run(_: Principal) -> object:
        with lanes.waits_at_most(WAITS_AT_MOST):
            view, tag = snapshots().get(lambda: service.board(container()))
        tags.append(tag)
        return view
    answer = authorized(req, Access.BOARD, run)
    if answer.status_code != 200 or not tags:
        return answer
    # The server's now, outside the body (so the tag stays until the board changes): the page counts the minutes
    # since each dial from it, not from the screen's own clock.
    headers = dict(JSON_HEADERS) | {"ETag": tags[0], service.NOW_HEADER: container().clock.now().isoformat()}
    if service.matches(req.headers.get("If-None-Match"), tags[0]):
        return func.HttpResponse(status_code=304, headers=headers)
    return func.HttpResponse(answer.get_body(), status_code=200, mimetype="application/json", headers=headers)


@bp.function_name("manage_board_acknowledge")
@bp.route(route="manage/board/{emergencyCallId}/acknowledge", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_board_acknowledge(req: func.HttpRequest) -> func.HttpResponse:
    def run(who: Principal) -> object:
        call_id = commands.check_id("emergencyCallId", req.route_params.get("emergencyCallId", ""))
        with lanes.waits_at_most(WAITS_AT_MOST):
            record = acknowledge.acknowledge_board(call_id, who.user_id, who.name, container())
        snapshots().clear()  # the next poll here shows it at once
        return {"emergencyCallId": call_id, "acknowledged": True, "by": who.name,
                "acknowledgedAt": record.acknowledged_at.isoformat() if record.acknowledged_at else None}
    return authorized(req, Access.BOARD, run)
