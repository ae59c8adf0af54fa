"""StackSet installs: flags, permission pre-checks, converge, live progress, status and delete.

moto runs what it implements (self-managed create/instances/update/delete, Organizations);
what it lacks or does differently is scripted with botocore's Stubber against the documented
shapes: operations that run and fail per account/region, OUTDATED instances, NoEcho
parameters, OperationInProgressException, DescribeOrganizationsAccess (HTTP 500 on moto).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from core.aws.stack_parameters import stack_parameters
from core.aws.stackset import STACKSET_POLLING, StackSetDeployer, delete_stackset, stackset_status
from core.aws.stackset_model import ADMIN_ROLE_NAME, EXECUTION_ROLE_NAME, StackSetConfig, description
from core.aws.stackset_permissions import (
    CallerIdentity,
    check_self_managed,
    check_service_managed,
    stackset_preflight,
)
from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from core.errors import AwsAccessError, StackDeployError
from core.polling import Polling
from core.progress import (
    Change,
    Notice,
    ProgressEvent,
    StackSetInstanceUpdate,
    StackSetOperationUpdate,
    StackSetSettled,
)
from core.resources import template_path
from tests.support.moto_server import unique_name
from tests.support.port import UNREACHABLE_PORT_ENV
from tests.support.stackset import ADMIN, OTHER, TRUST_CLOUDFORMATION, install_flags, moto_stack
from tests.support.stackset import run_install as run
from wizard.cli.install import build_settings

OFFLINE_ENV = UNREACHABLE_PORT_ENV
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


# -- flags and settings ------------------------------------------------------------------

@pytest.mark.parametrize(("flags", "expected"), [
    ({"stackset": True, "accounts": OTHER}, "--stackset needs the regions to deploy to: --regions"),
    ({"stackset": True, "regions": "us-east-1"}, "--stackset needs targets: --accounts"),
    ({"stackset": True, "regions": "us-east-1", "accounts": OTHER, "permission_model": "SERVICE_MANAGED"},
     "use --organizational-units ou-..., or --permission-model SELF_MANAGED to keep --accounts"),
    ({"stackset": True, "regions": "us-east-1", "organizational_units": "ou-abcd-12345678",
      "permission_model": "self-managed"},
     "--permission-model SERVICE_MANAGED to keep --organizational-units"),
    ({"stackset": True, "regions": "us-east-1", "accounts": "12345"}, "'12345' are not 12 digits"),
    ({"stackset": True, "regions": "mars-1", "accounts": OTHER}, "region(s) 'mars-1' are malformed"),
    ({"stackset": True, "regions": "us-east-1", "organizational_units": "ou-1"},
     "use ids such as ou-abcd-12345678"),
    ({"stackset": True, "regions": "us-east-1", "accounts": OTHER, "failure_tolerance": "150%"},
     "--failure-tolerance '150%' must be a count or a percentage"),
    ({"stackset": True, "regions": "us-east-1", "accounts": OTHER, "max_concurrency": "0"},
     "--max-concurrency '0' must be a count or a percentage"),
    ({"accounts": OTHER, "regions": "us-east-1"}, "StackSet options given without --stackset"),
    ({"stackset": True, "regions": "us-east-1", "accounts": OTHER, "port_only": True},
     "--port-only and --stackset do not go together"),
])
def test_stackset_flag_problems_exit_2_with_the_fix(flags: dict[str, object], expected: str) -> None:
    code, _out, err = run(flags, OFFLINE_ENV)
    assert code == 2
    assert expected in err


def test_answers_file_keys_are_the_field_names_and_the_permission_model_follows_the_targets(
        tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(textwrap.dedent("""\
        stackset: true
        organizational_units: [ou-abcd-12345678, ou-abcd-87654321]
        regions: us-east-1, eu-west-1
        failure_tolerance: 10%
        max_concurrency: 4
    """))
    settings, _ = build_settings(str(answers), {}, {})
    assert settings.organizational_units == ("ou-abcd-12345678", "ou-abcd-87654321")
    assert settings.regions == ("us-east-1", "eu-west-1")
    assert settings.stackset_permission_model == "SERVICE_MANAGED"
    by_accounts, _ = build_settings(None, {"stackset": True, "accounts": f"{OTHER},{ADMIN}",
                                           "regions": "us-east-1"}, {})
    assert by_accounts.stackset_permission_model == "SELF_MANAGED"


def test_failure_tolerance_and_max_concurrency_become_operation_preferences() -> None:
    settings = InstallSettings(stackset=True, accounts=(OTHER,), regions=("us-east-1",),
                               failure_tolerance="2", max_concurrency="25%")
    config = StackSetConfig.from_settings(settings, ADMIN)
    assert config.operation_preferences() == {
        "FailureToleranceCount": 2, "MaxConcurrentPercentage": 25,
        # AWS's STRICT mode would cap concurrency at tolerance + 1 whatever was asked
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}
    assert config.administration_role_arn == f"arn:aws:iam::{ADMIN}:role/{ADMIN_ROLE_NAME}"
    assert config.execution_role_name == EXECUTION_ROLE_NAME
    assert StackSetConfig.from_settings(InstallSettings(), ADMIN).operation_preferences() == {}


# -- moto: self-managed installs end to end ------------------------------------------------

@pytest.fixture
def stackset_env(port_env: dict[str, str], aws_endpoint: str) -> dict[str, str]:
    return {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}


def port_writes(emulator: PortEmulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests
            if r.method in WRITES and r.path != "/v1/auth/access_token"]


def test_missing_administration_role_is_explained_before_port_is_touched(
        stackset_env: dict[str, str], port_emulator: PortEmulator) -> None:
    role = f"arn:aws:iam::{ADMIN}:role/{unique_name('no-such-admin-role')}"
    code, _out, err = run(install_flags(administration_role_arn=role), stackset_env)
    assert code == 1
    assert f"the StackSet administration role {role} does not exist" in err
    assert f"{ADMIN_ROLE_NAME}.yml and {EXECUTION_ROLE_NAME}.yml" in err
    assert "Grant self-managed permissions" in err
    assert port_writes(port_emulator) == []


def test_administration_role_cloudformation_cannot_assume_is_refused(aws_client: Callable[..., Any]) -> None:
    name = unique_name("admin-role-trusting-ec2")
    aws_client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_CLOUDFORMATION.replace(
        "cloudformation.amazonaws.com", "ec2.amazonaws.com"))
    config = StackSetConfig("set", "SELF_MANAGED", ("us-east-1",), (OTHER,),
                            administration_role_arn=f"arn:aws:iam::{ADMIN}:role/{name}",
                            execution_role_name=EXECUTION_ROLE_NAME)
    reported: list[ProgressEvent] = []
    with pytest.raises(AwsAccessError, match="CloudFormation cannot assume it: its trust policy must "
                                             "allow the service principal cloudformation.amazonaws.com"):
        check_self_managed(config, aws_client("iam"), CallerIdentity(ADMIN, "aws", ""), reported.append)


def test_install_to_accounts_and_regions_shows_each_and_a_rerun_converges(
        stackset_env: dict[str, str], stackset_stack_names: None, stackset_roles: None,
        aws_client: Callable[..., Any]) -> None:
    flags = install_flags()
    name = str(flags["stack_name"])
    cfn = aws_client("cloudformation")

    code, out, err = run(flags, stackset_env)
    assert code == 0, err
    for account in (ADMIN, OTHER):
        for region in ("us-east-1", "eu-west-1"):
            assert f"{account} {region:<15} create  SUCCEEDED" in out
            assert moto_stack(account, region, name).status == "CREATE_COMPLETE"
    assert f"StackSet {name}: created, 4 instance(s)" in out
    assert f"the 1 other target account(s) needs the execution role {EXECUTION_ROLE_NAME}" in out
    # Each instance gets the resync schedule; its first resync comes from it.
    parameters = cfn.describe_stack_set(StackSetName=name)["StackSet"]["Parameters"]
    assert {"ParameterKey": "ResyncSchedule", "ParameterValue": "rate(6 hours)"} in parameters
    assert "each StackSet instance resyncs on its schedule (rate(6 hours))" in out

    # Same inputs: nothing to do, no operation started.
    operations = len(cfn.list_stack_set_operations(StackSetName=name)["Summaries"])
    code, out, err = run(flags, stackset_env)
    assert code == 0, err
    assert "are up to date: no operation started" in out
    assert "Everything was already up to date" in out
    assert len(cfn.list_stack_set_operations(StackSetName=name)["Summaries"]) == operations

    # A new region: only the missing instances are created, in one operation.
    code, out, err = run({**flags, "regions": "us-east-1,eu-west-1,us-west-2"}, stackset_env)
    assert code == 0, err
    created = [line for line in out.splitlines() if " create " in line]
    assert sorted(created) == sorted([f"  {ADMIN} us-west-2       create  SUCCEEDED",
                                      f"  {OTHER} us-west-2       create  SUCCEEDED"])
    assert moto_stack(OTHER, "us-west-2", name) is not None

    # A changed setting updates the StackSet (AWS then updates every instance).
    code, out, err = run({**flags, "regions": "us-east-1,eu-west-1,us-west-2", "batch_size": 5},
                         stackset_env)
    assert code == 0, err
    assert "updating (BatchSize: '10' -> '5')" in out
    assert "UPDATE operation" in out and "SUCCEEDED" in out
    parameters = cfn.describe_stack_set(StackSetName=name)["StackSet"]["Parameters"]
    assert {"ParameterKey": "BatchSize", "ParameterValue": "5"} in parameters


def test_dry_run_lists_the_stackset_and_its_instances_and_creates_nothing(
        stackset_env: dict[str, str], stackset_roles: None, aws_client: Callable[..., Any]) -> None:
    flags = install_flags(dry_run=True)
    code, out, err = run(flags, stackset_env)
    assert code == 0, err
    assert f"aws  stackset     {flags['stack_name']}" in out
    for account in (ADMIN, OTHER):
        assert f"aws  stack instance {account}/eu-west-1" in out
    with pytest.raises(aws_client("cloudformation").exceptions.StackSetNotFoundException):
        aws_client("cloudformation").describe_stack_set(StackSetName=flags["stack_name"])


def test_status_lists_instances_and_delete_removes_them_before_the_set(
        stackset_stack_names: None, aws_client: Callable[..., Any]) -> None:
    cfn = aws_client("cloudformation")
    settings = InstallSettings(stackset=True, accounts=(ADMIN, OTHER), regions=("us-east-1", "us-west-2"),
                               stack_name=unique_name("set"), queue_name=unique_name("events"),
                               lambda_function_name=unique_name("forwarder"))
    parameters = stack_parameters(settings, "https://ingest.example/key", "")
    StackSetDeployer(cfn, lambda _e: None, Polling(interval=0)).deploy(
        StackSetConfig.from_settings(settings, ADMIN), template_path().read_text(), parameters)

    status = stackset_status(cfn, settings.stack_name)
    assert status is not None and status.healthy
    assert status.lines()[1:] == [f"  {account}/{region}: CURRENT (SUCCEEDED)"
                                  for account in (OTHER, ADMIN) for region in ("us-east-1", "us-west-2")]

    reported: list[ProgressEvent] = []
    assert delete_stackset(cfn, settings.stack_name, reported.append, Polling(interval=0)) is True
    deleted = {(e.account, e.region) for e in reported
               if isinstance(e, StackSetInstanceUpdate) and e.status == "SUCCEEDED"}
    assert deleted == {(a, r) for a in (ADMIN, OTHER) for r in ("us-east-1", "us-west-2")}
    assert moto_stack(OTHER, "us-west-2", settings.stack_name) is None
    assert stackset_status(cfn, settings.stack_name) is None
    assert delete_stackset(cfn, settings.stack_name, reported.append) is False  # already gone


# -- Stubber: operations as AWS runs them ---------------------------------------------------

NAME = "port-aws-set"
SET_ID = f"{NAME}:aaaa-1111"
TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
PARAMETERS = {"PortWebhookUrl": "https://ingest.getport.io/key", "PortWebhookSecret": "s3cret",
              "QueueName": "port-aws-events-queue"}
SELF = StackSetConfig(NAME, "SELF_MANAGED", ("us-east-1", "eu-west-1"), (ADMIN, OTHER),
                      administration_role_arn=f"arn:aws:iam::{ADMIN}:role/{ADMIN_ROLE_NAME}",
                      execution_role_name=EXECUTION_ROLE_NAME)


class Script:
    """A stubbed CloudFormation client and what the deployer reported."""

    def __init__(self, service: str = "cloudformation") -> None:
        self.client = boto3.client(service, region_name="us-east-1", aws_access_key_id="testing",
                                   aws_secret_access_key="testing")
        self.stubber = Stubber(self.client)
        self.reported: list[ProgressEvent] = []
        self.sleeps: list[float] = []

    def deployer(self) -> StackSetDeployer:
        return StackSetDeployer(self.client, self.reported.append,
                                Polling(interval=5, sleep=self.sleeps.append))

    def add(self, method: str, response: dict[str, Any], params: dict[str, Any] | None = None) -> None:
        self.stubber.add_response(method, response, params)

    def stack_set(self, **extra: Any) -> None:
        self.add("describe_stack_set", {"StackSet": {
            "StackSetName": NAME, "StackSetId": SET_ID, "Status": "ACTIVE", "TemplateBody": TEMPLATE,
            "PermissionModel": "SELF_MANAGED", "AdministrationRoleARN": SELF.administration_role_arn,
            "ExecutionRoleName": EXECUTION_ROLE_NAME, "Description": description(PARAMETERS),
            "Parameters": [{"ParameterKey": k, "ParameterValue": "****" if k.startswith("PortWebhook") else v}
                           for k, v in PARAMETERS.items()], **extra}})

    def operation(self, status: str, action: str = "CREATE", operation_id: str = "op-1") -> None:
        self.add("describe_stack_set_operation", {"StackSetOperation": {
            "OperationId": operation_id, "StackSetId": SET_ID, "Action": action, "Status": status}},
            {"StackSetName": NAME, "OperationId": operation_id})

    def results(self, *rows: tuple[str, str, str, str]) -> None:
        self.add("list_stack_set_operation_results", {"Summaries": [
            {"Account": a, "Region": r, "Status": s, **({"StatusReason": why} if why else {})}
            for a, r, s, why in rows]})

    def instances(self, *rows: tuple[str, str, str]) -> None:
        self.add("list_stack_instances", {"Summaries": [
            {"StackSetId": SET_ID, "Account": a, "Region": r, "Status": s} for a, r, s in rows]})

    def instance(self, account: str, region: str, overrides: dict[str, str] | None = None) -> None:
        self.add("describe_stack_instance", {"StackInstance": {
            "StackSetId": SET_ID, "Account": account, "Region": region, "Status": "CURRENT",
            "ParameterOverrides": [{"ParameterKey": k, "ParameterValue": v}
                                   for k, v in (overrides or {}).items()]}},
            {"StackSetName": NAME, "StackInstanceAccount": account, "StackInstanceRegion": region})


@pytest.fixture
def script() -> Iterator[Script]:
    s = Script()
    with s.stubber:
        yield s
        s.stubber.assert_no_pending_responses()


def test_failed_instances_are_reported_live_and_named_with_their_reasons(script: Script) -> None:
    script.stubber.add_client_error("describe_stack_set", "StackSetNotFoundException", http_status_code=404)
    script.add("create_stack_set", {"StackSetId": SET_ID}, {
        "StackSetName": NAME, "Description": description(PARAMETERS), "TemplateBody": TEMPLATE,
        "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "PermissionModel": "SELF_MANAGED",
        "ClientRequestToken": ANY, "AdministrationRoleARN": SELF.administration_role_arn,
        "ExecutionRoleName": EXECUTION_ROLE_NAME})
    script.add("create_stack_instances", {"OperationId": "op-1"}, {
        "StackSetName": NAME, "Accounts": [ADMIN, OTHER], "Regions": ["eu-west-1", "us-east-1"],
        "OperationId": ANY})
    script.operation("RUNNING")
    script.results((ADMIN, "us-east-1", "RUNNING", ""), (OTHER, "us-east-1", "PENDING", ""))
    script.operation("FAILED")
    script.results((ADMIN, "us-east-1", "SUCCEEDED", ""),
                   (OTHER, "us-east-1", "FAILED",
                    "Account 111111111111 should have 'AWSCloudFormationStackSetExecutionRole' role"),
                   (ADMIN, "eu-west-1", "CANCELLED", "Cancelled since failure tolerance has exceeded"))

    with pytest.raises(StackDeployError) as raised:
        script.deployer().deploy(SELF, TEMPLATE, PARAMETERS)

    message = str(raised.value)
    assert f"{OTHER}/us-east-1: FAILED Account 111111111111 should have " in message
    assert f"{ADMIN}/eu-west-1: CANCELLED Cancelled since failure tolerance" in message
    assert "a re-run retries what failed" in message
    progress = [(e.account, e.region, e.status)
                for e in script.reported if isinstance(e, StackSetInstanceUpdate)]
    assert progress == [(ADMIN, "us-east-1", "RUNNING"), (OTHER, "us-east-1", "PENDING"),
                        (ADMIN, "us-east-1", "SUCCEEDED"), (OTHER, "us-east-1", "FAILED"),
                        (ADMIN, "eu-west-1", "CANCELLED")]
    operation = [e.status for e in script.reported if isinstance(e, StackSetOperationUpdate)]
    assert operation == ["RUNNING", "FAILED"]
    assert script.sleeps == [5]


def test_outdated_and_overridden_instances_are_updated_and_hidden_secrets_compare_by_fingerprint(
        script: Script) -> None:
    script.stack_set()  # NoEcho values show as ****; the Description's fingerprint matches
    script.instances((ADMIN, "us-east-1", "CURRENT"), (ADMIN, "eu-west-1", "OUTDATED"),
                     (OTHER, "us-east-1", "CURRENT"), (OTHER, "eu-west-1", "CURRENT"))
    script.instance(ADMIN, "us-east-1")
    script.instance(ADMIN, "eu-west-1")
    script.instance(OTHER, "us-east-1")
    script.instance(OTHER, "eu-west-1", overrides={"QueueName": "hand-edited"})
    script.add("update_stack_instances", {"OperationId": "op-2"}, {
        "StackSetName": NAME, "Accounts": [ADMIN, OTHER], "Regions": ["eu-west-1"],
        "ParameterOverrides": [], "OperationId": ANY})
    script.operation("SUCCEEDED", "UPDATE", "op-2")
    script.results((ADMIN, "eu-west-1", "SUCCEEDED", ""), (OTHER, "eu-west-1", "SUCCEEDED", ""))
    script.instances((ADMIN, "us-east-1", "CURRENT"), (ADMIN, "eu-west-1", "CURRENT"),
                     (OTHER, "us-east-1", "CURRENT"), (OTHER, "eu-west-1", "CURRENT"))

    settled = script.deployer().deploy(SELF, TEMPLATE, PARAMETERS)

    assert settled.change is Change.UPDATE and settled.succeeded
    assert [(e.account, e.action) for e in script.reported if isinstance(e, StackSetInstanceUpdate)] == [
        (ADMIN, "UPDATE"), (OTHER, "UPDATE")]


def test_changed_webhook_secret_behind_noecho_updates_the_set(script: Script) -> None:
    script.stack_set(Description=description({**PARAMETERS, "PortWebhookSecret": "old"}))
    script.instances()
    script.add("update_stack_set", {"OperationId": "op-3"}, {
        "StackSetName": NAME, "Description": description(PARAMETERS), "TemplateBody": TEMPLATE,
        "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "OperationId": ANY,
        "AdministrationRoleARN": SELF.administration_role_arn,
        "ExecutionRoleName": EXECUTION_ROLE_NAME})
    script.operation("SUCCEEDED", "UPDATE", "op-3")
    script.results()
    script.add("create_stack_instances", {"OperationId": "op-4"}, {
        "StackSetName": NAME, "Accounts": [ADMIN, OTHER], "Regions": ["eu-west-1", "us-east-1"],
        "OperationId": ANY})
    script.operation("SUCCEEDED", "CREATE", "op-4")
    script.results()
    script.instances()

    script.deployer().deploy(SELF, TEMPLATE, PARAMETERS)

    notices = [e.message for e in script.reported if isinstance(e, Notice)]
    assert any("PortWebhookUrl, PortWebhookSecret changed" in message for message in notices)
    assert "s3cret" not in " ".join(notices)


def test_an_operation_already_running_is_waited_out(script: Script) -> None:
    script.stack_set()
    script.instances((ADMIN, "us-east-1", "OUTDATED"))
    script.instance(ADMIN, "us-east-1")
    config = dataclasses.replace(SELF, regions=("us-east-1",), accounts=(ADMIN,))
    script.stubber.add_client_error("update_stack_instances", "OperationInProgressException",
                                    "Another Operation on StackSet is in progress")
    script.add("update_stack_instances", {"OperationId": "op-5"})
    script.operation("SUCCEEDED", "UPDATE", "op-5")
    script.results((ADMIN, "us-east-1", "SUCCEEDED", ""))
    script.instances((ADMIN, "us-east-1", "CURRENT"))

    settled = script.deployer().deploy(config, TEMPLATE, PARAMETERS)

    assert settled.succeeded
    assert any("another operation is running; waiting" in e.message
               for e in script.reported if isinstance(e, Notice))


def test_a_stackset_with_the_other_permission_model_is_not_touched(script: Script) -> None:
    script.stack_set(PermissionModel="SERVICE_MANAGED")
    with pytest.raises(StackDeployError, match="exists with SERVICE_MANAGED permissions and AWS cannot "
                                               "change a StackSet's permission model"):
        script.deployer().deploy(SELF, TEMPLATE, PARAMETERS)


def test_service_managed_delete_targets_the_ous_and_deletes_the_stacks(script: Script) -> None:
    script.stack_set(PermissionModel="SERVICE_MANAGED")
    script.add("list_stack_instances", {"Summaries": [
        {"Account": OTHER, "Region": "us-east-1", "Status": "CURRENT",
         "OrganizationalUnitId": "ou-ab12-11111111"},
        {"Account": "222222222222", "Region": "us-east-1", "Status": "CURRENT",
         "OrganizationalUnitId": "ou-ab12-11111111"}]})
    script.add("delete_stack_instances", {"OperationId": "op-6"}, {
        "StackSetName": NAME, "Regions": ["us-east-1"], "RetainStacks": False, "OperationId": ANY,
        "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-11111111"]}})
    script.operation("RUNNING", "DELETE", "op-6")
    script.results((OTHER, "us-east-1", "RUNNING", ""))
    script.operation("SUCCEEDED", "DELETE", "op-6")
    script.results((OTHER, "us-east-1", "SUCCEEDED", ""), ("222222222222", "us-east-1", "SUCCEEDED", ""))
    script.instances()
    script.add("delete_stack_set", {}, {"StackSetName": NAME})

    assert delete_stackset(script.client, NAME, script.reported.append,
                           STACKSET_POLLING.replace(sleep=script.sleeps.append))
    assert any("deleted (2 instance(s) first)" in e.message for e in script.reported if isinstance(e, Notice))


# -- service-managed pre-checks --------------------------------------------------------------

SERVICE = StackSetConfig(NAME, "SERVICE_MANAGED", ("us-east-1",), organizational_units=("ou-ab12-11111111",))


def organizations_script(management: str = ADMIN) -> Script:
    organizations = Script("organizations")
    organizations.add("describe_organization",
                      {"Organization": {"Id": "o-abc123", "MasterAccountId": management}})
    organizations.add("describe_organizational_unit", {"OrganizationalUnit": {"Id": "ou-ab12-11111111"}},
                      {"OrganizationalUnitId": "ou-ab12-11111111"})
    return organizations


@pytest.mark.parametrize("status", ["DISABLED", "DISABLED_PERMANENTLY"])
def test_trusted_access_off_is_explained_with_the_command_to_turn_it_on(status: str) -> None:
    organizations, cfn = organizations_script(), Script()
    cfn.add("describe_organizations_access", {"Status": status})
    with organizations.stubber, cfn.stubber, pytest.raises(AwsAccessError) as raised:
        check_service_managed(SERVICE, organizations.client, cfn.client, CallerIdentity(ADMIN, "aws", ""),
                              cfn.reported.append)
    assert f"trusted access to AWS Organizations is {status}" in str(raised.value)
    assert "aws cloudformation activate-organizations-access" in str(raised.value)


def test_trusted_access_on_passes_quietly_from_the_management_account() -> None:
    organizations, cfn = organizations_script(), Script()
    cfn.add("describe_organizations_access", {"Status": "ENABLED"})
    with organizations.stubber, cfn.stubber:
        check_service_managed(SERVICE, organizations.client, cfn.client, CallerIdentity(ADMIN, "aws", ""),
                              cfn.reported.append)
    assert cfn.reported == []


def test_moto_without_describe_organizations_access_says_could_not_check(
        boto_session: boto3.Session, aws_endpoint: str, aws_client: Callable[..., Any]) -> None:
    organizations = aws_client("organizations")
    with contextlib.suppress(organizations.exceptions.AlreadyInOrganizationException):
        organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    unit = organizations.create_organizational_unit(ParentId=root, Name=unique_name("ou"))
    settings = InstallSettings(aws_endpoint_url=aws_endpoint, stackset=True, regions=("us-east-1",),
                               organizational_units=(unit["OrganizationalUnit"]["Id"],))
    reported: list[ProgressEvent] = []
    config = stackset_preflight(boto_session, settings, reported.append)
    assert config.permission_model == "SERVICE_MANAGED" and config.administration_role_arn == ""
    assert [e.message.split(" (")[0] for e in reported if isinstance(e, Notice)] == [
        "could not check whether StackSets' trusted access to AWS Organizations is active"]

    missing = dataclasses.replace(settings, organizational_units=("ou-zzzz-99999999",))
    with pytest.raises(AwsAccessError, match="ou-zzzz-99999999 do not exist in this organization"):
        stackset_preflight(boto_session, missing, reported.append)


def test_settled_event_lists_every_instance_for_the_console() -> None:
    from wizard.cli.render import ConsoleReporter

    out = io.StringIO()
    ConsoleReporter(out)(StackSetSettled(NAME, Change.NO_CHANGE, True, (f"{OTHER}/us-east-1: CURRENT",)))
    assert out.getvalue() == f"StackSet {NAME}: no change, 1 instance(s)\n  {OTHER}/us-east-1: CURRENT\n"


# -- the status and uninstall commands on a StackSet install (moto) ---------------------------

def deployed_stackset(aws_client: Callable[..., Any]) -> InstallSettings:
    """A self-managed StackSet in this account and another, us-east-1, deployed on moto."""
    settings = InstallSettings(stackset=True, accounts=(ADMIN, OTHER), regions=("us-east-1",),
                               stack_name=unique_name("set"), queue_name=unique_name("events"),
                               lambda_function_name=unique_name("forwarder"))
    StackSetDeployer(aws_client("cloudformation"), lambda _e: None, Polling(interval=0)).deploy(
        StackSetConfig.from_settings(settings, ADMIN), template_path().read_text(),
        stack_parameters(settings, "https://ingest.example/key", ""))
    return settings


def test_status_and_uninstall_commands_find_a_stackset_install_by_its_name(
        stackset_stack_names: None, aws_client: Callable[..., Any], aws_endpoint: str) -> None:
    from wizard.cli.status import main as status_main
    from wizard.cli.uninstall import main as uninstall_main

    settings = deployed_stackset(aws_client)
    environ = {"AWS_ENDPOINT_URL": aws_endpoint}
    argv = ["--stack-name", settings.stack_name]

    out = io.StringIO()
    assert status_main(argv, environ, out, io.StringIO()) == 0
    assert f"  {OTHER}/us-east-1: CURRENT (SUCCEEDED)" in out.getvalue()
    assert "All instances are current." in out.getvalue()

    out, err = io.StringIO(), io.StringIO()
    assert uninstall_main([*argv, "--yes"], environ, out, err) == 0, err.getvalue()
    text = out.getvalue()
    assert text.index(f"delete aws  instance    {OTHER}/us-east-1") < text.index(
        f"delete aws  stackset    {settings.stack_name}")
    assert f"{OTHER} us-east-1       delete  SUCCEEDED" in text
    assert f"Removed: StackSet {settings.stack_name} (2 instances)" in text
    assert moto_stack(OTHER, "us-east-1", settings.stack_name) is None
    assert stackset_status(aws_client("cloudformation"), settings.stack_name) is None


def test_every_command_takes_the_flags_the_stackset_was_installed_with(
        stackset_stack_names: None, aws_client: Callable[..., Any], port_env: dict[str, str],
        aws_endpoint: str) -> None:
    """The install's own command line with only the verb changed: status, logs, redrive, sync
    and uninstall accept it (logs/redrive/sync act on this account's instance and say so)."""
    from wizard.cli.logs import main as logs_main
    from wizard.cli.redrive import main as redrive_main
    from wizard.cli.status import main as status_main
    from wizard.cli.sync import main as sync_main
    from wizard.cli.uninstall import main as uninstall_main

    settings = deployed_stackset(aws_client)
    environ = {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}
    install_argv = ["--stackset", "--accounts", f"{ADMIN},{OTHER}", "--regions", "us-east-1",
                    "--stack-name", settings.stack_name, "--queue-name", settings.queue_name,
                    "--lambda-function-name", settings.lambda_function_name]

    def verb(main: Callable[..., int], *extra: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main([*install_argv, *extra], environ, out, err), out.getvalue(), err.getvalue()

    code, out, _err = verb(status_main)
    assert code == 0 and f"  {OTHER}/us-east-1: CURRENT (SUCCEEDED)" in out
    for main, doing in ((logs_main, "showing the logs of"), (redrive_main, "redriving")):
        code, _out, err = verb(main)
        assert code == 0, err
        assert f"note: StackSet {settings.stack_name}: {doing} this account's instance in us-east-1" in err
    _code, _out, err = verb(sync_main)  # no webhook in this Port: it gets as far as asking Port
    assert "syncing this account's instance in us-east-1" in err
    assert "webhook 'aws_ingest' is not in Port" in err
    code, out, err = verb(uninstall_main, "--yes")
    assert code == 0, err
    assert f"Removed: StackSet {settings.stack_name} (2 instances)" in out
