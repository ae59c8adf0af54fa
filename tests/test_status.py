"""`port-aws-wizard status` against a real install on moto's server and the Port emulator."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from core.aws.stacks import parse_list_parameter
from core.emulator import PortEmulator
from tests.support.installed import SOURCES, Installed, run
from tests.support.moto_server import unique_name
from tests.support.port import PortClientFor
from wizard.cli.install import run_console_install
from wizard.cli.status import main as status_main


def line_of(output: str, check: str) -> str:
    """The status line of one check (its name column), with the lines that explain it."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line[8:].startswith(check):
            block = [line]
            block += [more for more in lines[index + 1:index + 3] if more.startswith(" " * 9)]
            return "\n".join(block)
    raise AssertionError(f"no {check!r} line in:\n{output}")


@pytest.fixture
def trail(aws_client: Callable[..., Any]) -> str:
    """A logging multi-region trail, as API-call events need."""
    bucket = unique_name("trail-bucket")
    aws_client("s3").create_bucket(Bucket=bucket)
    cloudtrail = aws_client("cloudtrail")
    name = unique_name("trail")
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name=name)
    yield name
    cloudtrail.delete_trail(Name=name)


def test_a_healthy_install_passes_every_check(installed: Installed, trail: str) -> None:
    code, out, _err = run(status_main, installed.args, installed.env)

    assert code == 0, out
    assert "All checks passed." in out
    assert "ENABLED -> " + installed.queue_name in line_of(out, "EventBridge rule")
    assert "3 source(s): aws.ec2, aws.s3, aws.lambda" in line_of(out, "Rule event sources")
    assert "1 of 1 trail(s) logging" in line_of(out, "CloudTrail")
    # The install's first resync request waits there (moto runs no Lambda to take it).
    assert "1 waiting, 0 in flight" in line_of(out, "Queue")
    assert "0 messages" in line_of(out, "Dead-letter queue")
    assert "Enabled" in line_of(out, "Event source mapping")
    assert "0 invocations, 0 errors, 0 throttles" in line_of(out, "Lambda last hour")
    assert "enabled, " in line_of(out, "Port webhook")
    assert "8 of 8 present" in line_of(out, "Port blueprints")
    assert "none finished in the last 24h; schedule rate(6 hours)" in line_of(out, "Last resync")


def test_a_broken_install_names_each_fault_and_exits_1(
    installed: Installed, trail: str, port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    events, sqs = aws_client("events"), aws_client("sqs")
    rule = next(name for name in events.list_rule_names_by_target(
        TargetArn=f"arn:aws:sqs:us-east-1:123456789012:{installed.queue_name}")["RuleNames"]
        if "EventPattern" in events.describe_rule(Name=name))  # not the resync schedule
    events.disable_rule(Name=rule)
    dlq_url = sqs.get_queue_url(QueueName=f"{installed.queue_name}-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody='{"detail-type": "x", "source": "aws.ec2"}')
    with PortClientFor(port_emulator) as client:
        assert client.delete_webhook("aws_ingest")

    code, out, _err = run(status_main, installed.args, installed.env)

    assert code == 1
    rule_line = line_of(out, "EventBridge rule")
    assert rule_line.lstrip().startswith("FAIL") and "DISABLED" in rule_line
    assert f"aws events enable-rule --name {rule}" in rule_line
    dlq_line = line_of(out, "Dead-letter queue")
    assert dlq_line.lstrip().startswith("FAIL") and "1 message(s)" in dlq_line
    assert f"port-aws-wizard redrive --stack-name {installed.stack_name}" in dlq_line
    webhook_line = line_of(out, "Port webhook")
    assert webhook_line.lstrip().startswith("FAIL") and "not found" in webhook_line
    assert "3 of 16 checks failed: EventBridge rule, Dead-letter queue, Port webhook" in out

    code, out, _err = run(status_main, [*installed.args, "--json"], installed.env)
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert {c["name"] for c in report["checks"] if not c["ok"]} == {
        "EventBridge rule", "Dead-letter queue", "Port webhook"}


def test_status_shows_the_alarms_state_and_where_the_webhook_secret_lives(
    installed: Installed, trail: str, aws_client: Callable[..., Any]
) -> None:
    code, out, _err = run(status_main, installed.args, installed.env)
    assert code == 0, out
    alarms = line_of(out, "Alarms")
    assert alarms.lstrip().startswith("ok") and "dead letters OK, function errors OK; not mailed" in alarms
    secret = line_of(out, "Webhook secret")
    assert secret.lstrip().startswith("ok") and "in Secrets Manager" in secret
    assert "at most 5 at once" in line_of(out, "Event source mapping")

    # What CloudWatch does once the dead-letter queue has held messages for a period.
    aws_client("cloudwatch").set_alarm_state(AlarmName=f"{installed.stack_name}-dead-letters",
                                             StateValue="ALARM", StateReason="1 message visible")
    code, out, _err = run(status_main, installed.args, installed.env)

    assert code == 1
    alarms = line_of(out, "Alarms")
    assert alarms.lstrip().startswith("FAIL") and "dead letters ALARM" in alarms
    assert "port-aws-wizard redrive" in alarms


def test_alarm_email_and_concurrency_reach_the_stack_and_status(
    port_env: dict[str, str], aws_endpoint: str, trail: str, aws_client: Callable[..., Any]
) -> None:
    env = {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}
    installed = Installed(env, unique_name("port-aws"), unique_name("events"), unique_name("forwarder"))
    flags = {"stack_name": installed.stack_name, "queue_name": installed.queue_name,
             "lambda_function_name": installed.function_name, "event_sources": ",".join(SOURCES),
             "alarm_email": "ops@example.com", "lambda_max_concurrency": "7"}
    out, err = io.StringIO(), io.StringIO()
    assert run_console_install(None, flags, env, out, err) == 0, err.getvalue()

    code, out, _err = run(status_main, installed.args, installed.env)

    assert code == 0, out
    assert "at most 7 at once" in line_of(out, "Event source mapping")
    assert "; mailed" in line_of(out, "Alarms")
    alarm = aws_client("cloudwatch").describe_alarms(
        AlarmNames=[f"{installed.stack_name}-dead-letters"])["MetricAlarms"][0]
    [topic] = alarm["AlarmActions"]
    endpoints = [s["Endpoint"] for s in aws_client("sns").list_subscriptions_by_topic(
        TopicArn=topic)["Subscriptions"]]
    assert endpoints == ["ops@example.com"]


def test_without_port_credentials_port_checks_are_skipped_not_failed(
    installed: Installed, trail: str
) -> None:
    env = {k: v for k, v in installed.env.items() if not k.startswith("PORT_CLIENT")}

    code, out, _err = run(status_main, [*installed.args, "--json"], env)

    report = json.loads(out)
    port = [c for c in report["checks"] if c["name"].startswith("Port")]
    assert code == 0 and report["ok"] is True
    assert [c["skipped"] for c in port] == [True, True, True]
    assert all("PORT_CLIENT_ID" in c["figure"] for c in port)


def test_the_forwarders_last_error_lines_are_shown(
    installed: Installed, trail: str, aws_client: Callable[..., Any]
) -> None:
    logs, group = aws_client("logs"), f"/aws/lambda/{installed.function_name}"
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    ok = {"messageId": "m-0", "eventId": "e-0", "status": 200, "attempts": 1, "result": "forwarded"}
    failed = {"messageId": "m-1", "eventId": "e-1", "status": 503, "attempts": 6, "error": "HTTP 503",
              "result": "failed", "latencyMs": 9000.0}
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - 2000, "message": json.dumps(ok)},
        {"timestamp": now - 1000, "message": json.dumps(failed)}])

    code, out, _err = run(status_main, installed.args, installed.env)

    errors = line_of(out, "Lambda error lines")
    assert code == 1
    assert "FAIL" in errors and "1 in the last hour" in errors
    assert "FAILED    message=m-1 event=e-1 status=503 attempts=6 latency=9000.0ms error=HTTP 503" in errors


