"""Forward SQS records (EventBridge events) to Port's ingest webhook.

This module is the Lambda's inline code (cloudformation/aws-serverless.template, handler
index.handler), with core/lambda_code/describers.py appended, so it uses the standard library only
(boto3, when the runtime has it, only for enrichment). Regenerate the template after an
edit of either: python -m core.lambda_code --write

The handler returns batchItemFailures with exactly the records that did not get a 2xx:
SQS redelivers those and moves them to the dead-letter queue after a few receives.
Environment: PORT_WEBHOOK_SECRET_ARN names the Secrets Manager secret holding
{"url", "secret"} (the webhook URL and the HMAC key), read once per cold start, so neither
sits in the environment where every read-only principal could see it. Without it,
PORT_WEBHOOK_URL and PORT_WEBHOOK_SECRET (`sync` and tests pass them directly). Also
PORT_SIGNATURE_HEADER, PORT_CONCURRENCY, PORT_MAX_ATTEMPTS, PORT_REQUEST_TIMEOUT,
PORT_ENRICH ("true": describe the resource an event names and add it, docs/contracts.md).
The URL holds the webhook key and is never logged, nor is the secret, nor a body.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import random
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

with contextlib.suppress(ImportError):  # in the Lambda: appended below by core.lambda_code.inlining
    from core.lambda_code.describers import describe, event_resource, gone_document
    from core.lambda_code.resync import resync_request, run_piece

MAX_BODY_BYTES = 512 * 1024  # Port's ingest answers 413 above this
RETRY_STATUSES = frozenset({408, 425, 429})
BACKOFF_BASE = 0.25
BACKOFF_CAP = 8.0
# Errors on a kept-alive connection the server closed while idle: resend at once on a
# fresh connection (the request never reached the application).
STALE_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

_local = threading.local()
_log_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_ssl_context: ssl.SSLContext | None = None
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_webhook: dict[str, dict] = {}  # secret ARN -> {"url", "secret"}, read once per container


class Config:
    """What one invocation needs from the environment (read per call: cheap)."""

    def __init__(self, env: Any = os.environ) -> None:
        self.url = env.get("PORT_WEBHOOK_URL", "")
        self.secret = env.get("PORT_WEBHOOK_SECRET", "").encode()
        self.header = env.get("PORT_SIGNATURE_HEADER") or "x-port-aws-signature"
        self.concurrency = max(1, int(env.get("PORT_CONCURRENCY") or 10))
        self.max_attempts = max(1, int(env.get("PORT_MAX_ATTEMPTS") or 6))
        self.request_timeout = float(env.get("PORT_REQUEST_TIMEOUT") or 10)
        self.enrich = (env.get("PORT_ENRICH") or "").lower() == "true"
        parts = urlsplit(self.url)
        self.https = parts.scheme == "https"
        self.valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.error = "" if self.valid else "PORT_WEBHOOK_URL is missing or not an http(s) URL"
        self._hidden = [
            s for s in (self.url, self.path.strip("/"), env.get("PORT_WEBHOOK_SECRET")) if s and len(s) > 3
        ]

    def redact(self, text: str) -> str:
        for hidden in self._hidden:
            text = text.replace(hidden, "***")
        return text[:300]


def webhook_environment(env: Any = os.environ) -> Any:
    """The environment with PORT_WEBHOOK_URL/SECRET from the secret PORT_WEBHOOK_SECRET_ARN
    names (cached: a changed secret comes with a changed PORT_WEBHOOK_VERSION, which makes
    Lambda start new containers)."""
    arn = env.get("PORT_WEBHOOK_SECRET_ARN")
    if not arn:
        return env
    if arn not in _webhook:
        client = _client_factory(arn.split(":")[3])("secretsmanager")
        _webhook[arn] = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    found = _webhook[arn]
    return {**env, "PORT_WEBHOOK_URL": found.get("url") or "",
            "PORT_WEBHOOK_SECRET": found.get("secret") or ""}


def _configure() -> Config:
    """This invocation's Config; a secret that cannot be read fails every record, saying why."""
    try:
        return Config(webhook_environment())
    except Exception as exc:
        config = Config({})
        config.error = f"cannot read the webhook secret: {type(exc).__name__}"
        return config


def handler(event: dict, context: Any) -> dict:
    """Lambda entry point for an SQS event source mapping with ReportBatchItemFailures."""
    config = _configure()
    records = event.get("Records") or []
    remaining_ms = getattr(context, "get_remaining_time_in_millis", lambda: 30000)()
    budget = remaining_ms / 1000.0
    deadline = time.monotonic() + budget - min(1.0, budget * 0.1)
    pool = _executor(config.concurrency)
    futures = [pool.submit(_process, config, record, deadline) for record in records]
    failed = [
        record.get("messageId", "")
        for record, future in zip(records, futures, strict=True)
        if not future.result()
    ]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def _executor(size: int) -> ThreadPoolExecutor:
    """A pool kept across warm invocations, so its threads keep their connections alive."""
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(size, thread_name_prefix="port"), size
    return _pool


