"""What an event would do in Port (`port-aws-wizard mapping preview`).

Runs the shipped mappings (``.port/resources/port-app-config.yml``) through the same jq
engine the ingest uses, so users can check an edited mapping before deploying it.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from core.config.input_files import MAX_INPUT_BYTES, read_input_file
from core.errors import InputError
from core.port.mapping_engine import EntityAction, MappingOutcome, evaluate_webhook_mappings
from core.port.resources import load_app_config, mapping_kinds, webhook_mappings

MAX_DEPTH = 64  # AWS events nest a handful of levels; jq and the engine recurse


class PreviewInputError(ValueError):
    """The event file cannot be previewed (unreadable, not JSON, wrong shape)."""


def forwarded_body(document: Any) -> Any:
    """The body the Lambda would POST for ``document`` (see docs/contracts.md).

    A raw EventBridge event is wrapped as ``{"metadata", "event"}``; an already
    forwarded body or a pre-formatted entity payload is returned as it is.
    """
    if not isinstance(document, dict):
        raise PreviewInputError("expected a JSON object (an EventBridge event, a forwarded "
                                "body or a Port entity payload)")
    if "event" in document and "metadata" in document:
        return document
    if "blueprint" in document and "identifier" in document:
        return document
    if "detail-type" in document:
        metadata = {
            "source": document.get("source"),
            "detailType": document.get("detail-type"),
            "account": document.get("account"),
            "region": document.get("region"),
            "resources": document.get("resources") or [],
            "time": document.get("time"),
            "eventId": document.get("id"),
            "messageId": None,
        }
        return {"metadata": metadata, "event": document}
    raise PreviewInputError("not an EventBridge event (no 'detail-type'), a forwarded body "
                            "('metadata' + 'event') or a Port entity payload "
                            "('blueprint' + 'identifier')")


def action_json(action: EntityAction) -> dict[str, Any]:
    return {
        "blueprint": action.blueprint,
        "operation": action.operation,
        "identifier": action.identifier,
        "properties": action.properties,
        "relations": action.relations,
    }


def preview(document: Any) -> tuple[MappingOutcome, list[str]]:
    """What the shipped mappings do with ``document``, and the mappings' kinds (for labels)."""
    body = forwarded_body(document)
    config = load_app_config()
    return evaluate_webhook_mappings(webhook_mappings(config), body), mapping_kinds(config)


def read_event(path: str, stdin: BinaryIO) -> Any:
    """The JSON document in ``path`` ('-' reads ``stdin``), read bounded and checked for shape."""
    try:
        data = stdin.read(MAX_INPUT_BYTES + 1) if path == "-" else read_input_file(path, "event file")
    except InputError as exc:
        raise PreviewInputError(str(exc)) from None
    if len(data) > MAX_INPUT_BYTES:
        raise PreviewInputError(f"{path} is larger than 1 MiB: an AWS event is at most 256 KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PreviewInputError(f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                f"{exc.start}): pass an event saved as JSON") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise PreviewInputError(f"{path} is nested too deeply: an AWS event has a few levels") from None
    except ValueError as exc:
        raise PreviewInputError(f"{path} is not valid JSON: {exc}") from None
    if _depth(document) > MAX_DEPTH:
        raise PreviewInputError(f"{path} is nested more than {MAX_DEPTH} levels deep: "
                                "an AWS event has a few levels")
    return document


def _depth(document: Any) -> int:
    """How deeply lists and objects nest (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest
