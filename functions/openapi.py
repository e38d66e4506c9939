"""The API description, `GET /api/openapi.json`: openapi/openapi.json with the events' JSON Schemas (openapi/events/)
put in its `components.schemas`, so that one document describes every endpoint and every published event.

Anonymous and read-only: the description holds no secret. Read from disk on first use (indexing reads nothing),
then kept for the life of the process.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import azure.functions as func

log = logging.getLogger(__name__)
bp = func.Blueprint()

DESCRIPTION = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_served: list[bytes] = []


def bundled(path: Path = DESCRIPTION) -> dict[str, Any]:
    """The description with each component `{"$ref": "events/…"}` replaced by the schema file it names (each event
    schema stands alone: it refers to nothing else)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if isinstance(ref, str) and not ref.startswith("#"):
            schemas[name] = json.loads((path.parent / ref).read_text(encoding="utf-8"))
    return document


@bp.function_name("openapi_description")
@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_description(req: func.HttpRequest) -> func.HttpResponse:
    """The same bytes on every call of this process; 503 (logged) when the files are missing from the package."""
    if not _served:
        try:
            _served.append(json.dumps(bundled(), ensure_ascii=False).encode())
        except (OSError, ValueError) as exc:
            log.error("API description not served: %s", exc)
            return func.HttpResponse(json.dumps({"error": "the API description is not available"}), status_code=503,
                                     mimetype="application/json", headers=HEADERS)
    return func.HttpResponse(_served[0], status_code=200, mimetype="application/json", headers=HEADERS)
