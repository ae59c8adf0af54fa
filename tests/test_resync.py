"""The resync inside the stack, on moto and the Port emulator, running the template's own code.

The sandbox (core/sandbox/) installs for real, and its runner invokes the forwarder code
read back from the deployed function for every queue message, as Lambda's event source
mapping would. moto never fires a schedule: "firing the schedule" here is what
EventBridge does, the deployed rule's target Input (ListTargetsByRule) put on its queue
(core/sandbox/schedule.py). The installs without the sandbox run on the shared moto server.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from core.config.credentials import PortCredentials
from core.config.resync_schedule import schedule_problem
from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from core.lambda_code import forwarder
from core.lambda_code.resync import resync_message
from core.operations.install import Installer
from core.operations.resync_status import ResyncRun, schedule_rule
from core.polling import Polling
from core.port.client import PortClient
from core.port.setup import PortSetup
from core.sandbox import flow as sandbox_flow
from core.sandbox.environment import SandboxEnvironment, SandboxOptions
from core.sandbox.schedule import fire_schedule
from tests.support.forwarder_sink import LambdaContext
from tests.support.moto_server import unique_name
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, UNREACHABLE_PORT_ENV
from wizard.cli.install import run_console_install
from wizard.cli.logs import main as logs_main
from wizard.cli.status import main as status_main

OPTIONS = SandboxOptions(resource_delay=0, stack_poll_seconds=0.02, visibility_timeout=4,
                         function_timeout=3.0, batching_window=0, seed=True)
SOURCES = {"event_sources": "aws.ec2,aws.s3,aws.sqs,aws.ecs"}


def install(sandbox: SandboxEnvironment) -> None:
    assert sandbox.settings is not None
    Installer(sandbox.settings, sandbox.credentials, lambda _event: None,
              polling=Polling(interval=0.02)).run()


def wait_for_run(sandbox: SandboxEnvironment, other_than: str = "", timeout: float = 30) -> ResyncRun:
    """The newest finished resync run (not `other_than`), once the queue is drained."""
    flow = sandbox.flow
    assert flow is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = flow.resync_log().last
        if last is not None and last.run != other_than and flow.settled():
            return last
        time.sleep(0.2)
    raise AssertionError(f"no resync run finished within {timeout}s: {flow.counters()}")


def entities(sandbox: SandboxEnvironment, blueprint: str) -> set[str]:
    assert sandbox.emulator is not None
    return set(sandbox.emulator.store.entities.get(blueprint, {}))


def instance_ids(sandbox: SandboxEnvironment) -> set[str]:
    reservations = sandbox.aws_client("ec2").describe_instances()["Reservations"]
    return {i["InstanceId"] for r in reservations for i in r["Instances"]}


@pytest.fixture
def resynced() -> Iterator[SandboxEnvironment]:
    """Installed over resources that already exist; the install's first resync has finished."""
    with SandboxEnvironment(OPTIONS, flags=SOURCES) as sandbox:
        install(sandbox)
        sandbox.start_flow()
        sandbox.first_run = wait_for_run(sandbox)  # type: ignore[attr-defined]
        yield sandbox


