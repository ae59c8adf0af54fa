"""Fire the resync schedule rule as EventBridge would: moto never fires a schedule.

When a schedule rule fires, EventBridge sends each target the target's constant Input.
Here that Input is read from the deployed rule (ListTargetsByRule) and put on the target
queue, so the sandbox's "Resync now" and the tests exercise the very rule the template
made, not a copy of its message.
"""

from __future__ import annotations

from typing import Any

from core.operations.resync_status import schedule_rule


def fire_schedule(events: Any, sqs: Any, queue_arn: str) -> list[str]:
    """Deliver the schedule rule's Input to its targets; the SQS message ids (none: no rule)."""
    rule = schedule_rule(events, queue_arn)
    if rule is None:
        return []
    sent = []
    for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
        arn = target["Arn"].split(":")
        url = sqs.get_queue_url(QueueName=arn[5], QueueOwnerAWSAccountId=arn[4])["QueueUrl"]
        sent.append(sqs.send_message(QueueUrl=url, MessageBody=target["Input"])["MessageId"])
    return sent
