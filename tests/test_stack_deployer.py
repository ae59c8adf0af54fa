"""StackDeployer against botocore's Stubber fed documented CloudFormation response sequences.

Plain moto creates stacks synchronously, without resource events, and never rolls back, so
streaming, rollback and recovery are scripted with the Stubber; the last section runs the
real create/update/no-change on moto (tests/aws_fixtures.py) with tests/templates/.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from core.aws.deploy_command import render_deploy_command, secret_variable
from core.aws.deployer import (
    NO_CHANGE_STATUS,
    TEMPLATE_BODY_LIMIT,
    PreparedChange,
    StackDeployer,
    check_template_size,
)
from core.errors import StackDeployError
from core.progress import Change, Notice, PlanItem, ProgressEvent, StackEventSeen, StackSettled
from tests.aws_fixtures import unique_name

STACK = "port-aws"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/11111111-aaaa"
NEW_STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/22222222-bbbb"
CHANGE_SET_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/port-aws-wizard-1/3333"
T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
PARAMETERS = {
    "PortWebhookUrl": "https://ingest.getport.io/abc",
    "PortWebhookSecret": "s3cret",
    "QueueName": "port-aws-events-queue",
    "EventSources": "aws.ec2,aws.s3",
}
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


class Script:
    """A Stubber with helpers for the calls StackDeployer makes, in the order it makes them."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "cloudformation",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stubber = Stubber(self.client)
        self.reported: list[ProgressEvent] = []
        self.sleeps: list[float] = []
        self._events: list[dict[str, Any]] = []
        self._clock = 0

    def deployer(self, **kwargs: Any) -> StackDeployer:
        return StackDeployer(
            self.client, self.reported.append, poll_seconds=5, sleep=self.sleeps.append, **kwargs
        )

    # -- stacks --
    def stack(
        self, status: str, name: str = STACK, stack_id: str = STACK_ID, **extra: Any
    ) -> None:
        description = {
            "StackName": STACK,
            "StackId": stack_id,
            "StackStatus": status,
            "CreationTime": T0,
            **extra,
        }
        self.stubber.add_response(
            "describe_stacks", {"Stacks": [description]}, {"StackName": name}
        )

    def no_stack(self, name: str = STACK) -> None:
        self.stubber.add_client_error(
            "describe_stacks",
            "ValidationError",
            f"Stack with id {name} does not exist",
            expected_params={"StackName": name},
        )

    # -- change sets --
    def create_change_set(self, change_set_type: str, stack_id: str = STACK_ID) -> None:
        self.stubber.add_response(
            "create_change_set",
            {"Id": CHANGE_SET_ID, "StackId": stack_id},
            {
                "StackName": STACK,
                "ChangeSetName": ANY,
                "ChangeSetType": change_set_type,
                "TemplateBody": TEMPLATE,
                "Parameters": [
                    {"ParameterKey": key, "ParameterValue": value}
                    for key, value in PARAMETERS.items()
                ],
                "Capabilities": ["CAPABILITY_IAM"],
                "Description": ANY,
            },
        )

    def change_set(
        self,
        status: str,
        changes: list[dict[str, Any]] | None = None,
        reason: str = "",
        next_token: str = "",
        sent_token: str = "",
    ) -> None:
        response: dict[str, Any] = {
            "ChangeSetName": "port-aws-wizard-1",
            "ChangeSetId": CHANGE_SET_ID,
            "StackId": STACK_ID,
            "StackName": STACK,
            "Status": status,
            "ExecutionStatus": "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
            "Changes": changes or [],
        }
        if reason:
            response["StatusReason"] = reason
        if next_token:
            response["NextToken"] = next_token
        expected = {"ChangeSetName": CHANGE_SET_ID}
        if sent_token:
            expected["NextToken"] = sent_token
        self.stubber.add_response("describe_change_set", response, expected)

    def call(self, operation: str, **expected: Any) -> None:
        self.stubber.add_response(operation, {}, expected)

    # -- events (the stack's whole history, newest first, as the API answers) --
    def happen(self, logical_id: str, status: str, reason: str = "", kind: str = "") -> None:
        self._clock += 1
        event = {
            "StackId": STACK_ID,
            "EventId": f"event-{self._clock}",
            "StackName": STACK,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": STACK_ID if logical_id == STACK else f"{logical_id}-physical",
            "ResourceType": kind
            or ("AWS::CloudFormation::Stack" if logical_id == STACK else "AWS::SQS::Queue"),
            "Timestamp": T0 + timedelta(seconds=self._clock),
            "ResourceStatus": status,
        }
        if reason:
            event["ResourceStatusReason"] = reason
        self._events.insert(0, event)

    def events_page(self, stack_id: str = STACK_ID) -> None:
        self.stubber.add_response(
            "describe_stack_events", {"StackEvents": list(self._events)}, {"StackName": stack_id}
        )

    # -- results --
    def of(self, kind: type) -> list[Any]:
        return [event for event in self.reported if isinstance(event, kind)]

    def seen(self) -> list[tuple[str, str]]:
        return [(event.logical_id, event.status) for event in self.of(StackEventSeen)]


