"""The escalation policy's versions (issue 20): every save a new version, none lost; an old version restored as a new
one; a save based on a version another admin has replaced meanwhile refused (412); each audited; the HTTP routes.
And what the agent's panel says while nobody has acknowledged: the escalation step to come."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest

from functions import escalation as escalation_functions
from local.host.principal import principal_headers
from shared.config import Settings
from shared.container import configure, reset
from shared.domain.audit import Actor
from shared.domain.escalation import DEFAULT_POLICY, parse_policy
from shared.domain.presence import Presence
from shared.errors import NotFound, ValidationError
from shared.ports import StoreError
from shared.services import acknowledge, escalation, escalation_policy
from shared.services.deliveries import list_deliveries
from shared.services.escalation_policy import PreconditionFailed
from shared.services.notify import notify_emergency
from shared.services.panel import emergency_state
from tests.fakes import T0
from tests.fakes_escalation import EscalationDeps
from tests.fakes_notify import user_functions
from tests.unit.test_notify_service import ALICE, emergency_call

ON_CALL = {"tiers": [{"name": "On call", "afterSeconds": 120, "audiences": ["onCall"], "channels": ["sms", "email"]}],
           "onCall": {"emails": ["oncall@example.com"], "sms": ["+1 202 555 0166"]}}
DESK = {"tiers": [{"name": "Desk", "afterSeconds": 300, "audiences": ["siteDesk"], "channels": ["email"]}]}
ADMIN = Actor("u-admin", "alice.admin@example.com")
OTHER_ADMIN = Actor("u-other", "bob.admin@example.com")


@pytest.fixture
def deps() -> EscalationDeps:
    return EscalationDeps()


def later(deps: EscalationDeps, seconds: int = 60) -> None:
    deps.clock.advance(timedelta(seconds=seconds))  # type: ignore[attr-defined]


# ---- versions ----------------------------------------------------------------------------------------------------

def test_before_any_save_the_default_is_in_force_as_version_0_with_no_versions(deps: EscalationDeps) -> None:
    shown = escalation_policy.get_policy(deps)
    assert (shown["version"], shown["isDefault"], shown["versions"]) == (0, True, [])
    assert shown["policy"] == shown["default"] == DEFAULT_POLICY.as_json()
    assert set(shown["audiences"]) == {"notified", "agent", "siteDesk", "onCall"}
    assert shown["channels"] == ["email", "sms", "voice"] and shown["limits"]["minSeconds"] == 30


def test_each_save_is_a_new_version_with_its_author_and_time_and_none_is_lost(deps: EscalationDeps) -> None:
    first = escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    later(deps)
    second = escalation_policy.put_policy(parse_policy(DESK), OTHER_ADMIN, deps)
    assert (first["version"], second["version"]) == (1, 2)
    assert second["policy"]["tiers"][0]["name"] == "Desk" and second["isDefault"] is False
    assert [(v["version"], v["author"], v["savedAt"]) for v in second["versions"]] == [
        (2, "bob.admin@example.com", (T0 + timedelta(seconds=60)).isoformat()),
        (1, "alice.admin@example.com", T0.isoformat())]
    assert second["versions"][1]["policy"]["tiers"][0]["name"] == "On call"  # the earlier one, kept whole
    # the scheduler reads only the current one, as before
    assert deps.sites.get_escalation_policy() == parse_policy(DESK)


def test_a_save_based_on_the_current_version_is_taken(deps: EscalationDeps) -> None:
    assert escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps, expected=0)["version"] == 1
    assert escalation_policy.put_policy(parse_policy(DESK), ADMIN, deps, expected=1)["version"] == 2


def test_a_save_based_on_a_version_another_admin_replaced_is_refused_and_nothing_is_saved(deps: EscalationDeps) -> None:
    # GIVEN both admins loaded version 1; Bob saved version 2
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    escalation_policy.put_policy(parse_policy(DESK), OTHER_ADMIN, deps, expected=1)
    # WHEN Alice saves her change to version 1 THEN it is refused (412) and Bob's stays current
    with pytest.raises(PreconditionFailed) as refused:
        escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps, expected=1)
    assert refused.value.status == 412 and "version 2" in str(refused.value)
    assert escalation_policy.get_policy(deps)["version"] == 2
    assert deps.sites.get_escalation_policy() == parse_policy(DESK)


def another_admin_saves_first(deps: EscalationDeps) -> None:
    """The next save finds its version number taken: Bob's save landed between its read and its write."""
    real = deps.sites.save_escalation_policy

    def racing(policy: Any, version: int, *rest: Any) -> Any:
        deps.sites.save_escalation_policy = real  # type: ignore[method-assign]
        real(parse_policy(DESK), version, "bob.admin@example.com", T0)
        return real(policy, version, *rest)
    deps.sites.save_escalation_policy = racing  # type: ignore[method-assign]


