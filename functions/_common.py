"""Shared plumbing of the trigger adapters: JSON answers and the mapping of errors to status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.domain.presence import PresenceLocked
from shared.errors import AppError, ValidationError
from shared.ports import Conflict, StoreError

log = logging.getLogger(__name__)


def json_response(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, default=str), status_code=status, mimetype="application/json")


def error_response(status: int, message: str, **extra: Any) -> func.HttpResponse:
    return json_response({"error": message, **extra}, status)


def handle_http(action: Callable[[], Any], status: int = 200) -> func.HttpResponse:
    """Run a use case and answer JSON; domain errors become 400/404/409, storage trouble 503."""
    try:
        return json_response(action(), status)
    except ValidationError as exc:
        return error_response(400, exc.message, field=exc.field, **({"details": exc.details} if exc.details else {}))
    except AppError as exc:
        return error_response(exc.status, str(exc))
    except (PresenceLocked, Conflict) as exc:
        return error_response(409, str(exc))
    except StoreError as exc:
        log.error("storage unavailable: %s", exc)
        return error_response(503, "storage is unavailable; try again")


def container() -> Any:
    from shared.container import get_container

    return get_container()
