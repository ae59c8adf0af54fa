"""Events per second through the local sandbox pipeline, and where the time goes.

    .venv/bin/python bench/pipeline.py [--events 1000] [--pollers 1] [--batching-window 0]

Installs into the sandbox (moto + the Port emulator), puts the events on EventBridge in
PutEvents calls of 10, and waits until every event ended as an entity change or a filter
rejection. Reports events/second (first put to last outcome) and the share of the time
spent in each hop, summed over threads: PutEvents (EventBridge -> SQS in moto), SQS
receive, the forwarder (minus the ingest it waits for), Port ingest (the emulator's
mappings and store), SQS delete, CloudWatch Logs.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.operations.install import Installer  # noqa: E402
from core.sandbox.environment import SandboxEnvironment, SandboxOptions  # noqa: E402
from wizard.cli.sandbox import table  # noqa: E402


class IngestTimer:
    """Times the emulator's ingest (signature check, mappings, store) per request."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def install(self) -> None:
        from core.emulator import routes

        original = routes.ingest

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        routes.ingest = timed


def run(events: int, pollers: int, batching_window: int) -> dict[str, Any]:
    timer = IngestTimer()
    timer.install()
    options = SandboxOptions(resource_delay=0, stack_poll_seconds=0.05, visibility_timeout=30,
                             function_timeout=20, pollers=pollers, batching_window=batching_window)
    with SandboxEnvironment(options) as sandbox:
        assert sandbox.settings is not None
        Installer(sandbox.settings, sandbox.credentials, lambda event: None, poll_seconds=0.05).run()
        flow = sandbox.start_flow()
        started = time.perf_counter()
        flow.send_events(events)
        settled = flow.wait_until_settled(600, poll=0.2)
        elapsed = time.perf_counter() - started
        outcomes = flow.outcomes()
        counters = flow.counters()
    seconds = dict(counters.seconds)
    forwarder = seconds.pop("forwarder", 0.0)
    hops = {
        "PutEvents (EventBridge -> SQS)": seconds.get("eventbridge", 0.0),
        "SQS receive": seconds.get("receive", 0.0),
        "forwarder (without the ingest it waits for)": max(0.0, forwarder - timer.seconds),
        "Port ingest (mappings + store)": timer.seconds,
        "SQS delete": seconds.get("delete", 0.0),
        "CloudWatch Logs": seconds.get("logs", 0.0),
    }
    return {"settled": settled, "elapsed": elapsed, "events": len(outcomes),
            "as_expected": sum(o.as_expected for o in outcomes), "counters": counters, "hops": hops,
            "idle": seconds.get("idle", 0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--pollers", type=int, default=1)
    parser.add_argument("--batching-window", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(args.events, args.pollers, args.batching_window)
    total = sum(result["hops"].values()) or 1.0
    print(f"{result['events']} events, {result['as_expected']} as expected, settled={result['settled']}, "
          f"pollers={args.pollers}, batch size 10, batching window {args.batching_window}s")
    print(f"{result['elapsed']:.2f} s first put to last outcome: "
          f"{result['events'] / result['elapsed']:.0f} events/s")
    counters = result["counters"]
    print(f"forwarder invocations {counters.invocations}, records {counters.received}, "
          f"failed {counters.failed}, entity changes {counters.entity_changes}")
    print(table(["hop", "seconds", "share"], [
        [hop, f"{seconds:.2f}", f"{seconds / total:.0%}"] for hop, seconds in result["hops"].items()]))
    print(f"(pollers also waited {result['idle']:.2f} s on empty long polls, not counted above)")
    return 0 if result["settled"] and result["as_expected"] == result["events"] else 1


if __name__ == "__main__":
    sys.exit(main())
