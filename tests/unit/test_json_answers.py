"""Every JSON answer writes its times as RFC 3339 (`T` between date and time, with the offset), whatever the use case
handed over: a datetime, a date or an ISO string (the API description says `format: date-time` everywhere)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from functions._common import json_response


def test_a_datetime_in_an_answer_is_written_as_rfc_3339() -> None:
    # GIVEN a use case that hands over datetimes as they are (the end of a call, a presence change)
    body = {"endedAt": datetime(2026, 12, 7, 13, 2, 44, 916655, tzinfo=UTC), "on": date(2026, 12, 7)}
    # WHEN it is answered
    answer = json.loads(json_response(body).get_body())
    # THEN the time has its T and offset, the date stays a date
    assert answer == {"endedAt": "2026-12-07T13:02:44.916655+00:00", "on": "2026-12-07"}
