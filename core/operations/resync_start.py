"""The install's first resync: one resync request on the stack's queue, right after the deploy.

A stack that was just created knows nothing of what already exists; the schedule's first
run comes an interval later. So the install puts the same request the schedule rule puts
({"portAwsResync": {"trigger": "install"}}, core/lambda_code/resync.py) on the queue with the
installing user's credentials (sqs:SendMessage; not a Lambda invoke: the pipeline does the
work, with its retries and dead-letter queue) and says when Port should be complete.
The sandbox's "Resync now" sends the same message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from core.aws.clients import explain_aws_error, make_client, make_session
from core.config.resync_schedule import RESYNC_OFF
from core.config.settings import InstallSettings
from core.lambda_code.ingest_batches import kinds_for
from core.lambda_code.resync import PIECE_DEFAULT, resync_message
from core.progress import Notice, Reporter

SECONDS_PER_PIECE = 10  # listing, describing and posting one page; plus the batching window


@dataclass(frozen=True)
class ResyncStarted:
    """A resync request is on the queue; Port should be complete within `minutes`."""

    queue_url: str
    message_id: str
    kinds: int
    minutes: int

    @property
    def estimate(self) -> str:
        return (f"within about {self.minutes} minute{'s' if self.minutes != 1 else ''} "
                "(longer with thousands of resources)")


def estimate_minutes(settings: InstallSettings) -> int:
    """Minutes a small account's resync takes: one piece per kind, each waiting for a batch."""
    pieces = len(kinds_for(settings.event_sources))
    return max(1, math.ceil(pieces * (SECONDS_PER_PIECE + settings.batching_window_seconds) / 60))


def start_resync(settings: InstallSettings, trigger: str = "install", session: Any = None
                 ) -> ResyncStarted:
    """Put one resync request on the install's queue. Raises AwsAccessError."""
    try:
        sqs = make_client(session or make_session(settings), "sqs", settings)
        url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
        sent = sqs.send_message(QueueUrl=url, MessageBody=resync_message(trigger))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise explain_aws_error(error, f"start a resync (sqs:SendMessage to {settings.queue_name})"
                                ) from None
    return ResyncStarted(url, sent.get("MessageId", ""), len(kinds_for(settings.event_sources)),
                         estimate_minutes(settings))


def first_resync(settings: InstallSettings, report: Reporter) -> ResyncStarted | None:
    """After a stack deploy: start the first resync and say so (a failure only warns)."""
    if settings.resync_schedule == RESYNC_OFF:
        report(Notice("resync is off (--resync-schedule off): resources that already exist reach "
                      "Port when they next change, or run `port-aws-wizard sync` now"))
        return None
    try:
        started = start_resync(settings)
    except Exception as error:  # the stack is installed; the schedule will resync
        report(Notice(f"the first resync did not start ({error}); existing resources reach Port "
                      f"with the schedule ({settings.resync_schedule}), or run "
                      "`port-aws-wizard sync` now", "warning"))
        return None
    report(Notice(f"first resync started: the forwarder sends every existing resource "
                  f"({started.kinds} kinds) to Port, in pieces of up to {PIECE_DEFAULT}; Port should "
                  f"be complete {started.estimate} (`port-aws-wizard status` shows the last "
                  f"resync); then again on the schedule {settings.resync_schedule}"))
    return started


def first_resync_command(settings: InstallSettings) -> str:
    """The AWS CLI command that starts the first resync ("" when the resync is off)."""
    if settings.resync_schedule == RESYNC_OFF:
        return ""
    return (f"aws sqs send-message --region {settings.aws_region} --queue-url \"$(aws sqs get-queue-url "
            f"--region {settings.aws_region} --queue-name {settings.queue_name} --query QueueUrl "
            f"--output text)\" --message-body '{resync_message('install')}'")


def stackset_resync_notice(settings: InstallSettings, report: Reporter) -> None:
    """StackSet instances live in other accounts: their first resync comes from the schedule."""
    if settings.resync_schedule == RESYNC_OFF:
        return
    report(Notice(f"each StackSet instance resyncs on its schedule ({settings.resync_schedule}); "
                  "its first run comes one interval after it was created. For a full catalog now, "
                  "run `port-aws-wizard sync --regions ...` with each account's credentials"))
