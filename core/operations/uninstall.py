"""Remove an install: the CloudFormation stack, then (when asked) the Port objects.

`Uninstaller.plan()` reads only; `Uninstaller.run(plan)` deletes what the plan lists,
reporting `core.progress` events (stack events live, one StepFinished per deletion), so the
console and the wizard show the same progress. The stack goes first: once the Lambda is
gone nothing posts to the webhook. Blueprints are deleted only with `delete_blueprints`,
only when Port lists no entities of theirs, and only once no other blueprint relates to
them; the rest are kept with the reason. Running it again finds nothing to remove.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.aws.clients import AwsClients, aws_errors
from core.aws.stack_events import StackEventStream, is_noise
from core.aws.stacks import describe_stack
from core.config.credentials import PortCredentials, require_credentials
from core.config.settings import InstallSettings
from core.errors import PortApiError, StackDeployError
from core.operations.port_checks import blueprint_identifiers
from core.polling import Polling
from core.port.client import PortClient
from core.progress import (
    Change,
    Notice,
    PlanItem,
    Reporter,
    StackSettled,
    StepFinished,
    StepStarted,
)


@dataclass
class UninstallPlan:
    """What an uninstall would remove, and what it keeps and why."""

    items: list[PlanItem] = field(default_factory=list)
    stack_id: str = ""
    stack_status: str = ""
    webhook: str = ""  # identifier to delete
    integration: str = ""  # identifier to delete
    blueprints: list[str] = field(default_factory=list)  # to delete, in a safe order
    kept_blueprints: dict[str, str] = field(default_factory=dict)  # identifier -> why kept

    @property
    def nothing_to_remove(self) -> bool:
        return not any(item.change is Change.DELETE for item in self.items)


@dataclass
class UninstallResult:
    removed: list[str] = field(default_factory=list)
    kept_blueprints: dict[str, str] = field(default_factory=dict)


class Uninstaller:
    def __init__(
        self,
        settings: InstallSettings,
        credentials: PortCredentials | None,
        report: Reporter,
        *,
        remove_port_resources: bool = False,
        delete_blueprints: bool = False,
        aws: AwsClients | None = None,
        port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient,
        polling: Polling | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.report = report
        self.remove_port_resources = remove_port_resources or delete_blueprints
        self.delete_blueprints = delete_blueprints
        self.aws = aws or AwsClients(settings)
        self._port_client_factory = port_client_factory
        self._polling = polling or Polling()

    # -- plan --------------------------------------------------------------------------
    def plan(self) -> UninstallPlan:
        """What would be removed; reads only. Port is read only with --remove-port-resources."""
        if self.remove_port_resources and self.credentials is None:
            require_credentials(None)  # raises before any request: deleting Port objects needs them
        plan = UninstallPlan()
        self._plan_stack(plan)
        if self.remove_port_resources:
            with self._port_client_factory(self.settings.port_api_url, self.credentials) as client:
                self._plan_port(client, plan)
        return plan

    def _plan_stack(self, plan: UninstallPlan) -> None:
        name = self.settings.stack_name
        with aws_errors(f"read stack {name}"):
            stack = describe_stack(self.aws("cloudformation"), name)
        if stack is None:
            plan.items.append(PlanItem("aws", "stack", name, Change.NO_CHANGE,
                                       f"not found in {self.settings.aws_region}: nothing to delete"))
            return
        plan.stack_id, plan.stack_status = stack["StackId"], stack["StackStatus"]
        detail = f"{plan.stack_status}; removes {self._stack_contents(plan.stack_id)}"
        plan.items.append(PlanItem("aws", "stack", name, Change.DELETE, detail))

    def _stack_contents(self, stack_id: str) -> str:
        """ "2 SQS::Queue, 1 Lambda::Function, ..." from the stack's resources."""
        counts: dict[str, int] = {}
        paginator = self.aws("cloudformation").get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=stack_id):
            for resource in page.get("StackResourceSummaries", []):
                kind = resource.get("ResourceType", "").removeprefix("AWS::")
                if kind and resource.get("ResourceStatus") != "DELETE_COMPLETE":
                    counts[kind] = counts.get(kind, 0) + 1
        return ", ".join(f"{count} {kind}" for kind, count in counts.items()) or "its resources"

    def _plan_port(self, client: PortClient, plan: UninstallPlan) -> None:
        ref = self.settings.webhook_ref
        if not ref.managed:
            plan.items.append(PlanItem("port", "webhook", ref.describe(), Change.NO_CHANGE,
                                       "given as a URL, not created by the installer: left as is"))
        elif client.get_webhook(ref.identifier or "") is None:
            plan.items.append(PlanItem("port", "webhook", ref.identifier or "", Change.NO_CHANGE,
                                       "not found: nothing to delete"))
        else:
            plan.webhook = ref.identifier or ""
            plan.items.append(PlanItem("port", "webhook", plan.webhook, Change.DELETE))
        identifier = self.settings.integration_id
        if client.get_integration(identifier) is None:
            plan.items.append(PlanItem("port", "integration", identifier, Change.NO_CHANGE,
                                       "not found: nothing to delete"))
        else:
            plan.integration = identifier
            plan.items.append(PlanItem("port", "integration", identifier, Change.DELETE))
        if self.delete_blueprints:
            self._plan_blueprints(client, plan)
        else:
            plan.items.append(PlanItem("port", "blueprints", f"{len(blueprint_identifiers())} blueprints",
                                       Change.NO_CHANGE, "kept (add --delete-blueprints to remove "
                                       "those with no entities)"))

    def _plan_blueprints(self, client: PortClient, plan: UninstallPlan) -> None:
        _status, body = client.request("GET", "/v1/blueprints", what="list blueprints")
        in_port = {bp["identifier"]: bp for bp in body.get("blueprints") or []}
        ours = [identifier for identifier in blueprint_identifiers() if identifier in in_port]
        for identifier in blueprint_identifiers():
            if identifier not in in_port:
                plan.items.append(PlanItem("port", "blueprint", identifier, Change.NO_CHANGE,
                                           "not found: nothing to delete"))
        for identifier in ours:
            count = len(client.list_entities(identifier))
            if count:
                plan.kept_blueprints[identifier] = (
                    f"{count} entit{'y' if count == 1 else 'ies'} still in it (from other sources or "
                    "ingested earlier); delete them in Port to remove the blueprint")
        remaining = set(in_port)
        order: list[str] = []
        candidates = [identifier for identifier in ours if identifier not in plan.kept_blueprints]
        progressed = True
        while progressed:
            progressed = False
            for identifier in candidates:
                if identifier not in order and not _referrers(identifier, remaining, in_port):
                    order.append(identifier)
                    remaining.discard(identifier)
                    progressed = True
        for identifier in candidates:
            if identifier not in order:
                referrers = ", ".join(sorted(_referrers(identifier, remaining, in_port)))
                plan.kept_blueprints[identifier] = f"blueprint(s) {referrers} relate to it and stay"
        plan.blueprints = order
        for identifier in order:
            plan.items.append(PlanItem("port", "blueprint", identifier, Change.DELETE, "no entities"))
        for identifier, reason in plan.kept_blueprints.items():
            plan.items.append(PlanItem("port", "blueprint", identifier, Change.NO_CHANGE, f"kept: {reason}"))

    # -- run ---------------------------------------------------------------------------
    def run(self, plan: UninstallPlan) -> UninstallResult:
        """Delete what the plan lists. Raises StackDeployError when the stack cannot be deleted
        (Port is then left alone, so a re-run continues from there)."""
        result = UninstallResult(kept_blueprints=dict(plan.kept_blueprints))
        if plan.stack_id:
            self._delete_stack(plan.stack_id)
            result.removed.append(f"stack {self.settings.stack_name}")
        if plan.webhook or plan.integration or plan.blueprints:
            credentials = require_credentials(self.credentials)
            with self._port_client_factory(self.settings.port_api_url, credentials) as client:
                self._delete_port(client, plan, result)
        return result

    def _delete_stack(self, stack_id: str) -> None:
        name = self.settings.stack_name
        cloudformation = self.aws("cloudformation")
        self.report(StepStarted("stack", f"deleting stack {name}"))
        stream = StackEventStream(cloudformation, stack_id)
        with aws_errors(f"delete stack {name}"):
            stream.mark_start()
            cloudformation.delete_stack(StackName=stack_id)
            stack = self._watch_delete(cloudformation, stack_id, stream)
        if stack is None:
            self.report(StackSettled(name, "DELETE_COMPLETE", True))
            self.report(StepFinished(f"stack {name}", Change.DELETE))
            return
        status = stack["StackStatus"]
        failures = delete_failures(stream)
        first = failures[0] if failures else stack.get("StackStatusReason", "") or "no reason given"
        self.report(StackSettled(name, status, False, first))
        retained = " ".join(sorted({f.split(" ", 1)[0] for f in failures}))
        advice = ("fix the cause and run uninstall again" + (
            f", or keep those resources: aws cloudformation delete-stack --stack-name {name} "
            f"--retain-resources {retained} --region {self.settings.aws_region}" if retained else ""))
        raise StackDeployError(f"the stack {name} is {status}: " + "; ".join(failures or [first])
                               + f". {advice}", status=status, first_failure=first)

    def _watch_delete(self, cloudformation: Any, stack_id: str, stream: StackEventStream
                      ) -> dict[str, Any] | None:
        """Stream events until the stack is gone (None) or settles in another state."""
        deadline = self._polling.deadline()
        while True:
            for event in stream.poll():
                self.report(event)
            stack = describe_stack(cloudformation, stack_id)
            if stack is None:
                for event in stream.poll():
                    self.report(event)
                return None
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                for event in stream.poll():
                    self.report(event)
                return stack
            if self._polling.expired(deadline):
                raise StackDeployError(
                    f"the stack {self.settings.stack_name} is still {stack['StackStatus']} after "
                    f"{self._polling.minutes} minutes; follow it in the CloudFormation "
                    "console and run uninstall again once it settles", status=stack["StackStatus"])
            self._polling.wait()

    def _delete_port(self, client: PortClient, plan: UninstallPlan, result: UninstallResult) -> None:
        if plan.webhook:
            self.report(StepStarted("webhook", f"deleting webhook {plan.webhook}"))
            client.delete_webhook(plan.webhook)
            self.report(StepFinished(f"webhook {plan.webhook}", Change.DELETE))
            result.removed.append(f"webhook {plan.webhook}")
        if plan.integration:
            self.report(StepStarted("integration", f"deleting integration {plan.integration}"))
            client.delete_integration(plan.integration)
            self.report(StepFinished(f"integration {plan.integration}", Change.DELETE))
            result.removed.append(f"integration {plan.integration}")
        for identifier in plan.blueprints:
            count = len(client.list_entities(identifier))  # entities may have arrived since the plan
            if count:
                result.kept_blueprints[identifier] = f"{count} entities arrived since the plan"
                self.report(Notice(f"kept blueprint {identifier}: {count} entities arrived", "warning"))
                continue
            try:
                client.delete_blueprint(identifier)
            except PortApiError as error:
                result.kept_blueprints[identifier] = f"Port refused: {error}"
                self.report(Notice(f"kept blueprint {identifier}: {error}", "warning"))
                continue
            self.report(StepFinished(f"blueprint {identifier}", Change.DELETE))
            result.removed.append(f"blueprint {identifier}")


def _relation_targets(blueprint: dict[str, Any]) -> set[str]:
    relations = blueprint.get("relations") or {}
    return {str(r.get("target")) for r in relations.values() if isinstance(r, dict)}


def _referrers(identifier: str, present: set[str], blueprints: dict[str, dict[str, Any]]) -> set[str]:
    """Blueprints still present (other than itself) with a relation to `identifier`."""
    return {other for other in present
            if other != identifier and identifier in _relation_targets(blueprints.get(other, {}))}


def delete_failures(stream: StackEventStream) -> list[str]:
    """Every resource that failed to delete, "LogicalId (Type): reason", oldest first."""
    failures = []
    for event in stream.events:
        if event.status != "DELETE_FAILED" or event.logical_id == stream.stack_name:
            continue
        if event.reason and is_noise(event.reason):
            continue
        failures.append(f"{event.logical_id} ({event.resource_type}): {event.reason or event.status}")
    return failures
