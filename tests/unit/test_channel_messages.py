"""Issue 20, item 5: messages that work on every channel. The SMS leads with who, where and the callback number and
fits in two segments (GSM-7 or UCS-2, counted as networks count them) with the longest values of every supported
country; the voice alert is written for the ear; the template editor previews each channel and refuses a template
whose SMS would lose its first lines."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from shared.domain.addresses import readout
from shared.domain.civic import CivicAddress
from shared.domain.notification_context import NotificationContext, sample_context
from shared.domain.notification_sms import (
    REPLY_ASK,
    SmsSize,
    capacity,
    first_lines,
    gsm_form,
    reply_ask,
    sms_size,
    sms_text,
    uncut_sms,
)
from shared.domain.numbers import ACS_EMERGENCY_NUMBERS
from shared.domain.sample_contexts import longest_contexts, sms_contexts, validation_contexts
from shared.domain.template import (
    DEFAULT_TEMPLATE,
    NotificationTemplate,
    RenderedNotification,
    TemplateError,
    render,
    validate_template,
)
from shared.domain.voice_script import alert_script, press
from shared.errors import ValidationError
from shared.services import templates
from tests.fakes_notify import NotifyDeps

SMS_LABELS = [label for label, _ in sms_contexts()]


def _rendered(text: str, is_test: bool = False) -> RenderedNotification:
    return RenderedNotification(subject="s", html="", text=text, is_test=is_test)


# --- counting SMS segments -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "size"), [
    ("", SmsSize("GSM-7", 0, 0)),
    ("a" * 160, SmsSize("GSM-7", 160, 1)),
    ("a" * 161, SmsSize("GSM-7", 161, 2)),
    ("a" * 306, SmsSize("GSM-7", 306, 2)),
    ("a" * 307, SmsSize("GSM-7", 307, 3)),
    ("Øresund, Bæk, København, é è ü ñ à ß @ £ ¥ § ¿ ¡ Δ Ω" + "a" * 100, SmsSize("GSM-7", 152, 1)),
    ("Ж" * 70, SmsSize("UCS-2", 70, 1)),
    ("Ж" * 71, SmsSize("UCS-2", 71, 2)),
    ("Ж" * 134, SmsSize("UCS-2", 134, 2)),
    ("Ж" * 135, SmsSize("UCS-2", 135, 3)),
])
def test_a_text_is_counted_in_the_units_and_segments_of_its_encoding(text: str, size: SmsSize) -> None:
    assert sms_size(text) == size


@pytest.mark.parametrize("extension", list("^{}[]~\\|€"))
def test_a_gsm7_extension_character_counts_two(extension: str) -> None:
    assert sms_size(extension * 80) == SmsSize("GSM-7", 160, 1)
    assert sms_size(extension * 81) == SmsSize("GSM-7", 162, 2)


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2() -> None:
    # GIVEN 150 GSM-7 characters: one segment WHEN one Cyrillic letter joins them THEN the message needs three
    assert sms_size("a" * 150).segments == 1
    assert sms_size("a" * 150 + "Ж") == SmsSize("UCS-2", 151, 3)


def test_an_emoji_takes_two_ucs2_units() -> None:
    assert sms_size("🚨" * 35) == SmsSize("UCS-2", 70, 1)
    assert sms_size("🚨" + "a" * 69) == SmsSize("UCS-2", 71, 2)


def test_a_segment_never_ends_between_the_two_halves_of_an_escaped_character_or_of_an_emoji() -> None:
    # 306 septets fill two segments only when no escape straddles the 153rd septet
    assert sms_size("a" * 152 + "€" + "a" * 152) == SmsSize("GSM-7", 306, 3)
    assert sms_size("a" * 66 + "🚨" + "a" * 66) == SmsSize("UCS-2", 134, 3)


def test_capacity_is_what_networks_carry() -> None:
    assert [capacity("GSM-7", n) for n in (1, 2, 3)] == [160, 306, 459]
    assert [capacity("UCS-2", n) for n in (1, 2, 3)] == [70, 134, 201]


# --- GSM-7 form ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "sent"), [
    ("María Fernández-Castellanos", "Maria Fernandez-Castellanos"),  # á í outside GSM-7
    ("Geneviève Côté", "Geneviève Coté"),  # è é are GSM-7, ô is not
    ("Anne-Sofie Østergaard-Bæk, Åbenrå", "Anne-Sofie Østergaard-Bæk, Åbenrå"),  # all GSM-7: kept
    ("Łukasz Œuvre", "Lukasz OEuvre"),
    ("she’s “here” – now…", 'she\'s "here" - now...'),
    ("zero\u200bwidth", "zerowidth"),
])
def test_letters_and_punctuation_outside_gsm7_take_their_closest_gsm7_form(text: str, sent: str) -> None:
    assert gsm_form(text) == sent
    assert sms_size(gsm_form(text)).encoding == "GSM-7"


def test_a_script_without_a_gsm7_form_is_kept_and_sent_as_ucs2() -> None:
    assert gsm_form("Жанна 中文 🚨") == "Жанна 中文 🚨"


# --- cutting the SMS -----------------------------------------------------------------------------------------------


def test_a_first_paragraph_too_long_is_cut_at_a_word_with_the_suffix_kept_whole() -> None:
    text = " ".join(f"word{i}" for i in range(100)) + "\n\nDetails"

    sms = sms_text(_rendered(text), REPLY_ASK)

    assert sms.endswith("..." + REPLY_ASK)
    assert sms_size(sms).segments == 2 and sms_size(sms).units > 306 - 10
    assert (sms.removesuffix("..." + REPLY_ASK) + " ") in text


def test_a_ucs2_first_paragraph_is_cut_to_two_ucs2_segments() -> None:
    text = "Жанна " * 40

    sms = sms_text(_rendered(text), REPLY_ASK)

    assert sms_size(sms).encoding == "UCS-2" and sms_size(sms).segments == 2
    assert sms.startswith("Жанна Жанна") and sms.endswith("..." + REPLY_ASK)


def test_a_first_paragraph_that_fits_is_sent_whole_in_gsm7_form() -> None:
    rendered = _rendered("EMERGENCY: María dialed 911.\nGo to room 3.\n\nDetails follow")

    assert sms_text(rendered, REPLY_ASK) == "EMERGENCY: Maria dialed 911. Go to room 3. Reply 1 to acknowledge."
    assert uncut_sms(rendered, REPLY_ASK) == sms_text(rendered, REPLY_ASK)


# --- the longest samples -------------------------------------------------------------------------------------------


def test_there_is_a_longest_sample_for_every_supported_country() -> None:
    assert sorted(c.country for _, c in longest_contexts()) == sorted(ACS_EMERGENCY_NUMBERS)
    for _, context in longest_contexts():
        assert context.dialed_number in ACS_EMERGENCY_NUMBERS[context.country]


def test_the_longest_samples_are_validated_with_every_template() -> None:
    assert set(longest_contexts()) <= set(validation_contexts())


# Each sample's location as addresses.readout reads it out from the civic address the site would hold.
READOUTS = {
    "US": CivicAddress("US", a1="AK", a3="Anchorage", rd="North Example", sts="Boulevard", hno="12345", pc="99501",
                       bld="Building C", flr="12", unit="Suite 1200", room="1204"),
    "PR": CivicAddress("PR", a3="Bayamón", rd="Calle Ejemplo de la Fortaleza", hno="1234", pc="00961",
                       bld="Torre B", flr="10", unit="Suite 1000", room="1012"),
    "CA": CivicAddress("CA", a1="QC", a3="Montréal", rd="rue Sainte-Catherine Ouest", hno="1234", pc="H3B 1A7",
                       bld="Tour Ouest", flr="22", unit="Suite 2200", room="2215"),
    "GB": CivicAddress("GB", a3="Stratford-upon-Avon", rd="Example", sts="Road", hno="123", pc="CV37 6AB",
                       bld="Riverside House", flr="3", unit="Suite 310", room="312"),
    "DK": CivicAddress("DK", a3="København NV", rd="Eksempelvej", hno="123", hns="B", pc="2400", bld="C",
                       flr="4. sal", unit="suite 12", room="415"),
    "AU": CivicAddress("AU", a1="NSW", a3="Parramatta", rd="Example", sts="Parade", hno="345", pc="2150",
                       bld="Building A", flr="Level 12", unit="Suite 1204", room="1204B"),
}


@pytest.mark.parametrize(("label", "context"), longest_contexts(), ids=[label for label, _ in longest_contexts()])
def test_each_longest_sample_is_realistic_and_fictional(label: str, context: NotificationContext) -> None:
    assert context.location == readout(READOUTS[context.country])
    assert 35 <= len(context.agent_name) <= 45 and len(context.location_site) >= 30
    assert re.fullmatch(r"\+1\d{3}55501\d\d|\+44207946\d{4}|\+6125550\d{4}|\+4535550\d{3}", context.callback_number)
    assert context.agent_id.endswith("@example.com")
    assert len(context.as_placeholders()["dialed_at_local"]) >= len("2027-07-14 04:07 BST")


@pytest.mark.parametrize(("label", "context"), sms_contexts(), ids=SMS_LABELS)
def test_the_default_sms_is_whole_in_two_gsm7_segments_with_the_longest_values(label: str,
                                                                                context: NotificationContext) -> None:
    rendered = render(DEFAULT_TEMPLATE, context)

    sms = sms_text(rendered, REPLY_ASK)

    assert sms == uncut_sms(rendered, REPLY_ASK)  # nothing cut
    assert sms_size(sms).encoding == "GSM-7" and sms_size(sms).segments <= 2
    values = context.as_placeholders()
    for fact in (gsm_form(context.agent_name), context.dialed_number, gsm_form(context.location),
                 str(values["dialed_time"]), str(values["location_source_short"])):
        assert fact in sms
    assert sms.endswith(REPLY_ASK)


@pytest.mark.parametrize(("label", "context"), longest_contexts(), ids=[label for label, _ in longest_contexts()])
def test_the_default_sms_leads_with_who_where_and_the_callback_number(label: str,
                                                                      context: NotificationContext) -> None:
    sms = sms_text(render(DEFAULT_TEMPLATE, context), REPLY_ASK)

    who, where, callback = (f"EMERGENCY: {gsm_form(context.agent_name)} dialed {context.dialed_number} at ",
                            f"Go to {gsm_form(context.location)} (", f"Callback number: {context.callback_number}.")
    assert sms.startswith(who)
    assert sms.index(who) < sms.index(where) < sms.index(callback) == len(sms) - len(callback + REPLY_ASK)


def test_the_default_sms_of_a_call_without_location_or_callback_number_says_so() -> None:
    context = replace(longest_contexts()[0][1], location="", callback_number="")
    sms = sms_text(render(DEFAULT_TEMPLATE, context), REPLY_ASK)
    assert "Location not known: go to her desk or ask her supervisor. Callback number: none." in sms


def test_the_default_sms_on_the_direct_offer_path_names_who_sees_the_number() -> None:
    context = replace(longest_contexts()[0][1], callback_path="direct_offer", callback_number="")
    assert "Callback number: shown to 911." in sms_text(render(DEFAULT_TEMPLATE, context), REPLY_ASK)


def test_the_default_sms_of_a_test_call_says_first_that_no_response_is_needed() -> None:
    context = dict(sms_contexts())[SMS_LABELS[-1]]
    sms = sms_text(render(DEFAULT_TEMPLATE, context), REPLY_ASK)
    assert context.is_test and sms.startswith("TEST CALL, no response needed: ")
    assert " At 12345 North Example Boulevard" in sms and "Go to" not in sms


def test_the_email_keeps_the_details_after_the_sms_paragraph() -> None:
    rendered = render(DEFAULT_TEMPLATE, longest_contexts()[0][1])
    first, rest = rendered.text.split("\n\n", 1)
    assert first_lines(rendered) == gsm_form(" ".join(first.split()))
    assert "Callback number: +19075550123, which rings" in rest and "Site: Anchorage North Customer Contact" in rest


# --- the template is refused when its SMS would lose its first lines -----------------------------------------------


def _issue(text: str) -> str:
    with pytest.raises(TemplateError) as refused:
        validate_template(NotificationTemplate("Emergency: {{ agent_name }}", "", text))
    [issue] = refused.value.errors
    assert (issue.field, issue.line) == ("text", None)
    return issue.message


def test_a_first_paragraph_over_two_segments_with_a_longest_sample_is_refused() -> None:
    # GIVEN a first paragraph that fits with the short sample (Alice) but not with the longest ones
    text = ("Emergency call. {{ agent_name }} ({{ agent_id }}) dialed {{ dialed_number }} at {{ dialed_at_local }}.\n"
            "Location: {{ location }} ({{ location_source_text }}).\nCallback: {{ responder_callback }}.\n\nDetails")
    assert sms_size(uncut_sms(render(NotificationTemplate("s", "", text), sample_context()), REPLY_ASK)).segments > 2
    message = _issue(text)
    assert "the SMS would be cut with sample data (US, longest)" in message
    assert re.search(r"are \d{3} GSM-7 characters, [3-9] SMS segments; at most 2", message)
    assert "location and the callback number" in message


def test_a_character_outside_gsm7_in_the_first_paragraph_is_refused_when_ucs2_does_not_fit() -> None:
    message = _issue("🚨 " + DEFAULT_TEMPLATE.text)
    assert "UCS-2 characters" in message and "134 when one is outside GSM-7" in message


def test_long_details_after_a_blank_line_are_accepted() -> None:
    validate_template(NotificationTemplate("Emergency: {{ agent_name }}", "", "{{ agent_name }} dialed "
                                           "{{ dialed_number }}: go to {{ location }}.\n\n" + "Details. " * 500))


def test_the_default_template_is_accepted() -> None:
    validate_template(DEFAULT_TEMPLATE)


# --- the voice alert -----------------------------------------------------------------------------------------------


def test_the_voice_alert_says_who_where_and_the_callback_then_the_keys() -> None:
    spoken = alert_script(longest_contexts()[0][1])
    assert spoken.startswith("Emergency call alert. Maria-Alejandra P. Fernández-Castellanos dialed 9 1 1 at 7:07 PM")
    assert "Go to her now at Anchorage North Customer Contact Center. Floor 12. Room 1 2 0 4." in spoken
    assert "She has not confirmed this place recently: check it with her." in spoken
    assert "Responders can call her back on 9 0 7, 5 5 5, 0 1 2 3." in spoken
    assert spoken.endswith(press())


def test_the_voice_alert_of_a_test_call_says_nobody_needs_to_go() -> None:
    spoken = alert_script(replace(sample_context(), is_test=True, dialed_number="933"))
    assert spoken.startswith("This is a test call alert. Nobody needs to go. Alice Example dialed 9 3 3")
    assert "She is at Springfield Plaza." in spoken and "Go to" not in spoken


@pytest.mark.parametrize(("changes", "words"), [
    ({"callback_path": "direct_offer", "callback_number": ""},
     "Responders call her back on the temporary number the emergency service gave her call."),
    ({"callback_number": ""}, "Her call has no callback number."),
    ({"location": ""}, "Her location is not known: go to her desk or ask her supervisor."),
    ({"location_site": "", "location_source": "typed"},
     "Go to her now at 1 Example Plaza, Springfield IL 62701, floor 3, room 301. She typed this address"),
    ({"location_room": "1204B", "location_floor": "Level 12"}, "Level 12. Room 1 2 0 4 B."),
])
def test_the_voice_alert_says_each_case_in_words(changes: dict[str, object], words: str) -> None:
    assert words in alert_script(replace(sample_context(), **changes))  # type: ignore[arg-type]


# --- the editor's preview of every channel -------------------------------------------------------------------------


def test_the_preview_shows_every_channel_with_each_country_s_longest_sample_in_its_locale() -> None:
    shown = templates.preview(None, NotifyDeps())

    assert [c["sample"] for c in shown["channels"]] == [label for label, _ in longest_contexts()]
    assert [c["locale"] for c in shown["channels"]] == ["en-US", "en-US", "en-CA", "en-GB", "da-DK", "en-AU"]
    for channel, (_, context) in zip(shown["channels"], longest_contexts(), strict=True):
        locale = channel["locale"]
        rendered = render(DEFAULT_TEMPLATE, context, locale)
        assert channel["email"] == {"subject": rendered.subject, "text": rendered.text}
        assert channel["sms"]["text"] == sms_text(rendered, reply_ask(locale))  # exactly what notify sends
        size = sms_size(channel["sms"]["text"])
        assert (channel["sms"]["encoding"], channel["sms"]["segments"], channel["sms"]["characters"]) == \
            (size.encoding, size.segments, size.units)
        assert (channel["sms"]["maxCharacters"], channel["sms"]["maxSegments"]) == (306, 2)
        assert channel["voice"] == alert_script(context, locale)


def test_without_a_public_address_the_previewed_sms_asks_for_no_reply() -> None:
    shown = templates.preview(None, NotifyDeps(), reply=False)
    assert not shown["sms"].endswith(REPLY_ASK) and not shown["channels"][0]["sms"]["text"].endswith(REPLY_ASK)
    assert shown["smsSize"]["encoding"] == "GSM-7"


def test_a_save_of_a_template_whose_sms_would_be_cut_is_a_400_naming_the_text() -> None:
    deps = NotifyDeps()
    body = {"subject": "Emergency: {{ agent_name }}", "html": "",
            "text": "{{ agent_name }} ({{ agent_id }}) dialed {{ dialed_number }}. {{ responder_callback }}. "
                    "{{ location }}: {{ location_source_text }}."}
    with pytest.raises(ValidationError) as refused:
        templates.save_template(body, "admin@example.com", deps)
    assert refused.value.field == "text" and "the SMS would be cut" in refused.value.message
    assert deps.templates.saved == []
