"""Who an agent request acts for (issue 9), and whose an emergency dial is when the signed-in caller is not the
agent it names (issue 17): the call is never refused for bookkeeping, and never touches another agent."""

from __future__ import annotations

import pytest

from shared.agent_access import AGENT, DIALER, check_acts_for, emergency_dial_by, end_acts_for
from shared.auth import ADMIN, AUDITOR, Principal
from shared.domain.dialed_by import MISMATCH, NOT_MAPPED, DialedBy, is_principal_agent_id, principal_agent_id
from shared.errors import Forbidden, Unauthorized

CAROL = Principal("00000000-0000-0000-0000-0000000ca401", "carol@example.com", frozenset({AGENT}))
ALICE = Principal("00000000-0000-0000-0000-0000000a11ce", "alice@example.com", frozenset({AGENT}))
DIALER_SERVICE = Principal("d-1", "dialer", frozenset({DIALER}))
CAROLS_ID = "principal:00000000-0000-0000-0000-0000000ca401"


@pytest.mark.parametrize("who, expected", [
    (None, Unauthorized),
    (Principal("a-1", "auditor@example.com", frozenset({AUDITOR})), Forbidden),
    (Principal("a-2", "admin@example.com", frozenset({ADMIN})), Forbidden),
])
def test_nobody_or_a_caller_with_neither_role_is_refused_even_for_an_emergency_dial(
        who: Principal | None, expected: type[Exception]) -> None:
    with pytest.raises(expected):
        emergency_dial_by(who, "carol", None)
    with pytest.raises(expected):
        end_acts_for(who, "carol", True, None)


def test_a_dialer_service_or_the_agent_herself_dials_as_the_agent_named() -> None:
    assert emergency_dial_by(DIALER_SERVICE, "anyone", None) is None
    assert emergency_dial_by(ALICE, "alice", "alice") is None


def test_an_emergency_dial_by_a_signed_in_user_no_profile_names_is_hers() -> None:
    # GIVEN Carol signed in, no profile names her user, and her dialer names agent carol
    # WHEN she dials an emergency number
    dialed_by = emergency_dial_by(CAROL, "carol", None)
    # THEN the call is hers, recorded against her user, with what is missing and who fixes it
    assert dialed_by == DialedBy(CAROL.user_id, "carol@example.com", "carol", None)
    assert (dialed_by.agent_id, dialed_by.code) == (CAROLS_ID, NOT_MAPPED)
    assert "set signInId to 00000000-0000-0000-0000-0000000ca401" in dialed_by.message
    assert "fallback" in dialed_by.message


def test_an_emergency_dial_naming_another_agent_is_the_callers_own() -> None:
    dialed_by = emergency_dial_by(ALICE, "bob", "alice")
    assert dialed_by is not None and (dialed_by.agent_id, dialed_by.code) == ("alice", MISMATCH)
    assert "recorded as alice's" in dialed_by.message


def test_other_agent_requests_stay_refused_for_a_user_no_profile_names() -> None:
    with pytest.raises(Forbidden):
        check_acts_for(CAROL, "carol", None)
    with pytest.raises(Forbidden):
        check_acts_for(CAROL, CAROLS_ID, None)  # her presence or state: she has no panel


def test_a_user_no_profile_names_ends_her_own_call_and_a_call_not_recorded_yet_as_her_user() -> None:
    assert end_acts_for(CAROL, CAROLS_ID, True, None) == CAROLS_ID
    assert end_acts_for(CAROL, "carol", False, None) == CAROLS_ID  # the claim is replaced by who she is


@pytest.mark.parametrize("owner", ["alice", "principal:00000000-0000-0000-0000-0000000ba11e"])
def test_a_user_no_profile_names_never_ends_anyone_elses_recorded_call(owner: str) -> None:
    with pytest.raises(Forbidden):
        end_acts_for(CAROL, owner, True, None)


def test_a_mapped_agent_ends_her_own_calls_only_and_a_dialer_any() -> None:
    assert end_acts_for(ALICE, "alice", True, "alice") is None
    assert end_acts_for(DIALER_SERVICE, "bob", True, None) is None
    for owner in ("bob", CAROLS_ID):
        with pytest.raises(Forbidden):
            end_acts_for(ALICE, owner, True, "alice")


def test_the_agent_id_of_a_user_is_stable_and_always_a_valid_id() -> None:
    assert principal_agent_id("oid-7") == principal_agent_id("oid-7") == "principal:oid-7"
    odd = principal_agent_id("user/with spaces#and?" + "x" * 300)
    assert is_principal_agent_id(odd) and len(odd) <= 128 and all(c.isalnum() or c == ":" for c in odd)
    assert not is_principal_agent_id("alice")
