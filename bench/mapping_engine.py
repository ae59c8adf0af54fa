"""Events/second through the jq mapping engine with the shipped mappings, cached vs uncached.

Run: .venv/bin/python bench/mapping_engine.py [--events 1000]
Both variants run in this one process on the same events, so the ratio holds when the
machine's speed drifts.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from core.port import mapping_engine
from core.port.mapping_engine import evaluate_webhook_mappings
from core.port.resources import webhook_mappings

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "events"


def forwarded_bodies(count: int) -> list[dict]:
    """Bodies as the Lambda forwards them, cycling through the test corpus."""
    from core.lambda_code.forwarder import build_body

    bodies = []
    samples = sorted(CORPUS.glob("*.json"))
    for n in range(count):
        case = json.loads(samples[n % len(samples)].read_text())
        event = case.get("event") or case.get("body")
        record = {"messageId": f"m-{n}", "body": json.dumps(event),
                  "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
        body, _event_id, _trimmed = build_body(record)
        bodies.append(json.loads(body))
    return bodies


def run(bodies: list[dict], mappings: list[dict], cached: bool) -> float:
    started = time.perf_counter()
    for body in bodies:
        if not cached:
            mapping_engine._compile.cache_clear()
            mapping_engine._compile_batch.cache_clear()
        evaluate_webhook_mappings(mappings, body)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    mappings = webhook_mappings()
    bodies = forwarded_bodies(args.events)
    run(bodies[:20], mappings, cached=True)  # warm-up
    cached = run(bodies, mappings, cached=True)
    uncached = run(bodies, mappings, cached=False)
    print(f"mappings: {len(mappings)}, events: {len(bodies)}")
    print(f"cached programs:   {len(bodies) / cached:10.0f} events/s ({cached:.3f} s)")
    print(f"compile per event: {len(bodies) / uncached:10.0f} events/s ({uncached:.3f} s)")
    print(f"ratio: {uncached / cached:.1f}x")


if __name__ == "__main__":
    main()
