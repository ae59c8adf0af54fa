"""Request-body checks for the routes the emulator serves, after Port's OpenAPI spec.

Only the constraints a client can realistically get wrong are checked (required keys, types,
lengths, enums, unknown keys where the spec says ``additionalProperties: false``); a
violation raises the 422 Port answers with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from core.emulator.errors import invalid

# The spec's pattern uses \p{L}; \w is the closest stdlib equivalent.
BLUEPRINT_ID_RE = re.compile(r"^(?!\.{1,2}$)[\w@.+:\\/-]+$")
ENTITY_ID_RE = re.compile(r"^(?!\.{1,2}$)[\w@.+:\\/=-]+$")
RELATION_NAME_RE = re.compile(r"^[A-Za-z0-9@_=\\-]+$")

WEBHOOK_KEYS = {
    "identifier", "title", "description", "icon", "mappings", "enabled", "security",
    "integrationType",
}
SECURITY_KEYS = {
    "secret", "signatureHeaderName", "signatureAlgorithm", "signaturePrefix",
    "requestIdentifierPath",
}
SIGNATURE_ALGORITHMS = {"sha1", "sha256", "plain"}
MAPPING_KEYS = {"operation", "blueprint", "filter", "itemsToParse", "entity"}
MAPPING_ENTITY_KEYS = {"identifier", "title", "icon", "team", "properties", "relations"}
RELATION_KEYS = {"title", "target", "required", "many", "description", "type"}
INTEGRATION_CREATE_KEYS = {
    "installationId", "title", "version", "installationAppType", "config", "changelogDestination",
}
INTEGRATION_PATCH_KEYS = {
    "title", "installationAppType", "version", "spec", "actionsProcessingEnabled", "config",
    "changelogDestination",
}


def require_object(body: Any, what: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid(f"{what} must be an object")
    return body


def _check_keys(obj: dict[str, Any], allowed: Iterable[str], what: str) -> None:
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise invalid(f"{what} must NOT have additional properties: {', '.join(extra)}")


def _check_required(obj: dict[str, Any], required: Iterable[str], what: str) -> None:
    for key in required:
        if key not in obj:
            raise invalid(f"{what} must have required property '{key}'")


def _check_str(
    obj: dict[str, Any], key: str, what: str, *, max_len: int | None = None,
    min_len: int = 0, nullable: bool = False,
) -> None:
    if key not in obj:
        return
    value = obj[key]
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise invalid(f"{what}/{key} must be string")
    if max_len is not None and len(value) > max_len:
        raise invalid(f"{what}/{key} must NOT have more than {max_len} characters")
    if len(value) < min_len:
        raise invalid(f"{what}/{key} must NOT have fewer than {min_len} characters")


def _check_bool(obj: dict[str, Any], key: str, what: str) -> None:
    if key in obj and not isinstance(obj[key], bool):
        raise invalid(f"{what}/{key} must be boolean")


def check_blueprint(body: Any, *, partial: bool) -> dict[str, Any]:
    """POST/PUT (``partial=False``) and PATCH (``partial=True``) /v1/blueprints bodies."""
    body = require_object(body)
    if not partial:
        _check_required(body, ("identifier", "title", "schema"), "body")
    _check_str(body, "identifier", "body", max_len=100)
    if "identifier" in body and not BLUEPRINT_ID_RE.match(body["identifier"]):
        raise invalid("body/identifier must match the identifier pattern")
    _check_str(body, "title", "body", max_len=100, min_len=1)
    _check_str(body, "description", "body", max_len=200)
    _check_str(body, "icon", "body")
    if "schema" in body:
        schema = require_object(body["schema"], "body/schema")
        if not isinstance(schema.get("properties", {}), dict):
            raise invalid("body/schema/properties must be object")
        if not isinstance(schema.get("required", []), list):
            raise invalid("body/schema/required must be array")
    relations = body.get("relations", {})
    require_object(relations, "body/relations")
    for name, relation in relations.items():
        what = f"body/relations/{name}"
        if len(name) > 100 or not RELATION_NAME_RE.match(name):
            raise invalid(f"{what}: relation identifier must match {RELATION_NAME_RE.pattern}")
        require_object(relation, what)
        _check_keys(relation, RELATION_KEYS, what)
        _check_required(relation, ("target", "required", "many"), what)
        _check_str(relation, "target", what)
        _check_bool(relation, "required", what)
        _check_bool(relation, "many", what)
    return body


def _check_operation(operation: Any, what: str) -> None:
    if operation in ("create", "delete"):
        return
    if isinstance(operation, dict) and operation.get("type") in ("create", "delete"):
        allowed = {"type", "deleteDependents"} if operation["type"] == "delete" else {"type"}
        _check_keys(operation, allowed, what)
        _check_bool(operation, "deleteDependents", what)
        return
    raise invalid(f"{what} must match exactly one schema in oneOf")


def _check_mapping(mapping: Any, what: str) -> None:
    mapping = require_object(mapping, what)
    _check_required(mapping, ("blueprint", "entity"), what)
    operation = mapping.get("operation", "create")
    _check_operation(operation, f"{what}/operation")
    if operation == "create" or (isinstance(operation, dict) and operation["type"] == "create"):
        _check_keys(mapping, MAPPING_KEYS, what)  # the spec's create branch is closed
    for key in ("blueprint", "filter", "itemsToParse"):
        _check_str(mapping, key, what)
    entity = require_object(mapping["entity"], f"{what}/entity")
    _check_keys(entity, MAPPING_ENTITY_KEYS, f"{what}/entity")
    _check_required(entity, ("identifier",), f"{what}/entity")
    identifier = entity["identifier"]
    if not isinstance(identifier, str | dict):
        raise invalid(f"{what}/entity/identifier must be string or search query")
    for key in ("title", "icon"):
        _check_str(entity, key, f"{what}/entity")
    for key in ("properties", "relations"):
        require_object(entity.get(key, {}), f"{what}/entity/{key}")


def _check_security(security: Any) -> None:
    security = require_object(security, "body/security")
    _check_keys(security, SECURITY_KEYS, "body/security")
    for key in SECURITY_KEYS:
        _check_str(security, key, "body/security", nullable=True)
    algorithm = security.get("signatureAlgorithm")
    if algorithm is not None and algorithm not in SIGNATURE_ALGORITHMS:
        raise invalid("body/security/signatureAlgorithm must be one of sha1, sha256, plain")


def check_webhook(body: Any, *, partial: bool) -> dict[str, Any]:
    """POST/PUT (``partial=False``) and PATCH (``partial=True``) /v1/webhooks bodies."""
    body = require_object(body)
    _check_keys(body, WEBHOOK_KEYS, "body")
    if not partial:
        _check_required(body, ("title", "enabled"), "body")
    _check_str(body, "identifier", "body", max_len=30, min_len=1)
    _check_str(body, "title", "body", max_len=30)
    _check_str(body, "description", "body", max_len=200)
    _check_str(body, "icon", "body")
    _check_bool(body, "enabled", "body")
    if body.get("integrationType") not in (None, "custom", "template"):
        raise invalid("body/integrationType must be one of custom, template")
    mappings = body.get("mappings", [])
    if not isinstance(mappings, list):
        raise invalid("body/mappings must be array")
    for index, mapping in enumerate(mappings):
        _check_mapping(mapping, f"body/mappings/{index}")
    if "security" in body:
        _check_security(body["security"])
    return body


def check_integration_create(body: Any) -> dict[str, Any]:
    body = require_object(body)
    _check_keys(body, INTEGRATION_CREATE_KEYS, "body")
    _check_required(body, ("installationId",), "body")
    _check_str(body, "installationId", "body", min_len=1)
    _check_str(body, "installationAppType", "body")
    _check_str(body, "version", "body")
    _check_str(body, "title", "body", nullable=True)
    if body.get("config") is not None:
        require_object(body["config"], "body/config")
    return body


def check_integration_patch(body: Any) -> dict[str, Any]:
    body = require_object(body)
    _check_keys(body, INTEGRATION_PATCH_KEYS, "body")
    _check_str(body, "installationAppType", "body")
    _check_str(body, "version", "body")
    _check_str(body, "title", "body", nullable=True)
    if body.get("config") is not None:
        require_object(body["config"], "body/config")
    return body


def check_integration_config(body: Any) -> dict[str, Any] | None:
    body = require_object(body)
    _check_keys(body, {"config"}, "body")
    _check_required(body, ("config",), "body")
    if body["config"] is not None:
        require_object(body["config"], "body/config")
    return body["config"]


def check_entity(body: Any) -> dict[str, Any]:
    body = require_object(body)
    _check_required(body, ("identifier",), "body")
    identifier = body["identifier"]
    if not isinstance(identifier, str):
        raise invalid("body/identifier: only string identifiers are supported by the emulator")
    if len(identifier) > 1000 or not ENTITY_ID_RE.match(identifier):
        raise invalid("body/identifier must match the identifier pattern")
    _check_str(body, "title", "body")
    _check_str(body, "icon", "body")
    team = body.get("team")
    if team is not None and not isinstance(team, str | list):
        raise invalid("body/team must be string or array")
    for key in ("properties", "relations"):
        require_object(body.get(key, {}), f"body/{key}")
    return body


def check_credentials(body: Any) -> tuple[str, str]:
    body = require_object(body)
    _check_keys(body, ("clientId", "clientSecret"), "body")
    _check_required(body, ("clientId", "clientSecret"), "body")
    _check_str(body, "clientId", "body")
    _check_str(body, "clientSecret", "body")
    return body["clientId"], body["clientSecret"]
