"""Default "Emergency call notification" template: what Kari's Law asks (47 CFR 9.3) plus what the reader should do.

The text part's first paragraph is the SMS (notification_sms): the action first (who dialed, where to go, the callback
number), in two SMS segments with the reply request even with the longest values of every supported country
(sample_contexts.longest_contexts); the time there is the local time of day with its zone ("19:07 AKDT": the SMS
arrives at once, the details give the date and UTC). Plain ASCII, so the SMS stays GSM-7: an em dash would make it
UCS-2 and halve what it can carry. The details follow after a blank line, for the email.
"""

from __future__ import annotations

SUBJECT = "Emergency call by {{ agent_name }}: {{ dialed_number }} dialed"

TEXT = """\
{% if is_test %}TEST CALL, no response needed: {% else %}EMERGENCY: {% endif %}{{ agent_name }} dialed \
{{ dialed_number }} at {{ dialed_at_local[11:] }}. {% if not location_known %}Location not known: go to her desk or \
ask her supervisor.{% elif is_test %}At {{ location }} ({{ location_source_short }}).{% else %}Go to {{ location }} \
({{ location_source_short }}).{% endif %} Callback number: {% if callback_path == 'direct_offer' %}shown to \
{{ dialed_number }}{% elif callback_number %}{{ callback_number }}{% else %}none{% endif %}.

What to do: {% if is_test %}nothing. This was a test call to check that emergency calling and these notifications \
work.{% else %}go to {{ agent_name }} now if you can, or meet the emergency responders at the location above and \
guide them to the agent. Keep the callback number free for the responders.{% endif %}

Details
Location: {% if location_known %}{{ location }}{% else %}not known - ask the agent where she is{% endif %}
{% if location_site %}Site: {{ location_site }}
{% endif %}{% if location_floor %}Floor: {{ location_floor }}
{% endif %}{% if location_room %}Room: {{ location_room }}
{% endif %}{% if location_known %}Location source: {{ location_source_text }}
{% endif %}{% if map_link %}Map: {{ map_link }}
{% endif %}Callback number: {{ responder_callback }}
Agent: {{ agent_name }} ({{ agent_id }})
Number dialed: {{ dialed_number }} in {{ country_name }} ({{ country }})
Dialed at: {{ dialed_at_local }} ({{ agent_timezone }}), {{ dialed_at_utc }}
Test call: {% if is_test %}yes{% else %}no{% endif %}
Incident ID: {{ emergency_call_id }}

This message was sent automatically because an emergency number was dialed in the contact center.
"""

HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Emergency call notification</title>
</head>
<body>
{% if is_test %}
<p><strong>TEST CALL</strong> &mdash; no emergency response is needed.</p>
{% endif %}
<h1>Emergency call: {{ agent_name }} dialed {{ dialed_number }}</h1>
<p>{{ agent_name }} dialed the emergency number <strong>{{ dialed_number }}</strong>
at {{ dialed_at_local }} ({{ dialed_at_utc }}).</p>
<h2>What to do</h2>
{% if is_test %}
<p>Nothing. This was a test call to check that emergency calling and these notifications work.</p>
{% else %}
<p>Go to {{ agent_name }} now if you can, or meet the emergency responders at the location below and guide them
to the agent. Keep the callback number free for the responders.</p>
{% endif %}
<h2>Details</h2>
<dl>
<dt>Location</dt>
<dd>{% if location_known %}{{ location }} ({{ location_source_text }}){% if map_link %}
&middot; <a href="{{ map_link }}">map</a>{% endif %}{% else %}Not known &mdash; ask the agent where she is.
{%- endif %}</dd>
{% if location_site %}<dt>Site</dt>
<dd>{{ location_site }}</dd>
{% endif %}{% if location_floor %}<dt>Floor</dt>
<dd>{{ location_floor }}</dd>
{% endif %}{% if location_room %}<dt>Room</dt>
<dd>{{ location_room }}</dd>
{% endif %}
<dt>Callback number</dt>
<dd>{{ responder_callback }}</dd>
<dt>Agent</dt>
<dd>{{ agent_name }} ({{ agent_id }})</dd>
<dt>Number dialed</dt>
<dd>{{ dialed_number }} in {{ country_name }} ({{ country }})</dd>
<dt>Dialed at</dt>
<dd>{{ dialed_at_local }} ({{ agent_timezone }}), {{ dialed_at_utc }}</dd>
<dt>Test call</dt>
<dd>{% if is_test %}Yes{% else %}No{% endif %}</dd>
<dt>Incident ID</dt>
<dd>{{ emergency_call_id }}</dd>
</dl>
<p>This message was sent automatically because an emergency number was dialed in the contact center.</p>
</body>
</html>
"""
