"""Default "Emergency call notification" template: what Kari's Law asks (47 CFR 9.3) plus what the reader should do.

Every word comes from the catalogues through t() (shared/locales/<locale>/LC_MESSAGES/notification.po), so each
recipient reads it in her locale; only the structure is here. The text part's first paragraph is the SMS
(notification_sms): the action first (who dialed, where to go, the callback number), in two SMS segments with the
reply request even with the longest values of every supported country, in every locale
(sample_contexts.longest_contexts); the time there is the local time of day with its zone ("7:07 PM AKDT": the SMS
arrives at once, the details give the date and UTC). The catalogues' SMS messages stay in the GSM-7 alphabet, so the
SMS does too. The details follow after a blank line, for the email.
"""

from __future__ import annotations

SUBJECT = '{{ t("email.subject") }}'

TEXT = """\
{% macro line(label, value) %}{{ t("email.line", label=t(label), value=value) }}{% endmacro -%}
{% if is_test %}{{ t("sms.lead_test") }}{% else %}{{ t("sms.lead") }}{% endif %} {{ t("sms.dialed") }} \
{% if not location_known %}{{ t("sms.location_unknown") }}{% elif is_test %}{{ t("sms.at_location") }}{% else %}\
{{ t("sms.go_to_location") }}{% endif %} {% if callback_path == 'direct_offer' %}{{ t("sms.callback_direct_offer") }}\
{% elif callback_number %}{{ t("sms.callback_number") }}{% else %}{{ t("sms.callback_none") }}{% endif %}

{% if is_test %}{{ t("email.todo_test") }}{% else %}{{ t("email.todo") }}{% endif %}

{{ t("email.details") }}
{{ line("label.location", location if location_known else t("email.location_unknown")) }}
{% if location_site %}{{ line("label.site", location_site) }}
{% endif %}{% if location_floor %}{{ line("label.floor", location_floor) }}
{% endif %}{% if location_room %}{{ line("label.room", location_room) }}
{% endif %}{% if location_known %}{{ line("label.location_source", location_source_text) }}
{% endif %}{% if map_link %}{{ line("label.map", map_link) }}
{% endif %}{{ line("label.callback_number", responder_callback) }}
{{ line("label.agent", t("email.agent")) }}
{{ line("label.number_dialed", t("email.number_in_country")) }}
{{ line("label.dialed_at", t("email.dialed_at")) }}
{{ line("label.test_call", t("word.yes") if is_test else t("word.no")) }}
{{ line("label.incident_id", emergency_call_id) }}

{{ t("email.footer") }}
"""

HTML = """\
<!DOCTYPE html>
<html lang="{{ locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t("email.title") }}</title>
</head>
<body>
{% if is_test %}
<p><strong>{{ t("email.test_call") }}</strong> &mdash; {{ t("email.test_no_response") }}</p>
{% endif %}
<h1>{{ t("email.heading") }}</h1>
<p>{{ t("email.dialed") }}</p>
<h2>{{ t("email.todo_heading") }}</h2>
{% if is_test %}
<p>{{ t("email.todo_test_html") }}</p>
{% else %}
<p>{{ t("email.todo_html") }}</p>
{% endif %}
<h2>{{ t("email.details") }}</h2>
<dl>
<dt>{{ t("label.location") }}</dt>
<dd>{% if location_known %}{{ t("email.location_with_source") }}{% if map_link %}
&middot; <a href="{{ map_link }}">{{ t("email.map") }}</a>{% endif %}{% else %}{{ t("email.location_unknown_html") }}
{%- endif %}</dd>
{% if location_site %}<dt>{{ t("label.site") }}</dt>
<dd>{{ location_site }}</dd>
{% endif %}{% if location_floor %}<dt>{{ t("label.floor") }}</dt>
<dd>{{ location_floor }}</dd>
{% endif %}{% if location_room %}<dt>{{ t("label.room") }}</dt>
<dd>{{ location_room }}</dd>
{% endif %}
<dt>{{ t("label.callback_number") }}</dt>
<dd>{{ responder_callback }}</dd>
<dt>{{ t("label.agent") }}</dt>
<dd>{{ t("email.agent") }}</dd>
<dt>{{ t("label.number_dialed") }}</dt>
<dd>{{ t("email.number_in_country") }}</dd>
<dt>{{ t("label.dialed_at") }}</dt>
<dd>{{ t("email.dialed_at") }}</dd>
<dt>{{ t("label.test_call") }}</dt>
<dd>{{ (t("word.yes") if is_test else t("word.no")) | capitalize }}</dd>
<dt>{{ t("label.incident_id") }}</dt>
<dd>{{ emergency_call_id }}</dd>
</dl>
<p>{{ t("email.footer") }}</p>
</body>
</html>
"""
