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
core/aws/stackset_permissions.py; the configuration, instances, plan and status in core/aws/stackset_model.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core.aws.clients import aws_errors, explain_aws_error, make_client, make_session
from core.aws.deploy_command import CAPABILITIES
from core.aws.deployer import check_template_size
from core.aws.stacks import compare_parameters, describe_stack, same_template
from core.aws.stackset_model import (
    AUTO_DEPLOYMENT,
    FAILED_RESULTS,
    RUNNING_STATUSES,
    InstanceUpdate,
    OperationOutcome,
    StackSetConfig,
    StackSetInstance,
    StackSetPlan,
    StackSetStatus,
    accounts_argument,
    description,
    group_pairs,
    parameter_list,
    preferences_argument,
    role_arguments,
    target_of,
    targets_argument,
)
from core.config.settings import InstallSettings
from core.errors import StackDeployError
from core.polling import Polling
from core.progress import (
    Change,
    Notice,
    PlanItem,
    Reporter,
    StackSetInstanceUpdate,
    StackSetOperationUpdate,
    StackSetSettled,
)

STACKSET_POLLING = Polling(interval=5.0, timeout=3 * 3600.0)  # StackSet operations are slow


class StackSetDeployer:
    """Creates, updates, inspects and deletes one StackSet, reporting operations as they run."""

    def __init__(
        self,
        cloudformation_client: Any,
        report: Reporter,
        polling: Polling = STACKSET_POLLING,
    ) -> None:
        self._cfn = cloudformation_client
        self._report = report
        self._polling = polling

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
        have = {(target_of(instance, config), instance.region) for instance in existing}
        create = tuple(pair for pair in wanted if pair not in have)
        extra = tuple(instance for instance in existing
                      if target_of(instance, config) not in config.targets
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
        for targets, regions in group_pairs(plan.create):
            failures += self._run(config, "CREATE", lambda op, t=targets, r=regions:
                                  self._cfn.create_stack_instances(
                                      StackSetName=config.name, Regions=list(r), OperationId=op,
                                      **preferences_argument(config),
                                      **targets_argument(config, t)))
        updates = [(update.instance.account, update.instance.region) for update in plan.update]
        units = {update.instance.organizational_unit for update in plan.update}
        for accounts, regions in group_pairs(updates):
            failures += self._run(config, "UPDATE", lambda op, a=accounts, r=regions:
                                  self._cfn.update_stack_instances(
                                      StackSetName=config.name, Regions=list(r), OperationId=op,
                                      ParameterOverrides=[],  # back to the set's values
                                      **preferences_argument(config),
                                      **accounts_argument(config, a, units)))
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
            TemplateBody=template_body, Parameters=parameter_list(parameters),
            Capabilities=list(CAPABILITIES), PermissionModel=config.permission_model,
            ClientRequestToken=str(uuid.uuid4()), **role_arguments(config))

    def _update_set(self, config: StackSetConfig, template_body: str,
                    parameters: Mapping[str, str]) -> list[str]:
        """UpdateStackSet without targets: AWS then updates every instance of the set.

        (moto does not redeploy instances on update_stack_set; AWS does.)
        """
        return self._run(config, "UPDATE", lambda op: self._cfn.update_stack_set(
            StackSetName=config.name, Description=description(parameters),
            TemplateBody=template_body, Parameters=parameter_list(parameters),
            Capabilities=list(CAPABILITIES), OperationId=op,
            **preferences_argument(config), **role_arguments(config)))

    # -- operations ------------------------------------------------------------------

    def _run(self, config: StackSetConfig, action: str, start: Callable[[str], Any]) -> list[str]:
        """Start an operation (waiting out another one in progress), watch it to its end.

        Returns the failed account/regions of an operation that succeeded within its failure
        tolerance; raises StackDeployError when the operation itself failed or stopped.
        """
        operation_id = str(uuid.uuid4())  # our own id: a retried call cannot start it twice
        deadline = self._polling.deadline()
        waiting_noted = False
        while True:
            try:
                # AWS answers with the id it was given; moto makes up its own for some calls.
                operation_id = start(operation_id).get("OperationId") or operation_id
                break
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "OperationInProgressException":
                    raise
                if self._polling.expired(deadline):
                    raise StackDeployError(
                        f"another operation on the StackSet {config.name} is still running: let it "
                        "finish (CloudFormation console, StackSets) and run again") from None
                if not waiting_noted:
                    self._report(Notice(f"StackSet {config.name}: another operation is running; "
                                        "waiting for it to finish"))
                    waiting_noted = True
                self._polling.wait()
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
        deadline = self._polling.deadline()
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
            if status not in RUNNING_STATUSES:
                break
            if self._polling.expired(deadline):
                raise StackDeployError(
                    f"the StackSet {name} operation {operation_id} is still {status} after "
                    f"{self._polling.minutes} minutes: follow it in the CloudFormation "
                    "console (StackSets) and run again once it ends", status=status)
            self._polling.wait()
        failures = [f"{raw.get('Account', '')}/{raw.get('Region', '')}: "
                    f"{raw.get('Status')} {raw.get('StatusReason', '') or ''}".rstrip()
                    for raw in results if raw.get("Status") in FAILED_RESULTS]
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
        for targets, regions in group_pairs(list(dict.fromkeys(pairs))):
            self._run(config, "DELETE", lambda op, t=targets, r=regions: self._cfn.delete_stack_instances(
                StackSetName=name, Regions=list(r), RetainStacks=False, OperationId=op,
                **({"OperationPreferences": dict(preferences)} if preferences else {}),
                **targets_argument(config, t)))
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
                    polling: Polling = STACKSET_POLLING) -> StackSetSettled:
    """`StackSetDeployer.deploy` with AWS errors turned into messages saying what to do."""
    with aws_errors(f"deploy the StackSet {config.name}"):
        return StackSetDeployer(cloudformation_client, report, polling).deploy(
            config, template_body, parameters)


