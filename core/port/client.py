"""Port REST API client (httpx): token auth, retries with backoff, typed errors.

Retries: 429 (honouring Retry-After), 502/503/504 and connection errors, only for calls
marked idempotent; other 4xx are never retried. A 401 refreshes the token once. The client
secret and the token never appear in exceptions, logs or output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from core.config.credentials import PortCredentials
from core.errors import PortApiError, PortAuthError
from core.port.retry import Backoff

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "port-aws-wizard/0.1"


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
            raise PortAuthError(
                "Port rejected the client id/secret (check PORT_CLIENT_ID and PORT_CLIENT_SECRET, "
                f"and that they belong to the organization at {self.base_url})",
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
        last_problem = ""
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.TransportError as error:
                last_problem = f"could not reach Port at {self.base_url} ({type(error).__name__})"
                if attempt < attempts:
                    self._sleep(self._backoff.delay(attempt))
                    continue
                raise PortApiError(f"{last_problem} after {attempts} attempt(s)") from None
            if response.status_code in RETRYABLE_STATUS and attempt < attempts:
                self._sleep(self._backoff.delay(attempt, response.headers.get("Retry-After")))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

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

    # -- blueprints -------------------------------------------------------------------
    def get_blueprint(self, identifier: str) -> dict[str, Any] | None:
        status, body = self.request("GET", f"/v1/blueprints/{_seg(identifier)}", allow=(404,),
                                    what=f"read blueprint {identifier}")
        return None if status == 404 else body.get("blueprint")

    def create_blueprint(self, blueprint: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Create; returns (created, body). created is False when the identifier was taken (409)."""
        status, body = self.request("POST", "/v1/blueprints", json=blueprint, idempotent=True,
                                    allow=(409,), what=f"create blueprint {blueprint['identifier']}")
        return status != 409, body.get("blueprint") or {}

    def update_blueprint(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        _status, body = self.request("PATCH", f"/v1/blueprints/{_seg(identifier)}", json=changes,
                                     what=f"update blueprint {identifier}")
        return body.get("blueprint") or {}

    def delete_blueprint(self, identifier: str) -> bool:
        status, _body = self.request("DELETE", f"/v1/blueprints/{_seg(identifier)}", allow=(404,),
                                     what=f"delete blueprint {identifier}")
        return status != 404

    # -- integration ------------------------------------------------------------------
    def get_integration(self, identifier: str) -> dict[str, Any] | None:
        status, body = self.request("GET", f"/v1/integration/{_seg(identifier)}", allow=(404,),
                                    what=f"read integration {identifier}")
        return None if status == 404 else body.get("integration")

    def create_integration(self, identifier: str, app_type: str, version: str,
                           config: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        payload = {"installationId": identifier, "installationAppType": app_type,
                   "version": version, "config": config}
        status, body = self.request("POST", "/v1/integration", json=payload, idempotent=True,
                                    allow=(409,), what=f"create integration {identifier}")
        return status != 409, body.get("integration") or {}

    def update_integration_config(self, identifier: str, config: dict[str, Any]) -> dict[str, Any]:
        _status, body = self.request("PATCH", f"/v1/integration/{_seg(identifier)}/config",
                                     json={"config": config},
                                     what=f"update the config of integration {identifier}")
        return body.get("integration") or {}

    def delete_integration(self, identifier: str) -> bool:
        status, _body = self.request("DELETE", f"/v1/integration/{_seg(identifier)}", allow=(404,),
                                     what=f"delete integration {identifier}")
        return status != 404

    # -- webhooks ---------------------------------------------------------------------
    def list_webhooks(self) -> list[dict[str, Any]]:
        _status, body = self.request("GET", "/v1/webhooks", what="list webhooks")
        return list(body.get("integrations") or body.get("webhooks") or [])

    def get_webhook(self, identifier: str) -> dict[str, Any] | None:
        status, body = self.request("GET", f"/v1/webhooks/{_seg(identifier)}", allow=(404,),
                                    what=f"read webhook {identifier}")
        return None if status == 404 else body.get("integration")

    def create_webhook(self, webhook: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        status, body = self.request("POST", "/v1/webhooks", json=webhook, idempotent=True,
                                    allow=(409,), what=f"create webhook {webhook['identifier']}")
        return status != 409, body.get("integration") or {}

    def update_webhook(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        _status, body = self.request("PATCH", f"/v1/webhooks/{_seg(identifier)}", json=changes,
                                     what=f"update webhook {identifier}")
        return body.get("integration") or {}

    def delete_webhook(self, identifier: str) -> bool:
        status, _body = self.request("DELETE", f"/v1/webhooks/{_seg(identifier)}", allow=(404,),
                                     what=f"delete webhook {identifier}")
        return status != 404

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
        path = f"/v1/blueprints/{_seg(blueprint)}/entities/{_seg(identifier)}"
        status, _body = self.request("DELETE", path, allow=(404,),
                                     what=f"delete entity {identifier} of {blueprint}")
        return status != 404


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
