"""Deploy the stack to many accounts and regions with a CloudFormation StackSet.

Port is set up once (core/port/setup.py); then the StackSet converges on the settings:
it is created (or updated when its template, parameters or roles differ), missing
instances (account or OU x region) are created, and instances left OUTDATED or holding
parameter overrides are updated. Each StackSet operation is watched to its end and
reported per account/region. A re-run with the same inputs starts no operation.

UI-free API (the console and the wizard use the same calls and progress events):

    config = StackSetConfig.from_settings(settings, admin_account, partition)
    deployer = StackSetDeployer(cloudformation_client, report)
    deployer.inspect(config, template_body, parameters) -> StackSetPlan      # read only
    deployer.deploy(config, template_body, parameters) -> StackSetSettled    # converge
    stackset_status(cloudformation_client, name) -> StackSetStatus | None
    delete_stackset(cloudformation_client, name, report) -> bool             # instances, then set

Permission pre-checks (admin/execution roles, Organizations trusted access) live in
core/aws/stackset_permissions.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.aws.clients import explain_aws_error, make_client, make_session
from core.aws.deploy_command import CAPABILITIES
from core.aws.deployer import check_template_size
from core.aws.stack_parameters import SECRET_PARAMETERS
from core.aws.stacks import compare_parameters, same_template
from core.config.settings import InstallSettings, count_or_percentage
from core.errors import StackDeployError
from core.progress import (
    Change,
    Notice,
    PlanItem,
    Reporter,
    StackSetInstanceUpdate,
    StackSetOperationUpdate,
    StackSetSettled,
)

ADMIN_ROLE_NAME = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE_NAME = "AWSCloudFormationStackSetExecutionRole"
DESCRIPTION = "port-aws-wizard install"
AUTO_DEPLOYMENT = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
"""Service-managed: accounts that join a target OU get the stack, leaving ones lose it."""

_RUNNING = frozenset({"QUEUED", "RUNNING", "STOPPING"})
_FAILED_RESULTS = frozenset({"FAILED", "CANCELLED"})

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


class StackSetDeployer:
    """Creates, updates, inspects and deletes one StackSet, reporting operations as they run."""

    def __init__(
        self,
        cloudformation_client: Any,
        report: Reporter,
        poll_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout_seconds: float = 3 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cfn = cloudformation_client
        self._report = report
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._timeout_seconds = timeout_seconds
        self._clock = clock

    # -- read only -------------------------------------------------------------------

    def describe(self, name: str) -> dict[str, Any] | None:
        """DescribeStackSet; None when there is no such (active) StackSet."""
        try:
            stack_set = self._cfn.describe_stack_set(StackSetName=name)["StackSet"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "StackSetNotFoundException":
                return None
            raise
        return None if stack_set.get("Status") == "DELETED" else stack_set

    def instances(self, name: str) -> list[StackSetInstance]:
        """Every stack instance of the StackSet (all pages)."""
        found: list[StackSetInstance] = []
        kwargs: dict[str, Any] = {"StackSetName": name}
        while True:
            page = self._cfn.list_stack_instances(**kwargs)
            found += [StackSetInstance.from_summary(raw) for raw in page.get("Summaries", [])]
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]

    def inspect(self, config: StackSetConfig, template_body: str,
                parameters: Mapping[str, str]) -> StackSetPlan:
        """What `deploy` would do; changes nothing and reports nothing."""
        check_template_size(template_body)
        return self._plan(config, self.describe(config.name), template_body, parameters)

    def _plan(self, config: StackSetConfig, stack_set: Mapping[str, Any] | None,
              template_body: str, parameters: Mapping[str, str]) -> StackSetPlan:
        wanted = [(target, region) for target in config.targets for region in config.regions]
        if stack_set is None:
            return StackSetPlan(config.name, Change.CREATE, create=tuple(wanted))
        model = stack_set.get("PermissionModel") or "SELF_MANAGED"
        if model != config.permission_model:
            raise StackDeployError(
                f"the StackSet {config.name} exists with {model} permissions and AWS cannot change "
                f"a StackSet's permission model: use --permission-model {model} (with "
                f"{'--organizational-units' if model == 'SERVICE_MANAGED' else '--accounts'}), "
                f"or uninstall it first (port-aws-wizard uninstall) and run again")
        differences = self._differences(config, stack_set, template_body, parameters)
        existing = self.instances(config.name)
        have = {(_target_of(instance, config), instance.region) for instance in existing}
        create = tuple(pair for pair in wanted if pair not in have)
        extra = tuple(instance for instance in existing
                      if _target_of(instance, config) not in config.targets
                      or instance.region not in config.regions)
        update = tuple(self._instance_updates(config, existing, extra, bool(differences)))
        return StackSetPlan(config.name, Change.UPDATE if differences else Change.NO_CHANGE,
                            tuple(differences), create, update, tuple(existing), extra)

    def _differences(self, config: StackSetConfig, stack_set: Mapping[str, Any],
                     template_body: str, parameters: Mapping[str, str]) -> list[str]:
        differences = []
        if not same_template(stack_set.get("TemplateBody", ""), template_body):
            differences.append("template")
        changed, hidden = compare_parameters(stack_set.get("Parameters", []), parameters)
        differences += changed
        if hidden and stack_set.get("Description") != description(parameters):
            differences.append(f"{', '.join(hidden)} changed")  # NoEcho: told by the fingerprint
        if not config.service_managed:
            for key, wanted in (("AdministrationRoleARN", config.administration_role_arn),
                                ("ExecutionRoleName", config.execution_role_name)):
                if stack_set.get(key, "") != wanted:
                    differences.append(f"{key}: {stack_set.get(key, '')!r} -> {wanted!r}")
        else:
            current = stack_set.get("AutoDeployment") or {}
            if any(current.get(key) != value for key, value in AUTO_DEPLOYMENT.items()):
                differences.append("automatic deployment to accounts joining the OUs: turned on")
        return differences

    def _instance_updates(self, config: StackSetConfig, existing: list[StackSetInstance],
                          extra: tuple[StackSetInstance, ...], set_changes: bool
                          ) -> Iterable[InstanceUpdate]:
        """OUTDATED instances (unless the set update redeploys them anyway) and overridden ones.

        Parameter overrides outlive StackSet updates (AWS keeps an overridden value), so an
        instance with overrides would miss the next webhook URL change: they are cleared.
        ListStackInstances does not return overrides; DescribeStackInstance does.
        """
        for instance in existing:
            if instance in extra:
                continue
            if instance.status == "INOPERABLE":
                reason = instance.reason or "a delete failed"
                self._report(Notice(
                    f"stack instance {instance.label} is INOPERABLE ({reason}): "
                    "fix or delete it in the CloudFormation console (StackSets) and run again",
                    level="warning"))
                continue
            overrides = self._overrides(config.name, instance)
            if overrides:
                yield InstanceUpdate(instance, f"parameter overrides {', '.join(overrides)} cleared")
            elif instance.status == "OUTDATED" and not set_changes:
                yield InstanceUpdate(instance, f"OUTDATED{': ' + instance.reason if instance.reason else ''}")

    def _overrides(self, name: str, instance: StackSetInstance) -> list[str]:
        described = self._cfn.describe_stack_instance(
            StackSetName=name, StackInstanceAccount=instance.account,
            StackInstanceRegion=instance.region)["StackInstance"]
        return [item["ParameterKey"] for item in described.get("ParameterOverrides") or []]

    # -- converge --------------------------------------------------------------------

    def deploy(self, config: StackSetConfig, template_body: str,
               parameters: Mapping[str, str]) -> StackSetSettled:
        """Create or update the StackSet and its instances; raise StackDeployError naming each
        failed account/region once every operation has run."""
        check_template_size(template_body)
        plan = self._plan(config, self.describe(config.name), template_body, parameters)
        for instance in plan.extra:
            self._report(Notice(
                f"stack instance {instance.label} is not in the targets: left in place "
                "(delete it in the CloudFormation console if it should go)", level="warning"))
        failures: list[str] = []
        if plan.set_change is Change.CREATE:
            self._create_set(config, template_body, parameters)
        elif plan.set_change is Change.UPDATE:
            self._report(Notice(f"StackSet {config.name}: updating ({'; '.join(plan.differences)})"))
            failures += self._update_set(config, template_body, parameters)
        for targets, regions in _group(plan.create):
            failures += self._run(config, "CREATE", lambda op, t=targets, r=regions:
                                  self._cfn.create_stack_instances(
                                      StackSetName=config.name, Regions=list(r), OperationId=op,
                                      **_preferences(config),
                                      **_targets_argument(config, t)))
        updates = [(update.instance.account, update.instance.region) for update in plan.update]
        units = {update.instance.organizational_unit for update in plan.update}
        for accounts, regions in _group(updates):
            failures += self._run(config, "UPDATE", lambda op, a=accounts, r=regions:
                                  self._cfn.update_stack_instances(
                                      StackSetName=config.name, Regions=list(r), OperationId=op,
                                      ParameterOverrides=[],  # back to the set's values
                                      **_preferences(config),
                                      **_accounts_argument(config, a, units)))
        if plan.change is Change.NO_CHANGE:
            self._report(Notice(f"StackSet {config.name} and its {len(plan.existing)} instance(s) "
                                "are up to date: no operation started."))
        instances = sorted(self.instances(config.name), key=lambda i: (i.account, i.region))
        settled = StackSetSettled(config.name, plan.change, not failures,
                                  tuple(instance.describe() for instance in instances),
                                  tuple(failures))
        self._report(settled)
        if failures:
            raise StackDeployError(
                f"the StackSet {config.name} failed in {len(failures)} account/region(s): "
                + "; ".join(failures)
                + ". Fix the cause in those accounts and run again: a re-run retries them")
        return settled

    def _create_set(self, config: StackSetConfig, template_body: str,
                    parameters: Mapping[str, str]) -> None:
        self._report(Notice(f"StackSet {config.name}: creating ({config.permission_model})"))
        self._cfn.create_stack_set(
            StackSetName=config.name, Description=description(parameters),
            TemplateBody=template_body, Parameters=_parameter_list(parameters),
            Capabilities=list(CAPABILITIES), PermissionModel=config.permission_model,
            ClientRequestToken=str(uuid.uuid4()), **_role_arguments(config))

    def _update_set(self, config: StackSetConfig, template_body: str,
                    parameters: Mapping[str, str]) -> list[str]:
        """UpdateStackSet without targets: AWS then updates every instance of the set.

        (moto does not redeploy instances on update_stack_set; AWS does.)
        """
        return self._run(config, "UPDATE", lambda op: self._cfn.update_stack_set(
            StackSetName=config.name, Description=description(parameters),
            TemplateBody=template_body, Parameters=_parameter_list(parameters),
            Capabilities=list(CAPABILITIES), OperationId=op,
            **_preferences(config), **_role_arguments(config)))

    # -- operations ------------------------------------------------------------------

    def _run(self, config: StackSetConfig, action: str, start: Callable[[str], Any]) -> list[str]:
        """Start an operation (waiting out another one in progress), watch it to its end.

        Returns the failed account/regions of an operation that succeeded within its failure
        tolerance; raises StackDeployError when the operation itself failed or stopped.
        """
        operation_id = str(uuid.uuid4())  # our own id: a retried call cannot start it twice
        deadline = self._clock() + self._timeout_seconds
        waiting_noted = False
        while True:
            try:
                # AWS answers with the id it was given; moto makes up its own for some calls.
                operation_id = start(operation_id).get("OperationId") or operation_id
                break
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "OperationInProgressException":
                    raise
                if self._clock() >= deadline:
                    raise StackDeployError(
                        f"another operation on the StackSet {config.name} is still running: let it "
                        "finish (CloudFormation console, StackSets) and run again") from None
                if not waiting_noted:
                    self._report(Notice(f"StackSet {config.name}: another operation is running; "
                                        "waiting for it to finish"))
                    waiting_noted = True
                self._sleep(self._poll_seconds)
        outcome = self.watch(config.name, operation_id, action)
        if outcome.status != "SUCCEEDED":
            failures = "; ".join(outcome.failures) or "no account/region reported a reason"
            raise StackDeployError(
                f"the StackSet {config.name} {action} operation {operation_id} ended "
                f"{outcome.status}: {failures}. Fix the cause in those accounts and run again "
                f"(a re-run retries what failed)", status=outcome.status,
                first_failure=outcome.failures[0] if outcome.failures else "")
        return outcome.failures

    def watch(self, name: str, operation_id: str, action: str = "") -> OperationOutcome:
        """Poll an operation until it ends, reporting its status and each account/region's."""
        deadline = self._clock() + self._timeout_seconds
        last_status = ""
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        results: list[Mapping[str, Any]] = []
        while True:
            operation = self._cfn.describe_stack_set_operation(
                StackSetName=name, OperationId=operation_id)["StackSetOperation"]
            action = operation.get("Action") or action
            status = operation.get("Status", "")
            if status != last_status:
                self._report(StackSetOperationUpdate(name, operation_id, action, status,
                                                     operation.get("StatusReason", "")))
                last_status = status
            results = self._results(name, operation_id)
            for raw in results:
                key = (raw.get("Account", ""), raw.get("Region", ""))
                state = (raw.get("Status", ""), raw.get("StatusReason", ""))
                if seen.get(key) != state:
                    seen[key] = state
                    self._report(StackSetInstanceUpdate(
                        name, action, key[0], key[1], state[0], state[1],
                        raw.get("OrganizationalUnitId", "")))
            if status not in _RUNNING:
                break
            if self._clock() >= deadline:
                raise StackDeployError(
                    f"the StackSet {name} operation {operation_id} is still {status} after "
                    f"{round(self._timeout_seconds / 60)} minutes: follow it in the CloudFormation "
                    "console (StackSets) and run again once it ends", status=status)
            self._sleep(self._poll_seconds)
        failures = [f"{raw.get('Account', '')}/{raw.get('Region', '')}: "
                    f"{raw.get('Status')} {raw.get('StatusReason', '') or ''}".rstrip()
                    for raw in results if raw.get("Status") in _FAILED_RESULTS]
        return OperationOutcome(operation_id, action, status, failures)

    def _results(self, name: str, operation_id: str) -> list[Mapping[str, Any]]:
        results: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {"StackSetName": name, "OperationId": operation_id}
        while True:
            page = self._cfn.list_stack_set_operation_results(**kwargs)
            results += page.get("Summaries", [])
            if not page.get("NextToken"):
                return results
            kwargs["NextToken"] = page["NextToken"]

    # -- status and delete -----------------------------------------------------------

    def status(self, name: str) -> StackSetStatus | None:
        stack_set = self.describe(name)
        if stack_set is None:
            return None
        operations = self._cfn.list_stack_set_operations(StackSetName=name)
        newest = sorted(operations.get("Summaries", []),
                        key=lambda op: str(op.get("CreationTimestamp", "")), reverse=True)
        last = f"{newest[0].get('Action', '')} {newest[0].get('Status', '')}" if newest else ""
        return StackSetStatus(name, stack_set.get("Status", ""),
                              stack_set.get("PermissionModel") or "SELF_MANAGED",
                              tuple(sorted(self.instances(name), key=lambda i: (i.account, i.region))),
                              last)

    def delete(self, name: str, preferences: Mapping[str, Any] | None = None) -> bool:
        """Delete every instance (and its stack: RetainStacks=False), then the StackSet.

        False when there was no StackSet. Raises StackDeployError naming the instances that
        could not be deleted (then the StackSet is kept, so a re-run can finish the job).
        """
        stack_set = self.describe(name)
        if stack_set is None:
            return False
        service_managed = stack_set.get("PermissionModel") == "SERVICE_MANAGED"
        instances = self.instances(name)
        config = StackSetConfig(name, stack_set.get("PermissionModel") or "SELF_MANAGED", ())
        if service_managed:
            pairs = [(instance.organizational_unit, instance.region) for instance in instances]
        else:
            pairs = [(instance.account, instance.region) for instance in instances]
        for targets, regions in _group(list(dict.fromkeys(pairs))):
            self._run(config, "DELETE", lambda op, t=targets, r=regions: self._cfn.delete_stack_instances(
                StackSetName=name, Regions=list(r), RetainStacks=False, OperationId=op,
                **({"OperationPreferences": dict(preferences)} if preferences else {}),
                **_targets_argument(config, t)))
        left = self.instances(name)
        if left:
            raise StackDeployError(
                f"the StackSet {name} still has {len(left)} instance(s) after deleting them: "
                + "; ".join(instance.describe() for instance in left)
                + ". Delete them in the CloudFormation console (StackSets) and run again")
        self._cfn.delete_stack_set(StackSetName=name)
        self._report(Notice(f"StackSet {name}: deleted ({len(instances)} instance(s) first)"))
        return True


