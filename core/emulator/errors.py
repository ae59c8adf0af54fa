"""Port's error answers: ``{"ok": false, "error": <code>, "message": <text>}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by the store and routes; the server turns it into Port's error body."""

    def __init__(
        self, status: int, error: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found(kind: str, identifier: str) -> ApiError:
    return ApiError(404, "not_found", f'{kind} with identifier "{identifier}" was not found')


def taken(kind: str, identifier: str) -> ApiError:
    return ApiError(409, "identifier_taken", f'{kind} with identifier "{identifier}" already exists')


def invalid(message: str) -> ApiError:
    """422: the json does not match the route's schema."""
    return ApiError(422, "invalid_request", message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message)
