"""What a StackSet install is made of: its configuration from the settings, its instances,
plan and status, and the CloudFormation arguments built from them (core/aws/stackset.py
runs the operations)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.aws.stack_parameters import SECRET_PARAMETERS
from core.config.settings import InstallSettings, count_or_percentage
from core.progress import Change, PlanItem

ADMIN_ROLE_NAME = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE_NAME = "AWSCloudFormationStackSetExecutionRole"
DESCRIPTION = "port-aws-wizard install"
AUTO_DEPLOYMENT = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
"""Service-managed: accounts that join a target OU get the stack, leaving ones lose it."""

RUNNING_STATUSES = frozenset({"QUEUED", "RUNNING", "STOPPING"})
FAILED_RESULTS = frozenset({"FAILED", "CANCELLED"})

Pair = tuple[str, str]  # (account or OU id, region)


@dataclass(frozen=True)
class StackSetConfig:
    """What the StackSet should be: its name, permission model, targets and operation preferences."""

    name: str
    permission_model: str  # SELF_MANAGED | SERVICE_MANAGED
    regions: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    administration_role_arn: str = ""  # SELF_MANAGED only
    execution_role_name: str = ""  # SELF_MANAGED only
    failure_tolerance: str = ""  # "N" | "N%" | "" (AWS default 0)
    max_concurrency: str = ""  # "N" | "N%" | "" (AWS default 1)

    @classmethod
    def from_settings(cls, settings: InstallSettings, admin_account: str,
                      partition: str = "aws") -> StackSetConfig:
        """The StackSet of an install; self-managed roles default to AWS's standard names."""
        model = settings.stackset_permission_model
        admin_role = execution_role = ""
        if model == "SELF_MANAGED":
            admin_role = (settings.administration_role_arn
                          or f"arn:{partition}:iam::{admin_account}:role/{ADMIN_ROLE_NAME}")
            execution_role = settings.execution_role_name or EXECUTION_ROLE_NAME
        return cls(
            name=settings.stack_name, permission_model=model, regions=settings.regions,
            accounts=settings.accounts, organizational_units=settings.organizational_units,
            administration_role_arn=admin_role, execution_role_name=execution_role,
            failure_tolerance=settings.failure_tolerance, max_concurrency=settings.max_concurrency,
        )

    @property
    def service_managed(self) -> bool:
        return self.permission_model == "SERVICE_MANAGED"

    @property
    def targets(self) -> tuple[str, ...]:
        """Accounts (self-managed) or organizational units (service-managed)."""
        return self.organizational_units if self.service_managed else self.accounts

    def operation_preferences(self) -> dict[str, Any]:
        """StackSetOperationPreferences from --failure-tolerance / --max-concurrency.

        With a max concurrency set, ConcurrencyMode is SOFT_FAILURE_TOLERANCE: in AWS's
        default (STRICT) mode the concurrency never exceeds failure tolerance + 1, so
        "--max-concurrency 10" alone would still deploy one account at a time.
        """
        preferences: dict[str, Any] = {}
        for value, count_key, percent_key in (
            (self.failure_tolerance, "FailureToleranceCount", "FailureTolerancePercentage"),
            (self.max_concurrency, "MaxConcurrentCount", "MaxConcurrentPercentage"),
        ):
            parsed = count_or_percentage(value) if value else None
            if parsed is not None:
                preferences[percent_key if parsed[1] else count_key] = parsed[0]
        if self.max_concurrency:
            preferences["ConcurrencyMode"] = "SOFT_FAILURE_TOLERANCE"
        return preferences


@dataclass(frozen=True)
class StackSetInstance:
    """One stack instance, as ListStackInstances describes it."""

    account: str
    region: str
    status: str  # CURRENT | OUTDATED | INOPERABLE
    detailed_status: str = ""  # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED | ...
    reason: str = ""
    organizational_unit: str = ""
    drift_status: str = ""
    stack_id: str = ""

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}"

    def describe(self) -> str:
        """"111111111111/eu-west-1: OUTDATED (FAILED): reason" for status lines."""
        detail = f" ({self.detailed_status})" if self.detailed_status else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.label}: {self.status}{detail}{reason}"

    @classmethod
    def from_summary(cls, raw: Mapping[str, Any]) -> StackSetInstance:
        return cls(
            account=raw.get("Account", ""), region=raw.get("Region", ""),
            status=raw.get("Status", ""),
            detailed_status=(raw.get("StackInstanceStatus") or {}).get("DetailedStatus", ""),
            reason=raw.get("StatusReason", ""),
            organizational_unit=raw.get("OrganizationalUnitId", ""),
            drift_status=raw.get("DriftStatus", ""), stack_id=raw.get("StackId", ""),
        )


@dataclass(frozen=True)
class InstanceUpdate:
    """An existing instance to update, and why."""

    instance: StackSetInstance
    why: str


