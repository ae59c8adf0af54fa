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
- An item's context holds ``.body`` only when the mapping's filter or entity programs name
  ``body``: serializing a 512 KiB body for each of its 500 items would cost quadratic time.

Speed: parsing the JSON context dominates jq's cost, so the programs that run on the same
context are batched into one jq program (each wrapped in ``try``), compiled once and cached:
all filters in one run, then one run per matching mapping for its entity fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jq

MAX_ITEMS_TO_PARSE = 500
_ENTITY_JQ_FIELDS = ("title", "icon", "team")
_ERROR_KEY = "__port_aws_wizard_jq_error__"


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


# A labelled jq program: (what it is for, program text).
_Program = tuple[str, str]


@lru_cache(maxsize=2048)
def _compile(program: str) -> Any:
    return jq.compile(program)


@lru_cache(maxsize=1024)
def _compile_batch(programs: tuple[str, ...]) -> Any | None:
    """One program giving ``[first output or null | error marker]`` per program; None if any
    of them does not compile (then they run one by one, for a precise error)."""
    # The newline ends a trailing "# comment" inside a program before our closing parens.
    wrapped = (f'(try ([(\n{p}\n)][0]) catch {{"{_ERROR_KEY}": .}})' for p in programs)
    try:
        return jq.compile("[" + ", ".join(wrapped) + "]")
    except ValueError:
        return None


def _run_one(program: str, context_json: str) -> Any:
    """First output of one program, ``None`` when empty; raises ``_MappingError``."""
    try:
        return _compile(program).input_text(context_json).first()
    except StopIteration:
        return None
    except ValueError as exc:  # jq compile and runtime errors
        raise _MappingError(str(exc)) from None


def _run_batch(programs: list[_Program], context_json: str) -> list[Any]:
    """Run programs on one context; each result is a value or a ``_MappingError``."""
    results: list[Any] = []
    batch = _compile_batch(tuple(p for _, p in programs))
    if batch is None:
        for _, program in programs:
            try:
                results.append(_run_one(program, context_json))
            except _MappingError as exc:
                results.append(exc)
    else:
        for value in batch.input_text(context_json).first():
            if isinstance(value, dict) and len(value) == 1 and _ERROR_KEY in value:
                error = value[_ERROR_KEY]
                value = _MappingError(error if isinstance(error, str) else json.dumps(error))
            results.append(value)
    return [
        _MappingError(f"{what} {program!r}: {value}") if isinstance(value, _MappingError)
        else value
        for (what, program), value in zip(programs, results, strict=True)
    ]


def _jq_string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _MappingError(f"{what}: expected a jq string, got {type(value).__name__}")
    return value


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


@dataclass
class _Plan:
    """A mapping checked for shape, with its entity programs in a fixed order."""

    index: int
    blueprint: str
    kind: str
    delete_dependents: bool
    filter: str
    items: str | None
    fields: list[tuple[str, str]]  # (slot, name): slot is "", "properties" or "relations"
    programs: list[_Program]

    @property
    def item_needs_body(self) -> bool:
        return any("body" in program for _, program in [("filter", self.filter), *self.programs])


def _plan(index: int, mapping: dict[str, Any]) -> _Plan:
    blueprint = mapping.get("blueprint")
    if not isinstance(blueprint, str) or not blueprint:
        raise _MappingError("mapping has no blueprint identifier")
    kind, delete_dependents = _parse_operation(mapping.get("operation"))
    entity = mapping.get("entity")
    if not isinstance(entity, dict):
        raise _MappingError("mapping has no entity object")
    fields: list[tuple[str, str]] = [("", "identifier")]
    programs: list[_Program] = [("identifier", _jq_string(entity.get("identifier"),
                                                          "identifier"))]
    if kind == "create":
        for name in _ENTITY_JQ_FIELDS:
            if entity.get(name) is not None:
                fields.append(("", name))
                programs.append((name, _jq_string(entity[name], name)))
        for slot, label in (("properties", "property"), ("relations", "relation")):
            for name, program in (entity.get(slot) or {}).items():
                fields.append((slot, name))
                programs.append((f"{label} {name}", _jq_string(program, f"{label} {name}")))
    items = mapping.get("itemsToParse")
    return _Plan(
        index, blueprint, kind, delete_dependents,
        _jq_string(mapping.get("filter") or "true", "filter"),
        None if items is None else _jq_string(items, "itemsToParse"),
        fields, programs,
    )


