"""`make serve`: the whole local stack with the demo's seed data, left running for a person to try.

Its data survives a restart: Azurite's tables, the host's clock and the rest of the stack's files live under
`.local/serve/` (env `SERVE_DATA_DIR` to move it; delete the folder to start afresh). Seeding adds only what is
missing, so what was changed in an earlier run stays as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import textwrap
import threading
from pathlib import Path
from typing import Any

from local.agent_panel import ALICE_USER, open_panel_host
from local.azurite import ROOT
from local.ring import remember
from local.seed import AGENTS, POOL, seed_missing, seed_workers
from local.stack import ADMIN_PRINCIPAL, LOCAL_PRINCIPAL_HEADER, LocalStack

DATA_DIR = ROOT / ".local" / "serve"
# The contact center's dialer service (it acts for any agent): the examples that call the agent-facing API as it.
DIALER: dict[str, Any] = {"userId": "00000000-0000-0000-0000-0000000d1a1e", "userDetails": "dialer@example.com",
                          "roles": ["EmergencyCalling.Dialer"]}
# (method, path, JSON body, principal or None for the page's administrator): every one answers 2xx on `make serve`
# (tests/e2e/test_serve_examples.py runs the printed commands' requests).
EXAMPLES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("POST", "/api/outbound-calls", {"agentId": "alice", "dialedNumber": "933", "countryCode": "US"}, DIALER),
    ("GET", "/api/agents/alice/presence", None, DIALER),
    ("GET", "/api/agents/alice/emergency-state", None, DIALER),
    ("GET", "/api/manage/callback-numbers", None, None),
    ("GET", "/api/manage/readiness", None, None),
    ("POST", "/local/clock", {"advanceSeconds": 3660}, None),
]


def curl(base: str, method: str, path: str, body: dict[str, Any] | None, who: dict[str, Any] | None) -> str:
    """The example as a curl command line (shell-quoted)."""
    words = ["curl", "-s"] + (["-X", method] if method != "GET" else []) + [base + path]
    if who is not None:
        words += ["-H", f"{LOCAL_PRINCIPAL_HEADER}: {json.dumps(who, separators=(',', ':'))}"]
    if body is not None:
        words += ["-H", "Content-Type: application/json", "-d", json.dumps(body, separators=(",", ":"))]
    return shlex.join(words)


def main() -> int:
    port = int(os.environ.get("PORT", "7071"))
    # Whoever opens the page locally is signed in as the demo's administrator (override per request with the
    # X-Local-Principal header, e.g. an auditor: {"userId":"a2","userDetails":"auditor@example.com",
    # "roles":["EmergencyCalling.Auditor"]}).
    data_dir = Path(os.environ.get("SERVE_DATA_DIR") or DATA_DIR)
    stack = LocalStack(port=port, timers=True, acs_port=int(os.environ.get("ACS_PORT", "8443")),
                       principal=ADMIN_PRINCIPAL, data_dir=data_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with stack:
        created = seed_missing(stack.client)
        seed_workers(stack)
        seeded = textwrap.fill(f"Seeded what was missing: {', '.join(created)}." if created else
                               "Kept the data of the last run (nothing was missing).", width=118)
        base = stack.client.base_url
        panel = open_panel_host(stack, int(os.environ.get("PANEL_PORT") or (port + 1 if port else 0)))
        remember(stack, data_dir)
        tries = "\n".join("  " + curl(base, *example) for example in EXAMPLES)
        print(f"""
Local stack is up (Ctrl-C stops it).
  Functions host     {base}   (log: {stack.log_path})
  ACS stand-in       {stack.acs.endpoint}   sent messages: {stack.acs.endpoint}/_standin/requests
{_topics(stack)}  Azurite (tables)   {stack.azurite.connection_string}
  Data               {data_dir}   (kept across restarts; delete the folder to start afresh)
{seeded}
The demo's agents: {', '.join(AGENTS)}; its pool: {len(POOL)} callback numbers.
  Admin page         {base}/api/manage/ui/   (signed in as {ADMIN_PRINCIPAL['userDetails']}, EmergencyCalling.Admin)
  Agent panel        {panel}   (signed in as {ALICE_USER['userDetails']}, agent alice: dial 933 to try it)
Try (the agent-facing API as the contact center's dialer service, the rest as the administrator):
{tries}
Ring a responder's callback to Alice once she dialed (her panel rings; answer it there):
  make ring AGENT=alice
""", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def _topics(stack: LocalStack) -> str:
    """Both Event Grid stand-ins: where to publish, where to see deliveries, where dead letters land."""
    lines = []
    for title, topic in (("Event Grid topic", stack.custom_topic), ("ACS system topic", stack.system_topic)):
        inspect = topic.endpoint.replace("/api/events", "/_standin/deliveries")
        lines.append(f"  {title:<18} {topic.endpoint}   deliveries: {inspect}\n"
                     f"  {'':<18} dead letters: {topic.dead_letter_dir}/<subscription>/\n")
    lines.append(f"  {'':<18} (HTTPS with the dev CA: curl --cacert {stack.custom_topic.ca_bundle} …)\n")
    return "".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
