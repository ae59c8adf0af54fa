"""What an event would do in Port (`port-aws-wizard mapping preview`).

Runs the shipped mappings (``.port/resources/port-app-config.yml``) through the same jq
engine the ingest uses, so users can check an edited mapping before deploying it.
"""

from __future__ import annotations

from typing import Any

from core.port.mapping_engine import EntityAction, MappingOutcome, evaluate_webhook_mappings
from core.port.resources import load_app_config, mapping_kinds, webhook_mappings


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
