"""Webhook ingest: verify the signature, de-duplicate, apply the mappings to the store.

Port answers 202 first and processes asynchronously; the emulator applies synchronously
before answering so tests can assert right after the POST.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jq

from core.emulator.errors import ApiError
from core.emulator.store import Store
from core.port.mapping_engine import MappingOutcome, evaluate_webhook_mappings

MAX_INGEST_BYTES = 512 * 1024


@dataclass
class IngestRecord:
    """What one accepted ingest request did (``status``: applied | duplicate | dropped)."""

    webhook: str
    status: str
    request_id: str | None = None
    outcome: MappingOutcome | None = None
    errors: list[str] = field(default_factory=list)


def _expected_signature(security: dict[str, Any], raw: bytes) -> str:
    secret = security["secret"]
    algorithm = security.get("signatureAlgorithm") or "sha256"
    if algorithm == "plain":
        return secret
    digest = hmac.new(secret.encode(), raw, getattr(hashlib, algorithm)).hexdigest()
    return (security.get("signaturePrefix") or "") + digest


def verify_signature(security: dict[str, Any], raw: bytes, headers: dict[str, str]) -> None:
    """Raise 401 unless the request carries the signature the webhook's ``security`` asks for."""
    if not security.get("secret"):
        return
    header_name = security.get("signatureHeaderName")
    if not header_name:
        raise ApiError(401, "invalid_signature",
                       "webhook has a secret but no signatureHeaderName to read it from")
    received = headers.get(header_name.lower())
    if received is None:
        raise ApiError(401, "invalid_signature", f"missing signature header {header_name}")
    if not hmac.compare_digest(received.encode(), _expected_signature(security, raw).encode()):
        raise ApiError(401, "invalid_signature", f"signature in {header_name} does not match")


@lru_cache(maxsize=64)
def _compile(program: str) -> Any:
    return jq.compile(program)


def _request_id(security: dict[str, Any], context: dict[str, Any]) -> str | None:
    path = security.get("requestIdentifierPath")
    if not path:
        return None
    try:
        value = _compile(path).input_value(context).first()
    except (ValueError, StopIteration):
        return None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _entity_body(action: Any) -> dict[str, Any]:
    body = {"identifier": action.identifier, "properties": action.properties,
            "relations": action.relations}
    for key in ("title", "icon", "team"):
        if getattr(action, key) is not None:
            body[key] = getattr(action, key)
    return body


def _apply(store: Store, outcome: MappingOutcome, request_id: str | None) -> list[str]:
    errors: list[str] = []
    for action in outcome.actions:
        try:
            if action.operation == "delete":
                try:
                    store.delete_entity(action.blueprint, action.identifier,
                                        source="ingest", request_id=request_id)
                except ApiError as exc:
                    if exc.status != 404 or action.blueprint not in store.blueprints:
                        raise
            else:
                store.upsert_entity(action.blueprint, _entity_body(action), upsert=True,
                                    merge=True, source="ingest", request_id=request_id)
        except ApiError as exc:
            errors.append(f"{action.blueprint}/{action.identifier}: {exc.message}")
    return errors


def ingest(
    store: Store, webhook: dict[str, Any], raw: bytes, headers: dict[str, str],
    query: dict[str, str],
) -> IngestRecord:
    """Process one request for ``webhook``; raises ApiError(401) for a bad signature."""
    security = webhook.get("security") or {}
    verify_signature(security, raw, headers)
    if not webhook.get("enabled", True):
        return IngestRecord(webhook["identifier"], "dropped")
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    context = {"body": body, "headers": headers, "queryParams": query}
    request_id = _request_id(security, context)
    outcome = evaluate_webhook_mappings(webhook.get("mappings") or [], body, headers, query)
    with store.lock:  # check-and-apply atomically so concurrent duplicates apply once
        seen = store.seen_request_ids.setdefault(webhook["webhookKey"], set())
        if request_id is not None and request_id in seen:
            return IngestRecord(webhook["identifier"], "duplicate", request_id, outcome)
        errors = _apply(store, outcome, request_id)
        if request_id is not None:
            seen.add(request_id)
    return IngestRecord(webhook["identifier"], "applied", request_id, outcome, errors)
