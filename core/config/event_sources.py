"""The AWS event sources the installer can route to Port, and what each produces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventSource:
    name: str
    service: str
    produces: str
    needs_cloudtrail: bool


EVENT_SOURCES: dict[str, EventSource] = {
    source.name: source
    for source in (
        EventSource("aws.ec2", "EC2", "EC2 instances: state changes, terminated ones removed", False),
        EventSource("aws.s3", "S3", "S3 buckets: created, configured, deleted (API calls)", True),
        EventSource("aws.rds", "RDS", "RDS DB instances: instance events and API calls", True),
        EventSource("aws.sqs", "SQS", "SQS queues: created, configured, deleted (API calls)", True),
        EventSource("aws.ecs", "ECS", "ECS clusters: API calls, task and instance state", True),
        EventSource("aws.eks", "EKS", "EKS clusters: created, updated, deleted (API calls)", True),
        EventSource("aws.lambda", "Lambda", "Lambda functions: created, updated, deleted", True),
    )
}

DEFAULT_EVENT_SOURCES: tuple[str, ...] = tuple(EVENT_SOURCES)
