"""One base error with narrow subclasses; trigger adapters map them to HTTP answers or to ack/retry."""

from __future__ import annotations


class AppError(Exception):
    """Base of the errors the app raises on purpose."""

    status = 500


class ValidationError(AppError):
    """Bad input; names the field (400)."""

    status = 400

    def __init__(self, field: str, message: str, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.details = details or []


class NotFound(AppError):
    status = 404


class StateConflict(AppError):
    """The request conflicts with the current state (409)."""

    status = 409


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403
