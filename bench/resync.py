"""The stack's resync of 2,000 EC2 instances and 500 buckets: invocations, Port requests, time.

    .venv/bin/python bench/resync.py [--instances 2000] [--buckets 500] [--per-reservation 10]

Seeds moto (the sandbox's, core/sandbox/) with the resources, installs for real (the
install puts the first resync request on the queue), then lets the sandbox's runner feed
the queue to the forwarder code read back from the deployed function, as Lambda's event
source mapping does, with the function's own 30 s timeout. Prints the invocations (one
resync piece each), the longest one against that timeout, the Port ingest requests and the
time from the first piece to the run's summary line; then runs the laptop `sync`
(core.operations.sync.run_sync) over the same resources in the same process, and the ratio of the two.

The runner's batching window is 0 here; on AWS each piece also waits up to the mapping's
MaximumBatchingWindowInSeconds (default 5 s) before its invocation, added in the output.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config.settings import InstallSettings  # noqa: E402
from core.operations.install import Installer  # noqa: E402
from core.operations.sync import run_sync  # noqa: E402
from core.polling import Polling  # noqa: E402
from core.sandbox.environment import SandboxEnvironment, SandboxOptions  # noqa: E402

DURATION = re.compile(r"^REPORT RequestId: \S+\s+Duration: ([\d.]+) ms")


def populate(sandbox: SandboxEnvironment, instances: int, per_reservation: int, buckets: int) -> float:
    started = time.monotonic()
    ec2, s3 = sandbox.aws_client("ec2"), sandbox.aws_client("s3")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for start in range(0, instances, per_reservation):
        count = min(per_reservation, instances - start)
        ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, InstanceType="t3.micro",
                          TagSpecifications=[{"ResourceType": "instance",
                                              "Tags": [{"Key": "bench", "Value": "resync"}]}])
    for number in range(buckets):
        name = f"bench-{number:04d}-{sandbox.account}"
        s3.create_bucket(Bucket=name)
        if number % 2:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "n", "Value": str(number)}]})
    return time.monotonic() - started


def ingest_posts(sandbox: SandboxEnvironment, since: int) -> int:
    assert sandbox.emulator is not None
    return sum(1 for r in sandbox.emulator.requests[since:] if r.method == "POST" and "/v1/" not in r.path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--per-reservation", type=int, default=10,
                        help="instances per RunInstances call (EC2 pages count reservations)")
    parser.add_argument("--verbose", action="store_true", help="print each piece's log line")
    args = parser.parse_args(argv)
    options = SandboxOptions(resource_delay=0, stack_poll_seconds=0.05, visibility_timeout=240,
                             function_timeout=None, batching_window=0, seed=False)
    with SandboxEnvironment(options, flags={"event_sources": "aws.ec2,aws.s3"}) as sandbox:
        assert sandbox.settings is not None and sandbox.emulator is not None
        seeded = populate(sandbox, args.instances, args.per_reservation, args.buckets)
        print(f"moto: {args.instances} EC2 instances ({args.per_reservation} per reservation) and "
              f"{args.buckets} buckets created in {seeded:.1f}s")
        Installer(sandbox.settings, sandbox.credentials, lambda _event: None,
                  polling=Polling(interval=0.05)).run()
        before = len(sandbox.emulator.requests)
        started = time.monotonic()
        flow = sandbox.start_flow()
        while (found := flow.resync_log()).last is None and time.monotonic() - started < 900:
            time.sleep(0.5)
        resync_seconds = time.monotonic() - started
        run = found.last
        if run is None:
            print(f"the resync did not finish within 900 s: {flow.counters()}")
            for event in sandbox.aws_client("logs").filter_log_events(
                    logGroupName=flow.deployment.log_group)["events"][-15:]:
                print("  ", event["message"][:300])
            return 1
        counters = flow.counters()
        timeout = flow.deployment.function_timeout
        messages = [e["message"] for e in sandbox.aws_client("logs").get_paginator("filter_log_events")
                    .paginate(logGroupName=flow.deployment.log_group).build_full_result()["events"]]
        durations = [float(m.group(1)) / 1000 for text in messages if (m := DURATION.match(text))]
        timed_out = sum("Task timed out" in text for text in messages)
        resync_posts = ingest_posts(sandbox, before)
        window = InstallSettings().batching_window_seconds  # the install's default
        print(f"\nresync (run {run.run}): {run.resources} documents "
              f"({', '.join(f'{k} {n}' for k, n in run.counts.items())}), errors {len(run.errors)}")
        print(f"  invocations    {counters.invocations} ({counters.resync_pieces} pieces done, "
              f"{counters.resync_failed} failed and retried)")
        print(f"  per invocation longest {max(durations):.2f} s, median {statistics.median(durations):.2f} s "
              f"of the function's {timeout} s timeout; timed out: {timed_out}")
        print(f"  Port requests  {resync_posts} ingest POSTs ({run.requests} as the forwarder counts "
              f"attempts), {run.resources / max(1, resync_posts):.0f} documents each")
        if args.verbose:
            for text in messages:
                if text.startswith('{"resync"') or text.startswith("REPORT"):
                    print("   ", text[:200])
        print(f"  time           {resync_seconds:.1f} s first piece to summary here; on AWS add up to "
              f"{window} s batching window per piece: <= {resync_seconds + window * run.pieces:.0f} s")

        before = len(sandbox.emulator.requests)
        result = run_sync(sandbox.settings, sandbox.credentials)
        sync_posts = ingest_posts(sandbox, before)
        print(f"\nlaptop sync, same resources: {result.total} documents in {result.seconds:.1f} s "
              f"with {sync_posts} ingest POSTs; errors {len(result.errors)}")
        print(f"\nresync / sync time: {resync_seconds / result.seconds:.2f} "
              f"({resync_seconds:.1f} s / {result.seconds:.1f} s); Port requests "
              f"{resync_posts} / {sync_posts}")
        return 0 if not run.errors and not timed_out and max(durations) < timeout else 1


if __name__ == "__main__":
    sys.exit(main())