@dataclass(frozen=True)
class StackSetPlan:
    """What converging would do (from read-only calls)."""

    name: str
    set_change: Change  # CREATE | UPDATE | NO_CHANGE for the StackSet itself
    differences: tuple[str, ...] = ()
    create: tuple[Pair, ...] = ()  # (account or OU, region) without an instance
    update: tuple[InstanceUpdate, ...] = ()
    existing: tuple[StackSetInstance, ...] = ()
    extra: tuple[StackSetInstance, ...] = ()  # instances outside the targets: left alone

    @property
    def change(self) -> Change:
        if self.set_change is not Change.NO_CHANGE:
            return self.set_change
        return Change.UPDATE if self.create or self.update else Change.NO_CHANGE

    def plan_items(self) -> list[PlanItem]:
        detail = "; ".join(self.differences)
        if self.set_change is Change.UPDATE and self.existing:
            detail += f"; updates its {len(self.existing)} instance(s)"
        items = [PlanItem("aws", "stackset", self.name, self.set_change, detail.strip("; "))]
        items += [PlanItem("aws", "stack instance", f"{target}/{region}", Change.CREATE)
                  for target, region in self.create]
        items += [PlanItem("aws", "stack instance", update.instance.label, Change.UPDATE, update.why)
                  for update in self.update]
        items += [PlanItem("aws", "stack instance", instance.label, Change.NO_CHANGE,
                           "not in --accounts/--organizational-units: left in place")
                  for instance in self.extra]
        return items


@dataclass
class OperationOutcome:
    operation_id: str
    action: str
    status: str
    failures: list[str] = field(default_factory=list)  # "account/region: reason"


@dataclass(frozen=True)
class StackSetStatus:
    """A StackSet install as `status` shows it."""

    name: str
    status: str  # ACTIVE | DELETED
    permission_model: str
    instances: tuple[StackSetInstance, ...]
    last_operation: str = ""  # "UPDATE SUCCEEDED" of the newest operation

    @property
    def healthy(self) -> bool:
        return bool(self.instances) and all(
            instance.status == "CURRENT" and instance.detailed_status in ("", "SUCCEEDED")
            for instance in self.instances)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "permission_model": self.permission_model,
                "healthy": self.healthy, "last_operation": self.last_operation,
                "instances": [dataclasses.asdict(instance) for instance in self.instances]}

    def lines(self) -> list[str]:
        head = f"StackSet {self.name}: {self.status}, {self.permission_model}, " \
               f"{len(self.instances)} instance(s)"
        if self.last_operation:
            head += f", last operation {self.last_operation}"
        return [head, *(f"  {instance.describe()}" for instance in self.instances)]


def description(parameters: Mapping[str, str]) -> str:
    """The StackSet's Description, carrying a fingerprint of the NoEcho parameters.

    DescribeStackSet hides NoEcho values, so without it a re-run could not tell whether
    the webhook URL or secret changed (and would update every instance each time).
    """
    secret = "\n".join(parameters.get(name, "") for name in sorted(SECRET_PARAMETERS))
    return f"{DESCRIPTION} (secrets {hashlib.sha256(secret.encode()).hexdigest()[:16]})"


def parameter_list(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()]


def preferences_argument(config: StackSetConfig) -> dict[str, Any]:
    preferences = config.operation_preferences()
    return {"OperationPreferences": preferences} if preferences else {}


def role_arguments(config: StackSetConfig) -> dict[str, Any]:
    if config.service_managed:
        return {"AutoDeployment": dict(AUTO_DEPLOYMENT)}
    return {"AdministrationRoleARN": config.administration_role_arn,
            "ExecutionRoleName": config.execution_role_name}


def targets_argument(config: StackSetConfig, targets: Iterable[str]) -> dict[str, Any]:
    """Accounts=[...] (self-managed) or DeploymentTargets={OrganizationalUnitIds} (service)."""
    if config.service_managed:
        return {"DeploymentTargets": {"OrganizationalUnitIds": list(targets)}}
    return {"Accounts": list(targets)}


def accounts_argument(config: StackSetConfig, accounts: Iterable[str],
                       units: set[str]) -> dict[str, Any]:
    """Specific accounts: service-managed names them as OUs filtered to those accounts."""
    if config.service_managed:
        return {"DeploymentTargets": {"OrganizationalUnitIds": sorted(unit for unit in units if unit),
                                      "Accounts": list(accounts), "AccountFilterType": "INTERSECTION"}}
    return {"Accounts": list(accounts)}


def target_of(instance: StackSetInstance, config: StackSetConfig) -> str:
    return instance.organizational_unit if config.service_managed else instance.account


def group_pairs(pairs: Iterable[Pair]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(target, region) pairs as few (targets, regions) cross products as possible.

    Targets missing the same set of regions share one operation, so the usual case (new
    accounts, or a new region for every account) is a single operation.
    """
    regions_of: dict[str, list[str]] = {}
    for target, region in pairs:
        regions_of.setdefault(target, []).append(region)
    groups: dict[tuple[str, ...], list[str]] = {}
    for target, regions in regions_of.items():
        groups.setdefault(tuple(sorted(regions)), []).append(target)
    return [(tuple(targets), regions) for regions, targets in groups.items()]
