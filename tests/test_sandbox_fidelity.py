"""moto as the sandbox extends it: stacks progress per resource, the event source mapping
invokes nothing, EventBridge events carry the account, and another moto version is refused."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import moto
import pytest

from core.lambda_code.inlining import load_template
from core.resources import template_path
from core.sandbox import moto_fidelity
from tests.aws_fixtures import unique_name


@pytest.fixture
def paced() -> Iterator[None]:
    with moto_fidelity.extended(resource_delay=0.02):
        yield


def _parameters(name: str) -> list[dict[str, str]]:
    values = {"PortWebhookUrl": "http://127.0.0.1:9/key", "QueueName": name, "LambdaFunctionName": name,
              "EventSources": "aws.ec2,aws.s3", "MaximumBatchingWindowInSeconds": "0"}
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def _create(cfn: Any, name: str) -> str:
    created = cfn.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE",
                                    TemplateBody=template_path().read_text(), Parameters=_parameters(name),
                                    Capabilities=["CAPABILITY_IAM"])
    cfn.execute_change_set(ChangeSetName=created["Id"])
    return created["StackId"]


def _settle(cfn: Any, stack: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not description["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return description
        time.sleep(0.02)


def test_stack_creation_is_paced_per_resource_like_aws(paced: None, aws_client: Callable[..., Any]) -> None:
    cfn = aws_client("cloudformation")
    name = unique_name("paced")
    stack_id = _create(cfn, name)

    during = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert during["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "Outputs" not in during  # as in AWS: outputs once the stack is complete

    done = _settle(cfn, stack_id)
    assert done["StackStatus"] == "CREATE_COMPLETE"
    assert {o["OutputKey"] for o in done["Outputs"]} >= {"QueueUrl", "QueueArn", "FunctionName"}
    events = list(reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"]))
    queue = [(e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events
             if e["LogicalResourceId"] == "Queue"]
    assert queue == [("CREATE_IN_PROGRESS", ""), ("CREATE_IN_PROGRESS", "Resource creation Initiated"),
                     ("CREATE_COMPLETE", "")]
    times = [e["Timestamp"] for e in events]
    assert times == sorted(times) and times[-1] - times[1] >= _seconds(9 * 0.02)


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


def test_a_failing_resource_rolls_the_update_back_instead_of_answering_500(
        paced: None, aws_client: Callable[..., Any]) -> None:
    cfn = aws_client("cloudformation")
    name = unique_name("rollback")
    stack_id = _create(cfn, name)
    _settle(cfn, stack_id)
    broken = template_path().read_text().replace("\nResources:\n", (
        "\nResources:\n  Extra:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n      QueueName: not a valid name!\n"), 1)
    cfn.update_stack(StackName=stack_id, TemplateBody=broken, Parameters=_parameters(name),
                     Capabilities=["CAPABILITY_IAM"])

    assert _settle(cfn, stack_id)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")]
    assert [e["LogicalResourceId"] for e in failed] == ["Extra"]
    rollback = next(e for e in events if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
    assert "[Extra]" in rollback["ResourceStatusReason"]


def test_an_update_keeps_the_inline_function_code_intact(paced: None, aws_client: Callable[..., Any]) -> None:
    cfn = aws_client("cloudformation")
    name = unique_name("update")
    stack_id = _create(cfn, name)
    _settle(cfn, stack_id)
    changed = template_path().read_text().replace("MemorySize: 256", "MemorySize: 512")
    cfn.update_stack(StackName=stack_id, TemplateBody=changed, Parameters=_parameters(name),
                     Capabilities=["CAPABILITY_IAM"])

    assert _settle(cfn, stack_id)["StackStatus"] == "UPDATE_COMPLETE"
    statuses = [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
                if e["LogicalResourceId"] == "Function"]
    assert statuses[:2] == ["UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"]  # newest first
    account = stack_id.split(":")[4]
    code = moto_fidelity.deployed_function_code(account, "us-east-1", name)
    assert code == load_template(changed)["Resources"]["Function"]["Properties"]["Code"]["ZipFile"]


def test_no_value_drops_the_conditional_policy_as_in_aws(paced: None, aws_client: Callable[..., Any]) -> None:
    cfn = aws_client("cloudformation")
    name = unique_name("novalue")
    parameters = [*_parameters(name), {"ParameterKey": "EnableEnrichment", "ParameterValue": "false"}]
    cfn.create_stack(StackName=name, TemplateBody=template_path().read_text(), Parameters=parameters,
                     Capabilities=["CAPABILITY_IAM"])
    assert _settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    iam = aws_client("iam")
    [role] = [r["RoleName"] for r in iam.list_roles()["Roles"]
              if r["RoleName"].startswith(f"{name}-Function")]
    policies = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert policies == ["forward-to-port"]


def test_the_event_source_mapping_leaves_messages_to_the_sandbox_runner(
        paced: None, aws_client: Callable[..., Any]) -> None:
    cfn, sqs, events = aws_client("cloudformation"), aws_client("sqs"), aws_client("events")
    name = unique_name("esm")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in _settle(cfn, _create(cfn, name))["Outputs"]}
    [mapping] = aws_client("lambda").list_event_source_mappings(
        FunctionName=outputs["FunctionName"])["EventSourceMappings"]
    assert mapping["State"] == "Enabled"

    answer = events.put_events(Entries=[{"Source": "aws.ec2", "DetailType": "EC2 Instance State-change "
                                         "Notification", "Detail": json.dumps({"instance-id": "i-1"})}])
    [message] = sqs.receive_message(QueueUrl=outputs["QueueUrl"], MessageSystemAttributeNames=["All"],
                                    WaitTimeSeconds=1)["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # nobody received it before us
    body = json.loads(message["Body"])
    assert body["id"] == answer["Entries"][0]["EventId"]
    assert body["account"] == outputs["QueueArn"].split(":")[4]  # AWS includes it; plain moto does not


def test_patches_are_undone_when_the_last_user_is_done() -> None:
    from moto.cloudformation import parsing

    original = parsing.parse_and_create_resource
    with moto_fidelity.extended(), moto_fidelity.extended():
        assert parsing.parse_and_create_resource is not original
    assert parsing.parse_and_create_resource is original
    assert not moto_fidelity.is_applied()


def test_another_moto_version_is_refused_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not moto_fidelity.is_applied()
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(RuntimeError, match=r"moto 5\.2\.5 internals, but moto 5\.3\.0"):
        importlib.reload(moto_fidelity)
    monkeypatch.undo()
    importlib.reload(moto_fidelity)


def test_every_resource_the_change_set_lists_completes(paced: None, aws_client: Callable[..., Any]) -> None:
    """The live table is seeded from the change set: a resource whose Condition is false
    (here the enrichment read policies, enrichment off) must not be listed, or its row would
    wait forever, as AWS leaves it out too."""
    cfn = aws_client("cloudformation")
    name = unique_name("conditions")
    parameters = [*_parameters(name), {"ParameterKey": "EnableEnrichment", "ParameterValue": "false"}]
    created = cfn.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE",
                                    TemplateBody=template_path().read_text(), Parameters=parameters,
                                    Capabilities=["CAPABILITY_IAM"])
    listed = {c["ResourceChange"]["LogicalResourceId"]
              for c in cfn.describe_change_set(ChangeSetName=created["Id"])["Changes"]}
    assert "Queue" in listed and "DescribeEc2" not in listed
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert _settle(cfn, created["StackId"])["StackStatus"] == "CREATE_COMPLETE"
    events = cfn.describe_stack_events(StackName=created["StackId"])["StackEvents"]
    completed = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"}
    assert listed <= completed
