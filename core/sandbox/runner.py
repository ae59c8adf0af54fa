"""The sandbox's Lambda service: poll the queue and invoke the deployed forwarder code.

AWS's event source mapping long-polls the queue, hands a batch of records to the function
in the SQS event shape, and deletes only the records the function did not report in
``batchItemFailures``; the others reappear after the visibility timeout and, past the
queue's maxReceiveCount, move to the dead-letter queue. This runner does the same against
moto, with the mapping's own BatchSize, batching window and response types, and the
function's own code (index.py from the deployed function), environment and timeout.

Two things are compressed for the sandbox and say so: the visibility timeout of each
receive (``visibility_timeout``, AWS uses the queue's 240 s) and the function timeout
(``function_timeout``, so a failing ingest exhausts the retries within it quickly).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.lambda_code.resync import RESYNC_KEY
from core.sandbox.counters import HopCounters
from core.sandbox.process_env import ProcessEnvironment

RECEIVE_ATTRIBUTES = ["All"]
LONG_POLL_SECONDS = 1  # short, so stop() returns quickly; AWS's pollers wait 20 s


@dataclass(frozen=True)
class Deployment:
    """What the deployed stack says the mapping and the function are."""

    account: str
    region: str
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    function_name: str
    function_arn: str
    handler: str
    code: str
    environment: dict[str, str]
    function_timeout: int
    memory_mb: int
    batch_size: int
    batching_window: int
    report_batch_item_failures: bool
    max_receive_count: int
    log_group: str


def discover(clients: Callable[[str], Any], outputs: dict[str, str],
             code_loader: Callable[[str, str, str], str]) -> Deployment:
    """Read the deployment back from AWS (moto), as the Lambda service would know it."""
    sqs, lam = clients("sqs"), clients("lambda")
    function = lam.get_function_configuration(FunctionName=outputs["FunctionName"])
    arn_parts = function["FunctionArn"].split(":")
    mappings = lam.list_event_source_mappings(FunctionName=function["FunctionName"])
    mapping = next(m for m in mappings["EventSourceMappings"]
                   if m["EventSourceArn"] == outputs["QueueArn"])
    redrive = sqs.get_queue_attributes(QueueUrl=outputs["QueueUrl"],
                                       AttributeNames=["RedrivePolicy"])["Attributes"]
    max_receive = json.loads(redrive.get("RedrivePolicy", "{}")).get("maxReceiveCount", 0)
    region, account = arn_parts[3], arn_parts[4]
    return Deployment(
        account=account, region=region, queue_url=outputs["QueueUrl"], queue_arn=outputs["QueueArn"],
        dead_letter_queue_url=outputs.get("DeadLetterQueueUrl", ""),
        function_name=function["FunctionName"], function_arn=function["FunctionArn"],
        handler=function.get("Handler", "index.handler"),
        code=code_loader(account, region, function["FunctionName"]),
        environment=dict((function.get("Environment") or {}).get("Variables") or {}),
        function_timeout=int(function.get("Timeout", 3)), memory_mb=int(function.get("MemorySize", 128)),
        batch_size=int(mapping.get("BatchSize", 10)),
        batching_window=int(mapping.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []),
        max_receive_count=int(max_receive), log_group=outputs.get("LogGroupName")
        or f"/aws/lambda/{function['FunctionName']}")


class _LogSink:
    """The function's stdout: collected per invocation, then sent to CloudWatch Logs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: list[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        with self._lock:
            self._partial += text
            *complete, self._partial = self._partial.split("\n")
            self._lines += complete
        return len(text)

    def flush(self) -> None:
        pass

    def drain(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
        return lines


class _SysProxy(types.SimpleNamespace):
    """The module's ``sys`` with its own stdout (Lambda sends stdout to the log group)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def load_handler(code: str, handler: str, stdout: _LogSink) -> Callable[[dict, Any], dict]:
    """Import the function's code as Lambda does (a fresh module per execution environment)."""
    module_name, _, function_name = handler.rpartition(".")
    module = types.ModuleType(module_name or "index")
    module.__file__ = f"/var/task/{module_name}.py"
    exec(compile(code, module.__file__, "exec"), module.__dict__)  # noqa: S102 - the deployed code
    module.sys = _SysProxy(stdout=stdout)
    return getattr(module, function_name)


@dataclass
class LambdaContext:
    """The context object Lambda passes; the handler reads the remaining time."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(left * 1000))


def sqs_record(message: dict[str, Any], deployment: Deployment) -> dict[str, Any]:
    """One record of the event Lambda builds from a received SQS message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                   "stringListValues": value.get("StringListValues", []),
                   "binaryListValues": value.get("BinaryListValues", []),
                   "dataType": value.get("DataType")}
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": deployment.queue_arn,
        "awsRegion": deployment.region,
    }


