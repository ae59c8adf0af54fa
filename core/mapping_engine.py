"""Apply a Port webhook's ``mappings`` to one incoming request, the way Port's ingest does.

The jq context is ``{"body": ..., "headers": {lower-cased names}, "queryParams": {...}}``;
with ``itemsToParse`` each element is added as ``.item`` and produces its own entity.

Choices where Port's docs are silent or loose:
- ``filter`` is evaluated per item when ``itemsToParse`` is set (so it may use ``.item``); a
  filter that ignores ``.item`` behaves like a payload filter. No output counts as false.
- A jq program with several outputs contributes its first output; no output is ``null``.
- Properties and relations whose jq yields ``null`` are kept as ``null`` (Port stores null).
- Mapping values other than jq strings (e.g. search-query ``{combinator, rules}`` objects for
  ``identifier``/``team``/relations) are not supported and reject the mapping.
- ``itemsToParse`` is capped at Port's 500 items; the excess is rejected, not applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jq

MAX_ITEMS_TO_PARSE = 500
_ENTITY_JQ_FIELDS = ("title", "icon", "team")


@dataclass
class EntityAction:
    """One entity to upsert (``operation == "create"``) or delete."""

    blueprint: str
    operation: str
    identifier: str
    title: str | None
    icon: str | None
    team: Any
    properties: dict[str, Any]
    relations: dict[str, Any]
    mapping_index: int
    delete_dependents: bool = False


@dataclass
class Rejection:
    """Why a mapping (or one of its items) produced no action."""

    mapping_index: int
    blueprint: str | None
    reason: str


@dataclass
class MappingOutcome:
    actions: list[EntityAction] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class _MappingError(Exception):
    """A mapping cannot be applied to this request; the message becomes a Rejection reason."""


@lru_cache(maxsize=2048)
def _compile(program: str) -> Any:
    return jq.compile(program)


def _run(program: Any, context_json: str, what: str) -> Any:
    """Run one jq program on the serialized context; first output, ``None`` when empty."""
    if not isinstance(program, str):
        raise _MappingError(f"{what}: expected a jq string, got {type(program).__name__}")
    try:
        return _compile(program).input_text(context_json).first()
    except StopIteration:
        return None
    except ValueError as exc:  # jq compile and runtime errors
        raise _MappingError(f"{what} {program!r}: {exc}") from None


def _parse_operation(operation: Any) -> tuple[str, bool]:
    """Return ``(kind, delete_dependents)`` for every operation form the spec allows."""
    if operation is None:
        return "create", False
    if isinstance(operation, str) and operation in ("create", "delete"):
        return operation, False
    if isinstance(operation, dict) and operation.get("type") in ("create", "delete"):
        return operation["type"], bool(operation.get("deleteDependents", False))
    raise _MappingError(f"unsupported operation {operation!r}")


def _is_truthy(value: Any) -> bool:
    """jq truthiness: only ``false`` and ``null`` are false."""
    return value is not None and value is not False


def _build_action(
    index: int, mapping: dict[str, Any], kind: str, delete_dependents: bool, ctx_json: str
) -> EntityAction:
    entity = mapping.get("entity")
    if not isinstance(entity, dict):
        raise _MappingError("mapping has no entity object")
    identifier = _run(entity.get("identifier"), ctx_json, "identifier")
    if not isinstance(identifier, str) or not identifier:
        raise _MappingError(
            f"identifier {entity.get('identifier')!r} gave {json.dumps(identifier)}, "
            "expected a non-empty string"
        )
    values: dict[str, Any] = {name: None for name in _ENTITY_JQ_FIELDS}
    properties: dict[str, Any] = {}
    relations: dict[str, Any] = {}
    if kind == "create":
        for name in _ENTITY_JQ_FIELDS:
            if entity.get(name) is not None:
                values[name] = _run(entity[name], ctx_json, name)
        for name, program in (entity.get("properties") or {}).items():
            properties[name] = _run(program, ctx_json, f"property {name}")
        for name, program in (entity.get("relations") or {}).items():
            relations[name] = _run(program, ctx_json, f"relation {name}")
    return EntityAction(
        blueprint=mapping["blueprint"],
        operation=kind,
        identifier=identifier,
        title=values["title"],
        icon=values["icon"],
        team=values["team"],
        properties=properties,
        relations=relations,
        mapping_index=index,
        delete_dependents=delete_dependents,
    )


def _apply_mapping(
    index: int, mapping: dict[str, Any], context: dict[str, Any], outcome: MappingOutcome
) -> None:
    blueprint = mapping.get("blueprint")
    try:
        if not isinstance(blueprint, str) or not blueprint:
            raise _MappingError("mapping has no blueprint identifier")
        kind, delete_dependents = _parse_operation(mapping.get("operation"))
        items_program = mapping.get("itemsToParse")
        if items_program is None:
            contexts = [json.dumps(context)]
        else:
            items = _run(items_program, json.dumps(context), "itemsToParse")
            if not isinstance(items, list):
                raise _MappingError(
                    f"itemsToParse {items_program!r} gave {type(items).__name__}, expected array"
                )
            if len(items) > MAX_ITEMS_TO_PARSE:
                outcome.rejections.append(Rejection(index, blueprint, (
                    f"itemsToParse gave {len(items)} items; only the first "
                    f"{MAX_ITEMS_TO_PARSE} are applied")))
                items = items[:MAX_ITEMS_TO_PARSE]
            contexts = [json.dumps({**context, "item": item}) for item in items]
    except _MappingError as exc:
        outcome.rejections.append(Rejection(index, blueprint, str(exc)))
        return

    filter_program = mapping.get("filter") or "true"
    for ctx_json in contexts:
        try:
            if not _is_truthy(_run(filter_program, ctx_json, "filter")):
                outcome.rejections.append(
                    Rejection(index, blueprint, f"filter {filter_program!r} did not match")
                )
                continue
            outcome.actions.append(
                _build_action(index, mapping, kind, delete_dependents, ctx_json)
            )
        except _MappingError as exc:
            outcome.rejections.append(Rejection(index, blueprint, str(exc)))


def evaluate_webhook_mappings(
    mappings: list[dict[str, Any]],
    body: Any,
    headers: dict[str, str] | None = None,
    query_params: dict[str, Any] | None = None,
) -> MappingOutcome:
    """Evaluate every mapping against one request; never raises for jq or data problems."""
    context = {
        "body": body,
        "headers": {str(k).lower(): v for k, v in (headers or {}).items()},
        "queryParams": dict(query_params or {}),
    }
    outcome = MappingOutcome()
    for index, mapping in enumerate(mappings or []):
        if not isinstance(mapping, dict):
            outcome.rejections.append(Rejection(index, None, "mapping is not an object"))
            continue
        _apply_mapping(index, mapping, context, outcome)
    return outcome