def test_no_trail_and_a_drifted_rule_are_reported(
    installed: Installed, aws_client: Callable[..., Any]
) -> None:
    events = aws_client("events")
    rule = next(name for name in events.list_rule_names_by_target(
        TargetArn=f"arn:aws:sqs:us-east-1:123456789012:{installed.queue_name}")["RuleNames"]
        if "EventPattern" in events.describe_rule(Name=name))  # not the resync schedule
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.ec2"]}), State="ENABLED")

    code, out, _err = run(status_main, installed.args, installed.env)

    assert code == 1
    sources = line_of(out, "Rule event sources")
    assert "FAIL" in sources and "missing aws.s3, aws.lambda" in sources
    trail_line = line_of(out, "CloudTrail")
    assert trail_line.lstrip().startswith("FAIL") and "0 of " in trail_line
    assert "aws cloudtrail create-trail" in trail_line


def test_event_sources_given_on_the_command_line_are_what_the_rule_must_match(
    installed: Installed
) -> None:
    code, out, _err = run(status_main, [*installed.args, "--event-sources", "aws.ec2,aws.rds"],
                          installed.env)

    sources = line_of(out, "Rule event sources")
    assert code == 1
    assert ("the rule does not match --event-sources "
            "(missing aws.rds; not selected: aws.s3, aws.lambda)") in sources


def test_cloudtrail_is_not_required_when_only_service_events_are_selected(
    installed: Installed
) -> None:
    _code, out, _err = run(status_main, [*installed.args, "--event-sources", "aws.ec2"], installed.env)

    trail_line = line_of(out, "CloudTrail")
    assert not trail_line.lstrip().startswith("FAIL")
    assert "not needed" in trail_line


def test_status_of_a_stack_that_is_not_there(port_env: dict[str, str], aws_endpoint: str) -> None:
    env = {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}
    name = unique_name("missing")

    code, out, err = run(status_main, ["--stack-name", name, "--queue-name", name], env)

    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"error: no stack {name} in region us-east-1: install first; install with `port-aws-wizard "
        f"--stack-name {name} --aws-region us-east-1`, or pass the --stack-name / --aws-region / "
        "--aws-profile of your install"]

    code, out, _err = run(status_main, ["--stack-name", name, "--queue-name", name, "--json"], env)
    assert code == 1
    assert [check["figure"] for check in json.loads(out)["checks"]] == ["not installed"]


@pytest.mark.parametrize(("shown", "expected"), [
    ("['aws.ec2', 'aws.s3']", ("aws.ec2", "aws.s3")),  # moto's repr
    ("aws.ec2,aws.s3", ("aws.ec2", "aws.s3")),  # AWS
    ("aws.ec2", ("aws.ec2",)),
])
def test_event_sources_parameter_is_read_as_aws_and_moto_show_it(
    shown: str, expected: tuple[str, ...]
) -> None:
    assert parse_list_parameter(shown) == expected
