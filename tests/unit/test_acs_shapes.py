"""ACS's real shapes through the parsers: every official example file, the three CallEnded shapes, both delivery
report casings and the schema's statuses, identifier models of every kind and casing (issue 10, parts 4 and 9)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared import events
from shared.identifiers import raw_id_of
from shared.services import deliveries
from tests.acs_examples import (
    CALL_ENDED,
    EMAIL_REPORTS,
    IGNORED,
    INCOMING_CALLS,
    SMS_RECEIVED,
    Example,
    examples,
    utc,
)

RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)  # the receive time: never what a parsed event should carry


def test_every_example_file_is_known_here() -> None:
    names = {e.name for e in examples()}
    assert names == set(CALL_ENDED) | set(EMAIL_REPORTS) | set(INCOMING_CALLS) | set(SMS_RECEIVED) | IGNORED, names
    assert len(names) == 10


def meaning(example: Example) -> tuple[Any, ...]:
    """What our parser makes of the example's data, in the terms of the tables in tests/acs_examples.py."""
    if example.event_type == "Microsoft.Communication.CallEnded":
        ended = events.acs_call_ended(example.event_id, example.data, utc(example.time))
        assert ended.ended_at == utc(example.time)
        return ended.started_by, ended.duration_seconds, ended.server_call_id, ended.correlation_id
    if example.event_type == deliveries.EMAIL_DELIVERY_REPORT:
        r = deliveries.email_delivery_report(example.data, RECEIVED)
        return r.message_id, r.status, r.at, r.recipient, r.detail
    if example.event_type == "Microsoft.Communication.SMSReceived":
        sms = events.sms_received(example.data, example.time, RECEIVED)
        return sms.message_id, sms.from_number, sms.to_number, sms.message, sms.received_at
    call = events.incoming_call(example.event_id, example.data, example.time, RECEIVED)
    assert call.event_time == utc(example.time)
    return call.to_raw_id, call.from_raw_id, call.server_call_id, call.correlation_id, call.incoming_call_context


@pytest.mark.parametrize("example", [e for e in examples() if e.name not in IGNORED], ids=lambda e: e.name)
def test_each_example_parses_as_acs_means_it(example: Example) -> None:
    expected = {**CALL_ENDED, **EMAIL_REPORTS, **INCOMING_CALLS, **SMS_RECEIVED}[example.name]
    assert meaning(example) == expected


def test_the_2021_call_ended_names_who_started_it() -> None:
    data = {"durationOfCall": 49.7, "serverCallId": "srv-1",
            "startedBy": {"rawId": "8:acs:r_1", "communicationUser": {"id": "8:acs:r_1"}}}
    assert events.acs_call_ended("e", data, RECEIVED).started_by == "8:acs:r_1"


def test_a_2021_call_ended_without_raw_id_is_read_from_its_model() -> None:
    data = {"durationOfCall": 3, "serverCallId": "srv-1", "startedBy": {"communicationUser": {"id": "8:acs:r_2"}}}
    ended = events.acs_call_ended("e", data, RECEIVED)
    assert (ended.started_by, ended.duration_seconds) == ("8:acs:r_2", 3.0)


@pytest.mark.parametrize(("model", "raw"), [
    ({"kind": "phoneNumber", "phoneNumber": {"value": "+12025550101"}}, "4:+12025550101"),
    ({"kind": "communicationUser", "communicationUser": {"id": "8:acs:r_3"}}, "8:acs:r_3"),
    ({"kind": "microsoftTeamsUser", "microsoftTeamsUser": {"userId": "u-4", "cloud": "public"}}, "8:orgid:u-4"),
    ({"kind": "microsoftTeamsUser", "microsoftTeamsUser": {"userId": "u-5", "cloud": "gcch"}}, "8:gcch:u-5"),
    ({"kind": "microsoftTeamsUser", "microsoftTeamsUser": {"userId": "u-6", "isAnonymous": True}},
     "8:teamsvisitor:u-6"),
], ids=["phone", "acs-user", "teams-user", "teams-gcch", "teams-anonymous"])
def test_identifier_models_without_raw_id_are_built_by_the_sdk(model: dict[str, Any], raw: str) -> None:
    assert raw_id_of(model) == raw