def plan_stackset(cloudformation_client: Any, config: StackSetConfig, template_body: str,
                  parameters: Mapping[str, str], report: Reporter) -> list[PlanItem]:
    """The dry-run plan of a StackSet install, reported item by item (read-only calls)."""
    with aws_errors(f"read the StackSet {config.name}"):
        plan = StackSetDeployer(cloudformation_client, report).inspect(config, template_body, parameters)
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
        if not settings.stackset and describe_stack(client, settings.stack_name) is not None:
            return None  # a single-stack install
        status = stackset_status(client, settings.stack_name)
    except (BotoCoreError, ClientError) as error:
        if settings.stackset:
            raise explain_aws_error(error, f"read the StackSet {settings.stack_name}") from None
        return None
    return (client, status) if status is not None else None


def local_instance_note(settings: InstallSettings, doing: str, regions: Iterable[str] = ()) -> str:
    """What `logs`, `redrive` and `sync` do with a StackSet install: they act where the
    credentials are (this account), on the instance's resources, found by their names."""
    where = ", ".join(regions) or settings.aws_region
    return (f"StackSet {settings.stack_name}: {doing} this account's instance in {where} "
            f"(queue {settings.queue_name}, function {settings.lambda_function_name}); for another "
            "target account or region, run it with that account's credentials or --aws-region")


def stackset_status(cloudformation_client: Any, name: str) -> StackSetStatus | None:
    """The StackSet and its instances, or None when there is no StackSet called `name`."""
    return StackSetDeployer(cloudformation_client, lambda _event: None).status(name)


def delete_stackset(cloudformation_client: Any, name: str, report: Reporter,
                    polling: Polling = STACKSET_POLLING) -> bool:
    """Delete a StackSet install: instances first (RetainStacks=False, watched), then the set."""
    with aws_errors(f"delete the StackSet {name}"):
        return StackSetDeployer(cloudformation_client, report, polling).delete(name)
