"""Who is told of an emergency call, per dialed number: the defaults, the admin's changes, what is refused."""

from __future__ import annotations

import pytest

from shared.domain.notify_rules import AGENT, DEFAULTS, NUMBERS, SITE_DESK, NotifyRules, from_stored, parse_rules
from shared.errors import ValidationError


def test_by_default_a_real_call_tells_both_and_a_933_test_only_her_own_contacts() -> None:
    rules = NotifyRules()
    for number in ("911", "112", "999", "000"):
        assert rules.audiences(number) == (AGENT, SITE_DESK)
    assert rules.audiences("933", test=True) == (AGENT,)


def test_a_number_without_a_rule_is_told_as_what_the_call_is_never_nobody() -> None:
    assert NotifyRules().audiences("118", test=False) == DEFAULTS["911"]
    assert NotifyRules().audiences("118", test=True) == DEFAULTS["933"]


def test_the_admin_changes_one_number_and_the_others_keep_their_default() -> None:
    rules = parse_rules({"rules": {"933": ["siteDesk", "agent", "agent"]}})
    assert rules.audiences("933") == (AGENT, SITE_DESK)  # fixed order, once each
    assert rules.as_json()["911"] == [AGENT, SITE_DESK] and set(rules.as_json()) == set(NUMBERS)


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"rules": {"911": []}}, "rules.911", "at least one audience"),
    ({"rules": {"118": ["agent"]}}, "rules.118", "not an emergency number"),
    ({"rules": {"911": ["everyone"]}}, "rules.911", "'everyone' is not an audience"),
    ({"rules": {"911": "agent"}}, "rules.911", "list of audiences"),
    ({"rules": ["911"]}, "rules", "object from dialed number"),
    ({"rules": {}, "extra": 1}, "rules", "the body must be"),
])
def test_bad_rules_are_refused_naming_the_number(body: object, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_rules(body)
    assert refused.value.field == field and words in refused.value.message


def test_stored_rules_this_version_does_not_know_are_skipped_not_fatal() -> None:
    rules = from_stored({"911": ["siteDesk", "pager"], "118": ["agent"], "933": ["pager"], "999": "agent"})
    assert rules.rules == {"911": (SITE_DESK,)}
    assert rules.audiences("933") == DEFAULTS["933"] and rules.audiences("999") == DEFAULTS["999"]
