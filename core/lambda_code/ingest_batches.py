"""Resource documents as Port ingest requests: one implementation for `sync` and the resync.

core.operations.sync (on a laptop) and core.lambda_code.resync (in the Lambda) send the same requests:
{"metadata": {"eventId", "source", "account", "region"}, "items": [ITEM, ...]} with
ITEM = {"metadata": {"kind", "account", "region"[, "resourceGone": true]}, "resource": DOC},
each request within Port's ingest limits: 512 KiB (less room for the request's own
metadata) and 500 items (itemsToParse). docs/contracts.md has the shapes.

core.lambda_code.inlining appends this module to the Lambda's inline code, so it uses the
standard library only (and KINDS from core/lambda_code/describers.py, appended before it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator

with contextlib.suppress(ImportError):  # in the Lambda: appended before this module
    from core.lambda_code.describers import KINDS

MAX_BATCH_ITEMS = 500  # Port's itemsToParse limit
MAX_BATCH_BYTES = 512 * 1024 - 4096  # Port's ingest limit, less room for the batch's metadata


def kinds_for(sources: Iterable[str]) -> list[str]:
    """The account, then the kinds of the chosen event sources."""
    chosen = set(sources)
    return [k.name for k in KINDS.values() if k.source is None or k.source in chosen]


def encode_items(items: list[dict]) -> tuple[list[bytes], list[str]]:
    """The items encoded, and a note for each one over Port's limit (left out)."""
    encoded, skipped = [], []
    for item in items:
        data = json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()
        if len(data) > MAX_BATCH_BYTES:
            kind = item["metadata"]["kind"]
            name = item["resource"]["Properties"].get(KINDS[kind].id_key)
            skipped.append(f"{kind} {name} is {len(data)} bytes, over Port's ingest limit; skipped")
        else:
            encoded.append(data)
    return encoded, skipped


def batches(items: list[bytes], max_bytes: int = MAX_BATCH_BYTES,
            max_items: int = MAX_BATCH_ITEMS) -> Iterator[list[bytes]]:
    """Encoded items grouped so each batch stays within the byte and item limits."""
    batch: list[bytes] = []
    size = 0
    for item in items:
        if batch and (size + len(item) + 1 > max_bytes or len(batch) >= max_items):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item) + 1
    if batch:
        yield batch


def batch_body(event_id: str, source: str, account: str, region: str, group: list[bytes]) -> bytes:
    """One ingest request; eventId is the webhook's request identifier (a resend is applied once)."""
    meta = {"eventId": event_id, "source": source, "account": account, "region": region}
    return b'{"metadata":' + json.dumps(meta, separators=(",", ":")).encode() + \
        b',"items":[' + b",".join(group) + b"]}"
