"""The log tail engine and `port-aws-wizard logs`, against moto's CloudWatch Logs."""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from core.aws.clients import CLIENT_CONFIG
from core.operations.logs import LogLine, LogTail, format_record, live_tail_client, log_group_arn, parse_since
from tests.aws_fixtures import unique_name
from wizard.cli.ops import logs_main


def forwarder_line(message_id: str, result: str = "forwarded", status: int | None = 200,
                   attempts: int = 1, error: str | None = None) -> str:
    """A record exactly as core/lambda_code/forwarder.py logs it."""
    line: dict[str, Any] = {"messageId": message_id, "eventId": f"ev-{message_id}", "status": status,
                            "attempts": attempts, "bytes": 812}
    if error:
        line["error"] = error
    line["result"] = result
    line["latencyMs"] = 12.5
    return json.dumps(line, separators=(",", ":")) + "\n"


class LogGroup:
    def __init__(self, logs: Any, name: str) -> None:
        self.logs, self.name = logs, name
        logs.create_log_group(logGroupName=name)
        for stream in ("a", "b"):
            logs.create_log_stream(logGroupName=name, logStreamName=stream)

    def put(self, stream: str, *events: tuple[int, str]) -> None:
        self.logs.put_log_events(logGroupName=self.name, logStreamName=stream,
                                 logEvents=[{"timestamp": ts, "message": m} for ts, m in events])


@pytest.fixture
def group(aws_client: Callable[..., Any]) -> LogGroup:
    return LogGroup(aws_client("logs"), f"/aws/lambda/{unique_name('forwarder')}")


def now_ms() -> int:
    return int(time.time() * 1000)


def collect(tail: LogTail, stop: threading.Event) -> tuple[list[LogLine], threading.Thread]:
    seen: list[LogLine] = []

    def worker() -> None:
        for line in tail.follow(stop):
            seen.append(line)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    return seen, thread


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_follow_sees_each_line_written_during_the_test_exactly_once(
    group: LogGroup, boto_session: boto3.Session, aws_endpoint: str
) -> None:
    base = now_ms() - 3000
    group.put("a", (base, "history 1"), (base + 1, "history 2"))
    live = live_tail_client(boto_session, aws_endpoint, CLIENT_CONFIG)
    tail = LogTail(group.logs, group.name, since_seconds=60, live_client=live,
                   log_group_arn=log_group_arn(group.logs, group.name), poll_seconds=0.05)
    stop = threading.Event()
    seen, thread = collect(tail, stop)
    messages = lambda: [line.message for line in seen]  # noqa: E731
    wait_for(lambda: len(seen) >= 2)

    t1 = now_ms()
    group.put("a", (t1, "same ts 1"), (t1, "same ts 2"), (t1, "same ts 3"))
    wait_for(lambda: "same ts 3" in messages())
    group.put("b", (t1, "same ts 4 other stream"), (t1, "same ts 5 other stream"))  # same ts, later
    group.put("a", (t1 + 5, "next"))
    group.put("b", (t1 + 2, "arrived late, older than next"))
    expected = ["history 1", "history 2", "same ts 1", "same ts 2", "same ts 3",
                "same ts 4 other stream", "same ts 5 other stream", "next",
                "arrived late, older than next"]
    wait_for(lambda: len(seen) >= len(expected))
    time.sleep(0.4)  # several more polling rounds over the same timestamps
    stop.set()
    thread.join(5)

    assert Counter(messages()) == Counter(expected)
    assert "Live Tail session ended: polling instead" in tail.notices  # moto's session ends at once
    assert tail.mode == "polling"


def test_polling_pages_through_and_drops_nothing_at_a_shared_timestamp(group: LogGroup) -> None:
    t = now_ms() - 1000
    group.put("a", *[(t, f"first {i}") for i in range(5)])
    tail = LogTail(group.logs, group.name, since_seconds=60, page_limit=2)

    first = tail.poll()
    group.put("b", *[(t, f"second {i}") for i in range(3)])
    second = tail.poll()
    third = tail.poll()

    assert [line.message for line in first] == [f"first {i}" for i in range(5)]
    assert sorted(line.message for line in second) == [f"second {i}" for i in range(3)]
    assert third == []


class ThrottledLogs:
    """The real moto client, throttled for the first `times` FilterLogEvents calls."""

    def __init__(self, client: Any, times: int) -> None:
        self._client, self._left = client, times

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if self._left > 0:
            self._left -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                              "FilterLogEvents")
        return self._client.filter_log_events(**kwargs)


