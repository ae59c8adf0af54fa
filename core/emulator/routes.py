"""Port API routes as plain functions of a parsed request; no HTTP plumbing here."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from core.emulator import validation
from core.emulator.auth import TOKEN_LIFETIME_SECONDS, Auth
from core.emulator.errors import ApiError
from core.emulator.ingest import MAX_INGEST_BYTES, IngestRecord, ingest
from core.emulator.store import Store

MAX_API_BYTES = 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw: bytes

    def json(self) -> Any:
        if not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            raise ApiError(400, "invalid_json", "Body is not valid JSON") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name)
        return default if value is None else value.lower() == "true"


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticated: bool = True
    ingest: bool = False


def _ok(status: int = 200, **body: Any) -> Response:
    return Response(status, {"ok": True, **body})


class Api:
    """Routes requests to the store; owns authentication and the ingest log."""

    def __init__(self, store: Store, auth: Auth) -> None:
        self.store = store
        self.auth = auth
        self.ingest_log: list[IngestRecord] = []
        self._log_lock = threading.Lock()
        self.routes = self._build_routes()

    def _build_routes(self) -> list[Route]:
        seg = r"([^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/organization", self.get_organization),
            ("GET", "/v1/blueprints", self.list_blueprints),
            ("POST", "/v1/blueprints", self.create_blueprint),
            ("GET", f"/v1/blueprints/{seg}", self.get_blueprint),
            ("PUT", f"/v1/blueprints/{seg}", self.put_blueprint),
            ("PATCH", f"/v1/blueprints/{seg}", self.patch_blueprint),
            ("DELETE", f"/v1/blueprints/{seg}", self.delete_blueprint),
            ("GET", f"/v1/blueprints/{seg}/entities", self.list_entities),
            ("POST", f"/v1/blueprints/{seg}/entities", self.create_entity),
            ("GET", f"/v1/blueprints/{seg}/entities/{seg}", self.get_entity),
            ("DELETE", f"/v1/blueprints/{seg}/entities/{seg}", self.delete_entity),
            ("DELETE", f"/v1/blueprints/{seg}/all-entities", self.delete_all_entities),
            ("GET", "/v1/integration", self.list_integrations),
            ("POST", "/v1/integration", self.create_integration),
            ("GET", f"/v1/integration/{seg}", self.get_integration),
            ("PATCH", f"/v1/integration/{seg}", self.patch_integration),
            ("PATCH", f"/v1/integration/{seg}/config", self.patch_integration_config),
            ("DELETE", f"/v1/integration/{seg}", self.delete_integration),
            ("GET", "/v1/webhooks", self.list_webhooks),
            ("POST", "/v1/webhooks", self.create_webhook),
            ("GET", f"/v1/webhooks/{seg}", self.get_webhook),
            ("PUT", f"/v1/webhooks/{seg}", self.put_webhook),
            ("PATCH", f"/v1/webhooks/{seg}", self.patch_webhook),
            ("DELETE", f"/v1/webhooks/{seg}", self.delete_webhook),
        ]
        routes = [Route("POST", re.compile(r"^/v1/auth/access_token$"), self.access_token,
                        authenticated=False)]
        routes += [Route(m, re.compile(f"^{p}$"), h) for m, p, h in table]
        routes.append(Route("POST", re.compile(r"^/(?!v1/)([A-Za-z0-9_-]+)$"), self.ingest,
                            authenticated=False, ingest=True))
        return routes

    def match(self, method: str, path: str) -> tuple[Route, list[str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, [unquote(g) for g in found.groups()]
        return None

    def handle(self, request: Request) -> Response:
        try:
            matched = self.match(request.method, request.path)
            if matched is None:
                raise ApiError(404, "not_found",
                               f"Route {request.method}:{request.path} not found")
            route, params = matched
            limit = MAX_INGEST_BYTES if route.ingest else MAX_API_BYTES
            if len(request.raw) > limit:
                raise ApiError(413, "payload_too_large",
                               f"Request body is too large (limit is {limit} bytes)")
            if route.authenticated:
                self.auth.check(request.headers.get("authorization"))
            return route.handler(request, *params)
        except ApiError as exc:
            return Response(exc.status, exc.body())

    # ---- auth & organization ------------------------------------------------------------
    def access_token(self, request: Request) -> Response:
        client_id, client_secret = validation.check_credentials(request.json())
        token = self.auth.issue(client_id, client_secret)
        return _ok(accessToken=token, expiresIn=TOKEN_LIFETIME_SECONDS, tokenType="Bearer")

    def get_organization(self, request: Request) -> Response:
        return _ok(organization={"id": self.store.org_id, "name": "Port emulator",
                                 "settings": {"hiddenBlueprints": []}})

    # ---- blueprints -----------------------------------------------------------------------
    def list_blueprints(self, request: Request) -> Response:
        return _ok(blueprints=self.store.list_blueprints())

    def create_blueprint(self, request: Request) -> Response:
        return _ok(201, blueprint=self.store.create_blueprint(request.json()))

    def get_blueprint(self, request: Request, identifier: str) -> Response:
        return _ok(blueprint=self.store.get_blueprint(identifier))

    def put_blueprint(self, request: Request, identifier: str) -> Response:
        return _ok(blueprint=self.store.replace_blueprint(identifier, request.json()))

    def patch_blueprint(self, request: Request, identifier: str) -> Response:
        return _ok(blueprint=self.store.patch_blueprint(identifier, request.json()))

    def delete_blueprint(self, request: Request, identifier: str) -> Response:
        self.store.delete_blueprint(identifier)
        return _ok()

    # ---- entities -------------------------------------------------------------------------
    def list_entities(self, request: Request, blueprint: str) -> Response:
        return _ok(entities=self.store.list_entities(blueprint))

    def create_entity(self, request: Request, blueprint: str) -> Response:
        entity = self.store.upsert_entity(blueprint, request.json(),
                                          upsert=request.flag("upsert"),
                                          merge=request.flag("merge"))
        return _ok(201, entity=entity)

    def get_entity(self, request: Request, blueprint: str, identifier: str) -> Response:
        return _ok(entity=self.store.get_entity(blueprint, identifier))

    def delete_entity(self, request: Request, blueprint: str, identifier: str) -> Response:
        self.store.delete_entity(blueprint, identifier)
        return _ok()

    def delete_all_entities(self, request: Request, blueprint: str) -> Response:
        self.store.delete_all_entities(blueprint,
                                       delete_blueprint=request.flag("delete_blueprint"))
        return _ok()

    # ---- integrations ---------------------------------------------------------------------
    def list_integrations(self, request: Request) -> Response:
        return _ok(integrations=self.store.list_integrations())

    def create_integration(self, request: Request) -> Response:
        integration = self.store.create_integration(request.json(),
                                                    upsert=request.flag("upsert"))
        return _ok(integration=integration)

    def get_integration(self, request: Request, identifier: str) -> Response:
        return _ok(integration=self.store.get_integration(identifier))

    def patch_integration(self, request: Request, identifier: str) -> Response:
        body = request.json()
        return _ok(integration=self.store.patch_integration(identifier,
                                                            {} if body is None else body))

    def patch_integration_config(self, request: Request, identifier: str) -> Response:
        return _ok(integration=self.store.patch_integration_config(identifier, request.json()))

    def delete_integration(self, request: Request, identifier: str) -> Response:
        self.store.delete_integration(identifier)
        return _ok()

    # ---- webhooks -------------------------------------------------------------------------
    def list_webhooks(self, request: Request) -> Response:
        return _ok(integrations=self.store.list_webhooks())

    def create_webhook(self, request: Request) -> Response:
        return _ok(201, integration=self.store.create_webhook(request.json()))

    def get_webhook(self, request: Request, identifier: str) -> Response:
        return _ok(integration=self.store.get_webhook(identifier))

    def put_webhook(self, request: Request, identifier: str) -> Response:
        return _ok(integration=self.store.update_webhook(identifier, request.json(),
                                                         partial=False))

    def patch_webhook(self, request: Request, identifier: str) -> Response:
        return _ok(integration=self.store.update_webhook(identifier, request.json(),
                                                         partial=True))

    def delete_webhook(self, request: Request, identifier: str) -> Response:
        self.store.delete_webhook(identifier)
        return _ok()

    # ---- ingest ---------------------------------------------------------------------------
    def ingest(self, request: Request, key: str) -> Response:
        webhook = self.store.webhook_by_key(key)
        if webhook is None:
            raise ApiError(404, "not_found", "No webhook with this key")
        record = ingest(self.store, webhook, request.raw, request.headers, request.query)
        with self._log_lock:
            self.ingest_log.append(record)
        return _ok(202)