@pytest.fixture
def script() -> Script:
    return Script()


def resource_change(action: str, logical_id: str, kind: str, replacement: str = "") -> dict:
    change: dict[str, Any] = {"Action": action, "LogicalResourceId": logical_id, "ResourceType": kind}
    if replacement:
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


def script_execution_start(script: Script, status_before: str) -> None:
    script.events_page()  # mark_start
    script.stack(status_before, name=STACK_ID)
    script.call("execute_change_set", ChangeSetName=CHANGE_SET_ID)


def prepared(change: Change = Change.UPDATE) -> PreparedChange:
    return PreparedChange(STACK, change, STACK_ID, CHANGE_SET_ID, "UPDATE")


# -- create, streaming -------------------------------------------------------------------


def test_new_stack_is_created_through_a_change_set_and_its_events_stream_live(
    script: Script,
) -> None:
    script.no_stack()
    script.create_change_set("CREATE")
    script.change_set("CREATE_PENDING")
    script.change_set(
        "CREATE_COMPLETE",
        [resource_change("Add", "DeadLetterQueue", "AWS::SQS::Queue")],
        next_token="more",
    )
    script.change_set(
        "CREATE_COMPLETE", [resource_change("Add", "EventsRule", "AWS::Events::Rule")], sent_token="more"
    )
    script.happen(STACK, "REVIEW_IN_PROGRESS", "User Initiated")
    script_execution_start(script, "REVIEW_IN_PROGRESS")
    # Poll 1: the stack still shows REVIEW_IN_PROGRESS for a moment.
    script.events_page()
    script.stack("REVIEW_IN_PROGRESS", name=STACK_ID)
    # Poll 2: creation under way.
    script.happen(STACK, "CREATE_IN_PROGRESS", "User Initiated")
    script.happen("DeadLetterQueue", "CREATE_IN_PROGRESS")
    script.events_page()
    script.stack("CREATE_IN_PROGRESS", name=STACK_ID)
    # Poll 3: more events (the first two appear again: reported once).
    script.happen("DeadLetterQueue", "CREATE_IN_PROGRESS", "Resource creation Initiated")
    script.happen("DeadLetterQueue", "CREATE_COMPLETE")
    script.happen("EventsRule", "CREATE_COMPLETE", kind="AWS::Events::Rule")
    script.events_page()
    script.stack("CREATE_IN_PROGRESS", name=STACK_ID)
    # Poll 4: settled; then one last look for events.
    script.happen(STACK, "CREATE_COMPLETE")
    script.events_page()
    script.stack(
        "CREATE_COMPLETE",
        name=STACK_ID,
        Outputs=[{"OutputKey": "QueueUrl", "OutputValue": "https://sqs/q"}],
    )
    script.events_page()

    with script.stubber:
        settled = script.deployer().deploy(STACK, TEMPLATE, PARAMETERS)
        script.stubber.assert_no_pending_responses()

    assert [(item.name, item.change) for item in script.of(PlanItem)] == [
        ("DeadLetterQueue", Change.CREATE),
        ("EventsRule", Change.CREATE),
    ]
    assert script.seen() == [
        (STACK, "CREATE_IN_PROGRESS"),
        ("DeadLetterQueue", "CREATE_IN_PROGRESS"),
        ("DeadLetterQueue", "CREATE_IN_PROGRESS"),
        ("DeadLetterQueue", "CREATE_COMPLETE"),
        ("EventsRule", "CREATE_COMPLETE"),
        (STACK, "CREATE_COMPLETE"),
    ]
    assert script.of(StackEventSeen)[2].reason == "Resource creation Initiated"
    assert settled == StackSettled(STACK, "CREATE_COMPLETE", True, "", {"QueueUrl": "https://sqs/q"})
    assert script.reported[-1] == settled
    assert script.sleeps == [5, 5, 5, 5]  # change set once, stack three times