def test_resources_that_exist_before_the_install_are_entities_after_its_first_resync_as_status_shows(
        resynced: SandboxEnvironment) -> None:
    sandbox = resynced
    account = sandbox.account
    assert sandbox.emulator is not None
    first: ResyncRun = sandbox.first_run  # type: ignore[attr-defined]

    assert entities(sandbox, "ec2Instance") == instance_ids(sandbox) and len(instance_ids(sandbox)) == 3
    assert entities(sandbox, "s3Bucket") == {f"arn:aws:s3:::sandbox-assets-{account}",
                                             f"arn:aws:s3:::sandbox-logs-{account}"}
    assert f"arn:aws:sqs:us-east-1:{account}:sandbox-orders" in entities(sandbox, "sqsQueue")
    assert entities(sandbox, "ecsCluster") == {f"arn:aws:ecs:us-east-1:{account}:cluster/sandbox-cluster"}
    assert entities(sandbox, "awsAccount") == {account}
    # No `sync`, no event: every ingest request came from the forwarder's resync pieces.
    request_ids = [record.request_id for record in sandbox.emulator.ingest_log]
    assert request_ids and all(rid.startswith(f"resync-{first.run}-") for rid in request_ids)
    assert first.trigger == "install" and first.errors == []
    assert first.counts == {"AWS::Account::Info": 1, "AWS::S3::Bucket": 2, "AWS::EC2::Instance": 3,
                            "AWS::ECS::Cluster": 1, "AWS::SQS::Queue": 3}  # with the stack's 2 queues
    assert first.resources == 10 and first.pieces == 5  # one page of each kind

    # `status` and `logs --resync` show it.
    out = io.StringIO()
    status_main([], environ=sandbox.environ, out=out, err=io.StringIO())

    line = next(text for text in out.getvalue().splitlines() if "Last resync" in text)
    assert line.lstrip().startswith("ok")
    assert f"{first.finished} (" in line and "10 resources" in line and "0 error(s)" in line
    assert "schedule rate(6 hours)" in line
    out = io.StringIO()
    status_main(["--json"], environ=sandbox.environ, out=out, err=io.StringIO())
    check = next(c for c in json.loads(out.getvalue())["checks"] if c["name"] == "Last resync")
    assert check["data"]["lastResync"]["resources"] == 10
    assert check["data"]["lastResync"]["counts"]["AWS::EC2::Instance"] == 3
    assert check["data"]["schedule"] == "rate(6 hours)"

    out = io.StringIO()
    assert logs_main(["--resync", "--since", "10m"], environ=sandbox.environ, out=out,
                     err=io.StringIO()) == 0
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["RESYNC"] * 5 + ["RESYNCED"]
    assert "kind=AWS::EC2::Instance listed=3 sent=3" in out.getvalue()
    assert f"run={first.run} resources=10" in lines[-1]


def test_firing_the_schedule_restores_deleted_entities_and_adds_new_resources(
        resynced: SandboxEnvironment) -> None:
    sandbox = resynced
    first: ResyncRun = sandbox.first_run  # type: ignore[attr-defined]
    gone_instance = sorted(entities(sandbox, "ec2Instance"))[0]
    gone_bucket = f"arn:aws:s3:::sandbox-logs-{sandbox.account}"
    with PortClient(sandbox.port_base_url, sandbox.credentials) as port:
        assert port.delete_entity("ec2Instance", gone_instance)
        assert port.delete_entity("s3Bucket", gone_bucket)
    ec2 = sandbox.aws_client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    new_instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    sandbox.aws_client("s3").create_bucket(Bucket=f"added-later-{sandbox.account}")
    flow = sandbox.flow
    assert flow is not None

    sent = fire_schedule(sandbox.aws_client("events"), sandbox.aws_client("sqs"),
                         flow.deployment.queue_arn)

    assert len(sent) == 1  # the rule's one target: the event queue
    second = wait_for_run(sandbox, other_than=first.run)
    assert second.trigger == "schedule" and second.errors == []
    assert gone_instance in entities(sandbox, "ec2Instance")
    assert new_instance in entities(sandbox, "ec2Instance")
    assert gone_bucket in entities(sandbox, "s3Bucket")
    assert f"arn:aws:s3:::added-later-{sandbox.account}" in entities(sandbox, "s3Bucket")
    assert second.counts["AWS::EC2::Instance"] == 4 and second.counts["AWS::S3::Bucket"] == 3