def test_a_save_based_on_a_version_that_lost_a_race_is_refused(deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    another_admin_saves_first(deps)
    with pytest.raises(PreconditionFailed):
        escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps, expected=1)
    assert [v.author for v in deps.sites.escalation_policy_versions()] == ["bob.admin@example.com",
                                                                            "alice.admin@example.com"]


def test_a_save_without_if_match_that_lost_a_race_takes_the_next_number(deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    another_admin_saves_first(deps)
    assert escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)["version"] == 3
    assert [v.version for v in deps.sites.escalation_policy_versions()] == [3, 2, 1]


def test_a_restore_makes_an_old_version_current_as_a_new_one_and_is_audited(deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    escalation_policy.put_policy(parse_policy(DESK), ADMIN, deps)
    deps.audit.entries.clear()
    restored = escalation_policy.restore(1, OTHER_ADMIN, deps, expected=2)
    assert (restored["version"], restored["restoredFrom"], restored["author"]) == (3, 1, "bob.admin@example.com")
    assert deps.sites.get_escalation_policy() == parse_policy(ON_CALL)
    assert [v["version"] for v in restored["versions"]] == [3, 2, 1]
    changed = {e.field: (e.old, e.new) for e in deps.audit.entries}
    assert {e.action for e in deps.audit.entries} == {"restored"}
    assert changed["version"] == ("2", "3") and changed["restoredFrom"] == (None, "1")
    assert changed["tier2"][1].startswith("On call: after 120 s")
    assert {e.actor for e in deps.audit.entries} == {OTHER_ADMIN}


def test_a_restore_of_a_version_that_does_not_exist_or_is_based_on_a_stale_version_changes_nothing(
        deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    escalation_policy.put_policy(parse_policy(DESK), ADMIN, deps)
    with pytest.raises(NotFound):
        escalation_policy.restore(9, ADMIN, deps)
    with pytest.raises(PreconditionFailed):
        escalation_policy.restore(1, ADMIN, deps, expected=1)
    assert escalation_policy.get_policy(deps)["version"] == 2


def test_a_version_this_release_cannot_read_is_listed_but_never_restored_and_the_default_is_in_force(
        deps: EscalationDeps) -> None:
    from shared.domain.escalation import PolicyVersion

    deps.sites.policy_versions[1] = PolicyVersion(1, None, "someone", T0)
    shown = escalation_policy.get_policy(deps)
    assert (shown["version"], shown["isDefault"], shown["policy"]) == (1, True, DEFAULT_POLICY.as_json())
    assert shown["versions"][0]["policy"] is None
    escalation_policy.put_policy(parse_policy(DESK), ADMIN, deps, expected=1)
    with pytest.raises(ValidationError) as refused:
        escalation_policy.restore(1, ADMIN, deps)
    assert refused.value.field == "version"


def test_every_save_is_audited_with_its_version(deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    changed = {e.field: (e.old, e.new) for e in deps.audit.entries}
    assert {e.action for e in deps.audit.entries} == {"updated"}
    assert changed["version"] == ("0", "1") and changed["onCall"][1] == "oncall@example.com; +12025550166"
    deps.audit.entries.clear()
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)  # the same content again: still a version
    assert [(e.field, e.old, e.new) for e in deps.audit.entries] == [("version", "1", "2")]


@pytest.mark.parametrize(("header", "expected"), [(None, None), ("", None), ("*", None), ("3", 3), ('"3"', 3),
                                                  ('W/"12"', 12), ("0", 0), ('"0"', 0)])
def test_if_match_names_the_version_the_change_was_based_on(header: str | None, expected: int | None) -> None:
    assert escalation_policy.parse_if_match(header) == expected


@pytest.mark.parametrize("header", ["abc", '"-1"', "1.5", '"3", "4"'])
def test_an_if_match_that_names_no_version_is_refused_naming_it(header: str) -> None:
    with pytest.raises(ValidationError) as refused:
        escalation_policy.parse_if_match(header)
    assert refused.value.field == "If-Match"


def test_the_scheduler_copies_the_current_version_into_a_call_s_steps(deps: EscalationDeps) -> None:
    escalation_policy.put_policy(parse_policy(ON_CALL), ADMIN, deps)
    escalation_policy.put_policy(parse_policy(DESK), ADMIN, deps)
    deps.agents.put(ALICE)
    deps.calls.create(emergency_call())
    assert escalation.schedule(deps.calls.get("ec-1")[0], deps) == 1  # type: ignore[index]
    [step] = deps.escalations.of_call("ec-1")
    assert (step.tier.name, step.due_at) == ("Desk", T0 + timedelta(seconds=300))


# ---- the HTTP routes ---------------------------------------------------------------------------------------------

HTTP_ADMIN = {"userId": "u-admin", "userDetails": "alice.admin@example.com", "roles": ["EmergencyCalling.Admin"]}
HTTP_AUDITOR = {"userId": "u-audit", "userDetails": "audit@example.com", "roles": ["EmergencyCalling.Auditor"]}


@pytest.fixture
def routes(deps: EscalationDeps) -> Iterator[dict[str, Any]]:
    """The blueprint's functions, with the fakes installed as the process container (reset after the test)."""
    reset()
    configure(settings=Settings.from_env({"PRINCIPAL_HEADERS_TRUSTED": "local-host"}), clock=deps.clock,
              sites=deps.sites, audit=deps.audit)
    yield user_functions(escalation_functions.bp)
    reset()


def http(method: str, body: Any = None, user: dict[str, Any] | None = HTTP_ADMIN,
         **headers: str) -> func.HttpRequest:
    raw = b"" if body is None else json.dumps(body).encode()
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return func.HttpRequest(method, "http://127.0.0.1/api/manage/escalation-policy", body=raw, headers={
        "Content-Type": "application/json", **(principal_headers(user) if user else {}), **extra})


def answer(response: func.HttpResponse) -> tuple[int, Any]:
    return response.status_code, json.loads(response.get_body())


def test_put_with_if_match_saves_and_answers_the_new_version_as_etag(routes: dict[str, Any]) -> None:
    policy = routes["manage_escalation_policy"]
    shown = policy(req=http("GET"))
    assert shown.status_code == 200 and shown.headers["ETag"] == '"0"'
    saved = policy(req=http("PUT", ON_CALL, If_Match='"0"'))
    assert answer(saved)[0] == 200 and saved.headers["ETag"] == '"1"'
    assert answer(saved)[1]["author"] == "alice.admin@example.com"


def test_put_based_on_a_replaced_version_answers_412(routes: dict[str, Any]) -> None:
    policy = routes["manage_escalation_policy"]
    assert policy(req=http("PUT", ON_CALL, If_Match="0")).status_code == 200
    status, body = answer(policy(req=http("PUT", DESK, If_Match="0")))
    assert status == 412 and "version 1" in body["error"]
    status, body = answer(policy(req=http("PUT", DESK, If_Match="latest")))
    assert (status, body["field"]) == (400, "If-Match")


def test_restore_route_makes_a_version_current_and_refuses_what_is_not_a_version(routes: dict[str, Any]) -> None:
    policy, restore = routes["manage_escalation_policy"], routes["manage_escalation_policy_restore"]
    policy(req=http("PUT", ON_CALL))
    policy(req=http("PUT", DESK))
    status, body = answer(restore(req=http("POST", {"version": 1}, If_Match='"2"')))
    assert (status, body["version"], body["restoredFrom"]) == (200, 3, 1)
    assert answer(restore(req=http("POST", {"version": 9})))[0] == 404
    assert answer(restore(req=http("POST", {"version": "x"})))[1]["field"] == "version"
    assert answer(restore(req=http("POST", {"version": 1, "force": True})))[1]["field"] == "force"
    assert answer(restore(req=http("POST", {"version": 2}, If_Match="2")))[0] == 412


def test_auditors_read_the_policy_but_only_admins_save_or_restore_it(routes: dict[str, Any]) -> None:
    policy, restore = routes["manage_escalation_policy"], routes["manage_escalation_policy_restore"]
    policy(req=http("PUT", ON_CALL))
    assert policy(req=http("GET", user=HTTP_AUDITOR)).status_code == 200
    assert policy(req=http("PUT", DESK, user=HTTP_AUDITOR)).status_code == 403
    assert restore(req=http("POST", {"version": 1}, user=HTTP_AUDITOR)).status_code == 403
    assert restore(req=http("POST", {"version": 1}, user=None)).status_code == 401


# ---- the agent's panel and the incident while nobody has acknowledged --------------------------------------------

@pytest.fixture
def calling(deps: EscalationDeps) -> EscalationDeps:
    """Alice's 911 notified under the on-call and desk policy, her call in progress."""
    escalation_policy.put_policy(parse_policy({**ON_CALL, "tiers": ON_CALL["tiers"] + DESK["tiers"]}), ADMIN, deps)
    deps.agents.put(ALICE)
    deps.calls.create(emergency_call())
    notify_emergency("ec-1", deps)
    escalation.schedule(deps.calls.get("ec-1")[0], deps)  # type: ignore[index]
    deps.presence.save(Presence("alice", "DoNotDisturb", emergency_call_id="ec-1", emergency_since=T0), None)
    return deps


def test_while_nobody_has_acknowledged_the_panel_names_the_next_escalation_step(calling: EscalationDeps) -> None:
    state = emergency_state("alice", calling, calling.deliveries)
    assert state["acknowledgements"] == [] and state["notified"] == 3
    assert state["escalation"] == {"tier": 1, "name": "On call", "dueAt": (T0 + timedelta(seconds=120)).isoformat(),
                                   "status": "pending", "audiences": ["onCall"], "channels": ["email", "sms"]}
    # WHEN the first step has run THEN the next one is named
    later(calling, 120)
    escalation.run_due(calling)
    assert emergency_state("alice", calling, calling.deliveries)["escalation"]["name"] == "Desk"
    # WHEN every step has run THEN there is none to come
    later(calling, 180)
    escalation.run_due(calling)
    assert emergency_state("alice", calling, calling.deliveries)["escalation"] is None


def test_once_someone_acknowledged_the_panel_says_who_and_names_no_escalation(calling: EscalationDeps) -> None:
    later(calling, 42)
    acknowledge.acknowledge_reply("+12025550142", "1", calling)
    state = emergency_state("alice", calling, calling.deliveries)
    assert [a["secondsAfterDial"] for a in state["acknowledgements"]] == [42]
    assert "escalation" not in state


def test_steps_that_cannot_be_read_leave_the_escalation_out_and_nothing_else(calling: EscalationDeps) -> None:
    def down(call_id: str) -> Any:
        raise StoreError("503")
    calling.escalations.of_call = down  # type: ignore[method-assign]
    state = emergency_state("alice", calling, calling.deliveries)
    assert state["emergency"] is True and state["notified"] == 3 and state["acknowledgements"] == []
    assert "escalation" not in state


def test_a_container_without_escalations_says_nothing_of_them(calling: EscalationDeps) -> None:
    del calling.escalations
    state = emergency_state("alice", calling, calling.deliveries)
    assert state["acknowledgements"] == [] and "escalation" not in state


def test_the_incident_s_deliveries_say_which_step_sent_each_and_mask_the_recipient(calling: EscalationDeps) -> None:
    later(calling, 120)
    escalation.run_due(calling)
    listed = list_deliveries("ec-1", calling)
    by = {(d["channel"], d["recipient"]): d for d in listed["deliveries"]}
    assert by[("email", "security@example.com")]["step"] == 0
    assert by[("email", "oncall@example.com")]["step"] == 1
    assert by[("email", "oncall@example.com")]["recipientMasked"] == "o***@example.com"
    assert by[("sms", "+12025550166")]["recipientMasked"] == "***0166"
    assert listed["asOf"] == (T0 + timedelta(seconds=120)).isoformat()