def test_update_is_not_over_while_the_stack_still_shows_its_old_status(script: Script) -> None:
    script.happen(STACK, "UPDATE_COMPLETE")
    script_execution_start(script, "UPDATE_COMPLETE")
    script.events_page()
    script.stack("UPDATE_COMPLETE", name=STACK_ID)  # not started yet: keep watching
    script.happen(STACK, "UPDATE_IN_PROGRESS", "User Initiated")
    script.happen("EventsQueue", "UPDATE_COMPLETE")
    script.happen(STACK, "UPDATE_COMPLETE")
    script.events_page()
    script.stack("UPDATE_COMPLETE", name=STACK_ID)
    script.events_page()

    with script.stubber:
        settled = script.deployer().execute(prepared())

    assert settled.status == "UPDATE_COMPLETE" and settled.succeeded
    assert script.seen() == [
        (STACK, "UPDATE_IN_PROGRESS"),
        ("EventsQueue", "UPDATE_COMPLETE"),
        (STACK, "UPDATE_COMPLETE"),
    ]


# -- failures ----------------------------------------------------------------------------

ROLE_DENIED = 'Resource handler returned message: "not authorized to perform: iam:CreateRole"'


def test_rollback_names_the_first_failing_resource_and_its_reason(script: Script) -> None:
    script.happen(STACK, "REVIEW_IN_PROGRESS", "User Initiated")
    script_execution_start(script, "REVIEW_IN_PROGRESS")
    script.happen(STACK, "CREATE_IN_PROGRESS", "User Initiated")
    script.happen("EventsQueue", "CREATE_IN_PROGRESS")
    script.happen("ForwarderRole", "CREATE_IN_PROGRESS", kind="AWS::IAM::Role")
    script.events_page()
    script.stack("CREATE_IN_PROGRESS", name=STACK_ID)
    script.happen("ForwarderRole", "CREATE_FAILED", ROLE_DENIED, kind="AWS::IAM::Role")
    script.happen("EventsQueue", "CREATE_FAILED", "Resource creation cancelled")
    script.happen(
        STACK,
        "ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [EventsQueue, ForwarderRole]. "
        "Rollback requested by user.",
    )
    script.happen("EventsQueue", "DELETE_COMPLETE")
    script.happen(STACK, "ROLLBACK_COMPLETE")
    script.events_page()
    script.stack("ROLLBACK_COMPLETE", name=STACK_ID)
    script.events_page()

    with script.stubber, pytest.raises(StackDeployError) as raised:
        script.deployer().execute(PreparedChange(STACK, Change.CREATE, STACK_ID, CHANGE_SET_ID, "CREATE"))

    expected = f"ForwarderRole (AWS::IAM::Role): {ROLE_DENIED}"
    assert raised.value.first_failure == expected
    assert raised.value.status == "ROLLBACK_COMPLETE"
    assert expected in str(raised.value) and "Rollback requested" not in str(raised.value)
    assert "next run deletes the empty stack" in str(raised.value)
    settled = script.of(StackSettled)
    assert settled == [StackSettled(STACK, "ROLLBACK_COMPLETE", False, expected)]
    assert script.seen()[-1] == (STACK, "ROLLBACK_COMPLETE")  # the user saw the whole rollback


