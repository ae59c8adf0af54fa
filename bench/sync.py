"""Time and Port requests of `port-aws-wizard sync` for 2,000 EC2 instances and 500 buckets.

    .venv/bin/python bench/sync.py [--instances 2000] [--buckets 500] [--runs 1]

Creates the resources in moto (ThreadedMotoServer), sets Port up in the emulator as the
install does, then runs core.operations.sync.run_sync (the command's engine) and prints: total time,
Port requests (ingest POSTs and all requests the emulator saw), documents per request,
and the share of time spent in AWS calls (listing and describing) versus Port calls
(webhook lookup, batch POSTs, including the emulator applying the mappings), measured in
the same run. A second run shows the steady state (moto warmed up, entities existing).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from core.config.credentials import PortCredentials  # noqa: E402 - needs the checkout on sys.path
from core.config.settings import InstallSettings  # noqa: E402
from core.emulator import PortEmulator  # noqa: E402
from core.operations.sync import run_sync  # noqa: E402
from core.port.client import PortClient  # noqa: E402
from core.port.setup import PortSetup  # noqa: E402

REGION = "us-east-1"
CREDENTIALS = PortCredentials("bench-client", "bench-secret")


def populate(endpoint: str, instances: int, buckets: int) -> float:
    started = time.monotonic()
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for start in range(0, instances, 500):
        count = min(500, instances - start)
        ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, InstanceType="t3.micro",
                          TagSpecifications=[{"ResourceType": "instance",
                                              "Tags": [{"Key": "bench", "Value": "sync"}]}])
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    for number in range(buckets):
        s3.create_bucket(Bucket=f"bench-bucket-{number:04d}")
        if number % 2:
            s3.put_bucket_tagging(Bucket=f"bench-bucket-{number:04d}",
                                  Tagging={"TagSet": [{"Key": "n", "Value": str(number)}]})
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log lines
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": REGION})
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        created = populate(endpoint, args.instances, args.buckets)
        print(f"moto: {args.instances} EC2 instances and {args.buckets} buckets created in "
              f"{created:.1f}s")
        with PortEmulator(CREDENTIALS.client_id, CREDENTIALS.client_secret) as emulator:
            settings = InstallSettings(port_base_url=emulator.base_url, aws_region=REGION,
                                       aws_endpoint_url=endpoint, webhook="aws_ingest",
                                       event_sources=("aws.ec2", "aws.s3"))
            with PortClient(emulator.base_url, CREDENTIALS) as client:
                PortSetup(client, settings, lambda _event: None).run(write=True)
            for run in range(1, args.runs + 1):
                seen = len(emulator.requests)
                result = run_sync(settings, CREDENTIALS)
                requests = emulator.requests[seen:]
                ingest = [r for r in requests if r.method == "POST" and "/v1/" not in r.path]
                measured = result.aws_seconds + result.port_seconds
                print(f"\nrun {run}: {result.total} documents "
                      f"({', '.join(f'{k} {n}' for k, n in result.counts.items())})")
                print(f"  total          {result.seconds:6.2f} s "
                      f"({result.total / result.seconds:,.0f} documents/s)")
                print(f"  AWS calls      {result.aws_seconds:6.2f} s "
                      f"({100 * result.aws_seconds / measured:.0f}%)")
                for kind, seconds in result.aws_seconds_by_kind.items():
                    print(f"    {kind:<22} {seconds:6.2f} s")
                print(f"  Port calls     {result.port_seconds:6.2f} s "
                      f"({100 * result.port_seconds / measured:.0f}%)")
                print(f"  Port requests  {len(requests)} in all, {len(ingest)} ingest POSTs "
                      f"({result.total / max(1, len(ingest)):.0f} documents each)")
                print(f"  entities       ec2Instance {len(emulator.store.entities['ec2Instance'])}, "
                      f"s3Bucket {len(emulator.store.entities['s3Bucket'])}")
                if result.errors:
                    print("  errors:", *result.errors[:5], sep="\n    ")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
