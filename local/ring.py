"""Ring a responder's callback on the local stack `make serve` runs: `make ring AGENT=alice` (or
`.venv/bin/python -m local.ring alice`).

Like an emergency service calling back: ACS's `Microsoft.Communication.IncomingCall` for the callback number the
agent's emergency call presented (the number her panel shows; else her ACS identity, as Microsoft's emergency
service rings it on the direct-offer path), published to the ACS system topic's stand-in with its key, as ACS
publishes it. The app then puts it through to her (her panel rings). Reads where the stack is from the file
`make serve` writes (`.local/serve/stack.json`).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from local.azurite import ROOT
from local.demo import phone
from local.eventgrid.http import publish, write_json
from local.stack import OPERATOR_PRINCIPAL, Client, LocalStack, as_principal

STATE = "stack.json"
RESPONDER = "+12025550177"  # fictional: the emergency service's line calling back


def remember(stack: LocalStack, data_dir: Path) -> None:
    """What `ring` needs of the running stack (its host, the ACS system topic and its key), for another process."""
    topic = stack.system_topic
    write_json(data_dir / STATE, {"functions": stack.client.base_url, "systemTopic": topic.endpoint,
                                  "key": topic.access_key, "caBundle": str(topic.ca_bundle),
                                  "acsResourceId": topic.topic})


def incoming_call(to: dict[str, Any], now: str) -> dict[str, Any]:
    correlation = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "eventType": "Microsoft.Communication.IncomingCall", "dataVersion": "1.0",
            "subject": "/caller/responder/recipient/callback", "eventTime": now,
            "data": {"to": to, "from": phone(RESPONDER), "serverCallId": f"srv-{correlation}",
                     "callerDisplayName": "Emergency service", "incomingCallContext": f"ctx-{correlation}",
                     "correlationId": correlation}}


def ring(agent: str, data_dir: Path) -> tuple[int, str]:
    """(status of the publish, what was rung); ValueError when the agent has no open callback window."""
    state = json.loads((data_dir / STATE).read_text())
    client = Client(state["functions"], as_principal(OPERATOR_PRINCIPAL))
    status, shown = client.get(f"/api/agents/{agent}/emergency-state")
    if status != 200:
        raise ValueError(f"the emergency state of {agent} answered {status}: {shown}")
    if not shown.get("callbackWindowOpen"):
        raise ValueError(f"{agent} has no open callback window: dial 933 (or 911) on her panel first")
    if shown.get("callbackNumber"):
        to, what = phone(shown["callbackNumber"]), f"her callback number {shown['callbackNumber']}"
    else:
        identity = client.get(f"/api/manage/agents/{agent}")[1]["acsUserId"]
        to, what = {"kind": "communicationUser", "rawId": identity, "communicationUser": {"id": identity}}, \
            f"her ACS identity {identity}"
    event = incoming_call(to, client.now().isoformat())
    published, _ = publish(state["systemTopic"], state["key"], [event], Path(state["caBundle"]))
    return published, what


def main(argv: list[str]) -> int:
    agent = argv[1] if len(argv) > 1 else "alice"
    data_dir = Path(os.environ.get("SERVE_DATA_DIR") or ROOT / ".local" / "serve")
    if not (data_dir / STATE).exists():
        print(f"no local stack found ({data_dir / STATE} is missing): run `make serve` first", file=sys.stderr)
        return 2
    try:
        status, what = ring(agent, data_dir)
    except (ValueError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"The emergency service ({RESPONDER}) calls {agent} back on {what}: the ACS system topic answered "
          f"{status}; her panel rings within a second or two.")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