@dataclass(frozen=True)
class RunnerOptions:
    visibility_timeout: int = 5  # seconds a received record stays hidden (AWS: the queue's)
    function_timeout: float | None = None  # None: the function's own Timeout
    pollers: int = 1  # concurrent pollers (each its own execution environment)
    batching_window: int | None = None  # None: the mapping's own window
    ship_logs: bool = True  # put the function's log lines into CloudWatch Logs (moto)


class QueueRunner:
    """Pollers that feed the queue's records to the forwarder, as the event source mapping does."""

    def __init__(self, deployment: Deployment, clients: Callable[[str], Any], counters: HopCounters,
                 options: RunnerOptions | None = None) -> None:
        self.deployment = deployment
        self.options = options or RunnerOptions()
        self.counters = counters
        self._clients = clients
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._process_env = ProcessEnvironment()
        self._lock = threading.Lock()
        self.dead_letter_bound: set[str] = set()  # event ids that failed their last allowed receive
        self.errors: list[str] = []  # runner problems (not record failures)
        timeout = self.options.function_timeout or deployment.function_timeout
        if timeout >= self.options.visibility_timeout:
            raise ValueError(f"the function timeout ({timeout}s) must be below the visibility timeout "
                             f"({self.options.visibility_timeout}s), or records reappear while handled")

    def start(self) -> None:
        # The function reads its configuration from the environment (the template's
        # Environment.Variables). This process is the sandbox: set them, restore on stop.
        self._process_env.set(self.deployment.environment)
        for index in range(max(1, self.options.pollers)):
            thread = threading.Thread(target=self._poll, name=f"sandbox-poller-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=LONG_POLL_SECONDS + self._timeout() + 5)
        self._threads.clear()
        self._process_env.restore()

    def _timeout(self) -> float:
        return float(self.options.function_timeout or self.deployment.function_timeout)

    # ---- one poller ---------------------------------------------------------------------
    def _poll(self) -> None:
        sqs, logs = self._clients("sqs"), self._clients("logs")
        sink = _LogSink()
        handler = load_handler(self.deployment.code, self.deployment.handler, sink)
        stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        if self.options.ship_logs:
            with contextlib.suppress(Exception):  # the log group may be gone; logs are a bonus
                logs.create_log_stream(logGroupName=self.deployment.log_group, logStreamName=stream)
        while not self._stop.is_set():
            try:
                messages = self._gather(sqs)
                if messages:
                    self._invoke(handler, messages, sqs, sink, stream)
                    self._ship(logs, sink, stream)
            except Exception as error:  # keep polling, as the Lambda service does
                with self._lock:
                    self.errors.append(f"{type(error).__name__}: {error}")
                self._stop.wait(0.5)

    def _receive(self, sqs: Any, count: int, wait: int) -> list[dict[str, Any]]:
        started = time.perf_counter()
        answer = sqs.receive_message(
            QueueUrl=self.deployment.queue_url, MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait, VisibilityTimeout=self.options.visibility_timeout,
            MessageSystemAttributeNames=RECEIVE_ATTRIBUTES, MessageAttributeNames=["All"])
        messages = answer.get("Messages", [])
        self.counters.timed("receive" if messages else "idle", time.perf_counter() - started)
        return messages

    def _gather(self, sqs: Any) -> list[dict[str, Any]]:
        """A batch as the mapping builds one: up to BatchSize records within the window."""
        batch_size = self.deployment.batch_size
        window = self.deployment.batching_window if self.options.batching_window is None \
            else self.options.batching_window
        messages = self._receive(sqs, batch_size, LONG_POLL_SECONDS)
        if not messages:
            return []
        deadline = time.monotonic() + window
        while len(messages) < batch_size and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = self._receive(sqs, batch_size - len(messages), 1 if left >= 1 else 0)
            messages += more
            if not more:
                self._stop.wait(min(0.05, max(0.0, left)))
        return messages

    def _invoke(self, handler: Callable[[dict, Any], dict], messages: list[dict[str, Any]], sqs: Any,
                sink: _LogSink, stream: str) -> None:
        deployment = self.deployment
        records = [sqs_record(message, deployment) for message in messages]
        context = LambdaContext(deployment.function_name, deployment.function_arn, deployment.memory_mb,
                                deployment.log_group, stream, self._timeout())
        self.counters.add("invocations")
        resync = {record["messageId"] for record in records if RESYNC_KEY in record["body"]}
        self.counters.add("received", len(records) - len(resync))  # events; resync pieces apart
        sink.write(f"START RequestId: {context.aws_request_id} Version: $LATEST\n")
        started = time.perf_counter()
        try:
            response = handler({"Records": records}, context)
            failed_ids = self._failed_ids(response, records)
        except Exception as error:  # an unhandled error fails the whole batch
            sink.write(f"[ERROR] {type(error).__name__}: {error}\n")
            failed_ids = {record["messageId"] for record in records}
        elapsed = time.perf_counter() - started
        if elapsed > context.timeout_seconds:  # Lambda would have stopped it: nothing is deleted
            sink.write(f"Task timed out after {context.timeout_seconds:.2f} seconds\n")
            failed_ids = {record["messageId"] for record in records}
        self.counters.timed("forwarder", elapsed)
        sink.write(f"END RequestId: {context.aws_request_id}\n")
        sink.write(f"REPORT RequestId: {context.aws_request_id}\tDuration: {elapsed * 1000:.2f} ms\n")
        done = [record for record in records if record["messageId"] not in failed_ids]
        self._delete(sqs, done)
        pieces = sum(record["messageId"] in resync for record in done)
        self.counters.add("resync_pieces", pieces)
        self.counters.add("resync_failed", len(resync & failed_ids))
        self.counters.add("forwarded", len(done) - pieces)
        self.counters.add("failed", len(records) - len(done) - len(resync & failed_ids))
        self._note_dead_letter_bound([r for r in records if r["messageId"] in failed_ids])

    def _failed_ids(self, response: Any, records: list[dict[str, Any]]) -> set[str]:
        """The records to keep, as Lambda reads the function's response."""
        if not self.deployment.report_batch_item_failures:
            return set()  # without ReportBatchItemFailures a normal return means all succeeded
        ids = {record["messageId"] for record in records}
        failures = (response or {}).get("batchItemFailures") if isinstance(response, dict) else None
        if failures is None:
            return set()
        failed = {item.get("itemIdentifier") for item in failures if isinstance(item, dict)}
        if not failed <= ids or None in failed or "" in failed:
            return ids  # an unknown or empty identifier: Lambda treats the whole batch as failed
        return {str(item) for item in failed}

    def _delete(self, sqs: Any, records: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        for start in range(0, len(records), 10):
            chunk = records[start:start + 10]
            sqs.delete_message_batch(QueueUrl=self.deployment.queue_url, Entries=[
                {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                for index, record in enumerate(chunk)])
        self.counters.timed("delete", time.perf_counter() - started)

    def _note_dead_letter_bound(self, failed: list[dict[str, Any]]) -> None:
        limit = self.deployment.max_receive_count
        if not limit:
            return
        for record in failed:
            if int(record["attributes"].get("ApproximateReceiveCount", 0)) >= limit:
                with contextlib.suppress(ValueError, TypeError, AttributeError), self._lock:
                    self.dead_letter_bound.add(json.loads(record["body"]).get("id"))

    def _ship(self, logs: Any, sink: _LogSink, stream: str) -> None:
        lines = sink.drain()
        if not lines or not self.options.ship_logs:
            return
        started = time.perf_counter()
        now = int(time.time() * 1000)
        with contextlib.suppress(Exception):
            logs.put_log_events(logGroupName=self.deployment.log_group, logStreamName=stream,
                                logEvents=[{"timestamp": now, "message": line} for line in lines])
        self.counters.timed("logs", time.perf_counter() - started)
