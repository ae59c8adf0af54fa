"""Move the dead-letter queue's messages back to the event queue (`port-aws-wizard redrive`).

SQS's message move task does it server-side. Where that API is missing (moto answers HTTP
500, some partitions and emulators do not have it) the messages are received, sent to the
queue and deleted from the DLQ in batches: a message is deleted only once it was sent.
The result says which way was used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
from botocore.parsers import ResponseParserError

MOVE_TASK = "SQS message move task"
RECEIVE_SEND_DELETE = "receive/send/delete"
_UNSUPPORTED_CODES = frozenset({"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
                                "InvalidAction", "NotImplemented", "UnknownOperationException",
                                "InternalFailure", "InternalError"})


@dataclass(frozen=True)
class RedriveResult:
    method: str  # MOVE_TASK or RECEIVE_SEND_DELETE
    moved: int
    failed: int = 0
    status: str = "COMPLETED"  # the move task's final status (COMPLETED for the fallback)
    note: str = ""  # why the fallback was used, a failure reason, ...


def dead_letter_count(sqs: Any, dlq_url: str) -> int:
    """Messages in the DLQ, visible or not (approximate, as SQS reports it)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages",
                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return (int(attributes.get("ApproximateNumberOfMessages", 0))
            + int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))


def is_unsupported(error: Exception) -> bool:
    """True when the error means "this endpoint has no message move task", not "you may not"."""
    if isinstance(error, ResponseParserError):
        return True
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return code in _UNSUPPORTED_CODES or status >= 500 or code.isdigit()
    return False


class Redriver:
    """Moves up to `limit` messages from the DLQ to the queue, reporting progress lines."""

    def __init__(
        self,
        sqs: Any,
        *,
        move_task_client: Any = None,
        report: Callable[[str], None] = lambda _line: None,
        poll_seconds: float = 2.0,
        timeout_seconds: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sqs = sqs
        self._move = move_task_client or sqs
        self._report = report
        self._poll_seconds = poll_seconds
        self._timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    def redrive(self, dlq_url: str, dlq_arn: str, queue_url: str, queue_arn: str,
                limit: int) -> RedriveResult:
        try:
            return self._move_task(dlq_arn, queue_arn)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError,
                ResponseParserError) as error:  # moto: HTTP 500, unparseable on some protocols
            if not is_unsupported(error):
                raise
            reason = _describe(error)
        self._report(f"the message move task is not available here ({reason}); "
                     "moving messages by receive/send/delete")
        moved, failed = self._receive_send_delete(dlq_url, queue_url, limit)
        return RedriveResult(RECEIVE_SEND_DELETE, moved, failed,
                             note=f"StartMessageMoveTask unavailable: {reason}")

    def _move_task(self, dlq_arn: str, queue_arn: str) -> RedriveResult:
        handle = self._move.start_message_move_task(SourceArn=dlq_arn, DestinationArn=queue_arn)
        self._report(f"started a message move task ({handle.get('TaskHandle', '')[:16]}...)")
        deadline = self._clock() + self._timeout_seconds
        last_moved = -1
        while True:
            tasks = self._move.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1).get("Results", [])
            task = tasks[0] if tasks else {}
            status = task.get("Status", "RUNNING")
            moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
            if moved != last_moved:
                to_move = task.get("ApproximateNumberOfMessagesToMove")
                total = f" of {to_move}" if to_move is not None else ""
                self._report(f"moved {moved}{total}")
                last_moved = moved
            if status != "RUNNING":
                return RedriveResult(MOVE_TASK, moved, status=status, note=task.get("FailureReason", ""))
            if self._clock() >= deadline:
                return RedriveResult(MOVE_TASK, moved, status=status,
                                     note="still running: follow it with `aws sqs list-message-move-tasks "
                                          f"--source-arn {dlq_arn}`")
            self._sleep(self._poll_seconds)

    def _receive_send_delete(self, dlq_url: str, queue_url: str, limit: int) -> tuple[int, int]:
        """Batches of 10: send to the queue, delete from the DLQ only what was sent."""
        moved = failed = 0
        while moved + failed < limit:
            wanted = min(10, limit - moved - failed)
            messages = self._sqs.receive_message(
                QueueUrl=dlq_url, MaxNumberOfMessages=wanted, WaitTimeSeconds=1,
                VisibilityTimeout=60, MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                break
            entries = []
            for index, message in enumerate(messages):
                entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
                if message.get("MessageAttributes"):
                    entry["MessageAttributes"] = message["MessageAttributes"]
                entries.append(entry)
            sent = self._sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            sent_ids = {item["Id"] for item in sent.get("Successful", [])}
            failed += len(messages) - len(sent_ids)
            to_delete = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                         for index, message in enumerate(messages) if str(index) in sent_ids]
            if to_delete:
                self._sqs.delete_message_batch(QueueUrl=dlq_url, Entries=to_delete)
            moved += len(to_delete)
            self._report(f"moved {moved}")
        return moved, failed


def _describe(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        return f"HTTP {status} {code}".strip() if str(code) != str(status) else f"HTTP {status}"
    return type(error).__name__