def test_update_rollback_reports_the_failed_update(script: Script) -> None:
    script.happen(STACK, "UPDATE_COMPLETE")
    script_execution_start(script, "UPDATE_COMPLETE")
    script.happen(STACK, "UPDATE_IN_PROGRESS", "User Initiated")
    script.happen("EventsRule", "UPDATE_FAILED", "Event pattern is not valid", kind="AWS::Events::Rule")
    script.happen(
        STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [EventsRule]."
    )
    script.happen(STACK, "UPDATE_ROLLBACK_COMPLETE")
    script.events_page()
    script.stack("UPDATE_ROLLBACK_COMPLETE", name=STACK_ID)
    script.events_page()

    with script.stubber, pytest.raises(StackDeployError) as raised:
        script.deployer().execute(prepared())

    assert raised.value.first_failure == "EventsRule (AWS::Events::Rule): Event pattern is not valid"
    assert raised.value.status == "UPDATE_ROLLBACK_COMPLETE"


def test_a_stack_that_never_settles_gives_a_clear_error(script: Script) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    script.happen(STACK, "UPDATE_COMPLETE")
    script_execution_start(script, "UPDATE_COMPLETE")
    script.happen(STACK, "UPDATE_IN_PROGRESS", "User Initiated")
    for _ in range(3):
        script.events_page()
        script.stack("UPDATE_IN_PROGRESS", name=STACK_ID)
    deployer = StackDeployer(
        script.client, script.reported.append, poll_seconds=60, sleep=sleep,
        timeout_seconds=120, clock=lambda: now[0],
    )
    with script.stubber, pytest.raises(StackDeployError) as raised:
        deployer.execute(prepared())
    assert raised.value.status == "UPDATE_IN_PROGRESS"
    assert "still UPDATE_IN_PROGRESS after 2 minutes" in str(raised.value)


# -- the stack's state before deploying --------------------------------------------------


def test_rollback_complete_stack_is_deleted_and_created_again_with_a_notice(script: Script) -> None:
    script.stack("ROLLBACK_COMPLETE")
    script.call("delete_stack", StackName=STACK_ID)
    script.stack("DELETE_IN_PROGRESS", name=STACK_ID)
    script.stack("DELETE_COMPLETE", name=STACK_ID)
    script.create_change_set("CREATE", stack_id=NEW_STACK_ID)
    script.change_set("CREATE_COMPLETE", [resource_change("Add", "EventsQueue", "AWS::SQS::Queue")])

    with script.stubber:
        change = script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)
        script.stubber.assert_no_pending_responses()

    assert change.change is Change.CREATE and change.stack_id == NEW_STACK_ID
    notices = script.of(Notice)
    assert len(notices) == 1 and "ROLLBACK_COMPLETE" in notices[0].message
    assert "deleting it and creating it again" in notices[0].message
    assert script.reported.index(notices[0]) < script.reported.index(script.of(PlanItem)[0])
    assert script.sleeps == [5]


def test_a_failed_delete_of_the_dead_stack_is_reported(script: Script) -> None:
    script.stack("ROLLBACK_COMPLETE")
    script.call("delete_stack", StackName=STACK_ID)
    script.stack("DELETE_FAILED", name=STACK_ID)
    with script.stubber, pytest.raises(StackDeployError, match="could not delete the failed stack"):
        script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)


def test_review_in_progress_stack_gets_a_create_change_set(script: Script) -> None:
    script.stack("REVIEW_IN_PROGRESS")
    script.create_change_set("CREATE")
    script.change_set("CREATE_COMPLETE", [resource_change("Add", "EventsQueue", "AWS::SQS::Queue")])
    with script.stubber:
        change = script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)
    assert change.change is Change.CREATE and change.change_set_type == "CREATE"


