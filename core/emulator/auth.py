"""Client-credential tokens: issued at random, all invalidated by ``expire_all``."""

from __future__ import annotations

import hmac
import secrets
import threading

from core.emulator.errors import unauthorized

TOKEN_LIFETIME_SECONDS = 3 * 60 * 60  # Port's tokens last three hours


class Auth:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def issue(self, client_id: str, client_secret: str) -> str:
        ok_id = hmac.compare_digest(client_id.encode(), self._client_id.encode())
        ok_secret = hmac.compare_digest(client_secret.encode(), self._client_secret.encode())
        if not (ok_id and ok_secret):
            raise unauthorized("The provided client credentials are invalid")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return token

    def check(self, authorization: str | None) -> None:
        """Raise 401 unless ``authorization`` is ``Bearer <a live token>``."""
        if not authorization:
            raise unauthorized("Missing Authorization header with a bearer token")
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            valid = scheme.lower() == "bearer" and token.strip() in self._tokens
        if not valid:
            raise unauthorized("The provided token is invalid or has expired")

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()
