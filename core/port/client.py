"""Port REST API client (httpx): token auth, retries with backoff, typed errors.

Retries: 429 (honouring Retry-After), 502/503/504 and connection errors, only for calls
marked idempotent; other 4xx are never retried. A 401 refreshes the token once. The client
secret and the token never appear in exceptions, logs or output.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from core.config.credentials import PortCredentials
from core.config.port_regions import other_region_hint
from core.errors import PortApiError, PortAuthError, PortUnreachableError
from core.port.retry import Backoff
from core.port.unreachable import describe_unreachable

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "port-aws-wizard/0.1"
# One DEBUG line per request and retry (method, path, status, time): the console's --verbose.
# Never a body, a header or a token.
log = logging.getLogger("port_aws_wizard.port")


class PortClient:
    def __init__(
        self,
        base_url: str,
        credentials: PortCredentials,
        *,
        backoff: Backoff | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._token: str | None = None
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout,
                                  headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PortClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- auth -------------------------------------------------------------------------
    def authenticate(self) -> None:
        """Get a fresh access token; raises PortAuthError when Port rejects the credentials."""
        body = {"clientId": self._credentials.client_id, "clientSecret": self._credentials.client_secret}
        response = self._send("POST", "/v1/auth/access_token", json=body, authed=False, idempotent=True)
        if response.status_code in (401, 403, 404):
            not_found = (f" (HTTP 404: is {self.base_url} Port's API? check --port-base-url)"
                         if response.status_code == 404 else "")
            raise PortAuthError(
                "Port rejected the client id/secret (check PORT_CLIENT_ID and PORT_CLIENT_SECRET, "
                f"and that they belong to the organization at {self.base_url}){not_found}"
                + other_region_hint(self.base_url),
                status=response.status_code,
                error=_error_code(response),
            )
        data = self._json_or_raise(response, "get an access token")
        token = data.get("accessToken")
        if not isinstance(token, str) or not token:
            raise PortApiError("Port's token response had no accessToken", status=response.status_code)
        self._token = token

    # -- generic request --------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
        allow: tuple[int, ...] = (),
        what: str = "",
    ) -> tuple[int, dict[str, Any]]:
        """Send an authenticated request; return (status, body) for 2xx and `allow`ed statuses."""
        if idempotent is None:
            idempotent = method.upper() in ("GET", "PUT", "DELETE", "PATCH", "HEAD")
        if self._token is None:
            self.authenticate()
        response = self._send(method, path, json=json, params=params, idempotent=idempotent)
        if response.status_code == 401:
            self.authenticate()  # the token may have expired: refresh once
            response = self._send(method, path, json=json, params=params, idempotent=idempotent)
        if response.status_code in allow:
            return response.status_code, _json_body(response)
        return response.status_code, self._json_or_raise(response, what or f"{method} {path}")

    def _send(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
              authed: bool = True, idempotent: bool) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if authed and self._token else {}
        attempts = self._backoff.attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.TransportError as error:
                problem = describe_unreachable(error, self.base_url)
                log.debug("Port %s %s -> %s (%s)", method, path, type(error).__name__, problem.kind)
                if problem.retryable and attempt < attempts:
                    self._retry(method, path, attempt, attempts, problem.kind)
                    continue
                raise PortUnreachableError(problem.message(self.base_url, attempt), problem.kind) from None
            log.debug("Port %s %s -> %d in %.0f ms", method, path, response.status_code,
                      (time.monotonic() - started) * 1000)
            if response.status_code in RETRYABLE_STATUS and attempt < attempts:
                self._retry(method, path, attempt, attempts, f"HTTP {response.status_code}",
                            response.headers.get("Retry-After"))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry(self, method: str, path: str, attempt: int, attempts: int, why: str,
               retry_after: str | None = None) -> None:
        delay = self._backoff.delay(attempt, retry_after)
        log.debug("Port %s %s: %s; retry %d of %d in %.1f s", method, path, why, attempt, attempts - 1, delay)
        self._sleep(delay)

    def _json_or_raise(self, response: httpx.Response, what: str) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            return _json_body(response)
        error, message = _error_code(response), _error_message(response)
        hint = _hint_for(status)
        detail = f"{error}: {message}" if message else error or response.reason_phrase
        raise PortApiError(f"Port refused to {what}: HTTP {status} {detail}{hint}", status=status,
                           error=error)

    # -- organization -----------------------------------------------------------------
    def organization_name(self) -> str:
        _status, body = self.request("GET", "/v1/organization", what="read the organization")
        organization = body.get("organization") or {}
        return str(organization.get("name") or organization.get("id") or "")

    # -- one object of a kind: read, create, update, delete -------------------------------
    def _read(self, path: str, key: str, what: str) -> dict[str, Any] | None:
        """GET one object; None when Port answers 404."""
        status, body = self.request("GET", path, allow=(404,), what=what)
        return None if status == 404 else body.get(key)

    def _create(self, path: str, payload: dict[str, Any], key: str, what: str
                ) -> tuple[bool, dict[str, Any]]:
        """POST one object; (created, body), created False when the identifier was taken (409)."""
        status, body = self.request("POST", path, json=payload, idempotent=True, allow=(409,), what=what)
        return status != 409, body.get(key) or {}

    def _update(self, path: str, changes: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        _status, body = self.request("PATCH", path, json=changes, what=what)
        return body.get(key) or {}

    def _delete(self, path: str, what: str) -> bool:
        """DELETE one object; False when it was already gone (404)."""
        status, _body = self.request("DELETE", path, allow=(404,), what=what)
        return status != 404

    # -- blueprints -------------------------------------------------------------------
    def get_blueprint(self, identifier: str) -> dict[str, Any] | None:
        return self._read(f"/v1/blueprints/{_seg(identifier)}", "blueprint", f"read blueprint {identifier}")

    def create_blueprint(self, blueprint: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Create; returns (created, body). created is False when the identifier was taken (409)."""
        return self._create("/v1/blueprints", blueprint, "blueprint",
                            f"create blueprint {blueprint['identifier']}")

    def update_blueprint(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._update(f"/v1/blueprints/{_seg(identifier)}", changes, "blueprint",
                            f"update blueprint {identifier}")

    def delete_blueprint(self, identifier: str) -> bool:
        return self._delete(f"/v1/blueprints/{_seg(identifier)}", f"delete blueprint {identifier}")

    # -- integration ------------------------------------------------------------------
    def get_integration(self, identifier: str) -> dict[str, Any] | None:
        return self._read(f"/v1/integration/{_seg(identifier)}", "integration",
                          f"read integration {identifier}")

    def create_integration(self, identifier: str, app_type: str, version: str,
                           config: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        payload = {"installationId": identifier, "installationAppType": app_type,
                   "version": version, "config": config}
        return self._create("/v1/integration", payload, "integration", f"create integration {identifier}")

    def update_integration_config(self, identifier: str, config: dict[str, Any]) -> dict[str, Any]:
        return self._update(f"/v1/integration/{_seg(identifier)}/config", {"config": config},
                            "integration", f"update the config of integration {identifier}")

    def delete_integration(self, identifier: str) -> bool:
        return self._delete(f"/v1/integration/{_seg(identifier)}", f"delete integration {identifier}")

    # -- webhooks (Port wraps each in "integration") -----------------------------------
    def list_webhooks(self) -> list[dict[str, Any]]:
        _status, body = self.request("GET", "/v1/webhooks", what="list webhooks")
        return list(body.get("integrations") or body.get("webhooks") or [])

    def get_webhook(self, identifier: str) -> dict[str, Any] | None:
        return self._read(f"/v1/webhooks/{_seg(identifier)}", "integration", f"read webhook {identifier}")

    def create_webhook(self, webhook: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        return self._create("/v1/webhooks", webhook, "integration", f"create webhook {webhook['identifier']}")

    def update_webhook(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._update(f"/v1/webhooks/{_seg(identifier)}", changes, "integration",
                            f"update webhook {identifier}")

    def delete_webhook(self, identifier: str) -> bool:
        return self._delete(f"/v1/webhooks/{_seg(identifier)}", f"delete webhook {identifier}")

    # -- entities ---------------------------------------------------------------------
    def upsert_entity(self, blueprint: str, entity: dict[str, Any]) -> dict[str, Any]:
        _status, body = self.request(
            "POST", f"/v1/blueprints/{_seg(blueprint)}/entities", json=entity,
            params={"upsert": "true", "merge": "true"}, idempotent=True,
            what=f"upsert entity {entity.get('identifier')} of {blueprint}",
        )
        return body.get("entity") or {}

    def list_entities(self, blueprint: str) -> list[dict[str, Any]]:
        _status, body = self.request("GET", f"/v1/blueprints/{_seg(blueprint)}/entities",
                                     what=f"list entities of {blueprint}")
        return list(body.get("entities") or [])

    def delete_entity(self, blueprint: str, identifier: str) -> bool:
        return self._delete(f"/v1/blueprints/{_seg(blueprint)}/entities/{_seg(identifier)}",
                            f"delete entity {identifier} of {blueprint}")


def _seg(value: str) -> str:
    """One URL path segment: ARNs hold '/' and ':' (Port decodes segments)."""
    return quote(value, safe="")


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"items": data}


def _error_code(response: httpx.Response) -> str:
    return str(_json_body(response).get("error") or "")


def _error_message(response: httpx.Response) -> str:
    return str(_json_body(response).get("message") or "")


def _hint_for(status: int) -> str:
    if status == 403:
        return " (the credentials lack a permission: use an admin or moderator's credentials)"
    if status == 429:
        return " (rate limited: Port kept answering 429; wait a few minutes and run again)"
    if status >= 500:
        return " (Port had a server error; run again: the install picks up where it stopped)"
    return ""