def test_a_busy_stack_is_waited_for_before_the_change_set(script: Script) -> None:
    script.stack("UPDATE_IN_PROGRESS")
    script.stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", name=STACK_ID)
    script.stack("UPDATE_COMPLETE", name=STACK_ID)
    script.create_change_set("UPDATE")
    script.change_set(
        "CREATE_COMPLETE",
        [
            resource_change("Modify", "EventsRule", "AWS::Events::Rule", "True"),
            resource_change("Modify", "EventsQueue", "AWS::SQS::Queue", "Conditional"),
            resource_change("Remove", "OldQueue", "AWS::SQS::Queue"),
        ],
    )
    with script.stubber:
        change = script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)
        script.stubber.assert_no_pending_responses()

    assert "busy (UPDATE_IN_PROGRESS)" in script.of(Notice)[0].message
    assert change.change is Change.UPDATE
    assert [(i.name, i.change, i.detail) for i in script.of(PlanItem)] == [
        ("EventsRule", Change.REPLACE, ""),
        ("EventsQueue", Change.UPDATE, "may be replaced"),
        ("OldQueue", Change.DELETE, ""),
    ]


def test_a_stack_that_cannot_be_updated_says_what_to_do(script: Script) -> None:
    script.stack("UPDATE_ROLLBACK_FAILED")
    with script.stubber, pytest.raises(StackDeployError) as raised:
        script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)
    assert "UPDATE_ROLLBACK_FAILED" in str(raised.value)
    assert "continue-update-rollback" in str(raised.value)


# -- no changes ----------------------------------------------------------------------------


def test_no_changes_is_success_and_nothing_is_executed(script: Script) -> None:
    outputs = [{"OutputKey": "QueueUrl", "OutputValue": "https://sqs/q"}]
    script.stack("UPDATE_COMPLETE")
    script.create_change_set("UPDATE")
    script.change_set("FAILED", reason=NO_CHANGES)
    script.call("delete_change_set", ChangeSetName=CHANGE_SET_ID)
    script.stack("UPDATE_COMPLETE", name=STACK_ID, Outputs=outputs)
    # No execute_change_set is scripted: the Stubber fails the test if it is called.

    with script.stubber:
        settled = script.deployer().deploy(STACK, TEMPLATE, PARAMETERS)
        script.stubber.assert_no_pending_responses()

    assert settled == StackSettled(STACK, NO_CHANGE_STATUS, True, "", {"QueueUrl": "https://sqs/q"})
    assert "up to date" in script.of(Notice)[0].message


def test_an_update_refused_as_no_updates_is_no_change(script: Script) -> None:
    """moto refuses CreateChangeSet itself when template and every parameter are unchanged."""
    script.stack("CREATE_COMPLETE")
    script.stubber.add_client_error(
        "create_change_set", "ValidationError", "No updates are to be performed."
    )
    with script.stubber:
        change = script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)
    assert change.change is Change.NO_CHANGE and change.change_set_id == ""


def test_a_change_set_that_fails_for_another_reason_is_an_error(script: Script) -> None:
    script.stack("UPDATE_COMPLETE")
    script.create_change_set("UPDATE")
    script.change_set("FAILED", reason="Requires capabilities : [CAPABILITY_NAMED_IAM]")
    with script.stubber, pytest.raises(StackDeployError, match="CAPABILITY_NAMED_IAM"):
        script.deployer().prepare(STACK, TEMPLATE, PARAMETERS)


# -- discard -------------------------------------------------------------------------------


def test_discarding_a_create_change_set_removes_the_empty_stack_too(script: Script) -> None:
    script.call("delete_change_set", ChangeSetName=CHANGE_SET_ID)
    script.call("delete_stack", StackName=STACK_ID)
    with script.stubber:
        script.deployer().discard(PreparedChange(STACK, Change.CREATE, STACK_ID, CHANGE_SET_ID, "CREATE"))
        script.stubber.assert_no_pending_responses()


def test_discarding_an_update_keeps_the_stack(script: Script) -> None:
    script.call("delete_change_set", ChangeSetName=CHANGE_SET_ID)
    with script.stubber:  # a delete_stack call would fail here: none is scripted
        script.deployer().discard(prepared())
        script.stubber.assert_no_pending_responses()


# -- inspect (read only: the Stubber allows only the reads scripted) -----------------------


def stack_parameters(**overrides: str) -> list[dict[str, str]]:
    values = {**PARAMETERS, "PortWebhookUrl": "****", "PortWebhookSecret": "****", **overrides}
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def script_current(script: Script, template: Any, parameters: list[dict[str, str]]) -> None:
    script.stack("UPDATE_COMPLETE", Parameters=parameters)
    script.stubber.add_response(
        "get_template",
        {"TemplateBody": template},
        {"StackName": STACK_ID, "TemplateStage": "Original"},
    )


