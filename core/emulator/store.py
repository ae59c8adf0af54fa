"""In-memory state of one emulated Port organization, safe to use from many threads.

Objects are stored as Port returns them; every accessor hands out deep copies so callers
(and tests) never share mutable state with the server threads.
"""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.emulator import validation
from core.emulator.errors import ApiError, invalid, not_found, taken

ENTITY_OUTPUT_KEYS = ("identifier", "title", "icon", "team", "properties", "relations")


@dataclass(frozen=True)
class Change:
    """One entity change that was applied (``operation`` is "create" or "delete")."""

    blueprint: str
    identifier: str
    operation: str
    request_id: str | None
    source: str  # "ingest" or "api"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """Blueprints, entities, webhooks and integrations of one organization."""

    def __init__(self, actor: str = "emulator", *, return_webhook_secret: bool = True) -> None:
        self.lock = threading.RLock()
        self.actor = actor
        # Port's API does not promise to return a webhook's security.secret (its Terraform
        # provider treats it as write-only): False answers every read without it.
        self.return_webhook_secret = return_webhook_secret
        self.org_id = "org_" + secrets.token_hex(8)
        self.ingest_base = ""
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, dict[str, Any]]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.integrations: dict[str, dict[str, Any]] = {}
        self.changes: list[Change] = []
        self.seen_request_ids: dict[str, set[str]] = {}

    def _stamp(self, obj: dict[str, Any], created: bool) -> None:
        now = _now()
        if created:
            obj["createdAt"], obj["createdBy"] = now, self.actor
        obj["updatedAt"], obj["updatedBy"] = now, self.actor

    # ---- blueprints -------------------------------------------------------------------
    def _blueprint(self, identifier: str) -> dict[str, Any]:
        if identifier not in self.blueprints:
            raise not_found("Blueprint", identifier)
        return self.blueprints[identifier]

    def _check_relation_targets(self, identifier: str, relations: dict[str, Any]) -> None:
        for name, relation in relations.items():
            target = relation["target"]
            if target != identifier and target not in self.blueprints:
                raise ApiError(404, "not_found", (
                    f'relation "{name}" targets blueprint "{target}", which was not found'))

    @staticmethod
    def _normalize_blueprint(body: dict[str, Any]) -> dict[str, Any]:
        blueprint = copy.deepcopy(body)
        schema = blueprint.setdefault("schema", {})
        schema.setdefault("properties", {})
        schema.setdefault("required", [])
        for key in ("relations", "mirrorProperties", "calculationProperties",
                    "aggregationProperties"):
            blueprint.setdefault(key, {})
        return blueprint

    def list_blueprints(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.blueprints.values()))

    def get_blueprint(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._blueprint(identifier))

    def create_blueprint(self, body: Any) -> dict[str, Any]:
        body = validation.check_blueprint(body, partial=False)
        with self.lock:
            identifier = body["identifier"]
            if identifier in self.blueprints:
                raise taken("Blueprint", identifier)
            blueprint = self._normalize_blueprint(body)
            self._check_relation_targets(identifier, blueprint["relations"])
            self._stamp(blueprint, created=True)
            self.blueprints[identifier] = blueprint
            self.entities[identifier] = {}
            return copy.deepcopy(blueprint)

    def replace_blueprint(self, identifier: str, body: Any) -> dict[str, Any]:
        body = validation.check_blueprint({"identifier": identifier, **body}
                                          if isinstance(body, dict) else body, partial=False)
        with self.lock:
            old = self._blueprint(identifier)
            blueprint = self._normalize_blueprint({**body, "identifier": identifier})
            self._check_relation_targets(identifier, blueprint["relations"])
            blueprint["createdAt"], blueprint["createdBy"] = old["createdAt"], old["createdBy"]
            self._stamp(blueprint, created=False)
            self.blueprints[identifier] = blueprint
            return copy.deepcopy(blueprint)

    def patch_blueprint(self, identifier: str, body: Any) -> dict[str, Any]:
        """Top-level keys replace; relations and schema properties merge by name."""
        body = validation.check_blueprint(body, partial=True)
        with self.lock:
            blueprint = copy.deepcopy(self._blueprint(identifier))
            for key, value in body.items():
                if key == "identifier":
                    continue
                if key in ("relations", "mirrorProperties", "calculationProperties",
                           "aggregationProperties"):
                    blueprint[key].update(copy.deepcopy(value))
                elif key == "schema":
                    blueprint["schema"]["properties"].update(value.get("properties", {}))
                    if "required" in value:
                        blueprint["schema"]["required"] = list(value["required"])
                else:
                    blueprint[key] = copy.deepcopy(value)
            self._check_relation_targets(identifier, blueprint["relations"])
            self._stamp(blueprint, created=False)
            self.blueprints[identifier] = blueprint
            return copy.deepcopy(blueprint)

    def delete_blueprint(self, identifier: str) -> None:
        with self.lock:
            self._blueprint(identifier)
            count = len(self.entities.get(identifier, {}))
            if count:
                raise ApiError(
                    422, "has_dependents",
                    f'This Blueprint cannot be deleted because there are existing '
                    f'"{identifier}" entities',
                    {"blueprint": identifier, "entitiesCount": count},
                )
            del self.blueprints[identifier]
            self.entities.pop(identifier, None)

    # ---- entities ---------------------------------------------------------------------
    @staticmethod
    def entity_output(entity: dict[str, Any]) -> dict[str, Any]:
        """The entity as the spec's response schema allows it (no null title/icon)."""
        return {k: copy.deepcopy(entity[k]) for k in ENTITY_OUTPUT_KEYS
                if entity.get(k) is not None}

    def _check_entity_fields(self, blueprint_id: str, entity: dict[str, Any]) -> None:
        blueprint = self._blueprint(blueprint_id)
        known_properties = blueprint["schema"]["properties"]
        for name in entity.get("properties", {}):
            if name not in known_properties:
                raise invalid(f'property "{name}" is not defined in blueprint "{blueprint_id}"')
        for name in entity.get("relations", {}):
            if name not in blueprint["relations"]:
                raise invalid(f'relation "{name}" is not defined in blueprint "{blueprint_id}"')

    def upsert_entity(
        self, blueprint_id: str, body: Any, *, upsert: bool, merge: bool,
        source: str = "api", request_id: str | None = None,
    ) -> dict[str, Any]:
        body = validation.check_entity(body)
        with self.lock:
            self._check_entity_fields(blueprint_id, body)
            entities = self.entities[blueprint_id]
            identifier = body["identifier"]
            existing = entities.get(identifier)
            if existing is not None and not upsert:
                raise taken("Entity", identifier)
            if existing is not None and merge:
                entity = copy.deepcopy(existing)
                for key in ("title", "icon", "team"):
                    if body.get(key) is not None:
                        entity[key] = copy.deepcopy(body[key])
                entity["properties"].update(copy.deepcopy(body.get("properties", {})))
                entity["relations"].update(copy.deepcopy(body.get("relations", {})))
            else:
                entity = {k: copy.deepcopy(body.get(k)) for k in ENTITY_OUTPUT_KEYS}
                entity["properties"] = entity["properties"] or {}
                entity["relations"] = entity["relations"] or {}
                entity["team"] = entity["team"] if entity["team"] is not None else []
            self._stamp(entity, created=existing is None)
            if existing is not None:
                entity["createdAt"] = existing["createdAt"]
            entities[identifier] = entity
            self.changes.append(Change(blueprint_id, identifier, "create", request_id, source))
            return self.entity_output(entity)

    def get_entity(self, blueprint_id: str, identifier: str) -> dict[str, Any]:
        with self.lock:
            self._blueprint(blueprint_id)
            entity = self.entities[blueprint_id].get(identifier)
            if entity is None:
                raise not_found("Entity", identifier)
            return self.entity_output(entity)

    def list_entities(self, blueprint_id: str) -> list[dict[str, Any]]:
        with self.lock:
            self._blueprint(blueprint_id)
            return [self.entity_output(e) for e in self.entities[blueprint_id].values()]

    def delete_entity(
        self, blueprint_id: str, identifier: str, *, source: str = "api",
        request_id: str | None = None,
    ) -> None:
        with self.lock:
            self._blueprint(blueprint_id)
            if self.entities[blueprint_id].pop(identifier, None) is None:
                raise not_found("Entity", identifier)
            self.changes.append(Change(blueprint_id, identifier, "delete", request_id, source))

    def delete_all_entities(self, blueprint_id: str, *, delete_blueprint: bool) -> None:
        with self.lock:
            self._blueprint(blueprint_id)
            for identifier in list(self.entities[blueprint_id]):
                self.delete_entity(blueprint_id, identifier)
            if delete_blueprint:
                self.delete_blueprint(blueprint_id)

    def entities_snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        with self.lock:
            return copy.deepcopy(self.entities)

    # ---- webhooks ---------------------------------------------------------------------
    def _webhook(self, identifier: str) -> dict[str, Any]:
        if identifier not in self.webhooks:
            raise not_found("Webhook", identifier)
        return self.webhooks[identifier]

    def webhook_output(self, webhook: dict[str, Any]) -> dict[str, Any]:
        output = {**copy.deepcopy(webhook), "url": f"{self.ingest_base}/{webhook['webhookKey']}"}
        if not self.return_webhook_secret:
            (output.get("security") or {}).pop("secret", None)
        return output

    def webhook_secret(self, identifier: str) -> str | None:
        """The secret Port checks signatures with (for tests; never answered when hidden)."""
        with self.lock:
            return (self._webhook(identifier).get("security") or {}).get("secret")

    def list_webhooks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.webhook_output(w) for w in self.webhooks.values()]

    def get_webhook(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            return self.webhook_output(self._webhook(identifier))

    def webhook_by_key(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            for webhook in self.webhooks.values():
                if webhook["webhookKey"] == key:
                    return copy.deepcopy(webhook)
            return None

    def create_webhook(self, body: Any) -> dict[str, Any]:
        body = validation.check_webhook(body, partial=False)
        with self.lock:
            key = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
            identifier = body.get("identifier") or f"webhook-{key[:8]}"
            if identifier in self.webhooks:
                raise taken("Webhook", identifier)
            webhook: dict[str, Any] = {
                "_id": secrets.token_hex(12), "webhookKey": key, "orgId": self.org_id,
                "identifier": identifier, "title": body["title"],
                "icon": body.get("icon"), "description": body.get("description"),
                "enabled": body["enabled"], "security": copy.deepcopy(body.get("security", {})),
                "mappings": copy.deepcopy(body.get("mappings", [])),
                "integrationType": body.get("integrationType", "custom"),
            }
            self._stamp(webhook, created=True)
            self.webhooks[identifier] = webhook
            return self.webhook_output(webhook)

    def update_webhook(self, identifier: str, body: Any, *, partial: bool) -> dict[str, Any]:
        """PUT (``partial=False``) replaces the editable fields; PATCH changes the given ones."""
        body = validation.check_webhook(body, partial=partial)
        with self.lock:
            old = self._webhook(identifier)
            new_identifier = body.get("identifier", identifier)
            if new_identifier != identifier and new_identifier in self.webhooks:
                raise taken("Webhook", new_identifier)
            webhook = copy.deepcopy(old)
            if not partial:
                webhook.update({"icon": None, "description": None, "security": {},
                                "mappings": []})
            webhook.update(copy.deepcopy(body))
            webhook["identifier"] = new_identifier
            self._stamp(webhook, created=False)
            del self.webhooks[identifier]
            self.webhooks[new_identifier] = webhook
            return self.webhook_output(webhook)

    def delete_webhook(self, identifier: str) -> None:
        with self.lock:
            webhook = self._webhook(identifier)
            self.seen_request_ids.pop(webhook["webhookKey"], None)
            del self.webhooks[identifier]

    # ---- integrations -----------------------------------------------------------------
    def _integration(self, identifier: str) -> dict[str, Any]:
        if identifier not in self.integrations:
            raise not_found("Integration", identifier)
        return self.integrations[identifier]

    def list_integrations(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.integrations.values()))

    def get_integration(self, identifier: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._integration(identifier))

    def create_integration(self, body: Any, *, upsert: bool) -> dict[str, Any]:
        body = validation.check_integration_create(body)
        with self.lock:
            identifier = body["installationId"]
            existing = self.integrations.get(identifier)
            if existing is not None and not upsert:
                raise taken("Integration", identifier)
            integration = copy.deepcopy(existing) if existing else {
                "installationId": identifier, "identifier": identifier,
                "installationAppType": None, "integrationType": None, "version": None,
                "title": None, "config": {}, "changelogDestination": {},
                "installationType": "OnPrem", "_orgId": self.org_id,
                "_id": "integration_" + secrets.token_hex(8),
            }
            integration.update(copy.deepcopy(body))
            integration["integrationType"] = integration["installationAppType"]
            self._stamp(integration, created=existing is None)
            self.integrations[identifier] = integration
            return copy.deepcopy(integration)

    def patch_integration(self, identifier: str, body: Any) -> dict[str, Any]:
        body = validation.check_integration_patch(body)
        with self.lock:
            integration = self._integration(identifier)
            integration.update(copy.deepcopy(body))
            integration["integrationType"] = integration.get("installationAppType")
            self._stamp(integration, created=False)
            return copy.deepcopy(integration)

    def patch_integration_config(self, identifier: str, body: Any) -> dict[str, Any]:
        config = validation.check_integration_config(body)
        with self.lock:
            integration = self._integration(identifier)
            integration["config"] = copy.deepcopy(config) if config is not None else {}
            self._stamp(integration, created=False)
            return copy.deepcopy(integration)

    def delete_integration(self, identifier: str) -> None:
        with self.lock:
            self._integration(identifier)
            del self.integrations[identifier]
