"""The template admin API's use cases: save (validated), versions with author, restore, preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.template import DEFAULT_TEMPLATE
from shared.errors import NotFound, ValidationError
from shared.services import templates
from tests.fakes import T0
from tests.fakes_notify import NotifyDeps

GOOD = {"subject": "Emergency: {{ agent_name }} dialed {{ dialed_number }}", "html": "<p>{{ location }}</p>",
        "text": "{{ agent_name }} dialed {{ dialed_number }}.\nCallback: {{ callback_number }}"}


@pytest.fixture
def deps() -> NotifyDeps:
    return NotifyDeps()


def refusal(body: dict, deps: NotifyDeps) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        templates.save_template(body, "admin@example.com", deps)
    return err.value


def test_a_template_reaching_for_python_internals_is_refused_naming_field_and_line(deps: NotifyDeps) -> None:
    error = refusal(GOOD | {"text": "line one\n{{ ''.__class__ }}"}, deps)
    assert error.field == "text"
    assert error.details == [{"field": "text", "line": 2, "message": "access to '__class__' is not allowed"}]
    assert "text line 2" in error.message
    assert deps.templates.saved == []


def test_an_unknown_placeholder_is_refused(deps: NotifyDeps) -> None:
    error = refusal(GOOD | {"subject": "{{ agent_email }}"}, deps)
    assert error.field == "subject"
    assert error.details[0]["line"] == 1 and "unknown placeholder 'agent_email'" in error.details[0]["message"]


def test_a_template_that_does_not_parse_is_refused_with_its_line(deps: NotifyDeps) -> None:
    error = refusal(GOOD | {"html": "<p>\n{% if is_test %}\n</p>"}, deps)
    assert error.field == "html" and error.details[0]["line"] is not None


@pytest.mark.parametrize("body", [{"subject": "x", "html": ""}, GOOD | {"text": 5}, GOOD | {"html": "x" * 30_001}])
def test_missing_wrong_or_oversized_parts_are_refused(deps: NotifyDeps, body: dict) -> None:
    assert refusal(body, deps).field in ("text", "html")


def test_before_any_save_the_default_template_is_current(deps: NotifyDeps) -> None:
    current = templates.get_template(deps)
    assert current["version"] == 0 and current["isDefault"] is True
    assert current["subject"] == DEFAULT_TEMPLATE.subject
    assert "callback_number" in current["placeholders"]


def test_each_save_adds_a_version_with_author_and_time(deps: NotifyDeps) -> None:
    first = templates.save_template(GOOD, "alice.admin@example.com", deps)
    deps.clock.advance(timedelta(minutes=5))
    second = templates.save_template(GOOD | {"subject": "Emergency call"}, "bob.admin@example.com", deps)
    assert (first["version"], second["version"]) == (1, 2)
    versions = templates.list_versions(deps)["versions"]
    assert [(v["version"], v["author"], v["savedAt"]) for v in versions] == [
        (2, "bob.admin@example.com", (T0 + timedelta(minutes=5)).isoformat()),
        (1, "alice.admin@example.com", T0.isoformat())]
    assert templates.get_template(deps)["subject"] == "Emergency call"


def test_restore_saves_the_old_content_as_a_new_version(deps: NotifyDeps) -> None:
    templates.save_template(GOOD, "alice.admin@example.com", deps)
    templates.save_template(GOOD | {"subject": "Changed"}, "bob.admin@example.com", deps)
    restored = templates.restore(1, "carol.admin@example.com", deps)
    assert (restored["version"], restored["restoredFrom"], restored["author"]) == (3, 1, "carol.admin@example.com")
    assert {k: restored[k] for k in GOOD} == GOOD
    assert len(templates.list_versions(deps)["versions"]) == 3


def test_restoring_a_version_that_does_not_exist_is_not_found(deps: NotifyDeps) -> None:
    with pytest.raises(NotFound):
        templates.restore(7, "carol.admin@example.com", deps)


def test_preview_renders_an_unsaved_template_with_sample_data(deps: NotifyDeps) -> None:
    shown = templates.preview(GOOD, deps)
    assert shown["subject"] == "Emergency: Alice Example dialed 911"
    assert shown["html"] == "<p>1 Example Plaza, Springfield IL 62701, floor 3, room 301</p>"
    assert shown["sms"].startswith("Alice Example dialed 911.")
    assert deps.templates.saved == []


def test_preview_without_a_body_renders_the_current_template(deps: NotifyDeps) -> None:
    assert templates.preview(None, deps)["subject"] == "Emergency call by Alice Example: 911 dialed"


def test_preview_of_a_bad_template_lists_the_issues(deps: NotifyDeps) -> None:
    with pytest.raises(ValidationError) as err:
        templates.preview(GOOD | {"subject": "{{ nope }}", "text": "{{ ''.__class__ }}"}, deps)
    assert [d["field"] for d in err.value.details] == ["subject", "text"]


@pytest.mark.parametrize(("header", "author"), [(None, "unknown"), ("", "unknown"),
                                                 (" alice.admin@example.com ", "alice.admin@example.com")])
def test_the_author_is_the_signed_in_user_or_unknown(header: str | None, author: str) -> None:
    assert templates.author_name(header) == author