def test_inspect_says_noecho_parameters_may_have_changed(script: Script) -> None:
    script_current(script, TEMPLATE, stack_parameters())
    with script.stubber:
        plan = script.deployer().inspect(STACK, TEMPLATE, PARAMETERS)
    assert plan.change is Change.UPDATE
    assert plan.differences == ()
    assert plan.hidden_parameters == ("PortWebhookUrl", "PortWebhookSecret")
    assert "PortWebhookUrl, PortWebhookSecret may have changed" in plan.detail
    assert script.reported == [PlanItem("aws", "stack", STACK, Change.UPDATE, plan.detail)]


def test_inspect_lists_template_and_parameter_differences_without_secret_values(
    script: Script,
) -> None:
    script_current(
        script,
        "Resources: {Old: {Type: AWS::SQS::Queue}}\n",
        stack_parameters(EventSources="aws.ec2", PortWebhookUrl="https://old.example"),
    )
    with script.stubber:
        plan = script.deployer().inspect(STACK, TEMPLATE, PARAMETERS)
    assert plan.change is Change.UPDATE
    assert plan.differences == (
        "template",
        "PortWebhookUrl: changed",
        "EventSources: 'aws.ec2' -> 'aws.ec2,aws.s3'",
    )
    assert "old.example" not in plan.detail and PARAMETERS["PortWebhookUrl"] not in plan.detail


def test_inspect_compares_a_json_template_as_json(script: Script) -> None:
    """botocore hands back a JSON template parsed, so its formatting is gone."""
    unhidden = stack_parameters(PortWebhookUrl=PARAMETERS["PortWebhookUrl"], PortWebhookSecret="s3cret")
    script_current(script, '{"Resources":{}}', unhidden)
    with script.stubber:
        plan = script.deployer().inspect(STACK, '{\n  "Resources": {}\n}\n', PARAMETERS)
    assert plan.change is Change.NO_CHANGE and plan.detail == ""


def test_inspect_of_a_dead_first_stack_plans_a_new_one(script: Script) -> None:
    script.stack("ROLLBACK_COMPLETE")
    with script.stubber:
        plan = script.deployer().inspect(STACK, TEMPLATE, PARAMETERS)
    assert plan.change is Change.CREATE
    assert "deleted and created again" in plan.detail


def test_inspect_of_a_missing_stack_plans_a_create(script: Script) -> None:
    script.no_stack()
    with script.stubber:
        plan = script.deployer().inspect(STACK, TEMPLATE, PARAMETERS)
    assert plan.change is Change.CREATE and plan.status == ""


# -- template size -------------------------------------------------------------------------


def test_a_template_over_51200_bytes_is_refused_before_any_call(script: Script) -> None:
    too_big = "#" * (TEMPLATE_BODY_LIMIT - 1) + "\né"  # 51,201 characters, 51,202 bytes
    with script.stubber:  # nothing scripted: any AWS call would fail the test
        for attempt in (script.deployer().prepare, script.deployer().inspect):
            with pytest.raises(StackDeployError) as raised:
                attempt(STACK, too_big, PARAMETERS)
            assert "51,202 bytes" in str(raised.value) and "51,200" in str(raised.value)


def test_a_template_of_exactly_51200_bytes_is_accepted() -> None:
    check_template_size("x" * TEMPLATE_BODY_LIMIT)


# -- the --port-only command ---------------------------------------------------------------


