"""The notification in the recipient's locale (issue 22): en-US, en-CA, fr-CA, en-GB, da-DK, en-AU.

Each locale renders the email, the SMS and the voice alert with the longest values a call of each country carries;
a 933 test says TEST first in every locale; her own contacts are told in her locale, her site's desk and the on-call
recipients in the site's; the agent's and the site's locale are set by the admin API, validated and audited; an
admin's template reads the catalogues through t() inside the sandbox.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from jinja2.exceptions import SecurityError

from shared import admin_commands, commands
from shared.adapters.acs_voice import AcsVoiceCaller
from shared.domain.audit import Actor
from shared.domain.calls import Agent
from shared.domain.civic import CivicAddress
from shared.domain.escalation import parse_policy
from shared.domain.locales import LOCALES, VOICES, RecipientLocales, agent_locale, parse_locale
from shared.domain.notification_sms import MAX_SEGMENTS, gsm_form, reply_ask, sms_size, sms_text, uncut_sms
from shared.domain.sample_contexts import longest_contexts, sms_contexts
from shared.domain.sites import Site
from shared.domain.template import (
    DEFAULT_TEMPLATE,
    NotificationTemplate,
    TemplateError,
    render,
    validate_template,
)
from shared.domain.voice_script import acknowledged_script, alert_script, goodbye_script, press
from shared.errors import ValidationError
from shared.ports import StoreError
from shared.services import admin, escalation, sites, templates, voice_alert
from shared.services.notify import notify_emergency
from tests.fakes_admin import AdminDeps
from tests.fakes_escalation import EscalationDeps
from tests.fakes_notify import NotifyDeps
from tests.fakes_voice import FakeVoice
from tests.unit.test_notify_service import ALICE, LOCATION, emergency_call

LONGEST = longest_contexts()
TEST_CALL = dict(sms_contexts())["US, longest, test call to 933"]
ADA = Actor("u-ada", "ada@example.com")
DK_SITE = Site("kbh", "Kundeservicecenter København", CivicAddress("DK", a3="København Ø", rd="Eksempelvej",
                                                                      hno="12", pc="2100"),
               desk_emails=("vagt@example.dk",), desk_sms=("+4535550177",))
# The first words of a real call's SMS and of a test call's, per locale (the catalogues' sms.lead and sms.lead_test)
LEADS = {"en-US": ("EMERGENCY:", "TEST CALL"), "en-CA": ("EMERGENCY:", "TEST CALL"), "fr-CA": ("URGENCE :", "TEST,"),
         "en-GB": ("EMERGENCY:", "TEST CALL"), "da-DK": ("NØDOPKALD:", "TESTOPKALD"),
         "en-AU": ("EMERGENCY:", "TEST CALL")}


# --- each locale renders every channel with the longest values -----------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("label", "context"), LONGEST, ids=[label for label, _ in LONGEST])
def test_each_locale_renders_email_sms_and_voice_with_the_longest_values(label: str, context: object,
                                                                        locale: str) -> None:
    rendered = render(DEFAULT_TEMPLATE, context, locale)  # type: ignore[arg-type]
    sms = sms_text(rendered, reply_ask(locale))
    spoken = alert_script(context, locale)  # type: ignore[arg-type]

    assert rendered.locale == locale and f'<html lang="{locale}">' in rendered.html
    assert context.agent_name in rendered.subject and context.dialed_number in rendered.subject  # type: ignore
    assert sms == uncut_sms(rendered, reply_ask(locale))  # the first lines are whole
    assert sms_size(sms).encoding == "GSM-7" and sms_size(sms).segments <= MAX_SEGMENTS
    assert sms.startswith(LEADS[locale][0]) and sms.endswith(reply_ask(locale))
    for fact in (context.agent_name, context.location, context.callback_number):  # type: ignore[attr-defined]
        assert gsm_form(fact) in sms and fact in rendered.text and fact in rendered.html
    assert context.agent_name in spoken and spoken.endswith(press(locale))  # type: ignore[attr-defined]
    assert "{" not in rendered.text + rendered.html + sms + spoken  # every placeholder filled


@pytest.mark.parametrize("locale", LOCALES)
def test_a_933_test_says_test_in_the_subject_and_the_first_line_in_every_locale(locale: str) -> None:
    rendered = render(DEFAULT_TEMPLATE, TEST_CALL, locale)
    sms = sms_text(rendered, reply_ask(locale))

    assert "TEST" in rendered.subject
    assert rendered.text.splitlines()[0].startswith(LEADS[locale][1]) and sms.startswith(LEADS[locale][1])
    assert "TEST" in rendered.html.split("<h1>")[0]  # the banner above the heading
    assert sms == uncut_sms(rendered, reply_ask(locale)) and sms_size(sms).segments <= MAX_SEGMENTS
    assert alert_script(TEST_CALL, locale) != alert_script(replace(TEST_CALL, is_test=False), locale)


def test_the_french_notification_reads_in_french_with_quebec_times_and_names() -> None:
    _, montreal = LONGEST[2]
    rendered = render(DEFAULT_TEMPLATE, montreal, "fr-CA")

    assert rendered.subject == "Appel d'urgence de Geneviève Tremblay-Bélanger-Desrosiers : 911 composé"
    assert rendered.text.startswith("URGENCE : Geneviève Tremblay-Bélanger-Desrosiers a composé le 911 à 23 h 07 HAE.")
    assert "Composé le : 13 juill. 2027, 23 h 07 HAE (America/Toronto), 14 juill. 2027, 03 h 07 UTC" in rendered.text
    assert "Numéro composé : 911, Canada (CA)" in rendered.text
    assert "Merci" in voice_thanks(montreal, "fr-CA") and "Rendez-vous auprès d'elle" in alert_script(montreal,
                                                                                                       "fr-CA")


def test_the_danish_notification_keeps_its_letters_in_the_sms() -> None:
    _, copenhagen = LONGEST[4]
    sms = sms_text(render(DEFAULT_TEMPLATE, copenhagen, "da-DK"), reply_ask("da-DK"))

    assert sms.startswith("NØDOPKALD: Anne-Sofie Østergaard Christiansen-Bæk ringede 112 kl. 05.07 CEST.")
    assert sms.endswith(" Svar 1 for at kvittere.") and sms_size(sms).encoding == "GSM-7"


def test_times_follow_the_agent_s_zone_written_as_each_locale_writes_them() -> None:
    _, anchorage = LONGEST[0]
    dialed = {locale: anchorage.as_placeholders(locale)["dialed_time"] for locale in LOCALES}

    assert dialed == {"en-US": "7:07 PM AKDT", "en-CA": "7:07 p.m. AKDT", "fr-CA": "19 h 07 AKDT",
                      "en-GB": "19:07 AKDT", "da-DK": "19.07 AKDT", "en-AU": "7:07 pm AKDT"}
    unknown = replace(anchorage, agent_timezone="Not/AZone").as_placeholders("en-GB")
    assert unknown["dialed_time"] == "03:07 UTC" and unknown["agent_timezone"] == "UTC"


def voice_thanks(context: object, locale: str) -> str:
    return acknowledged_script(context, locale)  # type: ignore[arg-type]


# --- who is told in which locale -----------------------------------------------------------------------------------


@pytest.fixture
def deps() -> NotifyDeps:
    d = NotifyDeps()
    d.agents.put(replace(ALICE, locale="fr-CA"))
    d.sites.put_site(DK_SITE)
    d.calls.create(emergency_call(location=LOCATION | {"siteId": "kbh"}))
    return d


def _mail(deps: NotifyDeps, to: str) -> str:
    [sent] = [s for s in deps.mailer.sent if s.to == to]
    return sent.subject


def _sms(deps: NotifyDeps, to: str) -> str:
    assert deps.sms is not None
    [sent] = [s for s in deps.sms.sent if s.to == to]
    return sent.body


def test_her_own_contacts_get_her_locale_and_her_site_s_desk_gets_the_site_s(deps: NotifyDeps) -> None:
    notify_emergency("ec-1", deps, ack_base="https://app.example.com")

    assert _mail(deps, "security@example.com").startswith("Appel d'urgence de Alice Example")
    assert _mail(deps, "vagt@example.dk").startswith("Nødopkald fra Alice Example")
    assert _sms(deps, "+12025550142").startswith("URGENCE :") and _sms(deps, "+12025550142").endswith(
        "Répondez 1 pour confirmer.")
    assert _sms(deps, "+4535550177").startswith("NØDOPKALD:") and _sms(deps, "+4535550177").endswith(
        "Svar 1 for at kvittere.")
    french = next(s.body for s in deps.mailer.sent if s.to == "security@example.com")
    assert "J'y vais / Je m'en occupe - confirmez ici : https://app.example.com/api/ack/" in french


def test_without_a_locale_of_her_own_she_is_told_in_her_country_s(deps: NotifyDeps) -> None:
    # GIVEN no locale on her profile; WHEN she dials 999 in the UK THEN her contacts read en-GB
    deps.agents.put(ALICE)
    deps.calls.create(emergency_call("ec-gb", "999", country="GB"))
    notify_emergency("ec-gb", deps)
    assert "dialled" in next(s.body for s in deps.mailer.sent if s.to == "security@example.com")
    # without a call, her confirmed location's country; without either, en-US
    assert agent_locale(Agent("a", "A")) == "en-US"
    assert agent_locale(Agent("a", "A", last_location={"countryCode": "DK"})) == "da-DK"
    assert agent_locale(Agent("a", "A"), "CA") == "en-CA" and agent_locale(Agent("a", "A", locale="fr-CA")) == "fr-CA"


def test_a_site_s_own_locale_wins_over_its_country_s(deps: NotifyDeps) -> None:
    deps.sites.put_site(replace(DK_SITE, locale="en-GB"))
    notify_emergency("ec-1", deps)
    assert _mail(deps, "vagt@example.dk").startswith("Emergency call by Alice Example")
    assert "dialled" in next(s.body for s in deps.mailer.sent if s.to == "vagt@example.dk")


def test_someone_on_her_list_and_the_desk_s_is_told_once_in_her_locale(deps: NotifyDeps) -> None:
    deps.sites.put_site(replace(DK_SITE, desk_emails=("Security@Example.com",)))
    notify_emergency("ec-1", deps)
    assert [s.subject[:5] for s in deps.mailer.sent if s.to.casefold() == "security@example.com"] == ["Appel"]


def test_the_fallback_recipients_of_an_agent_nobody_configured_read_the_site_s_locale() -> None:
    d = NotifyDeps()  # no profile names her
    d.sites.put_site(DK_SITE)
    d.calls.create(emergency_call("ec-933", "933", location=LOCATION | {"siteId": "kbh"}))
    notify_emergency("ec-933", d, fallback_emails="fallback@example.org")
    assert _mail(d, "fallback@example.org").startswith("[TEST] Nødopkald fra Alice Example")


def test_the_recipient_rule() -> None:
    rule = RecipientLocales.of_call("fr-CA", "da-DK", ("Her@Example.com",))
    assert (rule.of("her@example.com"), rule.of("desk@example.dk")) == ("fr-CA", "da-DK")
    assert RecipientLocales.of_call("fr-CA", None, ()).of("on-call@example.com") == "fr-CA"


POLICY = {"tiers": [{"name": "On call", "afterSeconds": 60, "audiences": ["onCall"], "channels": ["email"]}],
          "onCall": {"emails": ["oncall@example.org"]}}


@pytest.mark.parametrize(("site", "expected"), [("kbh", "Nødopkald"), (None, "Appel d'urgence")])
def test_on_call_recipients_get_the_site_s_locale_else_hers(site: str | None, expected: str) -> None:
    d = EscalationDeps()
    d.agents.put(replace(ALICE, locale="fr-CA"))
    d.sites.put_site(DK_SITE)
    d.sites.put_escalation_policy(parse_policy(POLICY))
    location = LOCATION | ({"siteId": site} if site else {})
    d.calls.create(emergency_call(location=location))
    notify_emergency("ec-1", d)
    escalation.schedule(d.calls.get("ec-1")[0], d)  # type: ignore[index]
    d.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    escalation.run_due(d, None)
    assert _mail(d, "oncall@example.org").startswith(expected)


def test_a_voice_call_speaks_her_locale_with_its_voice() -> None:
    d = EscalationDeps()
    d.voice = FakeVoice()
    d.agents.put(replace(ALICE, locale="fr-CA"))
    d.sites.put_escalation_policy(parse_policy({"tiers": [{"name": "Call", "afterSeconds": 120,
                                                           "audiences": ["notified"], "channels": ["voice"]}]}))
    d.calls.create(emergency_call())
    notify_emergency("ec-1", d)
    escalation.schedule(d.calls.get("ec-1")[0], d)  # type: ignore[index]
    d.clock.advance(timedelta(seconds=121))  # type: ignore[attr-defined]
    escalation.run_due(d, "https://app.example.com")
    [(_, _, context)] = d.voice.placed
    assert context == "alert:0:+12025550142:fr-CA"
    token = d.deliveries.get("ec-1", "voice", "+12025550142").ack_token  # type: ignore[union-attr]
    voice_alert.on_event(token, 1, "CallConnected", {"callConnectionId": "conn-1", "operationContext": context}, d)
    assert d.voice.texts[-1].startswith("Alerte d'appel d'urgence. Alice Example a composé le 9 1 1 à 09 h 00")
    assert d.voice.locales[-1] == "fr-CA"
    for _ in range(3):  # silence three times: the goodbye, in French too
        voice_alert.on_event(token, 1, "RecognizeFailed", {"callConnectionId": "conn-1",
                                                           "operationContext": d.voice.actions[-1][2]}, d)
    assert d.voice.texts[-1] == goodbye_script("fr-CA") and d.voice.locales[-1] == "fr-CA"


def test_the_general_alert_without_storage_is_in_the_locale_the_call_was_placed_in() -> None:
    d = EscalationDeps()
    d.voice = FakeVoice()
    d.deliveries.by_ack_token = lambda token: (_ for _ in ()).throw(StoreError("down"))  # type: ignore
    outcome = voice_alert.on_event("A" * 24, 1, "CallConnected",
                                   {"callConnectionId": "c", "operationContext": "alert:0:+4535550177:da-DK"}, d)
    assert outcome == "asked_without_storage" and d.voice.texts[-1].startswith("Alarm om nødopkald fra dit")
    assert d.voice.locales[-1] == "da-DK"


def test_each_locale_has_a_neural_voice_of_its_own_and_the_adapter_asks_for_it() -> None:
    assert sorted(VOICES) == sorted(LOCALES) and all(VOICES[loc].startswith(f"{loc}-") for loc in LOCALES)
    caller = AcsVoiceCaller.__new__(AcsVoiceCaller)
    caller._voice = "en-US-JennyNeural"  # type: ignore[attr-defined]
    french = caller._speech("Bonjour", "fr-CA")  # type: ignore[attr-defined]
    assert (french.voice_name, french.source_locale) == ("fr-CA-SylvieNeural", "fr-CA")
    assert caller._speech("Hello", None).voice_name == "en-US-JennyNeural"  # type: ignore[attr-defined]


# --- the agent's and the site's locale through the admin API -------------------------------------------------------


@pytest.mark.parametrize(("raw", "locale"), [("fr-CA", "fr-CA"), ("fr_ca", "fr-CA"), (" da-dk ", "da-DK"),
                                              (None, None), ("", None)])
def test_an_agent_s_locale_is_one_of_the_six_or_none(raw: str | None, locale: str | None) -> None:
    assert commands.agent("alice", {"displayName": "Alice", "locale": raw}).locale == locale


@pytest.mark.parametrize("raw", ["de-DE", "fr", "en", 7, ["fr-CA"]])
def test_an_unsupported_locale_is_a_400_naming_locale(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        commands.agent("alice", {"displayName": "Alice", "locale": raw})
    assert refused.value.field == "locale" and "fr-CA" in refused.value.message
    with pytest.raises(ValidationError) as site_refused:
        admin_commands.site("kbh", {"name": "K", "address": {"country": "DK", "A3": "København Ø",
                                                              "RD": "Eksempelvej", "HNO": "12", "PC": "2100"},
                                    "locale": raw})
    assert site_refused.value.field == "locale"


def test_the_agent_s_locale_is_saved_shown_and_audited() -> None:
    deps = AdminDeps()
    saved = admin.put_agent(commands.agent("alice", {"displayName": "Alice",
                                                     "lastLocation": {"countryCode": "CA"}}), ADA, deps)
    assert (saved["locale"], saved["effectiveLocale"]) == (None, "en-CA")
    changed = admin.put_agent(commands.agent("alice", {"displayName": "Alice", "locale": "fr-CA",
                                                       "lastLocation": {"countryCode": "CA"}}), ADA, deps)
    assert (changed["locale"], changed["effectiveLocale"]) == ("fr-CA", "fr-CA")
    assert ("locale", None, "fr-CA") in [(e.field, e.old, e.new) for e in deps.audit.entries]


def test_the_site_s_locale_is_saved_shown_and_audited() -> None:
    deps = AdminDeps()
    body = {"name": "Kundeservicecenter", "address": {"country": "DK", "A3": "København Ø", "RD": "Eksempelvej",
                                                     "HNO": "12", "PC": "2100"}}
    view = sites.put_site(admin_commands.site("kbh", body), ADA, deps)
    assert (view["locale"], view["effectiveLocale"]) == (None, "da-DK")
    view = sites.put_site(admin_commands.site("kbh", body | {"locale": "en-GB"}), ADA, deps)
    assert (view["locale"], view["effectiveLocale"]) == ("en-GB", "en-GB")
    assert ("locale", None, "en-GB") in [(e.field, e.old, e.new) for e in deps.audit.entries]


def test_parse_locale_accepts_only_the_six() -> None:
    assert [parse_locale(loc.lower()) for loc in LOCALES] == list(LOCALES)


# --- an admin's template and the catalogues ------------------------------------------------------------------------


def test_an_admin_template_reads_the_catalogue_through_t_in_each_locale() -> None:
    t = NotificationTemplate('{{ t("email.subject") }} ({{ locale }})', "",
                             '{{ t("sms.lead") }} {{ t("sms.dialed") }}\n\n{{ t("email.line", label="X", value=1) }}')
    validate_template(t)
    _, context = LONGEST[2]
    assert render(t, context, "fr-CA").subject.endswith(": 911 composé (fr-CA)")
    assert render(t, context, "da-DK").text.startswith("NØDOPKALD: Geneviève")
    assert render(t, context, "fr-CA").text.endswith("X : 1")


def test_a_template_without_t_reads_the_same_in_every_locale() -> None:
    t = NotificationTemplate("Emergency: {{ agent_name }}", "", "{{ agent_name }} dialed {{ dialed_number }}.")
    _, context = LONGEST[0]
    assert len({render(t, context, locale).text for locale in LOCALES}) == 1


def test_an_unknown_message_is_refused_with_its_line() -> None:
    with pytest.raises(TemplateError) as refused:
        validate_template(NotificationTemplate("Emergency", "", 'Hello\n{{ t("no.such.key") }}'))
    [issue] = refused.value.errors
    assert (issue.field, issue.line) == ("text", 2) and "unknown message 'no.such.key'" in issue.message


@pytest.mark.parametrize("expression", ["{{ t.__globals__ }}", "{{ t.__closure__ }}", "{{ t|attr('__code__') }}"])
def test_t_opens_no_way_out_of_the_sandbox(expression: str) -> None:
    with pytest.raises(TemplateError):
        validate_template(NotificationTemplate("Emergency", "", expression))
    with pytest.raises(SecurityError):
        render(NotificationTemplate("s", "", expression), LONGEST[0][1])


def test_a_huge_value_given_to_t_is_refused_within_the_limits() -> None:
    with pytest.raises(TemplateError) as refused:
        validate_template(NotificationTemplate("Emergency", "", '{{ t("email.line", label="x", value="a" * 99999 '
                                                                '~ "a" * 99999) }}'))
    assert "limit" in refused.value.errors[0].message or "characters" in refused.value.errors[0].message


def test_the_preview_renders_in_the_locale_asked_for_and_refuses_another() -> None:
    deps = NotifyDeps()
    shown = templates.preview({"locale": "fr-CA"}, deps)
    assert shown["locale"] == "fr-CA" and shown["subject"].startswith("Appel d'urgence de Alice Example")
    assert {c["locale"] for c in shown["channels"]} == {"fr-CA"} and shown["sms"].endswith("pour confirmer.")
    with pytest.raises(ValidationError) as refused:
        templates.preview({"locale": "de-DE"}, deps)
    assert refused.value.field == "locale"
    answer = templates.get_template(deps)
    assert answer["locales"] == list(LOCALES) and answer["messages"]["sms.reply"] == "Reply 1 to acknowledge."


def test_each_locale_writes_the_date_of_the_details_its_own_way() -> None:
    _, anchorage = LONGEST[0]
    dates = {loc: str(anchorage.as_placeholders(loc)["dialed_at_local_text"]) for loc in ("en-US", "en-GB", "da-DK")}
    assert dates == {"en-US": "Jul 13, 2027, 7:07 PM AKDT", "en-GB": "13 Jul 2027, 19:07 AKDT",
                     "da-DK": "13. jul. 2027 19.07 AKDT"}
