"""Seed data for the demo, `make serve` and the end-to-end tests, loaded through the admin API (never raw rows).

Fictional numbers (555-01xx) and example.com / example.org addresses only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from local.stack import Client, LocalStack
from shared.agent_access import AGENT

# Alice and Bob sign in with these Entra object ids (the panel's and the tests' users); Carol's profile names no
# user yet (readiness says so, and her signed-in emergency call is recorded against her user).
AGENTS: dict[str, dict[str, Any]] = {
    "alice": {
        "displayName": "Alice Example", "acsUserId": "8:acs:00000000-0000-0000-0000-000000000000_alice",
        "signInId": "00000000-0000-0000-0000-0000000a11ce",
        "outboundNumber": "+1 202 555 0180", "timezone": "America/Chicago",
        "emailRecipients": "security-desk@example.com; floor-lead@example.org",
        "smsRecipients": "+1 202 555 0142", "mailboxEnabled": True,
        "outboundProfile": "voice-outbound-us", "capacityProfile": "voice-default",
        "lastLocation": {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301",
                         "city": "Springfield", "state": "IL", "postalCode": "62701"},
    },
    "bob": {
        "displayName": "Bob Example", "acsUserId": "8:acs:00000000-0000-0000-0000-000000000000_bob",
        "signInId": "00000000-0000-0000-0000-000000000b0b",
        "outboundNumber": "+1 202 555 0181", "timezone": "America/New_York",
        "emailRecipients": "security-desk@example.com", "mailboxEnabled": True,
        "outboundProfile": "voice-outbound-us", "capacityProfile": "voice-default",
        "lastLocation": {"countryCode": "US", "address": "1 Example Plaza", "floor": "4", "city": "Springfield",
                         "state": "IL", "postalCode": "62701"},
    },
    # Not ready, to show what the page reports: no recipients, working from Denmark with no +45 callback numbers,
    # no signed-in user named.
    "carol": {
        "displayName": "Carol Example", "acsUserId": "8:acs:00000000-0000-0000-0000-000000000000_carol",
        "outboundNumber": "+1 202 555 0182", "timezone": "Europe/Copenhagen", "mailboxEnabled": True,
        "outboundProfile": "voice-outbound-us", "capacityProfile": "voice-default",
        "lastLocation": {"countryCode": "DK", "address": "1 Eksempelvej", "city": "Copenhagen", "enabled": True},
    },
}
# The voice setup the readiness checks read: Alice calls from a Microsoft number (direct offer); Bob from a
# direct-routing number with no rule for 911 (his call falls back to direct offer); Carol, in Denmark, from a
# direct-routing number whose 112 matches the rule to the European SBC.
VOICE_CONFIG: dict[str, dict[str, dict[str, Any]]] = {
    "capacity-profiles": {"voice-default": {"name": "Voice - default"}},
    "outbound-profiles": {"voice-outbound-us": {"name": "Voice outbound (US)", "channel": "voice",
                                                "outboundNumber": "+1 202 555 0180",
                                                "capacityProfiles": ["voice-default"]}},
    "numbers": {"+12025550180": {"type": "microsoft", "country": "US"},
                "+12025550181": {"type": "direct_routing", "country": "US"},
                "+12025550182": {"type": "direct_routing", "country": "US"}},
    "routing-rules": {"emergency-112": {"numberPattern": "^\\+?112$", "trunks": ["sbc-eu.example.com"]}},
}
POOL = [f"+1 202 555 01{n:02d}" for n in range(0, 6)]


@contextmanager
def seeded_stack(**options: Any) -> Iterator[LocalStack]:
    """A started LocalStack(**options) with the seed data, stopped on the way out."""
    stack = LocalStack(**options)
    stack.start()
    try:
        seed(stack.client)
        seed_workers(stack)
        yield stack
    finally:
        stack.stop()


def seed(client: Client, agents: dict[str, dict[str, Any]] | None = None, pool: list[str] | None = None) -> None:
    """Create the voice setup, the agents and the callback pool as an admin; raise with the API's answer when it
    refuses. `client` must act as a user with the EmergencyCalling.Admin role (LocalStack's client does)."""
    for kind, records in VOICE_CONFIG.items():
        for key, record in records.items():
            _put(client, f"/api/manage/voice-config/{kind}/{quote(key)}", record, f"{kind} {key}")
    for agent_id, body in (agents or AGENTS).items():
        _put(client, f"/api/manage/agents/{agent_id}", body, f"agent {agent_id}")
        confirm_location(client, agent_id, body)
    _put(client, "/api/manage/callback-numbers", {"numbers": pool or POOL}, "the callback pool")


def confirm_location(client: Client, agent_id: str, body: dict[str, Any]) -> None:
    """An agent who signs in confirms her location on her panel, as she would when her shift starts (readiness
    counts only her own confirmation); an agent no user is mapped to cannot."""
    if body.get("signInId") and body.get("lastLocation"):
        agent = client.as_user({"userId": body["signInId"], "userDetails": f"{agent_id}@example.com",
                                "roles": [AGENT]})
        _put(agent, f"/api/agent/agents/{agent_id}/location", body["lastLocation"], f"{agent_id}'s location")


def seed_workers(stack: LocalStack, agents: dict[str, dict[str, Any]] | None = None) -> None:
    """A Job Router worker per agent in the ACS stand-in, taking offers, as the contact center registers them
    (the stand-in keeps workers in memory: `make serve` registers them again after a restart)."""
    for agent_id, body in (agents or AGENTS).items():
        stack.acs.put_worker(body.get("routingWorkerId") or agent_id, availableForOffers=True, capacity=1,
                             queues=["voice"], labels={"agent": agent_id})


def seed_missing(client: Client) -> list[str]:
    """Seed only what is not there yet, for `make serve` on the data of an earlier run: a record that a developer
    changed (or a pool number retired) is left as it is, so a restart keeps their edits. Idempotent; answers what
    it created."""
    created = []
    for kind, records in VOICE_CONFIG.items():
        for key, record in records.items():
            path = f"/api/manage/voice-config/{kind}/{quote(key)}"
            if _missing(client, path):
                created.append(_put(client, path, record, f"{kind} {key}"))
    for agent_id, body in AGENTS.items():
        if _missing(client, f"/api/manage/agents/{agent_id}"):
            created.append(_put(client, f"/api/manage/agents/{agent_id}", body, f"agent {agent_id}"))
    status, answer = client.get("/api/manage/callback-numbers")
    if status != 200:
        raise RuntimeError(f"reading the callback pool failed: {status} {answer}")
    if not answer["numbers"]:
        created.append(_put(client, "/api/manage/callback-numbers", {"numbers": POOL}, "the callback pool"))
    return created


def _missing(client: Client, path: str) -> bool:
    status, answer = client.get(path)
    if status not in (200, 404):
        raise RuntimeError(f"reading {path} failed: {status} {answer}")
    return status == 404


def _put(client: Client, path: str, body: dict[str, Any], what: str) -> str:
    status, answer = client.put(path, body)
    if status != 200:
        raise RuntimeError(f"seeding {what} failed: {status} {answer}")
    return what