def test_deploy_command_references_secrets_and_quotes_the_rest() -> None:
    command = render_deploy_command(
        "port-aws", "eu-west-1", "/home/me/my templates/aws-serverless.template",
        {**PARAMETERS, "QueueName": "it's-a-queue", "BatchSize": "10"},
    )
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["aws", "cloudformation", "deploy"]
    assert words[words.index("--stack-name") + 1] == "port-aws"
    assert words[words.index("--region") + 1] == "eu-west-1"
    assert words[words.index("--template-file") + 1] == "/home/me/my templates/aws-serverless.template"
    assert words[words.index("--capabilities") + 1] == "CAPABILITY_IAM"
    overrides = words[words.index("--parameter-overrides") + 1 :]
    assert overrides == [
        "PortWebhookUrl=$PORT_WEBHOOK_URL",
        "PortWebhookSecret=$PORT_WEBHOOK_SECRET",
        "QueueName=it's-a-queue",
        "EventSources=aws.ec2,aws.s3",
        "BatchSize=10",
    ]
    assert PARAMETERS["PortWebhookUrl"] not in command and "s3cret" not in command
    assert 'PortWebhookUrl="$PORT_WEBHOOK_URL"' in command  # double quotes: the shell expands it


def test_secret_variable_names() -> None:
    assert secret_variable("PortWebhookUrl") == "PORT_WEBHOOK_URL"
    assert secret_variable("PortWebhookSecret") == "PORT_WEBHOOK_SECRET"


# -- on moto: real resources -----------------------------------------------------------

MOTO_TEMPLATE = (Path(__file__).parent / "templates" / "queues-and-rule.yaml").read_text()


def moto_parameters(queue_name: str, **overrides: str) -> dict[str, str]:
    """Every parameter of docs/contracts.md, as the installer passes them."""
    return {
        "PortWebhookUrl": "https://ingest.getport.io/webhook-key",
        "PortWebhookSecret": "",
        "PortWebhookSignatureHeader": "x-port-aws-signature",
        "QueueName": queue_name,
        "LambdaFunctionName": "port-aws-event-processor",
        "EventSources": "aws.ec2,aws.s3",
        "BatchSize": "10",
        "MaximumBatchingWindowInSeconds": "5",
        "LogRetentionInDays": "14",
        **overrides,
    }


class MotoStack:
    def __init__(self, aws_client: Callable[..., Any]) -> None:
        self.cfn = aws_client("cloudformation")
        self.sqs = aws_client("sqs")
        self.events = aws_client("events")
        self.name = unique_name("deployer")
        self.queue = unique_name("queue")
        self.reported: list[ProgressEvent] = []
        self.deployer = StackDeployer(self.cfn, self.reported.append, poll_seconds=0)

    def deploy(self, template: str = MOTO_TEMPLATE, **overrides: str) -> StackSettled:
        self.reported.clear()
        return self.deployer.deploy(self.name, template, moto_parameters(self.queue, **overrides))

    def rule_sources(self) -> list[str]:
        prefix = f"{self.name}-EventsRule"
        rules = [r for r in self.events.list_rules()["Rules"] if r["Name"].startswith(prefix)]
        assert len(rules) == 1
        return json.loads(rules[0]["EventPattern"])["source"]

    def event_count(self) -> int:
        return len(self.cfn.describe_stack_events(StackName=self.name)["StackEvents"])

    def change_sets(self) -> list[dict[str, Any]]:
        summaries = self.cfn.list_change_sets(StackName=self.name)["Summaries"]
        return [s for s in summaries if s["StackName"] == self.name]  # moto lists them all


@pytest.fixture
def moto_stack(aws_client: Callable[..., Any]) -> MotoStack:
    return MotoStack(aws_client)


def test_moto_creates_the_stack_with_its_queues_and_rule(moto_stack: MotoStack) -> None:
    settled = moto_stack.deploy()

    assert settled.status == "CREATE_COMPLETE" and settled.succeeded
    assert moto_stack.sqs.get_queue_url(QueueName=moto_stack.queue)["QueueUrl"]
    assert moto_stack.sqs.get_queue_url(QueueName=f"{moto_stack.queue}-dlq")["QueueUrl"]
    assert moto_stack.rule_sources() == ["aws.ec2", "aws.s3"]
    planned = {(i.kind, i.name, i.change) for i in moto_stack.reported if isinstance(i, PlanItem)}
    assert planned == {
        ("AWS::SQS::Queue", "DeadLetterQueue", Change.CREATE),
        ("AWS::SQS::Queue", "EventsQueue", Change.CREATE),
        ("AWS::Events::Rule", "EventsRule", Change.CREATE),
    }
    seen = [(e.logical_id, e.status) for e in moto_stack.reported if isinstance(e, StackEventSeen)]
    # moto has stack-level events only; REVIEW_IN_PROGRESS came before the execution.
    assert seen == [(moto_stack.name, "CREATE_IN_PROGRESS"), (moto_stack.name, "CREATE_COMPLETE")]