def deploy_stackset(cloudformation_client: Any, config: StackSetConfig, template_body: str,
                    parameters: Mapping[str, str], report: Reporter,
                    poll_seconds: float = 5.0,
                    sleep: Callable[[float], None] = time.sleep) -> StackSetSettled:
    """`StackSetDeployer.deploy` with AWS errors turned into messages saying what to do."""
    try:
        return StackSetDeployer(cloudformation_client, report, poll_seconds, sleep).deploy(
            config, template_body, parameters)
    except (BotoCoreError, ClientError) as error:
        raise explain_aws_error(error, f"deploy the StackSet {config.name}") from None


def plan_stackset(cloudformation_client: Any, config: StackSetConfig, template_body: str,
                  parameters: Mapping[str, str], report: Reporter) -> list[PlanItem]:
    """The dry-run plan of a StackSet install, reported item by item (read-only calls)."""
    try:
        plan = StackSetDeployer(cloudformation_client, report).inspect(config, template_body, parameters)
    except (BotoCoreError, ClientError) as error:
        raise explain_aws_error(error, f"read the StackSet {config.name}") from None
    items = plan.plan_items()
    for item in items:
        report(item)
    return items


def find_stackset(settings: InstallSettings) -> tuple[Any, StackSetStatus] | None:
    """(CloudFormation client, status) when --stack-name names a StackSet in --aws-region.

    For `status` and `uninstall`: they find a StackSet install without --stackset. When
    the lookup itself fails, a StackSet install (settings.stackset) gets the error
    explained; any other install is taken to be a single stack (None).
    """
    try:
        client = make_client(make_session(settings), "cloudformation", settings)
        if not settings.stackset and _stack_exists(client, settings.stack_name):
            return None  # a single-stack install
        status = stackset_status(client, settings.stack_name)
    except (BotoCoreError, ClientError) as error:
        if settings.stackset:
            raise explain_aws_error(error, f"read the StackSet {settings.stack_name}") from None
        return None
    return (client, status) if status is not None else None