def _action(plan: _Plan, values: list[Any]) -> EntityAction:
    """Build the action from the entity programs' results; raises on any field error."""
    for value in values:
        if isinstance(value, _MappingError):
            raise value
    identifier = values[0]
    if not isinstance(identifier, str) or not identifier:
        raise _MappingError(
            f"identifier {plan.programs[0][1]!r} gave {json.dumps(identifier)}, "
            "expected a non-empty string"
        )
    top: dict[str, Any] = {}
    slots: dict[str, dict[str, Any]] = {"properties": {}, "relations": {}}
    for (slot, name), value in zip(plan.fields[1:], values[1:], strict=True):
        (slots[slot] if slot else top)[name] = value
    return EntityAction(
        blueprint=plan.blueprint, operation=plan.kind, identifier=identifier,
        title=top.get("title"), icon=top.get("icon"), team=top.get("team"),
        properties=slots["properties"], relations=slots["relations"],
        mapping_index=plan.index, delete_dependents=plan.delete_dependents,
    )


def _apply_plan(
    plan: _Plan, selected: Any, context: dict[str, Any], context_json: str,
    outcome: MappingOutcome,
) -> None:
    """``selected`` is the filter's result, or the items array when itemsToParse is set."""
    def reject(reason: str) -> None:
        outcome.rejections.append(Rejection(plan.index, plan.blueprint, reason))

    def filter_failed() -> None:
        reject(f"filter {plan.filter!r} did not match")

    def build(values: list[Any]) -> None:
        try:
            outcome.actions.append(_action(plan, values))
        except _MappingError as exc:
            reject(str(exc))

    if isinstance(selected, _MappingError):
        reject(str(selected))
        return
    if plan.items is None:
        if _is_truthy(selected):
            build(_run_batch(plan.programs, context_json))
        else:
            filter_failed()
        return
    if not isinstance(selected, list):
        reject(f"itemsToParse {plan.items!r} gave {type(selected).__name__}, expected array")
        return
    if len(selected) > MAX_ITEMS_TO_PARSE:
        reject(f"itemsToParse gave {len(selected)} items; only the first "
               f"{MAX_ITEMS_TO_PARSE} are applied")
    programs = [("filter", plan.filter), *plan.programs]
    base = context if plan.item_needs_body else {k: v for k, v in context.items() if k != "body"}
    for item in selected[:MAX_ITEMS_TO_PARSE]:
        results = _run_batch(programs, json.dumps({**base, "item": item}))
        if isinstance(results[0], _MappingError):
            reject(str(results[0]))
        elif not _is_truthy(results[0]):
            filter_failed()
        else:
            build(results[1:])


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
    context_json = json.dumps(context)
    outcome = MappingOutcome()
    plans: list[_Plan] = []
    for index, mapping in enumerate(mappings or []):
        try:
            if not isinstance(mapping, dict):
                raise _MappingError("mapping is not an object")
            plans.append(_plan(index, mapping))
        except _MappingError as exc:
            blueprint = mapping.get("blueprint") if isinstance(mapping, dict) else None
            outcome.rejections.append(Rejection(index, blueprint, str(exc)))
    selectors: list[_Program] = [
        ("itemsToParse", p.items) if p.items is not None else ("filter", p.filter) for p in plans
    ]
    selected = _run_batch(selectors, context_json) if plans else []
    for plan, value in zip(plans, selected, strict=True):
        _apply_plan(plan, value, context, context_json, outcome)
    outcome.rejections.sort(key=lambda r: r.mapping_index)
    return outcome
