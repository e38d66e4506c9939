"""`make serve`: the whole local stack with the demo's seed data, left running for a person to try.

Its data survives a restart: Azurite's tables, the host's clock and the rest of the stack's files live under
`.local/serve/` (env `SERVE_DATA_DIR` to move it; delete the folder to start afresh). Seeding adds only what is
missing, so what was changed in an earlier run stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
import threading
from pathlib import Path

from local.agent_panel import ALICE_USER, open_panel_host
from local.azurite import ROOT
from local.seed import AGENTS, POOL, seed_missing, seed_workers
from local.stack import ADMIN_PRINCIPAL, LocalStack

DATA_DIR = ROOT / ".local" / "serve"


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
Try:
  curl -s -X POST {base}/api/outbound-calls -d '{{"agentId":"alice","dialedNumber":"933","countryCode":"US"}}'
  curl -s {base}/api/agents/alice/presence
  curl -s {base}/api/agents/alice/emergency-state
  curl -s {base}/api/manage/callback-numbers
  curl -s {base}/api/manage/readiness
  curl -s -X POST {base}/local/clock -H 'Content-Type: application/json' -d '{{"advanceSeconds": 3660}}'
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
