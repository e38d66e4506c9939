"""A time filter outside what the stores can hold is refused naming its parameter (400), never a 500: the incident
list and export (`from`, `to`), the audit log (`from`, `to`) and the compliance summary (`month`). Found by the
contract run (tests/contract)."""

from __future__ import annotations

import pytest

from shared.admin_commands import audit_query
from shared.domain import periods
from shared.errors import ValidationError
from shared.services.incident_filters import parse_filters, parse_month


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "0001-01-01T00:00:00Z"}, "from"),  # a day before it is before the first day Python knows
    ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31"}, "to"),  # a date as `to` takes the whole day: the next day does not exist
    ({"to": "9999-12-31T23:59:59+00:00"}, "to"),
    ({"from": "0001-01-01T00:30:00+01:00"}, "from"),  # in UTC the day before the first
    ({"to": "2200-01-01"}, "to"),
])
def test_an_incident_filter_out_of_range_is_refused_naming_it(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_filters(params)
    assert refused.value.field == field


def test_incident_filters_within_range_are_kept() -> None:
    kept = parse_filters({"from": "2000-01-01", "to": "2199-12-31"})
    assert kept.start is not None and kept.start.year == 2000 and kept.end is not None and kept.end.year == 2200


@pytest.mark.parametrize(("params", "field"), [
    ({"to": "9999-12-31"}, "to"),
    ({"from": "2300-01-01T00:00:00Z"}, "from"),  # past the row keys' range: it would find nothing, silently
    ({"from": "1999-12-31"}, "from"),
])
def test_an_audit_filter_out_of_range_is_refused_naming_it(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        audit_query(params)
    assert refused.value.field == field


@pytest.mark.parametrize("month", ["9999-12", "2200-01", "1999-12", "0000-01"])
def test_a_compliance_month_out_of_range_is_refused_naming_month(month: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_month(month)
    assert refused.value.field == "month"


def test_the_last_month_in_range_ends_at_the_range_s_end() -> None:
    assert parse_month("2199-12")[1] == periods.LATEST