def _process(config: Config, record: dict, deadline: float) -> bool:
    """Forward one record; log one JSON line; True when Port answered 2xx."""
    request = resync_request(record)
    if request is not None:  # not an event: a piece of a resync (core/lambda_code/resync.py)
        return run_piece(config, record, request, deadline, send, _client_factory, _log)
    started = time.monotonic()
    line: dict[str, Any] = {
        "messageId": record.get("messageId"),
        "eventId": None,
        "status": None,
        "attempts": 0,
    }
    ok = False
    try:
        body, line["eventId"], trimmed = build_body(record, enrich=config.enrich, line=line)
        if trimmed:
            line["trimmed"] = trimmed
        if not config.valid:
            line["error"] = config.error
        elif body is not None:
            line["bytes"] = len(body)
            ok = _deliver(config, body, deadline, line)
    except RejectedRecord as exc:
        line["error"] = str(exc)
    except Exception as exc:  # a poison record must never fail the others
        line["error"] = config.redact(f"{type(exc).__name__}: {exc}")
    line["result"] = "forwarded" if ok else "failed"
    line["latencyMs"] = round((time.monotonic() - started) * 1000, 1)
    _log(line)
    return ok


class RejectedRecord(ValueError):
    """A record that cannot be forwarded as it is (bad JSON, unknown shape, too large)."""


def build_body(record: dict, enrich: bool = False, line: dict | None = None
               ) -> tuple[bytes, str | None, list[str]]:
    """The bytes to POST for one SQS record, its event id, and what was trimmed.

    With enrich, the resource the event names is described and added (or the body says
    it is gone); what enrichment did goes to line["enriched"] for the log.
    """
    raw = record.get("body") or ""
    try:
        data = json.loads(raw)
    except ValueError:
        raise RejectedRecord("body is not JSON") from None
    if isinstance(data, dict) and "blueprint" in data and "identifier" in data:
        body = raw.encode()
        if len(body) > MAX_BODY_BYTES:
            raise RejectedRecord(
                f"Port entity payload of {len(body)} bytes is over the "
                f"{MAX_BODY_BYTES}-byte ingest limit; not forwarded"
            )
        return body, None, []
    if not isinstance(data, dict) or "detail-type" not in data:
        raise RejectedRecord("body is neither a Port entity payload nor an EventBridge event")
    arn = (record.get("eventSourceARN") or "").split(":")
    metadata = {
        "source": data.get("source"),
        "detailType": data.get("detail-type"),
        "account": data.get("account") or (arn[4] if len(arn) > 4 else None),
        "region": data.get("region") or record.get("awsRegion"),
        "resources": data.get("resources") or [],
        "time": data.get("time"),
        "eventId": data.get("id"),
        "messageId": record.get("messageId"),
    }
    envelope = {"metadata": metadata, "event": data}
    if enrich:
        envelope = enrich_envelope(envelope, line if line is not None else {})
    body, trimmed = _fit(envelope)
    return body, metadata["eventId"], trimmed


def enrich_envelope(envelope: dict, line: dict) -> dict:
    """Add the described resource; a resource that no longer exists makes a delete body.

    Any failure (no boto3, no permission, throttling) leaves the plain envelope, with the
    reason in metadata.enrichmentError: the event mappings still apply.
    """
    metadata = envelope["metadata"]
    account, region = metadata["account"] or "", metadata["region"] or ""
    try:
        found = event_resource(envelope["event"], account, region)
        if found is None:
            return envelope
        kind, identifier = found
        metadata["kind"] = kind
        resource = describe(kind, _client_factory(region), account, region, identifier)
    except Exception as exc:
        metadata["enrichmentError"] = line["enriched"] = f"{type(exc).__name__}: {exc}"[:300]
        return envelope
    if resource is None:
        line["enriched"] = "gone"
        metadata["resourceGone"] = True
        return {"metadata": metadata, "resource": gone_document(kind, identifier)}
    line["enriched"] = kind
    envelope["resource"] = resource
    return envelope