def test_throttling_backs_off_and_loses_nothing(group: LogGroup) -> None:
    group.put("a", (now_ms() - 500, "after the throttling"))
    waits: list[float] = []
    tail = LogTail(ThrottledLogs(group.logs, times=3), group.name, since_seconds=60, sleep=waits.append)

    lines = tail.poll()

    assert [line.message for line in lines] == ["after the throttling"]
    assert waits == [0.5, 1.0, 2.0]
    assert tail.throttled == 3


def environment(aws_endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": aws_endpoint}


def test_logs_command_prints_readable_lines_and_filters(group: LogGroup, aws_endpoint: str) -> None:
    t = now_ms() - 2000
    group.put("a", (t, "START RequestId: r-1 Version: $LATEST\n"),
              (t + 1, forwarder_line("m-1")),
              (t + 2, forwarder_line("m-2", "failed", 503, 6, "HTTP 503")),
              (t + 3, "END RequestId: r-1\n"))
    function = group.name.rsplit("/", 1)[-1]
    args = ["--stack-name", unique_name("none"), "--lambda-function-name", function, "--since", "5m"]
    out, err = io.StringIO(), io.StringIO()

    code = logs_main(args, environ=environment(aws_endpoint), out=out, err=err)

    lines = out.getvalue().splitlines()
    assert code == 0, err.getvalue()
    assert len(lines) == 4
    assert lines[0].endswith("START RequestId: r-1 Version: $LATEST")
    assert lines[1].endswith("FORWARDED message=m-1 event=ev-m-1 status=200 attempts=1 latency=12.5ms")
    assert lines[2].endswith("FAILED    message=m-2 event=ev-m-2 status=503 attempts=6 latency=12.5ms "
                             "error=HTTP 503")

    out = io.StringIO()
    code = logs_main([*args, "--filter", "failed"], environ=environment(aws_endpoint), out=out, err=err)

    assert code == 0
    assert [line.split("  ", 1)[1] for line in out.getvalue().splitlines()] == [
        "FAILED    message=m-2 event=ev-m-2 status=503 attempts=6 latency=12.5ms error=HTTP 503"]


def test_logs_follow_command_prints_new_lines(group: LogGroup, aws_endpoint: str) -> None:
    function = group.name.rsplit("/", 1)[-1]
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    args = ["--stack-name", unique_name("none"), "--lambda-function-name", function, "--follow"]
    thread = threading.Thread(target=logs_main, args=(args,), daemon=True,
                              kwargs={"environ": environment(aws_endpoint), "out": out, "err": err,
                                      "stop": stop})
    thread.start()
    time.sleep(0.3)
    group.put("b", (now_ms(), forwarder_line("m-live")))
    wait_for(lambda: "m-live" in out.getvalue(), timeout=15)
    stop.set()
    thread.join(10)

    assert out.getvalue().count("FORWARDED message=m-live") == 1
    assert group.name in err.getvalue()


def test_logs_command_explains_a_missing_log_group_and_a_bad_since(aws_endpoint: str) -> None:
    env = environment(aws_endpoint)
    function = unique_name("nowhere")
    err = io.StringIO()

    code = logs_main(["--stack-name", function, "--lambda-function-name", function], environ=env,
                     out=io.StringIO(), err=err)

    assert code == 2
    assert f"log group /aws/lambda/{function} does not exist" in err.getvalue()

    err = io.StringIO()
    assert logs_main(["--since", "ten minutes"], environ=env, out=io.StringIO(), err=err) == 2
    assert "use a number and a unit, e.g. 30s, 10m, 2h, 1d" in err.getvalue()


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400)])
def test_since_durations(text: str, seconds: int) -> None:
    assert parse_since(text) == seconds


def test_lambda_json_log_format_and_platform_records_are_readable() -> None:
    wrapped = json.dumps({"timestamp": "x", "level": "INFO", "message": forwarder_line("m-9").strip()})
    report = json.dumps({"time": "x", "type": "platform.report",
                         "record": {"requestId": "r-9", "metrics": {"durationMs": 41.2}}})

    text, level = format_record(0, wrapped)
    assert text == ("1970-01-01 00:00:00.000  FORWARDED message=m-9 event=ev-m-9 status=200 "
                    "attempts=1 latency=12.5ms") and level == "ok"
    text, level = format_record(0, report)
    assert text.endswith("REPORT    request=r-9 duration=41.2ms") and level == "platform"
    assert format_record(0, "Task timed out after 30.03 seconds")[1] == "error"
