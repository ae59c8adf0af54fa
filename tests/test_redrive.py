"""`port-aws-wizard redrive`: moto's server (no message move task there) and the move task path."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from core.operations.redrive import MOVE_TASK, Redriver
from tests.aws_fixtures import unique_name
from wizard.cli.ops import redrive_main

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:events-dlq"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:events"


class Queues:
    """An event queue and its DLQ named as the template names them (no stack: found by name)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.name = unique_name("events")
        self.dlq_url = sqs.create_queue(QueueName=f"{self.name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.url = sqs.create_queue(QueueName=self.name, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})})["QueueUrl"]

    def messages(self, url: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                return found
            found += messages

    def bodies(self, url: str) -> list[str]:
        return [message["Body"] for message in self.messages(url)]

    def depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@pytest.fixture
def queues(aws_client: Callable[..., Any]) -> Queues:
    return Queues(aws_client("sqs"))


class Terminal(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


def redrive(queues: Queues, aws_endpoint: str, *extra: str, stdin: io.StringIO | None = None
            ) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["--stack-name", unique_name("no-stack"), "--queue-name", queues.name, *extra]
    code = redrive_main(args, environ={"AWS_ENDPOINT_URL": aws_endpoint}, out=out, err=err,
                        stdin=stdin or io.StringIO())
    return code, out.getvalue(), err.getvalue()


def test_redrive_moves_every_message_back_and_says_how(queues: Queues, aws_endpoint: str) -> None:
    sent = [json.dumps({"source": "aws.ec2", "detail-type": "x", "id": f"ev-{i}"}) for i in range(13)]
    for body in sent:
        queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody=body)
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="with attributes", MessageAttributes={
        "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"}})

    code, out, err = redrive(queues, aws_endpoint, "--yes")

    assert code == 0, err
    assert (f"Moved 14 message(s) from {queues.name}-dlq to {queues.name} using the receive/send/delete. "
            "StartMessageMoveTask unavailable: HTTP 500") in out
    assert "the message move task is not available here" in out
    assert queues.depth(queues.dlq_url) == 0
    moved = queues.messages(queues.url)
    assert sorted(m["Body"] for m in moved) == sorted([*sent, "with attributes"])
    # the attributes EventBridge puts on a failed delivery are kept
    with_attributes = next(m for m in moved if m["Body"] == "with attributes")
    assert with_attributes["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "SDK_CLIENT_ERROR"


def test_an_empty_dead_letter_queue_needs_nothing(queues: Queues, aws_endpoint: str) -> None:
    code, out, _err = redrive(queues, aws_endpoint)

    assert code == 0
    assert f"The dead-letter queue {queues.name}-dlq is empty: nothing to redrive." in out


def test_redrive_asks_first_and_moves_nothing_unless_confirmed(queues: Queues, aws_endpoint: str) -> None:
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="kept")

    code, _out, err = redrive(queues, aws_endpoint)  # no terminal, no --yes
    assert code == 2
    assert f"Move 1 message(s) from {queues.name}-dlq back to {queues.name}?" in err
    assert "pass --yes" in err

    code, out, _err = redrive(queues, aws_endpoint, stdin=Terminal("n\n"))
    assert code == 1 and "Nothing was moved." in out
    assert queues.depth(queues.dlq_url) == 1

    code, out, _err = redrive(queues, aws_endpoint, stdin=Terminal("y\n"))
    assert code == 0 and "Moved 1 message(s)" in out
    assert queues.bodies(queues.url) == ["kept"]


def stubbed_sqs() -> tuple[Any, Stubber]:
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    return client, Stubber(client)


def test_where_the_move_task_exists_it_is_used_and_followed() -> None:
    client, stubber = stubbed_sqs()
    stubber.add_response("start_message_move_task", {"TaskHandle": "handle-1234567890abcdef"},
                         {"SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN})
    for status, moved in (("RUNNING", 3), ("RUNNING", 7), ("COMPLETED", 10)):
        stubber.add_response("list_message_move_tasks", {"Results": [{
            "Status": status, "SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN,
            "ApproximateNumberOfMessagesMoved": moved, "ApproximateNumberOfMessagesToMove": 10}]},
            {"SourceArn": DLQ_ARN, "MaxResults": 1})
    lines: list[str] = []

    with stubber:
        result = Redriver(client, report=lines.append, sleep=lambda _s: None).redrive(
            "dlq-url", DLQ_ARN, "queue-url", QUEUE_ARN, limit=10)

    assert (result.method, result.moved, result.status) == (MOVE_TASK, 10, "COMPLETED")
    assert lines[1:] == ["moved 3 of 10", "moved 7 of 10", "moved 10 of 10"]
    stubber.assert_no_pending_responses()


def test_a_denied_move_task_is_reported_not_worked_around() -> None:
    client, stubber = stubbed_sqs()
    stubber.add_client_error("start_message_move_task", "AccessDenied", "not allowed", 403)

    with stubber, pytest.raises(ClientError, match="AccessDenied"):
        Redriver(client).redrive("dlq-url", DLQ_ARN, "queue-url", QUEUE_ARN, limit=1)