def _client_factory(region: str) -> Any:
    """boto3 clients for the region, created once per container (creation is not thread-safe)."""
    def client(service: str) -> Any:
        key = (service, region)
        if key not in _clients:
            import boto3
            from botocore.config import Config

            with _clients_lock:
                if key not in _clients:
                    config = Config(connect_timeout=3, read_timeout=5,
                                    retries={"mode": "standard", "max_attempts": 3})
                    _clients[key] = boto3.client(service, region_name=region, config=config)
        return _clients[key]
    return client


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _fit(envelope: dict) -> tuple[bytes, list[str]]:
    """Encode the envelope, trimming the event's detail until it fits Port's limit.

    Replaces the largest value that dominates the detail (e.g. a CloudTrail
    responseElements or a policy document) with a marker, keeping small siblings such as
    identifiers and names that mappings read. The trimmed paths go to metadata.trimmed.
    """
    body = _encode(envelope)
    trimmed: list[str] = []
    if len(body) > MAX_BODY_BYTES and "event" in envelope and "resource" in envelope:
        del envelope["resource"]  # the event mappings still apply without it
        trimmed.append("resource")
        envelope["metadata"]["trimmed"] = trimmed
        body = _encode(envelope)
    detail = (envelope.get("event") or {}).get("detail")
    while len(body) > MAX_BODY_BYTES:
        path = _trim_largest(detail, "detail") if isinstance(detail, (dict, list)) else None
        if path is None or len(trimmed) >= 200:
            raise RejectedRecord(
                f"event of {len(body)} bytes is over the {MAX_BODY_BYTES}-byte "
                "ingest limit and could not be trimmed; not forwarded"
            )
        trimmed.append(path)
        envelope["metadata"]["trimmed"] = trimmed
        body = _encode(envelope)
    return body, trimmed


def _trim_largest(node: dict | list, path: str) -> str | None:
    """Trim inside node at its dominant value; return the trimmed path (None: nothing)."""
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    if not keys:
        return None
    sizes = {key: len(_encode(node[key])) for key in keys}
    key = max(keys, key=sizes.__getitem__)
    child, child_path = node[key], f"{path}.{key}" if isinstance(node, dict) else f"{path}[{key}]"
    if isinstance(child, (dict, list)) and child and sizes[key] * 2 > sum(sizes.values()):
        return _trim_largest(child, child_path)
    if isinstance(node, list) and len(node) > 1:
        half = len(node) // 2
        del node[half:]
        node.append(f"[trimmed: {len(keys) - half} items]")
        return f"{path}[{half}:]"
    if isinstance(node[key], str) and node[key].startswith("[trimmed"):
        return None
    node[key] = f"[trimmed: {sizes[key]} bytes]"
    return child_path


def _deliver(config: Config, body: bytes, deadline: float, line: dict) -> bool:
    """POST with retries on 408/425/429/5xx and network errors while the budget allows."""
    headers = {"Content-Type": "application/json", "User-Agent": "port-aws-forwarder/1"}
    if config.secret:
        headers[config.header] = signature(config.secret, body)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            line.setdefault("error", "time budget exhausted")
            return False
        line["attempts"] += 1
        retry_after = None
        try:
            status, retry_after = _post(config, body, headers, min(config.request_timeout, remaining))
            line["status"] = status
            line.pop("error", None)
            if 200 <= status < 300:
                return True
            line["error"] = f"HTTP {status}"
            if status not in RETRY_STATUSES and status < 500:
                return False
        except (OSError, http.client.HTTPException) as exc:
            line["status"] = None
            line["error"] = config.redact(f"{type(exc).__name__}: {exc}")
        if line["attempts"] >= config.max_attempts:
            return False
        delay = _delay(line["attempts"], retry_after)
        if time.monotonic() + delay >= deadline:
            return False
        time.sleep(delay)


def signature(secret: bytes, body: bytes) -> str:
    """The webhook's signature header value: sha256=<hex HMAC-SHA256(secret, body)>."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def send(config: Config, body: bytes, budget: float) -> dict:
    """POST one body with the forwarder's retries; the log line (ok, status, attempts)."""
    line: dict[str, Any] = {"attempts": 0, "status": None}
    line["ok"] = _deliver(config, body, time.monotonic() + budget, line)
    return line


def _delay(attempt: int, retry_after: str | None) -> float:
    """Retry-After when the server gave one, else exponential backoff with jitter."""
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _post(config: Config, body: bytes, headers: dict, timeout: float) -> tuple[int, str | None]:
    """One POST over this thread's kept-alive connection; (status, Retry-After)."""
    for _ in range(2):
        connection, reused = _connection(config, timeout)
        try:
            connection.request("POST", config.path, body, headers)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Retry-After")
        except STALE_ERRORS:
            connection.close()
            if not reused:
                raise
        except BaseException:
            connection.close()
            raise
    raise http.client.RemoteDisconnected("connection closed twice")


def _connection(config: Config, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """This thread's connection to the webhook's origin, and whether it is already open."""
    global _ssl_context
    connections = _local.__dict__.setdefault("connections", {})
    origin = (config.https, config.host, config.port)
    connection = connections.get(origin)
    if connection is None:
        if config.https:
            _ssl_context = _ssl_context or ssl.create_default_context()
            connection = http.client.HTTPSConnection(config.host, config.port, context=_ssl_context)
        else:
            connection = http.client.HTTPConnection(config.host, config.port)
        connections[origin] = connection
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
        return connection, True
    return connection, False


def _log(line: dict) -> None:
    text = json.dumps(line, separators=(",", ":"), default=str) + "\n"
    with _log_lock:
        sys.stdout.write(text)
        sys.stdout.flush()