def _stack_exists(cloudformation_client: Any, name: str) -> bool:
    try:
        stacks = cloudformation_client.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return False
        raise
    return any(stack.get("StackStatus") != "DELETE_COMPLETE" for stack in stacks)


def stackset_status(cloudformation_client: Any, name: str) -> StackSetStatus | None:
    """The StackSet and its instances, or None when there is no StackSet called `name`."""
    return StackSetDeployer(cloudformation_client, lambda _event: None).status(name)


def delete_stackset(cloudformation_client: Any, name: str, report: Reporter,
                    poll_seconds: float = 5.0, **deployer_options: Any) -> bool:
    """Delete a StackSet install: instances first (RetainStacks=False, watched), then the set."""
    try:
        return StackSetDeployer(cloudformation_client, report, poll_seconds,
                                **deployer_options).delete(name)
    except (BotoCoreError, ClientError) as error:
        raise explain_aws_error(error, f"delete the StackSet {name}") from None


def description(parameters: Mapping[str, str]) -> str:
    """The StackSet's Description, carrying a fingerprint of the NoEcho parameters.

    DescribeStackSet hides NoEcho values, so without it a re-run could not tell whether
    the webhook URL or secret changed (and would update every instance each time).
    """
    secret = "\n".join(parameters.get(name, "") for name in sorted(SECRET_PARAMETERS))
    return f"{DESCRIPTION} (secrets {hashlib.sha256(secret.encode()).hexdigest()[:16]})"


