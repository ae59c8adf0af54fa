"""The sandbox end to end: the real install, then events through every hop to entities.

Each test gets its own sandbox (its own moto account and Port emulator), with zero stack
delays. The forwarder's budget is 3 s (visibility 4 s), so a loaded machine does not turn
a healthy delivery into a retry; the dead-letter test uses 0.5 s (visibility 1 s), so its
retries and redrive happen within seconds.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from core.operations.install import Installer
from core.polling import Polling
from core.progress import ProgressEvent, StackEventSeen
from core.sandbox.environment import SandboxEnvironment, SandboxOptions
from core.sandbox.events import SAMPLES
from core.sandbox.flow import CHANGED, DEAD_LETTERED, REJECTED
from wizard.cli.sandbox import run_headless

FAST = SandboxOptions(resource_delay=0, stack_poll_seconds=0.02, visibility_timeout=1,
                      function_timeout=0.5, batching_window=0, seed=False)
ROOMY = dataclasses.replace(FAST, function_timeout=3.0, visibility_timeout=4)
EVENTS_ONLY = {"resync_schedule": "off"}  # these tests follow events; tests/test_resync.py the resync


@pytest.fixture
def sandbox() -> Iterator[SandboxEnvironment]:
    yield from installed_sandbox(ROOMY)


@pytest.fixture
def fast_failing_sandbox() -> Iterator[SandboxEnvironment]:
    yield from installed_sandbox(FAST)


def installed_sandbox(options: SandboxOptions) -> Iterator[SandboxEnvironment]:
    with SandboxEnvironment(options, flags=EVENTS_ONLY) as environment:
        events: list[ProgressEvent] = []
        assert environment.settings is not None
        Installer(environment.settings, environment.credentials, events.append,
                  polling=Polling(interval=0.02)).run()
        environment.install_events = events  # type: ignore[attr-defined]
        environment.start_flow()
        yield environment


def changes_by_event(sandbox: SandboxEnvironment) -> Counter[str | None]:
    assert sandbox.emulator is not None
    return Counter(change.request_id for change in sandbox.emulator.changes if change.source == "ingest")


def test_one_round_reaches_port_from_every_source_with_a_delete(sandbox: SandboxEnvironment) -> None:
    flow = sandbox.flow
    assert flow is not None
    sent = sandbox.send_events(flow.plan.round_size)
    assert {event.source for event in sent} == set(SAMPLES)  # every source type
    assert any(e.expected_entities and e.expected_entities[-1][1] == "delete" for e in sent)

    assert flow.wait_until_settled(20)
    outcomes = flow.outcomes()
    assert [o.state for o in outcomes] == [CHANGED if e.expect == "change" else REJECTED for e in sent]
    counted = changes_by_event(sandbox)
    for outcome in outcomes:  # each event changed exactly the entities its corpus case expects
        assert counted[outcome.event_id] == len(outcome.event.expected_entities), outcome.event.sample

    rows = {(row.blueprint, row.identifier) for row in sandbox.entities()}
    expected_present = {(b, i) for e in sent for b, op, i in e.expected_entities if op == "create"}
    deleted = {(b, i) for e in sent for b, op, i in e.expected_entities if op == "delete"}
    assert rows == expected_present - deleted
    assert deleted and not deleted & rows

    counters = sandbox.counters()
    assert (counters.put, counters.forwarded, counters.failed) == (len(sent), len(sent), 0)
    assert counters.dead_lettered == 0
    assert (counters.queued, counters.in_flight) == (0, 0)
    assert counters.entity_changes == sum(counted.values())
    assert counters.rejected == 1


def test_events_carry_the_account_and_the_forwarder_logs_to_cloudwatch(sandbox: SandboxEnvironment) -> None:
    flow = sandbox.flow
    assert flow is not None
    sandbox.send_events(1)
    assert flow.wait_until_settled(10)
    accounts = [row.identifier for row in sandbox.entities() if row.blueprint == "awsAccount"]
    assert accounts == [sandbox.account]
    logs = sandbox.aws_client("logs").filter_log_events(logGroupName=flow.deployment.log_group)
    lines = [event["message"] for event in logs["events"]]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert [record["result"] for record in records] == ["forwarded"]
    assert any(line.startswith("REPORT RequestId:") for line in lines)


def test_half_the_ingests_failing_for_a_while_loses_and_duplicates_nothing(
        sandbox: SandboxEnvironment) -> None:
    flow = sandbox.flow
    assert flow is not None
    sandbox.fail_ingest_for(2.0, 0.5)
    sent = sandbox.send_events(2 * flow.plan.round_size)

    assert flow.wait_until_settled(30)
    assert sandbox.emulator is not None
    assert any(request.status == 503 for request in sandbox.emulator.requests)  # the fault did hit
    counted = changes_by_event(sandbox)
    outcomes = flow.outcomes()
    assert len(outcomes) == len(sent)
    for outcome in outcomes:  # exactly once: never lost, never applied twice
        assert outcome.as_expected, (outcome.event.sample, outcome.state, outcome.detail)
        assert counted[outcome.event_id] == len(outcome.event.expected_entities)
    counters = sandbox.counters()
    assert counters.forwarded == len(sent)
    assert counters.dead_lettered == 0
    assert counters.ingest_refused == sum(1 for r in sandbox.emulator.requests if r.status == 503)
    assert counters.ingest_refused > 0  # what the panel shows when ingest is made to fail


def test_ingest_failing_for_good_moves_the_message_to_the_dead_letter_queue(
        fast_failing_sandbox: SandboxEnvironment) -> None:
    sandbox = fast_failing_sandbox
    flow = sandbox.flow
    assert flow is not None
    sandbox.fail_ingest_for(60, 1.0)
    [event] = sandbox.send_events(1)

    assert flow.wait_until_settled(20)
    [outcome] = flow.outcomes()
    assert outcome.state == DEAD_LETTERED and not outcome.as_expected
    max_receives = flow.deployment.max_receive_count
    assert max_receives == 5  # the template's redrive policy
    counters = sandbox.counters()
    assert (counters.received, counters.failed, counters.forwarded) == (max_receives, max_receives, 0)
    assert counters.entity_changes == 0

    deadline = time.monotonic() + 10  # SQS moves it on the first receive after the last allowed one
    while not sandbox.counters().dead_lettered and time.monotonic() < deadline:
        time.sleep(0.1)
    dlq_url = flow.deployment.dead_letter_queue_url
    moved = sandbox.aws_client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert [json.loads(message["Body"])["id"] for message in moved] == [outcome.event_id]
    assert json.loads(moved[0]["Body"])["detail-type"] == event.detail_type


def test_install_reports_every_stack_resource_in_dependency_order(sandbox: SandboxEnvironment) -> None:
    """Resync off: no ResyncRule (its Condition is false), as AWS leaves it out."""
    seen = [e for e in sandbox.install_events if isinstance(e, StackEventSeen)]  # type: ignore[attr-defined]
    completed = [e.logical_id for e in seen
                 if e.status == "CREATE_COMPLETE" and e.resource_type != "AWS::CloudFormation::Stack"]
    assert set(completed) == {"DeadLetterQueue", "Queue", "QueuePolicy", "DeadLetterQueuePolicy", "EventRule",
                              "LogGroup", "FunctionRole", "Function", "EventSourceMapping",
                              "WebhookSecret", "DeadLetterAlarm", "ErrorAlarm"}  # no AlarmTopic: no e-mail
    for first, then in [("DeadLetterQueue", "Queue"), ("FunctionRole", "Function"), ("LogGroup", "Function"),
                        ("Function", "EventSourceMapping"), ("Queue", "EventSourceMapping"),
                        ("WebhookSecret", "Function"), ("Function", "ErrorAlarm")]:
        assert completed.index(first) < completed.index(then)
    for logical_id in completed:
        statuses = [e.status for e in seen if e.logical_id == logical_id]
        assert statuses[0] == "CREATE_IN_PROGRESS" and statuses[-1] == "CREATE_COMPLETE"
    assert seen[-1].status == "CREATE_COMPLETE" and seen[-1].resource_type == "AWS::CloudFormation::Stack"


def test_headless_command_prints_counters_and_entities_and_exits_0() -> None:
    """As `./run sandbox` runs: resources already in moto arrive through the first resync."""
    out = io.StringIO()
    options = dataclasses.replace(ROOMY, seed=True)
    code = run_headless(None, {"event_sources": "aws.ec2,aws.s3"}, 4, 30, options, out=out)
    text = out.getvalue()
    assert code == 0, text
    assert "Stack events:" in text and "CREATE_COMPLETE        Function (AWS::Lambda::Function)" in text
    assert "Already in AWS before the install: 3 EC2 instances; S3 buckets sandbox-assets-" in text
    assert "first resync started" in text
    assert "forwarded to Port" in text
    assert "OK: all 4 events ended as entity changes or filter rejections" in text
    assert "First resync (run " in text and "6 existing resources sent to Port in 3 pieces" in text
    entities = text.split("Entities in Port (7):")[1]  # the output ends with the entity table
    blueprints = [line.split()[0] for line in entities.strip().splitlines()[2:]]
    assert sorted(blueprints) == ["awsAccount", "ec2Instance", "ec2Instance", "ec2Instance",
                                  "s3Bucket", "s3Bucket", "s3Bucket"]
    assert "arn:aws:s3:::example-logs-bucket" in entities  # from an event
    assert "arn:aws:s3:::sandbox-assets-" in entities  # from the first resync
    assert "i-1234567890abcdef0" not in entities  # created, then terminated


def test_headless_command_exits_1_when_an_event_does_not_arrive() -> None:
    out = io.StringIO()
    code = run_headless(None, {"event_sources": "aws.ec2", **EVENTS_ONLY}, 1, 2, FAST, fail_ratio=1.0,
                        fail_seconds=60, out=out)
    assert code == 1
    assert "FAILED: 1 of 1 events did not end as expected." in out.getvalue()
