"""`status` checks of the stack's own signals: its alarms and its webhook secret.

The stack raises its hand through two CloudWatch alarms (events waiting in the dead-letter
queue; the function's errors), optionally mailed through SNS. The webhook URL and signing
secret live in the stack's Secrets Manager secret; status reads it with the user's
credentials (to compare the URL with Port's) and says when it cannot.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from core.aws.webhook_secret import read_secret

ALARMS = (("DeadLetterAlarmName", "dead-letters", "dead letters"),
          ("ErrorAlarmName", "function-errors", "function errors"))


def alarm_names(stack_name: str, outputs: dict[str, str]) -> dict[str, str]:
    """Label -> alarm name: from the stack's outputs, else the names the template gives."""
    return {label: outputs.get(output) or f"{stack_name}-{suffix}" for output, suffix, label in ALARMS}


def alarms_state(cloudwatch: Any, sns: Any, names: dict[str, str]) -> tuple[bool, str, str, str]:
    """(ok, figure, detail, fix) for the alarms check."""
    found = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(
        AlarmNames=list(names.values()))["MetricAlarms"]}
    missing = [label for label, name in names.items() if name not in found]
    if missing:
        return (False, "not found", f"no alarm for {', '.join(missing)}: nobody would be told of "
                "a Port outage", "run the install again to add them")
    states = {label: found[name]["StateValue"] for label, name in names.items()}
    firing = [label for label, state in states.items() if state == "ALARM"]
    topics = {arn for alarm in found.values() for arn in alarm.get("AlarmActions") or []}
    pending = _unconfirmed(sns, topics)
    figure = ", ".join(f"{label} {state}" for label, state in states.items()) + (
        "; e-mail unconfirmed" if pending else "; mailed" if topics else "; not mailed")
    if firing:
        fix = ("port-aws-wizard redrive, once Port takes events again" if "dead letters" in firing
               else "port-aws-wizard logs --since 1h --filter failed")
        return False, figure, f"in ALARM: {', '.join(firing)}", fix
    if pending:
        return (False, figure, "nobody is mailed until the address confirms the subscription",
                "open the mail from AWS Notifications and confirm the subscription")
    return True, figure, "", ""


def _unconfirmed(sns: Any, topics: set[str]) -> int:
    """E-mail subscriptions of the alarm topics still waiting for their address to confirm."""
    return sum(1 for topic in topics
               for s in sns.list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", [])
               if s.get("SubscriptionArn") == "PendingConfirmation")


def webhook_secret_state(secretsmanager: Any, arn: str) -> tuple[str, str]:
    """(the ingest URL it holds, a problem) for the stack's secret; the URL is never shown."""
    try:
        return read_secret(secretsmanager, arn).url, ""
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        return "", f"cannot read the webhook secret ({code}): grant secretsmanager:GetSecretValue on {arn}"
