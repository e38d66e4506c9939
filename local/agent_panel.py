"""The agent panel on the local stack: Alice signs in as an agent in a browser of her own.

The stack's host signs whoever opens it in as the admin; a second host process on the same storage, clock and
topics signs whoever opens it in as Alice (`EmergencyCalling.Agent`), as two browsers would be in Azure.
"""

from __future__ import annotations

from typing import Any

from local.stack import Client, LocalStack
from shared.agent_access import AGENT

ALICE_USER: dict[str, Any] = {"userId": "00000000-0000-0000-0000-0000000a11ce", "userDetails": "alice@example.com",
                              "roles": [AGENT]}


def link_sign_in(client: Client, agent: str = "alice", user: dict[str, Any] = ALICE_USER) -> None:
    """Name `user` on the agent's profile (as an admin does on the admin page), if not named yet."""
    status, profile = client.get(f"/api/manage/agents/{agent}")
    if status != 200:
        raise RuntimeError(f"reading agent {agent} failed: {status} {profile}")
    if profile.get("signInId") == user["userId"]:
        return
    body = {k: v for k, v in profile.items() if k not in ("agentId", "readiness")} | {"signInId": user["userId"]}
    status, answer = client.put(f"/api/manage/agents/{agent}", body)
    if status != 200:
        raise RuntimeError(f"naming {user['userDetails']} on agent {agent} failed: {status} {answer}")


def open_panel_host(stack: LocalStack, port: int = 0) -> str:
    """Start the host that signs its visitors in as Alice; answer her panel's URL."""
    link_sign_in(stack.client)
    host = stack.start_extra_host(principal=ALICE_USER, port=port)
    return f"{host.base_url}/api/agent/ui/"