def test_a_large_resync_goes_in_pieces_within_the_timeout_and_survives_a_port_outage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Smaller pages than the deployed code's (same code otherwise), so a few dozen resources
    take several pieces; Port refuses ingest for longer than a piece's budget at the start."""
    loader = sandbox_flow.moto_fidelity.deployed_function_code

    def small_pages(account: str, region: str, name: str) -> str:
        code = loader(account, region, name)
        assert "PIECE_DEFAULT = 200" in code and '"AWS::EC2::Instance": 50' in code
        return code.replace("PIECE_DEFAULT = 200", "PIECE_DEFAULT = 8").replace(
            '"AWS::EC2::Instance": 50', '"AWS::EC2::Instance": 3')

    monkeypatch.setattr(sandbox_flow.moto_fidelity, "deployed_function_code", small_pages)
    flags = {"event_sources": "aws.ec2,aws.s3"}
    options = dataclasses.replace(OPTIONS, seed=False, function_timeout=1.5, visibility_timeout=2)
    with SandboxEnvironment(options, flags=flags) as sandbox:
        ec2, s3 = sandbox.aws_client("ec2"), sandbox.aws_client("s3")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        for _ in range(7):  # seven reservations: EC2 pages count reservations
            ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)
        for number in range(20):
            s3.create_bucket(Bucket=f"bulk-{number:02d}-{sandbox.account}")
        install(sandbox)
        flow = sandbox.start_flow()
        flow.fail_ingest_for(2.0, 1.0)  # longer than one piece's 1.5 s: the piece goes back to SQS

        run = wait_for_run(sandbox, timeout=60)

        assert run.errors == []
        assert run.counts == {"AWS::Account::Info": 1, "AWS::EC2::Instance": 14, "AWS::S3::Bucket": 20}
        assert run.pieces == 1 + 3 + 3  # account; 7 reservations by 3; 20 buckets by 8
        assert entities(sandbox, "ec2Instance") == instance_ids(sandbox)
        assert len(entities(sandbox, "s3Bucket")) == 20
        counters = flow.counters()
        assert counters.resync_failed >= 1 and counters.dead_lettered == 0  # retried by SQS
        messages = [e["message"] for e in sandbox.aws_client("logs").filter_log_events(
            logGroupName=flow.deployment.log_group)["events"]]
        assert not any("Task timed out" in message for message in messages)
        pieces = [json.loads(m) for m in messages if m.startswith('{"resync"') and '"piece"' in m]
        assert max(p.get("listed", 0) for p in pieces if p["kind"] == "AWS::S3::Bucket") == 8
        assert any(p["result"] == "failed" for p in pieces)


# ---- installs on the shared moto server (no runner: moto runs no Lambda) ----------------
def console_install(port_env: dict[str, str], aws_endpoint: str, **flags: str) -> tuple[dict[str, str], str]:
    names = {"stack_name": unique_name("port-aws"), "queue_name": unique_name("events"),
             "lambda_function_name": unique_name("forwarder"), "event_sources": "aws.ec2,aws.s3"}
    out, err = io.StringIO(), io.StringIO()
    code = run_console_install(None, {**names, **flags}, {**port_env, "AWS_ENDPOINT_URL": aws_endpoint},
                               out, err)
    assert code == 0, err.getvalue()
    return names, out.getvalue()


def queue_arn(aws_client: Callable[..., Any], queue_name: str) -> str:
    sqs = aws_client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queued_bodies(aws_client: Callable[..., Any], queue_name: str) -> list[str]:
    sqs = aws_client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   VisibilityTimeout=0).get("Messages", [])
    return [message["Body"] for message in messages]


def test_the_install_creates_an_enabled_schedule_and_queues_the_first_resync(
        port_env: dict[str, str], aws_endpoint: str, aws_client: Callable[..., Any]) -> None:
    names, out = console_install(port_env, aws_endpoint, resync_schedule="cron(0 3 * * ? *)")

    rule = schedule_rule(aws_client("events"), queue_arn(aws_client, names["queue_name"]))
    assert rule is not None and rule["State"] == "ENABLED"
    assert rule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    (target,) = aws_client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Input"] == resync_message("schedule")
    assert queued_bodies(aws_client, names["queue_name"]) == [resync_message("install")]
    assert "first resync started" in out and "Port should have every existing resource within about" in out


def test_resync_schedule_off_leaves_no_schedule_and_queues_nothing(
        port_env: dict[str, str], aws_endpoint: str, aws_client: Callable[..., Any]) -> None:
    names, out = console_install(port_env, aws_endpoint, resync_schedule="off")

    arn = queue_arn(aws_client, names["queue_name"])
    assert schedule_rule(aws_client("events"), arn) is None
    assert len(aws_client("events").list_rule_names_by_target(TargetArn=arn)["RuleNames"]) == 1  # events
    assert queued_bodies(aws_client, names["queue_name"]) == []
    assert "resync is off (--resync-schedule off)" in out and "port-aws-wizard sync" in out