def _parameter_list(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()]


def _preferences(config: StackSetConfig) -> dict[str, Any]:
    preferences = config.operation_preferences()
    return {"OperationPreferences": preferences} if preferences else {}


def _role_arguments(config: StackSetConfig) -> dict[str, Any]:
    if config.service_managed:
        return {"AutoDeployment": dict(AUTO_DEPLOYMENT)}
    return {"AdministrationRoleARN": config.administration_role_arn,
            "ExecutionRoleName": config.execution_role_name}


def _targets_argument(config: StackSetConfig, targets: Iterable[str]) -> dict[str, Any]:
    """Accounts=[...] (self-managed) or DeploymentTargets={OrganizationalUnitIds} (service)."""
    if config.service_managed:
        return {"DeploymentTargets": {"OrganizationalUnitIds": list(targets)}}
    return {"Accounts": list(targets)}


def _accounts_argument(config: StackSetConfig, accounts: Iterable[str],
                       units: set[str]) -> dict[str, Any]:
    """Specific accounts: service-managed names them as OUs filtered to those accounts."""
    if config.service_managed:
        return {"DeploymentTargets": {"OrganizationalUnitIds": sorted(unit for unit in units if unit),
                                      "Accounts": list(accounts), "AccountFilterType": "INTERSECTION"}}
    return {"Accounts": list(accounts)}


def _target_of(instance: StackSetInstance, config: StackSetConfig) -> str:
    return instance.organizational_unit if config.service_managed else instance.account


def _group(pairs: Iterable[Pair]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
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