def test_moto_rerun_with_nothing_changed_executes_nothing(moto_stack: MotoStack) -> None:
    moto_stack.deploy()
    events_before = moto_stack.event_count()

    settled = moto_stack.deploy()

    assert settled == StackSettled(moto_stack.name, NO_CHANGE_STATUS, True)
    assert moto_stack.event_count() == events_before
    assert [c["Status"] for c in moto_stack.change_sets()] == ["CREATE_COMPLETE"]  # no FAILED left
    assert any(isinstance(e, Notice) and "up to date" in e.message for e in moto_stack.reported)


def test_moto_update_changes_the_rule_then_a_rerun_is_no_change(moto_stack: MotoStack) -> None:
    moto_stack.deploy()

    updated = moto_stack.deploy(EventSources="aws.ec2")
    assert updated.status == "UPDATE_COMPLETE" and updated.succeeded
    assert moto_stack.rule_sources() == ["aws.ec2"]

    # moto misses this no-op (it lists an empty change set): the deployer still says so.
    events_before = moto_stack.event_count()
    again = moto_stack.deploy(EventSources="aws.ec2")
    assert again.status == NO_CHANGE_STATUS
    assert moto_stack.event_count() == events_before


def test_moto_template_update_lists_and_applies_the_change(moto_stack: MotoStack) -> None:
    moto_stack.deploy()
    longer = MOTO_TEMPLATE.replace("VisibilityTimeout: 60", "VisibilityTimeout: 90")
    assert longer != MOTO_TEMPLATE

    settled = moto_stack.deploy(template=longer)

    assert settled.status == "UPDATE_COMPLETE"
    planned = [(i.name, i.change) for i in moto_stack.reported if isinstance(i, PlanItem)]
    assert planned == [("EventsQueue", Change.UPDATE)]
    url = moto_stack.sqs.get_queue_url(QueueName=moto_stack.queue)["QueueUrl"]
    attributes = moto_stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "90"


def test_moto_inspect_compares_without_changing_anything(moto_stack: MotoStack) -> None:
    parameters = moto_parameters(moto_stack.queue)
    assert moto_stack.deployer.inspect(moto_stack.name, MOTO_TEMPLATE, parameters).change is Change.CREATE
    with pytest.raises(Exception, match="does not exist"):
        moto_stack.cfn.describe_stacks(StackName=moto_stack.name)

    moto_stack.deploy()
    events_before = moto_stack.event_count()
    same = moto_stack.deployer.inspect(moto_stack.name, MOTO_TEMPLATE, parameters)
    other = moto_stack.deployer.inspect(
        moto_stack.name, MOTO_TEMPLATE, {**parameters, "EventSources": "aws.ec2"}
    )

    assert same.change is Change.NO_CHANGE  # moto echoes the list as "['aws.ec2', 'aws.s3']"
    assert other.change is Change.UPDATE
    assert other.differences == ("EventSources: 'aws.ec2,aws.s3' -> 'aws.ec2'",)
    assert moto_stack.event_count() == events_before and len(moto_stack.change_sets()) == 1


def test_moto_discarded_first_change_set_leaves_no_stack(moto_stack: MotoStack) -> None:
    prepared_change = moto_stack.deployer.prepare(
        moto_stack.name, MOTO_TEMPLATE, moto_parameters(moto_stack.queue)
    )
    assert prepared_change.change is Change.CREATE
    assert moto_stack.cfn.describe_stacks(StackName=moto_stack.name)["Stacks"][0]["StackStatus"] == (
        "REVIEW_IN_PROGRESS"
    )

    moto_stack.deployer.discard(prepared_change)

    with pytest.raises(Exception, match="does not exist"):
        moto_stack.cfn.describe_stacks(StackName=moto_stack.name)
    with pytest.raises(Exception, match="does not exist"):
        moto_stack.sqs.get_queue_url(QueueName=moto_stack.queue)
