"""Before a StackSet install touches anything: are its permissions in place?

Self-managed StackSets need two IAM roles (AWS CloudFormation User Guide, "Grant
self-managed permissions"): AWSCloudFormationStackSetAdministrationRole in the
administrator account, which CloudFormation assumes, and
AWSCloudFormationStackSetExecutionRole in every target account, trusting it.
Service-managed StackSets need AWS Organizations and StackSets' trusted access to it
("Activate trusted access for StackSets with AWS Organizations").

What can be read from the administrator account is checked; what cannot (roles in other
accounts, DescribeOrganizationsAccess on endpoints without it, such as moto) is reported
as a Notice saying it was not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import botocore.exceptions
from botocore.parsers import ResponseParserError

from core.aws.clients import attempts, aws_errors, explain_aws_error, make_client
from core.aws.stackset_model import ADMIN_ROLE_NAME, EXECUTION_ROLE_NAME, StackSetConfig
from core.config.settings import InstallSettings
from core.errors import AwsAccessError
from core.progress import Notice, Reporter

SELF_MANAGED_DOC = ("AWS CloudFormation User Guide, 'Grant self-managed permissions': "
                    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                    "stacksets-prereqs-self-managed.html")
TRUSTED_ACCESS_DOC = ("AWS CloudFormation User Guide, 'Activate trusted access for StackSets with "
                      "AWS Organizations': https://docs.aws.amazon.com/AWSCloudFormation/latest/"
                      "UserGuide/stacksets-orgs-activate-trusted-access.html")
CLOUDFORMATION_PRINCIPAL = "cloudformation.amazonaws.com"
# One attempt: an endpoint without DescribeOrganizationsAccess answers HTTP 500, which the
# standard retry mode would otherwise retry with backoff before we can say "not checked".
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    partition: str
    arn: str


def caller_identity(sts_client: Any) -> CallerIdentity:
    identity = sts_client.get_caller_identity()
    arn = identity.get("Arn", "")
    partition = arn.split(":")[1] if arn.count(":") >= 2 else "aws"
    return CallerIdentity(identity["Account"], partition or "aws", arn)


def stackset_preflight(session: Any, settings: InstallSettings, report: Reporter) -> StackSetConfig:
    """The StackSet's config (roles defaulted in this account) after its permission checks.

    Raises AwsAccessError with what to create or turn on when a check fails.
    """
    with aws_errors("check your AWS identity (sts get-caller-identity)"):
        identity = caller_identity(make_client(session, "sts", settings))
    config = StackSetConfig.from_settings(settings, identity.account, identity.partition)
    try:
        if config.service_managed:
            cloudformation = make_client(session, "cloudformation", settings, attempts(1))
            check_service_managed(config, make_client(session, "organizations", settings),
                                  cloudformation, identity, report)
        else:
            check_self_managed(config, make_client(session, "iam", settings), identity, report)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        doing = f"check the StackSet permissions ({config.permission_model})"
        raise explain_aws_error(error, doing) from None
    return config


# -- self-managed ----------------------------------------------------------------------

def check_self_managed(config: StackSetConfig, iam: Any, identity: CallerIdentity,
                       report: Reporter) -> None:
    """The administration role exists here and CloudFormation may assume it; the execution
    role exists here when this account is a target (other accounts cannot be read from here)."""
    role_account, role_name = _split_role_arn(config.administration_role_arn)
    if role_account != identity.account:
        report(Notice(f"the administration role {config.administration_role_arn} is in account "
                      f"{role_account}, not this one ({identity.account}): not checked", "warning"))
    else:
        role = _get_role(iam, role_name, report)
        if role is False:
            raise AwsAccessError(_missing_roles_message(config, identity, admin_missing=True))
        if role and not _trusts_cloudformation(role):
            raise AwsAccessError(
                f"the administration role {config.administration_role_arn} exists, but CloudFormation "
                f"cannot assume it: its trust policy must allow the service principal "
                f"{CLOUDFORMATION_PRINCIPAL} to call sts:AssumeRole (see {SELF_MANAGED_DOC})")
    others = [account for account in config.accounts if account != identity.account]
    if identity.account in config.accounts and _get_role(iam, config.execution_role_name, report) is False:
        raise AwsAccessError(_missing_roles_message(config, identity, admin_missing=False))
    if others:
        report(Notice(
            f"not checked from here: each of the {len(others)} other target account(s) needs the "
            f"execution role {config.execution_role_name}, trusting {config.administration_role_arn} "
            f"(template {EXECUTION_ROLE_NAME}.yml; {SELF_MANAGED_DOC})"))


def _get_role(iam: Any, name: str, report: Reporter) -> dict[str, Any] | bool | None:
    """The role; False when it does not exist; None when we may not look (with a Notice)."""
    try:
        return iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return False
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in _DENIED:
            raise
        report(Notice(f"could not check the IAM role {name} (iam:GetRole denied): make sure it "
                      "exists", "warning"))
        return None


def _trusts_cloudformation(role: dict[str, Any]) -> bool:
    document = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = (statement.get("Principal") or {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (statement.get("Effect") == "Allow" and CLOUDFORMATION_PRINCIPAL in services
                and any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions)):
            return True
    return False


def _missing_roles_message(config: StackSetConfig, identity: CallerIdentity, admin_missing: bool) -> str:
    if not admin_missing:
        return (
            f"the StackSet execution role {config.execution_role_name} does not exist in account "
            f"{identity.account}, which is one of the targets: create it there from AWS's template "
            f"{EXECUTION_ROLE_NAME}.yml with {identity.account} as the administrator account "
            f"({SELF_MANAGED_DOC}), or name an existing role with --execution-role-name")
    return (
        f"the StackSet administration role {config.administration_role_arn} does not exist. "
        f"Self-managed StackSets need {ADMIN_ROLE_NAME} in this account ({identity.account}), "
        f"trusting {CLOUDFORMATION_PRINCIPAL}, and {config.execution_role_name} in every target "
        f"account, trusting the administration role. Create them from AWS's templates "
        f"{ADMIN_ROLE_NAME}.yml and {EXECUTION_ROLE_NAME}.yml ({SELF_MANAGED_DOC}), or name existing "
        "ones with --administration-role-arn / --execution-role-name, or deploy to organizational "
        "units with SERVICE_MANAGED permissions (--organizational-units)")


def _split_role_arn(arn: str) -> tuple[str, str]:
    """arn:aws:iam::111111111111:role/path/Name -> ("111111111111", "Name")."""
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    name = parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else ""
    return account, name


# -- service-managed -------------------------------------------------------------------

def check_service_managed(config: StackSetConfig, organizations: Any, cloudformation: Any,
                          identity: CallerIdentity, report: Reporter) -> None:
    """In an organization, the OUs exist, and StackSets' trusted access is turned on."""
    try:
        organization = organizations.describe_organization()["Organization"]
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "AWSOrganizationsNotInUseException":
            raise AwsAccessError(
                f"account {identity.account} is not in an AWS Organization, which SERVICE_MANAGED "
                "StackSets need: deploy to accounts with SELF_MANAGED permissions instead "
                "(--accounts ... --permission-model SELF_MANAGED)") from None
        if code not in _DENIED:
            raise
        report(Notice("could not check AWS Organizations (organizations:DescribeOrganization "
                      "denied)", "warning"))
        organization = None
    if organization and organization.get("MasterAccountId") not in (None, identity.account):
        report(Notice(
            f"account {identity.account} is not the organization's management account "
            f"({organization.get('MasterAccountId')}): service-managed StackSets are created from "
            "the management account (delegated administrators are not supported here)", "warning"))
    if organization:
        _check_units(config, organizations, report)
    _check_trusted_access(cloudformation, report)