@pytest.mark.parametrize("kind", ["PhoneNumber", "PHONENUMBER", "phonenumber"])
def test_other_casings_of_kind_and_keys_are_still_read(kind: str) -> None:
    # No official source uses these casings (every one writes "phoneNumber"); they are read all the same.
    assert raw_id_of({"kind": kind, kind: {"Value": "+12025550102"}}) == "4:+12025550102"
    assert raw_id_of({"Kind": kind, "RawId": "4:+12025550102"}) == "4:+12025550102"


@pytest.mark.parametrize("key", ["deliveryAttemptTimeStamp", "deliveryAttemptTimestamp"])
def test_both_casings_of_the_attempt_time_are_read(key: str) -> None:
    data = {"messageId": "m-1", "status": "Delivered", key: "2026-11-23T15:00:12.2855749+00:00"}
    assert deliveries.email_delivery_report(data, RECEIVED).at == utc("2026-11-23T15:00:12.285574+00:00")


@pytest.mark.parametrize("status", ["Bounced", "Delivered", "Failed", "FilteredSpam", "Quarantined", "Suppressed"])
def test_the_schema_statuses_are_read_in_any_casing(status: str) -> None:
    for sent in (status, status.lower(), status.upper()):
        assert deliveries.email_delivery_report({"messageId": "m", "status": sent}, RECEIVED).status == status


def test_an_unknown_status_is_recorded_as_unknown_not_dropped() -> None:
    report = deliveries.email_delivery_report({"messageId": "m", "status": "Expanded",
                                               "deliveryStatusDetails": {"statusMessage": "to a list"}}, RECEIVED)
    assert report.status == "Unknown" and report.detail is not None
    assert "Expanded" in report.detail and "to a list" in report.detail


@pytest.mark.parametrize(("status", "delivered"), [
    ("Delivered", True), ("Bounced", False), ("Failed", False), ("FilteredSpam", False), ("Quarantined", False),
    ("Suppressed", False), ("Unknown", None)])
def test_each_status_says_whether_the_mail_arrived(status: str, delivered: bool | None) -> None:
    assert deliveries.DELIVERED.get(status) is delivered


# The SMS delivery report: the event schema's example in PascalCase keys, and the SDKs' camelCase.
SMS_REPORT_PASCAL = {"MessageId": "Outgoing_20200918002213_x", "From": "15555555555", "To": "+12025550142",
                     "DeliveryStatus": "Delivered", "DeliveryStatusDetails": "No error.",
                     "ReceivedTimestamp": "2020-09-18T00:22:20.2855749Z",
                     "DeliveryAttempts": [{"Timestamp": "2020-09-18T00:22:14.9315918Z", "SegmentsSucceeded": 1,
                                           "SegmentsFailed": 0}], "Tag": "customer tag"}


def test_an_sms_delivery_report_is_read_in_either_casing() -> None:
    camel = {k[0].lower() + k[1:]: v for k, v in SMS_REPORT_PASCAL.items()}
    camel["deliveryAttempts"] = [{"timestamp": "2020-09-18T00:22:14.9315918Z"}]
    for data in (SMS_REPORT_PASCAL, camel):
        report = deliveries.sms_delivery_report(data, RECEIVED)
        assert (report.message_id, report.status, report.detail, report.recipient) == (
            "Outgoing_20200918002213_x", "Delivered", "No error.", "+12025550142")
        assert report.at == utc("2020-09-18T00:22:14.931591+00:00")  # the carrier's last attempt


def test_an_sms_delivery_report_without_attempts_is_timed_when_received_and_a_failure_is_a_failure() -> None:
    report = deliveries.sms_delivery_report({"messageId": "m", "deliveryStatus": "failed",
                                             "receivedTimestamp": "2026-11-23T15:00:00Z"}, RECEIVED)
    assert (report.status, report.at) == ("Failed", utc("2026-11-23T15:00:00+00:00"))
    assert deliveries.sms_delivery_report({"messageId": "m", "deliveryStatus": "Queued"}, RECEIVED).status == \
        "Unknown"


@pytest.mark.parametrize("data", [{}, {"messageId": "m"}, {"deliveryStatus": "Delivered"}, "text",
                                  {"messageId": 5, "deliveryStatus": "Delivered"}])
def test_a_malformed_sms_delivery_report_is_a_bad_event(data: Any) -> None:
    with pytest.raises(events.BadEvent):
        deliveries.sms_delivery_report(data, RECEIVED)
