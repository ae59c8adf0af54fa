"""The blueprints and mappings the installer ships, and the webhook rules derived from them.

``.port/resources/port-app-config.yml`` is the single source of truth for mappings. It is
the integration config in Ocean's shape, with one addition: a resource may say
``operation: delete``. Each resource becomes one Port webhook mapping.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from core.resources import port_resources_dir

WEBHOOK_REQUEST_IDENTIFIER_PATH = ".body.metadata.eventId"

_BLUEPRINTS_FILE = "blueprints.json"
_APP_CONFIG_FILE = "port-app-config.yml"
_OPERATIONS = ("create", "delete")


def load_blueprints() -> list[dict[str, Any]]:
    """The blueprints to create, in dependency order (relation targets first)."""
    path = port_resources_dir() / _BLUEPRINTS_FILE
    blueprints = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(blueprints, list):
        raise ValueError(f"{path}: expected a JSON list of blueprints")
    return blueprints


def load_app_config() -> dict[str, Any]:
    """The integration ``config`` body (the YAML as data)."""
    path = port_resources_dir() / _APP_CONFIG_FILE
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict) or not isinstance(config.get("resources"), list):
        raise ValueError(f"{path}: expected a mapping with a 'resources' list")
    return config


def _blueprint_literal(expression: Any, where: str = "mapping") -> str:
    """The blueprint id in an Ocean-style ``'"s3Bucket"'`` jq string literal.

    Webhook mappings take the blueprint as a plain identifier, so only a literal works.
    """
    try:
        value = json.loads(expression) if isinstance(expression, str) else None
    except ValueError:
        value = None
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"{where}: blueprint must be a jq string literal such as '\"s3Bucket\"', "
            f"got {expression!r}"
        )
    return value


def _webhook_mapping(index: int, resource: dict[str, Any]) -> dict[str, Any]:
    where = f"resources[{index}] ({resource.get('kind', '?')})"
    operation = resource.get("operation", "create")
    if operation not in _OPERATIONS:
        raise ValueError(f"{where}: operation must be one of {_OPERATIONS}, got {operation!r}")
    port = resource.get("port") or {}
    mappings = (port.get("entity") or {}).get("mappings")
    if not isinstance(mappings, dict) or "identifier" not in mappings:
        raise ValueError(f"{where}: port.entity.mappings needs at least an identifier")
    query = (resource.get("selector") or {}).get("query", "true")
    result: dict[str, Any] = {
        "blueprint": _blueprint_literal(mappings.get("blueprint"), where),
        "operation": operation,
        "filter": query,
    }
    if port.get("itemsToParse"):
        result["itemsToParse"] = port["itemsToParse"]
    if operation == "delete":  # Port's delete mapping takes the identifier only
        result["entity"] = {"identifier": mappings["identifier"]}
        return result
    entity = {key: copy.deepcopy(mappings[key]) for key in ("identifier", "title", "icon", "team")
              if mappings.get(key) is not None}
    entity["properties"] = copy.deepcopy(mappings.get("properties") or {})
    entity["relations"] = copy.deepcopy(mappings.get("relations") or {})
    result["entity"] = entity
    return result


def webhook_mappings(app_config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Port webhook ``mappings`` for the app config (the shipped one by default)."""
    config = load_app_config() if app_config is None else app_config
    return [_webhook_mapping(i, resource) for i, resource in enumerate(config["resources"])]


def mapping_kinds(app_config: dict[str, Any] | None = None) -> list[str]:
    """The ``kind`` label of each resource, index-aligned with :func:`webhook_mappings`."""
    config = load_app_config() if app_config is None else app_config
    return [str(resource.get("kind", f"resources[{i}]"))
            for i, resource in enumerate(config["resources"])]