@pytest.mark.parametrize("schedule", ["rate(6 hour)", "rate(1 hours)", "rate(0 minutes)", "rate(6h)",
                                      "cron(0 3 * * * *)", "cron(0 3 * * ?)", "every 6 hours", "Off"])
def test_a_bad_schedule_exits_2_with_the_accepted_forms_before_anything_is_touched(
        schedule: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli.main import main

    # Nothing listens there: a Port or AWS call would fail otherwise than with exit 2.
    for name, value in {**UNREACHABLE_PORT_ENV, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(name, value)

    code = main(["--no-tui", "--resync-schedule", schedule])

    err = capsys.readouterr().err
    assert code == 2
    (line,) = [text for text in err.splitlines() if "resync schedule" in text]
    assert f"resync schedule {schedule!r} is invalid" in line
    assert "rate(N minutes|hours|days)" in line and "cron(" in line and "or off" in line


@pytest.mark.parametrize("schedule", ["rate(1 minute)", "rate(6 hours)", "rate(7 days)", "off",
                                      "cron(0 3 * * ? *)", "cron(0/15 8-17 ? * MON-FRI *)",
                                      "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? 2027)"])
def test_eventbridge_schedule_expressions_are_accepted(schedule: str) -> None:
    assert schedule_problem(schedule) is None


def test_off_in_an_answers_file_is_off_not_false(tmp_path: Any) -> None:
    from wizard.cli.install import build_settings

    answers = tmp_path / "answers.yml"
    answers.write_text("resync_schedule: off\n")  # YAML 1.1 reads a bare off as false

    settings, _secrets = build_settings(str(answers), {}, {})

    assert settings.resync_schedule == "off"



def test_a_kind_the_role_may_not_list_is_reported_and_the_run_goes_on(
        port_emulator: PortEmulator, aws_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS denies ecs:ListClusters (a role without it): the piece notes it and queues the next kind."""
    credentials = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)
    settings = InstallSettings(port_base_url=port_emulator.base_url)
    with PortClient(port_emulator.base_url, credentials) as port:
        PortSetup(port, settings, lambda _event: None).run(write=True)
        hook = port.get_webhook("aws_ingest")
    assert hook is not None
    sqs = aws_client("sqs")
    queue_url = sqs.create_queue(QueueName=unique_name("resync"))["QueueUrl"]
    for name, value in {"PORT_WEBHOOK_URL": hook["url"], "PORT_WEBHOOK_SECRET": hook["security"]["secret"],
                        "PORT_QUEUE_URL": queue_url}.items():
        monkeypatch.setenv(name, value)
    ecs = aws_client("ecs")
    denied = Stubber(ecs)
    denied.add_client_error("list_clusters", "AccessDeniedException",
                            "User is not authorized to perform: ecs:ListClusters")
    denied.activate()
    monkeypatch.setattr(forwarder, "_client_factory", lambda region: lambda service: (
        ecs if service == "ecs" else aws_client(service, region)))
    request = {"trigger": "schedule", "run": "r1", "started": time.time(), "piece": 1, "counts": {},
               "requests": 0, "errors": [], "kinds": ["AWS::ECS::Cluster", "AWS::SQS::Queue"]}
    record = {"messageId": "m-1", "body": json.dumps({"portAwsResync": request}), "awsRegion": "us-east-1",
              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:port-aws-events-queue"}

    assert forwarder.handler({"Records": [record]}, LambdaContext(10)) == {"batchItemFailures": []}

    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    following = json.loads(message["Body"])["portAwsResync"]
    assert following["kinds"] == ["AWS::SQS::Queue"] and following["piece"] == 2
    (error,) = following["errors"]
    assert error.startswith("AWS::ECS::Cluster: ") and "AccessDeniedException" in error
