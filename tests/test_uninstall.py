"""`port-aws-wizard uninstall` on a real install (moto's server, the Port emulator), and a
DELETE_FAILED stack (botocore Stubber: moto never fails a delete)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from core.errors import StackDeployError
from core.operations.uninstall import Uninstaller
from core.polling import Polling
from core.progress import ProgressEvent, StackEventSeen, StackSettled
from tests.support.installed import Installed, run
from tests.support.port import PortClientFor
from wizard.cli.uninstall import main as uninstall_main

ALL_BLUEPRINTS = {"awsAccount", "s3Bucket", "ec2Instance", "ecsCluster", "rdsDbInstance",
                  "lambdaFunction", "sqsQueue", "eksCluster"}


def stack_exists(aws_client: Callable[..., Any], name: str) -> bool:
    return any(s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"
               for s in aws_client("cloudformation").list_stacks()["StackSummaries"])


def port_state(emulator: PortEmulator) -> tuple[set[str], set[str], set[str]]:
    store = emulator.store
    with store.lock:
        return set(store.webhooks), set(store.integrations), set(store.blueprints)


def test_uninstall_removes_the_stack_and_port_objects_keeping_blueprints_in_use(
    installed: Installed, port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    with PortClientFor(port_emulator) as client:
        client.upsert_entity("awsAccount", {"identifier": "123456789012", "title": "prod"})
        client.upsert_entity("ec2Instance", {"identifier": "i-0abc", "title": "web",
                                             "relations": {"account": "123456789012"}})
    args = [*installed.args, "--remove-port-resources", "--delete-blueprints", "--yes"]

    code, out, err = run(uninstall_main, args, installed.env)

    assert code == 0, err
    assert (f"delete aws  stack       {installed.stack_name}  (CREATE_COMPLETE; removes 2 SQS::Queue, "
            "2 Events::Rule, 1 Logs::LogGroup") in out  # the event rule and the resync schedule
    assert "DELETE_COMPLETE" in out and f"[ok] stack {installed.stack_name}: deleted" in out
    assert "[ok] webhook aws_ingest: deleted" in out
    assert "[ok] integration aws-serverless: deleted" in out
    assert ("Kept blueprint ec2Instance: 1 entity still in it (from other sources or ingested "
            "earlier); delete them in Port to remove the blueprint") in out
    assert "Kept blueprint awsAccount: 1 entity still in it" in out
    assert not stack_exists(aws_client, installed.stack_name)
    webhooks, integrations, blueprints = port_state(port_emulator)
    assert "aws_ingest" not in webhooks and "aws-serverless" not in integrations
    assert blueprints == {"awsAccount", "ec2Instance"}

    code, out, _err = run(uninstall_main, args, installed.env)

    assert code == 0
    assert out.startswith(f"Nothing to remove:\n  stack {installed.stack_name}: not found in us-east-1")
    assert "  webhook aws_ingest: not found: nothing to delete" in out


def test_a_blueprint_others_relate_to_is_kept_and_says_which(
    installed: Installed, port_emulator: PortEmulator
) -> None:
    with PortClientFor(port_emulator) as client:
        client.create_blueprint({"identifier": "team", "title": "Team", "schema": {"properties": {}},
                                 "relations": {"aws": {"target": "awsAccount", "required": False,
                                                       "many": False, "title": "AWS"}}})
    args = [*installed.args, "--remove-port-resources", "--delete-blueprints", "--yes"]

    code, out, _err = run(uninstall_main, args, installed.env)

    assert code == 0
    assert "Kept blueprint awsAccount: blueprint(s) team relate to it and stay" in out
    assert port_state(port_emulator)[2] == {"awsAccount", "team"}


def test_dry_run_shows_the_plan_and_changes_nothing(
    installed: Installed, port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    before = port_state(port_emulator)
    args = [*installed.args, "--remove-port-resources", "--delete-blueprints", "--dry-run"]

    code, out, _err = run(uninstall_main, args, installed.env)

    assert code == 0
    assert out.startswith("Plan:")
    assert "delete port webhook     aws_ingest" in out
    assert "delete port integration aws-serverless" in out
    assert "delete port blueprint   ec2Instance  (no entities)" in out
    assert out.rstrip().endswith("Dry run: nothing was deleted.")
    assert stack_exists(aws_client, installed.stack_name)
    assert port_state(port_emulator) == before


def test_by_default_port_objects_are_kept(
    installed: Installed, port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    before = port_state(port_emulator)

    code, out, _err = run(uninstall_main, [*installed.args, "--yes"], installed.env)

    assert code == 0
    assert "keep   port webhook, integration and blueprints (--remove-port-resources)" in out
    assert not stack_exists(aws_client, installed.stack_name)
    assert port_state(port_emulator) == before


def test_uninstall_asks_first_and_needs_port_credentials_to_delete_port_objects(
    installed: Installed, aws_client: Callable[..., Any]
) -> None:
    code, _out, err = run(uninstall_main, installed.args, installed.env)  # no terminal, no --yes
    assert code == 2 and "pass --yes" in err

    env = {k: v for k, v in installed.env.items() if not k.startswith("PORT_CLIENT")}
    code, _out, err = run(uninstall_main, [*installed.args, "--remove-port-resources", "--yes"], env)
    assert code == 2 and "PORT_CLIENT_ID" in err
    assert stack_exists(aws_client, installed.stack_name)


class StubbedAws:
    """AwsClients stand-in handing out one stubbed CloudFormation client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, service: str, *_args: Any) -> Any:
        assert service == "cloudformation"
        return self.client


