"""Unit tests for shared.domain.template: validation, sandboxed rendering, the default template and the SMS text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from jinja2.exceptions import SecurityError

from shared.domain.notification_sms import sms_size
from shared.domain.template import (
    DEFAULT_TEMPLATE,
    MAX_SUBJECT_CHARS,
    PLACEHOLDERS,
    NotificationContext,
    NotificationTemplate,
    RenderedNotification,
    TemplateError,
    TemplateIssue,
    render,
    sample_context,
    sms_text,
    validate_template,
)

OK_TEXT = "{{ agent_name }} dialed {{ dialed_number }}."


def _template(
    subject: str = "Emergency: {{ dialed_number }}", html: str = "", text: str = OK_TEXT
) -> NotificationTemplate:
    """A small valid template, with one part replaced by the test."""
    return NotificationTemplate(subject=subject, html=html, text=text)


def _issues(t: NotificationTemplate) -> tuple[TemplateIssue, ...]:
    """The issues validate_template raises for `t`."""
    with pytest.raises(TemplateError) as info:
        validate_template(t)
    return info.value.errors


# --- validation ----------------------------------------------------------------------------------------------------


def test_given_the_default_template_when_validated_then_it_passes() -> None:
    validate_template(DEFAULT_TEMPLATE)


def test_given_a_template_using_every_placeholder_when_validated_then_it_passes() -> None:
    # after the first paragraph (the SMS), which must fit in two SMS segments (tests/unit/test_channel_messages.py)
    validate_template(_template(text=OK_TEXT + "\n\n" + " ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)))


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__ }}",
        "{{ agent_name.__class__.__mro__ }}",
        "{{ agent_name['__class__'] }}",
        "{{ agent_name|attr('__class__') }}",
        "{{ agent_name._private }}",
    ],
)
def test_given_underscore_attribute_access_when_validated_then_it_is_refused(expression: str) -> None:
    issues = _issues(_template(html=f"<p>\n{expression}</p>"))

    assert [(i.field, i.line) for i in issues][0] == ("html", 2)
    assert "not allowed" in issues[0].message


def test_given_a_dunder_template_that_skipped_validation_when_rendered_then_the_sandbox_refuses() -> None:
    with pytest.raises(SecurityError):
        render(_template(text="{{ ''.__class__.__mro__ }}"), sample_context())


def test_given_an_unknown_variable_when_validated_then_the_issue_names_it_the_field_and_the_line() -> None:
    issues = _issues(_template(text="Hello\n\n{{ unknown_thing }}"))

    assert [(i.field, i.line) for i in issues] == [("text", 3)]
    assert "unknown_thing" in issues[0].message


def test_given_a_syntax_error_when_validated_then_the_issue_gives_its_line() -> None:
    issues = _issues(_template(text="line one\nline two\n{% if agent_name %}never closed"))

    assert [(i.field, i.line) for i in issues] == [("text", 3)]


def test_given_an_unknown_filter_when_validated_then_it_is_refused_with_its_line() -> None:
    issues = _issues(_template(subject="{{ agent_name|no_such_filter }}"))

    assert [(i.field, i.line) for i in issues] == [("subject", 1)]
    assert "no_such_filter" in issues[0].message


@pytest.mark.parametrize(("subject", "text"), [("", OK_TEXT), ("  \n ", OK_TEXT), ("Subject", ""), ("Subject", "\n")])
def test_given_an_empty_subject_or_text_when_validated_then_it_is_refused(subject: str, text: str) -> None:
    issues = _issues(_template(subject=subject, text=text))

    assert [i.message for i in issues] == ["must not be empty"]


def test_given_an_empty_html_part_when_validated_then_it_passes() -> None:
    validate_template(_template(html=""))


def test_given_a_subject_that_renders_to_nothing_when_validated_then_it_is_refused() -> None:
    issues = _issues(_template(subject="{% if is_test %}Test{% endif %}"))

    assert [i.field for i in issues] == ["subject"]


def test_given_a_subject_too_long_after_rendering_when_validated_then_it_is_refused() -> None:
    subject = "{{ location }} " * 5  # short source, long result with the sample location
    assert len(subject) < MAX_SUBJECT_CHARS

    issues = _issues(_template(subject=subject))

    assert [i.field for i in issues] == ["subject"]
    assert str(MAX_SUBJECT_CHARS) in issues[0].message


def test_given_a_template_failing_with_sample_data_when_validated_then_it_is_refused() -> None:
    issues = _issues(_template(text="{{ agent_name.upper(1, 2, 3) }}"))

    assert [i.field for i in issues] == ["text"]
    assert "sample data" in issues[0].message


def test_given_issues_in_several_parts_when_validated_then_all_are_reported() -> None:
    issues = _issues(_template(subject="{{ nope }}", html="{{ '' .__class__ }}", text=""))

    assert [i.field for i in issues] == ["subject", "html", "text"]


def test_given_a_refused_template_when_the_error_is_printed_then_it_lists_each_issue() -> None:
    with pytest.raises(ValueError, match=r"subject line 1: unknown placeholder 'nope'.*text: must not be empty"):
        validate_template(_template(subject="{{ nope }}", text=""))


# --- rendering -----------------------------------------------------------------------------------------------------


def test_given_markup_in_the_agent_name_when_rendered_then_html_escapes_it_and_text_keeps_it() -> None:
    context = replace(sample_context(), agent_name="<script>alert(1)</script>")
    t = _template(html="<p>{{ agent_name }}</p>", text="{{ agent_name }}")

    rendered = render(t, context)

    assert rendered.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert rendered.text == "<script>alert(1)</script>"


def test_given_newlines_in_subject_values_when_rendered_then_the_subject_is_one_line() -> None:
    context = replace(sample_context(), agent_name="Alice\r\nBcc: mallory@example.org\n")
    t = _template(subject="Call by {{ agent_name }}\n{{ dialed_number }}")

    subject = render(t, context).subject

    assert subject == "Call by Alice Bcc: mallory@example.org 911"


@pytest.mark.parametrize(
    ("is_test", "subject_source", "expected"),
    [
        (True, "Emergency call by {{ agent_name }}", "[TEST] Emergency call by Alice Example"),
        (True, "TEST emergency call by {{ agent_name }}", "TEST emergency call by Alice Example"),
        (False, "Emergency call by {{ agent_name }}", "Emergency call by Alice Example"),
    ],
)
def test_given_a_test_call_when_rendered_then_the_subject_carries_a_single_test_marker(
    is_test: bool, subject_source: str, expected: str
) -> None:
    rendered = render(_template(subject=subject_source), replace(sample_context(), is_test=is_test))

    assert rendered.subject == expected
    assert rendered.is_test is is_test


@pytest.mark.parametrize(
    ("zone", "dialed_at", "local", "zone_shown"),
    [
        ("America/Chicago", datetime(2026, 11, 23, 22, 53, tzinfo=UTC), "2026-11-23 16:53 CST", "America/Chicago"),
        ("America/New_York", datetime(2026, 7, 4, 16, 5, tzinfo=UTC), "2026-07-04 12:05 EDT", "America/New_York"),
        ("Europe/Copenhagen", datetime(2026, 1, 1, 0, 30, tzinfo=UTC), "2026-01-01 01:30 CET", "Europe/Copenhagen"),
        ("No/Such_Zone", datetime(2026, 11, 23, 22, 53, tzinfo=UTC), "2026-11-23 22:53 UTC", "UTC"),
        ("", datetime(2026, 11, 23, 22, 53, tzinfo=UTC), "2026-11-23 22:53 UTC", "UTC"),
    ],
)
def test_given_an_agent_time_zone_when_formatting_then_local_time_carries_the_zone_abbreviation(
    zone: str, dialed_at: datetime, local: str, zone_shown: str
) -> None:
    values = replace(sample_context(), agent_timezone=zone, dialed_at=dialed_at).as_placeholders()

    assert (values["dialed_at_local"], values["agent_timezone"]) == (local, zone_shown)


def test_given_times_in_another_offset_when_formatting_then_utc_fields_are_converted() -> None:
    plus_two = timezone(timedelta(hours=2))
    context = replace(
        sample_context(),
        dialed_at=datetime(2026, 11, 24, 0, 53, tzinfo=plus_two),
        callback_window_ends=datetime(2026, 11, 24, 1, 53, tzinfo=plus_two),
    )

    values = context.as_placeholders()

    assert (values["dialed_at_utc"], values["callback_window_ends_utc"]) == (
        "2026-11-23 22:53 UTC",
        "2026-11-23 23:53 UTC",
    )


def test_given_a_naive_datetime_when_building_a_context_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="dialed_at"):
        replace(sample_context(), dialed_at=datetime(2026, 11, 23, 22, 53))


@pytest.mark.parametrize(
    ("location", "known"), [("1 Example Plaza, Springfield, IL", True), ("", False), ("  ", False)]
)
def test_given_a_location_when_formatting_then_location_known_follows_it(location: str, known: bool) -> None:
    assert replace(sample_context(), location=location).as_placeholders()["location_known"] is known


def test_given_a_context_when_formatting_then_it_fills_exactly_the_documented_placeholders() -> None:
    assert set(sample_context().as_placeholders()) == set(PLACEHOLDERS)


def test_given_the_sample_context_then_it_uses_only_fictional_numbers_and_example_domains() -> None:
    sample = sample_context()

    assert re.fullmatch(r"\+1\d{3}55501\d\d", sample.callback_number)
    assert sample.agent_id.endswith("@example.com")


# --- the default template ------------------------------------------------------------------------------------------


def test_given_the_default_template_when_rendered_then_it_says_what_karis_law_asks() -> None:
    rendered = render(DEFAULT_TEMPLATE, sample_context())

    assert rendered.subject == "Emergency call by Alice Example: 911 dialed"
    for part in (rendered.text, rendered.html):
        for fact in ("911", "+12025550123", "1 Example Plaza, Springfield IL 62701, floor 3, room 301", "5:53 PM CST"):
            assert fact in part
        for fact in ("Nov 23, 2026, 4:53 PM CST", "Nov 23, 2026, 10:53 PM UTC", "ec-7f3a2b1c", "What to do"):
            assert fact.lower() in part.lower()


def test_given_no_location_when_the_default_template_is_rendered_then_it_asks_where_she_is() -> None:
    rendered = render(DEFAULT_TEMPLATE, replace(sample_context(), location=""))

    assert "Location not known: go to her desk or ask her supervisor." in rendered.text.split("\n\n")[0]
    assert "Location: not known - ask the agent where she is\n" in rendered.text
    assert "Not known — ask the agent where she is." in rendered.html
    assert "confirmed by the agent" not in rendered.text and "openstreetmap" not in rendered.html


def test_the_default_template_says_where_the_location_comes_from_how_old_it_is_and_links_a_map() -> None:
    rendered = render(DEFAULT_TEMPLATE, sample_context())

    assert ("Go to 1 Example Plaza, Springfield IL 62701, floor 3, room 301 (confirmed 2 h 5 min earlier).") \
        in rendered.text.split("\n\n")[0]
    assert "Location: 1 Example Plaza, Springfield IL 62701, floor 3, room 301\nSite: Springfield Plaza\nFloor: 3\n" \
        "Room: 301\n" in rendered.text
    assert "Location source: confirmed by the agent 2 h 5 min before the call\n" in rendered.text
    assert "Map: https://www.openstreetmap.org/?mlat=39.78170&mlon=-89.65010#map=18/39.78170/-89.65010" in rendered.text
    assert '<a href="https://www.openstreetmap.org/?mlat=39.78170&amp;mlon=-89.65010' in rendered.html


@pytest.mark.parametrize(("source", "short", "words"), [
    ("unconfirmed", "last confirmed 2 h 5 min earlier: check it", "too long ago or from another network"),
    ("typed", "typed, not confirmed: check it", "typed by the agent, not confirmed"),
    ("network-suggested", "her network's building: ask her floor and room",
     "the site of the network she called from, not confirmed by her"),
])
def test_a_location_she_has_not_confirmed_recently_says_so(source: str, short: str, words: str) -> None:
    rendered = render(DEFAULT_TEMPLATE, replace(sample_context(), location_source=source))
    assert f"({short})" in rendered.text.split("\n\n")[0]  # in the first paragraph: the SMS carries it too
    assert words in rendered.text and words in rendered.html


def test_given_a_test_call_when_the_default_template_is_rendered_then_every_part_says_so() -> None:
    rendered = render(DEFAULT_TEMPLATE, replace(sample_context(), is_test=True))

    assert rendered.subject.startswith("[TEST] ")
    assert rendered.text.startswith("TEST CALL")
    assert "<strong>TEST CALL</strong>" in rendered.html


def test_given_the_default_html_then_it_loads_nothing_external() -> None:
    assert not re.search(r"<img|<link|<script|src=|url\(", DEFAULT_TEMPLATE.html, re.IGNORECASE)


# --- SMS -----------------------------------------------------------------------------------------------------------


def _rendered(text: str, is_test: bool = False) -> RenderedNotification:
    return RenderedNotification(subject="s", html="", text=text, is_test=is_test)


def test_given_a_short_text_when_making_an_sms_then_the_first_paragraph_is_kept_whole() -> None:
    text = "Alice dialed 911.\n  Location:   Room 301.\n\nDetails\nmore"

    assert sms_text(_rendered(text)) == "Alice dialed 911. Location: Room 301."


def test_given_a_long_text_when_making_an_sms_then_it_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = " ".join(f"word{i}" for i in range(200))

    sms = sms_text(_rendered(text), max_segments=1)

    assert 150 <= len(sms) <= 160
    assert sms.endswith("...")
    assert (sms.removesuffix("...") + " ") in text + " "


def test_given_a_test_call_whose_text_lacks_test_when_making_an_sms_then_it_is_marked() -> None:
    sms = sms_text(_rendered("x " * 300, is_test=True), max_segments=1)

    assert sms.startswith("[TEST] ")
    assert len(sms) <= 160


def test_given_a_test_call_whose_text_says_test_when_making_an_sms_then_no_second_marker_is_added() -> None:
    assert sms_text(_rendered("TEST CALL - Alice dialed 933.", is_test=True)) == "TEST CALL - Alice dialed 933."


def test_given_a_real_call_when_making_an_sms_then_no_test_marker_is_added() -> None:
    assert sms_text(_rendered("Alice dialed 911.")) == "Alice dialed 911."


def test_given_the_default_template_when_making_an_sms_then_it_fits_and_keeps_the_callback_number() -> None:
    sms = sms_text(render(DEFAULT_TEMPLATE, sample_context()))

    assert sms_size(sms).segments <= 2
    assert "+12025550123" in sms
    assert sms.isascii()


@pytest.mark.parametrize(("suffix", "segments"), [("", 0), (" Reply 1." * 20, 1)])
def test_given_no_room_for_the_message_when_making_an_sms_then_it_is_refused(suffix: str, segments: int) -> None:
    with pytest.raises(ValueError):
        sms_text(_rendered("Alice dialed 911."), suffix, max_segments=segments)


def test_given_a_context_type_when_imported_from_template_then_it_is_the_shared_one() -> None:
    assert isinstance(sample_context(), NotificationContext)


def test_the_sms_of_a_long_name_and_address_still_carries_the_location_and_the_callback_number() -> None:
    context = replace(sample_context(), agent_name="Maria-Alejandra Fernandez", location_source="unconfirmed",
                      location="12345 North Example Boulevard, Springfield IL 62701, floor 12, room 1204",
                      location_confirmed_at=sample_context().dialed_at - timedelta(hours=14))
    sms = sms_text(render(DEFAULT_TEMPLATE, context))
    assert sms_size(sms).segments <= 2
    assert "12345 North Example Boulevard, Springfield IL 62701, floor 12, room 1204" in sms
    assert "(last confirmed 14 h earlier: check it)" in sms and "Callback number: +12025550123" in sms
