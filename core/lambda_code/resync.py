"""The resync inside the stack: every resource of the chosen kinds, sent to Port in pieces.

Events only tell Port about changes; a lost event (an expired dead letter, a long outage)
would leave Port wrong for good. So the stack resyncs its own account and region: the
schedule rule (template: ResyncRule) and the install put a resync request on the event
queue, {"portAwsResync": {"trigger": "schedule" | "install" | ...}}, and the forwarder
hands any record whose body is one to `run_piece` instead of forwarding it.

A piece lists one page of one kind (core/lambda_code/describers.py, as `sync` does), sends the
documents in batches (core/lambda_code/ingest_batches.py, as `sync` does) through the forwarder's
`send` (signed, with its retries), then puts the next piece on the queue (the next page,
or the next kind) carrying the run's running totals; the last piece logs one summary line
{"resync": RUN, "summary": true, "counts", "resources", "requests", "pieces", "seconds",
"errors"}. Each piece is an ordinary record: it fits one invocation (PIECE_ITEMS), and a
piece that fails (Port did not take a batch, the next one could not be queued) is retried
by SQS and dead-lettered like any event; `redrive` resumes the run where it stopped. Batch
event ids are stable per run and piece, so a retried piece's batches are applied once.
A kind the role may not list is noted in the summary's errors and skipped.

core.lambda_code.inlining appends this module to the Lambda's inline code (standard library and
boto3 only). The forwarder passes what the piece needs from it (`send`, its boto3 client
factory, its log writer), so this module never imports core.lambda_code.forwarder.
Environment: PORT_QUEUE_URL (the event queue, for the next piece), PORT_RESYNC_SOURCES
(the stack's event sources, comma-separated; all kinds when unset).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

with contextlib.suppress(ImportError):  # in the Lambda: appended before this module
    from core.lambda_code.describers import KINDS, list_documents
    from core.lambda_code.ingest_batches import batch_body, batches, encode_items, kinds_for

RESYNC_KEY = "portAwsResync"
RESYNC_SOURCE = "port-aws-wizard.resync"
# Resources per piece: one list call (EC2 counts reservations) or, for kinds described one
# by one, a few seconds of calls on 8 threads: well within the function's 30 s.
PIECE_ITEMS = {"AWS::EC2::Instance": 50}
PIECE_DEFAULT = 200
_resync_pool: ThreadPoolExecutor | None = None


def resync_request(record: dict) -> dict | None:
    """The resync request a record's body is, or None (an event or an entity payload)."""
    body = record.get("body") or ""
    if RESYNC_KEY in body:
        with contextlib.suppress(ValueError):
            request = json.loads(body)
            if isinstance(request, dict) and isinstance(request.get(RESYNC_KEY), dict):
                return request[RESYNC_KEY]
    return None


def resync_message(trigger: str) -> str:
    """The body that starts a run (the schedule rule's Input is this with "schedule")."""
    return json.dumps({RESYNC_KEY: {"trigger": trigger}}, separators=(",", ":"))


def run_piece(config: Any, record: dict, request: dict, deadline: float, send: Any,
              clients: Any, log: Any) -> bool:
    """One piece; True when its documents reached Port and the next piece is queued."""
    global _resync_pool
    _resync_pool = _resync_pool or ThreadPoolExecutor(8, thread_name_prefix="resync")
    started = time.monotonic()
    arn = (record.get("eventSourceARN") or "::::").split(":")
    account, region = arn[4], record.get("awsRegion") or arn[3]
    run = dict(request)
    if "run" not in run:  # the first piece: from the stack's sources
        sources = os.environ.get("PORT_RESYNC_SOURCES")
        sent = int((record.get("attributes") or {}).get("SentTimestamp") or 0) / 1000
        run.update(run=(record.get("messageId") or "")[:8], started=sent or time.time(), piece=0,
                   counts={}, requests=0, errors=[],
                   kinds=kinds_for(sources.split(",")) if sources else list(KINDS))
    kind, piece = run["kinds"][0], run["piece"] + 1
    page = {"token": run.get("token"), "size": PIECE_ITEMS.get(kind, PIECE_DEFAULT)}
    line: dict[str, Any] = {"resync": run["run"], "piece": piece, "kind": kind, "result": "failed"}
    summary = None
    try:
        try:
            docs = list_documents(kind, clients(region), account, region, _resync_pool.map, page)
        except Exception as exc:
            if "AccessDenied" not in str(exc) and "Unauthorized" not in str(exc):
                raise
            docs, page["next"] = [], None
            run["errors"].append(f"{kind}: {str(exc)[:200]}")
        encoded, skipped = encode_items([{"metadata": {"kind": kind, "account": account,
                                                       "region": region}, "resource": doc}
                                         for doc in docs])
        bodies = [batch_body(f"resync-{run['run']}-{piece}-{n}", RESYNC_SOURCE, account, region,
                             group) for n, group in enumerate(batches(encoded))]
        answers = list(_resync_pool.map(
            lambda body: send(config, body, deadline - time.monotonic()), bodies))
        line.update(listed=len(docs), sent=len(encoded), requests=sum(a["attempts"] for a in answers))
        failed = [a for a in answers if not a["ok"]]
        if failed:
            line["error"] = (f"Port did not take {len(failed)} of {len(answers)} request(s): "
                             f"{failed[0].get('error') or failed[0]['status']}")
            return False
        run["counts"][kind] = run["counts"].get(kind, 0) + len(encoded)
        token = page.get("next")  # a token that does not move on ends the kind: no endless run
        run.update(piece=piece, token=token if token != run.get("token") else None,
                   requests=run["requests"] + line["requests"], errors=(run["errors"] + skipped)[-10:])
        if not run["token"]:
            run["kinds"] = run["kinds"][1:]
        if run["kinds"]:
            clients(region)("sqs").send_message(QueueUrl=os.environ["PORT_QUEUE_URL"],
                                                MessageBody=json.dumps({RESYNC_KEY: run}))
        else:
            summary = {"resync": run["run"], "summary": True, "trigger": run.get("trigger"),
                       "counts": run["counts"], "resources": sum(run["counts"].values()),
                       "requests": run["requests"], "pieces": piece,
                       "seconds": round(time.time() - run["started"], 1), "errors": run["errors"]}
        line["result"] = "sent"
        return True
    except Exception as exc:  # retried by SQS like any failed record
        line["error"] = config.redact(f"{type(exc).__name__}: {exc}")
        return False
    finally:
        line["latencyMs"] = round((time.monotonic() - started) * 1000, 1)
        log(line)
        if summary:
            log(summary)
