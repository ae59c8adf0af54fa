"""Records/second of the Lambda forwarder vs a one-at-a-time baseline, same run.

    .venv/bin/python bench/forwarder.py [--rounds 20] [--latency 0.05] [--batch 10]

Starts a local HTTP/1.1 server that answers every POST after `latency` seconds (Port's
ingest seen from a Lambda), then times, for the same batches:
- baseline: one urllib POST per record, in sequence, a new connection each (the design we
  replace);
- ours: core.lambda_code.forwarder.handler on the SQS batch (concurrent, kept-alive connections).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
import urllib.request
from contextlib import redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.lambda_code import forwarder  # noqa: E402 - needs the checkout on sys.path


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def start_server(latency: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(latency)
            self.send_response(202)
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sqs_batch(size: int, round_no: int) -> dict[str, Any]:
    records = []
    for n in range(size):
        event = {
            "version": "0",
            "id": f"evt-{round_no}-{n}",
            "source": "aws.ec2",
            "detail-type": "EC2 Instance State-change Notification",
            "account": "123456789012",
            "time": "2026-11-25T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"instance-id": f"i-{n:08x}", "state": "running"},
        }
        records.append(
            {
                "messageId": f"m-{round_no}-{n}",
                "body": json.dumps(event),
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            }
        )
    return {"Records": records}


def baseline(url: str, event: dict[str, Any]) -> None:
    """The reference design: one record at a time, one urllib request each."""
    for record in event["Records"]:
        request = urllib.request.Request(
            url, data=record["body"].encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def ours(event: dict[str, Any]) -> None:
    with redirect_stdout(io.StringIO()):  # the handler logs one line per record
        result = forwarder.handler(event, _Context())
    if result["batchItemFailures"]:
        raise RuntimeError(f"forwarder reported failures: {result}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()

    server = start_server(args.latency)
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/bench-key"
    os.environ["PORT_WEBHOOK_URL"] = url
    ours(sqs_batch(args.batch, -1))  # warm up: threads and connections, as in a warm Lambda

    timings = {"baseline": 0.0, "ours": 0.0}
    for round_no in range(args.rounds):  # interleaved, so both see the same machine state
        event = sqs_batch(args.batch, round_no)
        started = time.perf_counter()
        baseline(url, event)
        timings["baseline"] += time.perf_counter() - started
        started = time.perf_counter()
        ours(event)
        timings["ours"] += time.perf_counter() - started
    server.shutdown()

    records = args.rounds * args.batch
    rates = {name: records / seconds for name, seconds in timings.items()}
    print(f"batch of {args.batch}, {args.rounds} rounds, server latency {args.latency * 1000:.0f} ms")
    print(f"baseline (one at a time): {rates['baseline']:8.1f} records/s")
    print(f"ours (concurrent):        {rates['ours']:8.1f} records/s")
    print(f"ratio:                    {rates['ours'] / rates['baseline']:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