def stack_event(event_id: str, logical_id: str, resource_type: str, status: str, reason: str = "",
                second: int = 0) -> dict[str, Any]:
    return {"StackId": STACK_ID, "EventId": event_id, "StackName": "port-aws-serverless",
            "LogicalResourceId": logical_id, "ResourceType": resource_type,
            "Timestamp": datetime(2026, 11, 25, 0, 0, second, tzinfo=UTC), "ResourceStatus": status,
            "ResourceStatusReason": reason}


STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/port-aws-serverless/1"
STACK = "AWS::CloudFormation::Stack"


def test_delete_failed_names_each_failing_resource_and_the_way_out() -> None:
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    stack = {"StackName": "port-aws-serverless", "StackId": STACK_ID,
             "CreationTime": datetime(2026, 11, 24, tzinfo=UTC)}
    old = stack_event("e0", "port-aws-serverless", STACK, "CREATE_COMPLETE")
    failing = [
        stack_event("e3", "port-aws-serverless", STACK, "DELETE_FAILED",
                    "The following resource(s) failed to delete: [DeadLetterQueue, Function]", 9),
        stack_event("e2", "Function", "AWS::Lambda::Function", "DELETE_FAILED",
                    "User is not authorized to perform lambda:DeleteFunction", 8),
        stack_event("e1", "DeadLetterQueue", "AWS::SQS::Queue", "DELETE_FAILED",
                    "Access to the resource is denied", 7),
        stack_event("e4", "EventRule", "AWS::Events::Rule", "DELETE_COMPLETE", "", 5),
        stack_event("e5", "port-aws-serverless", STACK, "DELETE_IN_PROGRESS", "User Initiated", 1),
        old,
    ]
    stubber.add_response("describe_stacks", {"Stacks": [{**stack, "StackStatus": "CREATE_COMPLETE"}]})
    stubber.add_response("list_stack_resources", {"StackResourceSummaries": [{
        "LogicalResourceId": "DeadLetterQueue", "ResourceType": "AWS::SQS::Queue",
        "LastUpdatedTimestamp": datetime(2026, 11, 24, tzinfo=UTC), "ResourceStatus": "CREATE_COMPLETE"}]})
    stubber.add_response("describe_stack_events", {"StackEvents": [old]})
    stubber.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubber.add_response("describe_stack_events", {"StackEvents": failing})
    stubber.add_response("describe_stacks", {"Stacks": [{**stack, "StackStatus": "DELETE_FAILED"}]})
    stubber.add_response("describe_stack_events", {"StackEvents": failing})
    events: list[ProgressEvent] = []
    uninstaller = Uninstaller(InstallSettings(), None, events.append, aws=StubbedAws(client),
                              polling=Polling(sleep=lambda _s: None))

    with stubber:
        plan = uninstaller.plan()
        assert plan.items[0].detail == "CREATE_COMPLETE; removes 1 SQS::Queue"
        with pytest.raises(StackDeployError) as raised:
            uninstaller.run(plan)

    message = str(raised.value)
    assert message.startswith("the stack port-aws-serverless is DELETE_FAILED: "
                              "DeadLetterQueue (AWS::SQS::Queue): Access to the resource is denied; "
                              "Function (AWS::Lambda::Function): User is not authorized")
    assert "--retain-resources DeadLetterQueue Function --region us-east-1" in message
    seen = [e.status for e in events if isinstance(e, StackEventSeen)]
    assert seen == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED", "DELETE_FAILED",
                    "DELETE_FAILED"]
    settled = [e for e in events if isinstance(e, StackSettled)]
    assert settled[0].first_failure.startswith("DeadLetterQueue (AWS::SQS::Queue)")
    assert not settled[0].succeeded
