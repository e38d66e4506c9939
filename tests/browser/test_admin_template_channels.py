"""The template editor previews every channel (issue 20, item 5) in a real browser: Playwright driving Debian's
Chromium (installed by `make test`), headless, against one local stack for the module.

The email (subject and text), the SMS exactly as sent with its segments and encoding, and the voice alert, each with
a country's longest sample in that country's locale (en-CA for Canada, da-DK for Denmark); a template whose SMS would
lose its first lines is refused beside its text. A screenshot
of each page goes to artifacts/screenshots/. Fictional 555-01xx numbers and example.com addresses only.
"""

from __future__ import annotations

import re
from typing import Any

from local.stack import LocalStack
from shared.domain.notification_sms import REPLY_ASK, sms_size
from tests.browser.pages import expect, open_page, shot

BASE = "/api/manage/templates/emergency-call-notification"
COUNTRIES = ["US", "PR", "CA", "GB", "DK", "AU"]


def test_the_editor_previews_email_sms_and_voice_with_each_country_s_longest_sample(page: Any) -> None:
    # GIVEN the default template WHEN the admin opens the editor
    open_page(page, "template", "Emergency call notification")
    channels = page.get_by_role("region", name="Every channel, longest sample")
    sample = channels.get_by_label("Sample")
    # THEN one longest sample per supported country is offered, the longest SMS (Canada's) shown first
    expect(sample.locator("option")).to_have_text([f"{c}, longest" for c in COUNTRIES])
    expect(sample).to_have_value("CA, longest")
    # ... the email: its subject and its text, details included
    expect(page.locator("#channel-email-subject")).to_have_text(
        "Emergency call by Geneviève Tremblay-Bélanger-Desrosiers: 911 dialled")
    expect(page.get_by_role("region", name="Email text")).to_contain_text("Site: Centre de contact Montréal")
    # ... the SMS exactly as sent: who, where, callback number first, the reply request last, whole, in GSM-7
    sms = page.get_by_role("region", name="SMS", exact=True)
    expect(sms).to_have_text(re.compile(
        r"^EMERGENCY: Genevi[eè]ve Tremblay-Bélanger-Desrosiers dialled 911 at 11:07 p\.m\. EDT\. Go to 1234 rue "
        r"Sainte-Catherine Ouest, Montréal QC H3B 1A7, .*room 2215 \(last confirmed 23 h 55 min earlier: check it\)\. "
        r"Callback number: \+15145550123\." + re.escape(REPLY_ASK) + "$"))
    size = sms_size(sms.inner_text())
    assert (size.encoding, size.segments) == ("GSM-7", 2)
    expect(page.locator("#channel-sms-size")).to_have_text(
        f"2 of at most 2 SMS segments, GSM-7, {size.units} of 306 characters.")
    # ... the voice alert as the call reads it
    voice = page.get_by_role("region", name="Voice call")
    expect(voice).to_contain_text("Emergency call alert. Geneviève Tremblay-Bélanger-Desrosiers dialled 9 1 1 at "
                                  "11:07 p.m.")
    expect(voice).to_contain_text("Go to her now at Centre de contact Montréal Centre-Ville. Floor 22. Room 2 2 1 5.")
    expect(voice).to_contain_text("Responders can call her back on 5 1 4, 5 5 5, 0 1 2 3.")
    shot(page, "template-channels")
    # WHEN she picks Denmark THEN every channel shows the Danish sample in Danish, its letters kept (GSM-7 has them)
    sample.select_option("DK, longest")
    expect(sms).to_contain_text("NØDOPKALD: Anne-Sofie Østergaard Christiansen-Bæk ringede 112 kl. 05.07 CEST.")
    expect(voice).to_contain_text("Anne-Sofie Østergaard Christiansen-Bæk ringede 1 1 2")
    expect(page.locator("#channel-email-subject")).to_contain_text("112 ringet op")
    # ... and her choice stays while she edits the template
    page.get_by_label("Subject", exact=True).fill("ALERT {{ agent_name }} ({{ country }})")
    expect(page.locator("#channel-email-subject")).to_have_text("ALERT Anne-Sofie Østergaard Christiansen-Bæk (DK)")
    expect(sample).to_have_value("DK, longest")
    expect(page.locator("#preview-subject")).to_have_text("ALERT Alice Example (US)")


def test_a_template_whose_sms_would_lose_its_first_lines_is_refused_beside_its_text(page: Any,
                                                                                    stack: LocalStack) -> None:
    versions = len(stack.client.get(f"{BASE}/versions")[1]["versions"])
    open_page(page, "template", "Emergency call notification")
    text = page.get_by_label("Text body", exact=True)
    error = page.locator(f"#{text.get_attribute('id')}-error")
    # WHEN the admin puts the details in the first paragraph (no blank line before them)
    text.fill("Emergency call. {{ agent_name }} ({{ agent_id }}) dialed {{ dialed_number }} at {{ dialed_at_local }}.\n"
              "Location: {{ location }} ({{ location_source_text }}).\nCallback: {{ responder_callback }}.\n"
              "Details: {{ emergency_call_id }}")
    # THEN the live preview already says why, naming the text and the sample it fails with
    expect(error).to_contain_text("the SMS would be cut with sample data (US, longest)")
    expect(error).to_contain_text("at most 2 segments (306 GSM-7 characters, 134 when one is outside GSM-7)")
    expect(page.locator("#preview-state")).to_have_text("The preview shows the last version that rendered.")
    # ... and saving it is refused beside the text, nothing saved
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text("Not saved")
    expect(error).to_contain_text("location and the callback number may be lost")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_be_focused()
    shot(page, "template-sms-refused")
    assert len(stack.client.get(f"{BASE}/versions")[1]["versions"]) == versions
    # WHEN she moves the details after a blank line THEN it previews and saves
    text.fill("{{ agent_name }} dialed {{ dialed_number }}: go to {{ location }}. Callback: {{ callback_number }}.\n\n"
              "Details: {{ responder_callback }}; {{ location_source_text }}; {{ emergency_call_id }}")
    expect(page.locator("#preview-state")).to_have_text("Rendered by the server with sample data.")
    expect(error).to_be_empty()
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#messages")).to_contain_text(re.compile(r"Saved as version \d+\."))
    expect(page.get_by_role("region", name="SMS", exact=True)).to_contain_text(
        "Callback: +15145550123. Reply 1 to acknowledge.")