def _check_units(config: StackSetConfig, organizations: Any, report: Reporter) -> None:
    missing = []
    for unit in config.organizational_units:
        if not unit.startswith("ou-"):
            continue  # a root (r-...): DescribeOrganizationalUnit does not take it
        try:
            organizations.describe_organizational_unit(OrganizationalUnitId=unit)
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "OrganizationalUnitNotFoundException":
                missing.append(unit)
            elif code in _DENIED:
                report(Notice(f"could not check organizational unit {unit} (access denied)", "warning"))
            else:
                raise
    if missing:
        raise AwsAccessError(
            f"organizational unit(s) {', '.join(missing)} do not exist in this organization: "
            "list them with `aws organizations list-organizational-units-for-parent "
            "--parent-id <root or OU id>` and fix --organizational-units")


def _check_trusted_access(cloudformation: Any, report: Reporter) -> None:
    """DescribeOrganizationsAccess: ENABLED, or an error saying how to activate it.

    moto does not implement it (HTTP 500, which botocore raises as ResponseParserError,
    not ClientError): that, and an access denial, end in "could not check".
    """
    try:
        status = cloudformation.describe_organizations_access().get("Status", "")
    except (ResponseParserError, botocore.exceptions.ClientError) as error:
        if (isinstance(error, botocore.exceptions.ClientError)
                and error.response.get("Error", {}).get("Code", "") not in _DENIED):
            raise
        report(Notice(
            "could not check whether StackSets' trusted access to AWS Organizations is active "
            "(DescribeOrganizationsAccess did not answer): if creating instances fails, run "
            f"`aws cloudformation activate-organizations-access` ({TRUSTED_ACCESS_DOC})", "warning"))
        return
    if status != "ENABLED":
        raise AwsAccessError(
            f"StackSets' trusted access to AWS Organizations is {status or 'not active'}, which "
            "SERVICE_MANAGED StackSets need: from the management account run "
            "`aws cloudformation activate-organizations-access` (or CloudFormation console > "
            f"StackSets > Activate trusted access); see {TRUSTED_ACCESS_DOC}")
