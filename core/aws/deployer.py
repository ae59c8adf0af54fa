"""Deploy the CloudFormation stack: check it, plan a change set, execute it, watch it settle.

The flow follows `rain deploy`: look at the stack first (wait out an operation in
progress, delete a dead first stack), create a change set and show what it changes, then
execute it and stream the stack events until the stack settles, naming the first failure.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from core.aws.deploy_command import CAPABILITIES, render_deploy_command
from core.aws.stack_events import StackEventStream
from core.aws.stacks import compare_parameters, describe_stack, same_template
from core.errors import StackDeployError
from core.progress import Change, Notice, PlanItem, Reporter, StackSettled

__all__ = [
    "NO_CHANGE_STATUS",
    "PreparedChange",
    "ResourceChange",
    "StackDeployer",
    "StackPlan",
    "check_template_size",
    "render_deploy_command",
]

TEMPLATE_BODY_LIMIT = 51_200
"""Bytes CloudFormation accepts in TemplateBody (bigger templates must go through S3)."""


NO_CHANGE_STATUS = "NO_CHANGE"
"""StackSettled.status when there was nothing to deploy (not a CloudFormation status)."""
SUCCESS_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
# Stacks that cannot be updated, and what the user can do about it.
_BLOCKED = {
    "ROLLBACK_FAILED": "delete it (aws cloudformation delete-stack) and run again",
    "CREATE_FAILED": "delete it (aws cloudformation delete-stack) and run again",
    "DELETE_FAILED": "finish deleting it (aws cloudformation delete-stack) and run again",
    "UPDATE_ROLLBACK_FAILED": (
        "continue the rollback (aws cloudformation continue-update-rollback) and run again"
    ),
    "IMPORT_ROLLBACK_FAILED": "fix it in the CloudFormation console and run again",
}
_NO_CHANGE_REASONS = ("didn't contain changes", "no updates are to be performed")


@dataclass(frozen=True)
class StackPlan:
    """What deploying would do to the stack (from `inspect`, which changes nothing)."""

    stack_name: str
    change: Change  # CREATE, UPDATE or NO_CHANGE
    status: str = ""  # the stack's status now; "" when it does not exist
    differences: tuple[str, ...] = ()  # "template", "QueueName: 'a' -> 'b'", ...
    hidden_parameters: tuple[str, ...] = ()  # NoEcho: CloudFormation shows "****"
    note: str = ""  # e.g. "will be deleted and created again"
    blocker: str = ""  # why the stack cannot be deployed as it is

    @property
    def detail(self) -> str:
        parts = [self.blocker, self.note, *self.differences]
        if self.hidden_parameters:
            names = ", ".join(self.hidden_parameters)
            parts.append(f"{names} may have changed (NoEcho: CloudFormation hides the values)")
        return "; ".join(part for part in parts if part)

    def plan_item(self) -> PlanItem:
        return PlanItem("aws", "stack", self.stack_name, self.change, self.detail)


@dataclass(frozen=True)
class ResourceChange:
    """One resource change listed by the change set."""

    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str = ""  # True | False | Conditional | "" (Modify only)

    @property
    def change(self) -> Change:
        if self.action == "Remove":
            return Change.DELETE
        if self.action in ("Add", "Import"):
            return Change.CREATE
        return Change.REPLACE if self.replacement == "True" else Change.UPDATE

    def plan_item(self) -> PlanItem:
        detail = "may be replaced" if self.replacement == "Conditional" else ""
        return PlanItem("aws", self.resource_type, self.logical_id, self.change, detail)


@dataclass(frozen=True)
class PreparedChange:
    """A change set ready to execute, or NO_CHANGE (then there is no change set)."""

    stack_name: str
    change: Change  # CREATE, UPDATE or NO_CHANGE
    stack_id: str = ""
    change_set_id: str = ""
    change_set_type: str = ""  # CREATE | UPDATE
    resources: tuple[ResourceChange, ...] = ()


class StackDeployer:
    """Creates or updates one stack through change sets, reporting progress as it goes."""

    def __init__(
        self,
        cloudformation_client: Any,
        report: Reporter,
        poll_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cfn = cloudformation_client
        self._report = report
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._timeout_seconds = timeout_seconds
        self._clock = clock

    # -- read only -------------------------------------------------------------------

    def inspect(
        self, stack_name: str, template_body: str, parameters: Mapping[str, str]
    ) -> StackPlan:
        """What a deploy would do, from DescribeStacks and GetTemplate only (for --dry-run).

        Reports the plan as one PlanItem for the stack.
        """
        check_template_size(template_body)
        plan = self._plan(stack_name, self._describe(stack_name), template_body, parameters)
        self._report(plan.plan_item())
        return plan

    def _plan(
        self,
        stack_name: str,
        stack: Mapping[str, Any] | None,
        template_body: str,
        parameters: Mapping[str, str],
    ) -> StackPlan:
        if stack is None:
            return StackPlan(stack_name, Change.CREATE)
        status = stack["StackStatus"]
        if status == "REVIEW_IN_PROGRESS":
            note = "it holds only a change set that was never executed: creating it"
            return StackPlan(stack_name, Change.CREATE, status, note=note)
        if status == "ROLLBACK_COMPLETE":
            note = "its first create failed: it will be deleted and created again"
            return StackPlan(stack_name, Change.CREATE, status, note=note)
        note = ""
        if status.endswith("_IN_PROGRESS"):
            note = f"{status}: the deploy waits for that to finish first"
        blocker = f"the stack is {status}: {_BLOCKED[status]}" if status in _BLOCKED else ""
        current = self._cfn.get_template(StackName=stack["StackId"], TemplateStage="Original")
        differences = []
        if not same_template(current.get("TemplateBody", ""), template_body):
            differences.append("template")
        changed, hidden = compare_parameters(stack.get("Parameters", []), parameters)
        differences.extend(changed)
        change = Change.UPDATE if differences or hidden else Change.NO_CHANGE
        return StackPlan(
            stack_name, change, status, tuple(differences), tuple(hidden), note, blocker
        )

    # -- change sets -----------------------------------------------------------------

    def prepare(
        self, stack_name: str, template_body: str, parameters: Mapping[str, str]
    ) -> PreparedChange:
        """Create a change set and wait for it; NO_CHANGE when it has nothing to do.

        Reports a PlanItem per resource change. A stack left in ROLLBACK_COMPLETE by a
        failed first create is deleted here (it holds no resources), with a Notice.
        """
        check_template_size(template_body)
        stack = self._usable_stack(stack_name)
        change_set_type = (
            "CREATE" if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS" else "UPDATE"
        )
        try:
            created = self._cfn.create_change_set(
                StackName=stack_name,
                ChangeSetName=f"port-aws-wizard-{uuid.uuid4().hex[:12]}",
                ChangeSetType=change_set_type,
                TemplateBody=template_body,
                Parameters=[
                    {"ParameterKey": key, "ParameterValue": value}
                    for key, value in parameters.items()
                ],
                Capabilities=list(CAPABILITIES),
                Description="port-aws-wizard install",
            )
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            if stack is not None and _means_no_change(message):  # moto answers this way
                return self._no_change(stack_name, stack["StackId"])
            raise StackDeployError(
                f"CloudFormation refused the change set for stack {stack_name}: {message}"
            ) from error
        change_set = self._wait_for_change_set(created["Id"])
        if change_set["Status"] == "FAILED":
            reason = change_set.get("StatusReason", "")
            if change_set_type == "UPDATE" and _means_no_change(reason):
                self._cfn.delete_change_set(ChangeSetName=created["Id"])
                return self._no_change(stack_name, created["StackId"])
            raise StackDeployError(
                f"the change set {change_set['ChangeSetName']} for stack {stack_name} "
                f"failed: {reason}",
                status=change_set["Status"],
            )
        resources = tuple(
            ResourceChange(
                action=item["ResourceChange"].get("Action", ""),
                logical_id=item["ResourceChange"].get("LogicalResourceId", ""),
                resource_type=item["ResourceChange"].get("ResourceType", ""),
                replacement=item["ResourceChange"].get("Replacement", ""),
            )
            for item in change_set.get("Changes", [])
            if "ResourceChange" in item
        )
        if change_set_type == "UPDATE" and not resources and stack is not None:
            # AWS can list no resource changes for an update that only changes outputs;
            # moto lists none for a no-op it failed to spot. Our own comparison tells them apart.
            plan = self._plan(stack_name, stack, template_body, parameters)
            if plan.change is Change.NO_CHANGE:
                self._cfn.delete_change_set(ChangeSetName=created["Id"])
                return self._no_change(stack_name, created["StackId"])
        for resource in resources:
            self._report(resource.plan_item())
        return PreparedChange(
            stack_name=stack_name,
            change=Change.CREATE if change_set_type == "CREATE" else Change.UPDATE,
            stack_id=created["StackId"],
            change_set_id=created["Id"],
            change_set_type=change_set_type,
            resources=resources,
        )

    def discard(self, prepared: PreparedChange) -> None:
        """Delete an unexecuted change set, and the empty stack a CREATE change set made."""
        if not prepared.change_set_id:
            return
        self._cfn.delete_change_set(ChangeSetName=prepared.change_set_id)
        if prepared.change_set_type == "CREATE":
            self._cfn.delete_stack(StackName=prepared.stack_id)

    def execute(self, prepared: PreparedChange) -> StackSettled:
        """Execute the change set, stream events until the stack settles, report StackSettled.

        With nothing to deploy, executes nothing: StackSettled.status is NO_CHANGE_STATUS.

        Raises StackDeployError (with the first failure and the final status) when the
        stack does not end in a *_COMPLETE success state.
        """
        if prepared.change is Change.NO_CHANGE:
            stack = self._describe(prepared.stack_id or prepared.stack_name)
            settled = StackSettled(
                prepared.stack_name, NO_CHANGE_STATUS, True, outputs=_outputs(stack)
            )
            self._report(settled)
            return settled
        stream = StackEventStream(self._cfn, prepared.stack_id)
        stream.mark_start()
        before = self._describe(prepared.stack_id)
        self._cfn.execute_change_set(ChangeSetName=prepared.change_set_id)
        stack = self._watch(prepared.stack_id, stream, before["StackStatus"] if before else "")
        if stack is None:
            raise StackDeployError(f"the stack {prepared.stack_name} was deleted while deploying")
        status = stack["StackStatus"]
        succeeded = status in SUCCESS_STATUSES
        failure = "" if succeeded else stream.first_failure() or stack.get("StackStatusReason", "")
        settled = StackSettled(prepared.stack_name, status, succeeded, failure, _outputs(stack))
        self._report(settled)
        if not succeeded:
            advice = ""
            if status == "ROLLBACK_COMPLETE":
                advice = " (the next run deletes the empty stack and creates it again)"
            raise StackDeployError(
                f"the stack {prepared.stack_name} ended in {status}: "
                f"{failure or 'no reason given'}{advice}",
                status=status,
                first_failure=failure,
            )
        return settled

    def deploy(
        self, stack_name: str, template_body: str, parameters: Mapping[str, str]
    ) -> StackSettled:
        """prepare + execute, without asking."""
        return self.execute(self.prepare(stack_name, template_body, parameters))

    # -- helpers ---------------------------------------------------------------------

    def _no_change(self, stack_name: str, stack_id: str) -> PreparedChange:
        self._report(Notice(f"The stack {stack_name} is up to date: no changes to deploy."))
        return PreparedChange(stack_name, Change.NO_CHANGE, stack_id=stack_id)

    def _usable_stack(self, stack_name: str) -> Mapping[str, Any] | None:
        """The stack to change, once it is settled; None when it is to be created."""
        stack = self._describe(stack_name)
        if stack is None:
            return None
        status = stack["StackStatus"]
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            self._report(
                Notice(f"The stack {stack_name} is busy ({status}): waiting for it to finish.")
            )
            stack = self._watch(stack["StackId"], None, status)
            if stack is None:
                return None
            status = stack["StackStatus"]
        if status == "ROLLBACK_COMPLETE":
            self._report(
                Notice(
                    f"The stack {stack_name} is in ROLLBACK_COMPLETE after a failed first "
                    "create; deleting it and creating it again.",
                    level="warning",
                )
            )
            self._cfn.delete_stack(StackName=stack["StackId"])
            self._wait_until_deleted(stack["StackId"], stack_name)
            return None
        if status in _BLOCKED:
            raise StackDeployError(
                f"the stack {stack_name} is {status} and cannot be updated: {_BLOCKED[status]}",
                status=status,
            )
        return stack

    def _describe(self, stack: str) -> Mapping[str, Any] | None:
        return describe_stack(self._cfn, stack)

    def _watch(
        self, stack_id: str, stream: StackEventStream | None, status_before: str
    ) -> Mapping[str, Any] | None:
        """Poll until the stack settles (None when it is gone), reporting new events.

        Right after ExecuteChangeSet the stack may still show its old status, so a status
        counts as the end only once the stack itself reported it in this operation, or
        when it differs from the status before.
        """
        deadline = self._clock() + self._timeout_seconds
        while True:
            if stream is not None:
                self._report_events(stream)
            stack = self._describe(stack_id)
            if stack is None:
                return None
            status = stack["StackStatus"]
            if not status.endswith("_IN_PROGRESS") and (
                stream is None or status != status_before or status in stream.stack_statuses
            ):
                if stream is not None:
                    self._report_events(stream)
                return stack
            if self._clock() >= deadline:
                minutes = round(self._timeout_seconds / 60)
                raise StackDeployError(
                    f"the stack {stack['StackName']} is still {status} after {minutes} minutes; "
                    "follow it in the CloudFormation console and run again once it settles",
                    status=status,
                )
            self._sleep(self._poll_seconds)

    def _wait_until_deleted(self, stack_id: str, stack_name: str) -> None:
        deadline = self._clock() + self._timeout_seconds
        while (stack := self._describe(stack_id)) is not None:
            status = stack["StackStatus"]
            if status == "DELETE_FAILED" or self._clock() >= deadline:
                raise StackDeployError(
                    f"could not delete the failed stack {stack_name}: it is {status}; "
                    "delete it in the CloudFormation console and run again",
                    status=status,
                )
            self._sleep(self._poll_seconds)

    def _report_events(self, stream: StackEventStream) -> None:
        for event in stream.poll():
            self._report(event)

    def _wait_for_change_set(self, change_set_id: str) -> dict[str, Any]:
        """The change set once created (or FAILED), with every page of its Changes."""
        deadline = self._clock() + self._timeout_seconds
        while True:
            change_set = self._cfn.describe_change_set(ChangeSetName=change_set_id)
            if change_set["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                break
            if self._clock() >= deadline:
                raise StackDeployError(
                    f"the change set {change_set_id} is still {change_set['Status']}",
                    status=change_set["Status"],
                )
            self._sleep(self._poll_seconds)
        changes = list(change_set.get("Changes", []))
        token = change_set.get("NextToken")
        while token:
            page = self._cfn.describe_change_set(ChangeSetName=change_set_id, NextToken=token)
            changes.extend(page.get("Changes", []))
            token = page.get("NextToken")
        return {**change_set, "Changes": changes}


def check_template_size(template_body: str) -> None:
    """Refuse a template CloudFormation would refuse: TemplateBody holds 51,200 bytes."""
    size = len(template_body.encode("utf-8"))
    if size > TEMPLATE_BODY_LIMIT:
        raise StackDeployError(
            f"the template is {size:,} bytes; CloudFormation accepts at most "
            f"{TEMPLATE_BODY_LIMIT:,} bytes in TemplateBody (this installer does not "
            "upload templates to S3): make the template smaller"
        )


def _means_no_change(message: str) -> bool:
    lowered = message.lower()
    return any(reason in lowered for reason in _NO_CHANGE_REASONS)


def _outputs(stack: Mapping[str, Any] | None) -> dict[str, str]:
    if not stack:
        return {}
    return {item["OutputKey"]: item.get("OutputValue", "") for item in stack.get("Outputs", [])}
