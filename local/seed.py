"""Seed data for the demo, `make serve` and the end-to-end tests, loaded through the admin API (never raw rows).

Fictional numbers (555-01xx) and example.com / example.org addresses only.
"""

from __future__ import annotations

from typing import Any

from local.stack import Client

AGENTS: dict[str, dict[str, Any]] = {
    "alice": {
        "displayName": "Alice Example", "acsUserId": "8:acs:00000000-0000-0000-0000-000000000000_alice",
        "outboundNumber": "+1 202 555 0180", "timezone": "America/Chicago",
        "emailRecipients": "security-desk@example.com; floor-lead@example.org",
        "smsRecipients": "+1 202 555 0142", "mailboxEnabled": True,
        "outboundProfile": "voice-outbound-us", "capacityProfile": "voice-default",
        "lastLocation": {"countryCode": "US", "address": "1 Example Plaza", "floor": "3", "room": "301",
                         "city": "Springfield, IL"},
    },
    "bob": {
        "displayName": "Bob Example", "acsUserId": "8:acs:00000000-0000-0000-0000-000000000000_bob",
        "outboundNumber": "+1 202 555 0181", "timezone": "America/New_York",
        "emailRecipients": "security-desk@example.com", "mailboxEnabled": True,
        "outboundProfile": "voice-outbound-us", "capacityProfile": "voice-default",
        "lastLocation": {"countryCode": "US", "address": "1 Example Plaza", "floor": "4", "city": "Springfield, IL"},
    },
}
POOL = [f"+1 202 555 01{n:02d}" for n in range(0, 6)]


def seed(client: Client, agents: dict[str, dict[str, Any]] | None = None, pool: list[str] | None = None) -> None:
    """Create the agents and the callback pool; raise with the API's answer when it refuses."""
    for agent_id, body in (agents or AGENTS).items():
        status, answer = client.put(f"/api/manage/agents/{agent_id}", body)
        if status != 200:
            raise RuntimeError(f"seeding agent {agent_id} failed: {status} {answer}")
    status, answer = client.put("/api/manage/callback-numbers", {"numbers": pool or POOL})
    if status != 200:
        raise RuntimeError(f"seeding the callback pool failed: {status} {answer}")
