"""Resources that exist in the sandbox's AWS (moto) before the install.

A real account is never empty: the install's first resync (core/operations/resync_start.py) must
bring what is already there into Port. The sandbox starts with a few resources of its
own account, so the resync has something to show: they arrive as entities without any
event and without `sync`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INSTANCES = 3


def seed_resources(client: Callable[[str], Any], account: str) -> list[str]:
    """Create a few resources (EC2 instances, S3 buckets, an SQS queue, an ECS cluster)."""
    ec2 = client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=INSTANCES, MaxCount=INSTANCES, InstanceType="t3.micro",
                      TagSpecifications=[{"ResourceType": "instance",
                                          "Tags": [{"Key": "Name", "Value": "sandbox-web"}]}])
    s3 = client("s3")
    buckets = [f"sandbox-assets-{account}", f"sandbox-logs-{account}"]  # names are global
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    client("sqs").create_queue(QueueName="sandbox-orders")
    client("ecs").create_cluster(clusterName="sandbox-cluster")
    return [f"{INSTANCES} EC2 instances", f"S3 buckets {', '.join(buckets)}",
            "SQS queue sandbox-orders", "ECS cluster sandbox-cluster"]
