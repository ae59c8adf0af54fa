"""What an install would do, from read-only calls: the one plan behind `--dry-run` and the
wizard's Review step.

Port is planned with `PortSetup.run(write=False)`; the stack with DescribeStacks/GetTemplate
(`StackDeployer.inspect`) and, when asked, a change set that lists each resource and is
deleted again; a StackSet with its permission checks and `plan_stackset`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.aws.clients import aws_errors, make_client, make_session
from core.aws.deployer import StackDeployer
from core.aws.stack_parameters import stack_parameters
from core.aws.stackset import plan_stackset
from core.aws.stackset_permissions import stackset_preflight
from core.aws.webhook_secret import StoredWebhook
from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings
from core.polling import Polling
from core.port.client import PortClient
from core.port.setup import PortSetup, WebhookTarget
from core.progress import Change, Notice, PlanItem, ProgressEvent, Reporter
from core.resources import template_path

PLACEHOLDER_WEBHOOK_URL = "https://ingest.example/<created-by-this-install>"


@dataclass
class InstallPlan:
    port_items: list[PlanItem] = field(default_factory=list)
    stack_change: Change = Change.CREATE  # of the stack, or of the StackSet
    stack_detail: str = ""
    resources: list[PlanItem] = field(default_factory=list)  # change-set resources or StackSet instances
    notes: list[str] = field(default_factory=list)
    webhook: WebhookTarget = field(default_factory=WebhookTarget)
    stack_item: PlanItem | None = None  # the stack's (or StackSet's) line, as --dry-run lists it


@dataclass
class InstallPlanner:
    settings: InstallSettings
    credentials: PortCredentials
    report: Reporter
    webhook_secret: str = ""
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient
    polling: Polling = field(default_factory=Polling)
    stored: StoredWebhook | None = None  # what the installed stack signs with (kept by the plan)

    def plan(self, *, with_change_set: bool = False) -> InstallPlan:
        """Port's plan, then the stack's (and, with a change set, its resources)."""
        plan = InstallPlan()
        with self.port_client_factory(self.settings.port_api_url, self.credentials) as client:
            outcome = PortSetup(client, self.settings, self.report, self.webhook_secret,
                                self.stored).run(write=False)
        plan.port_items, plan.webhook = list(outcome.items), outcome.webhook
        for item in plan.port_items:
            self.report(item)
        self.plan_aws(plan, with_change_set=with_change_set)
        if not plan.webhook.url:
            plan.notes.append("the webhook's ingest URL is known once the webhook is created; the "
                              "plan above was made with a placeholder URL")
        return plan

    def plan_aws(self, plan: InstallPlan, *, with_change_set: bool = False) -> None:
        """The stack's or StackSet's part of `plan`, for the webhook `plan.webhook`."""
        parameters = stack_parameters(self.settings, plan.webhook.url or PLACEHOLDER_WEBHOOK_URL,
                                      plan.webhook.secret)
        if self.settings.stackset:
            self._plan_stackset(plan, parameters)
        elif self.settings.port_only:
            item = PlanItem("aws", "stack", self.settings.stack_name, Change.NO_CHANGE,
                            "--port-only: the deploy command is printed, not run")
            self.report(item)
            plan.stack_item = item
        else:
            self._plan_stack(plan, parameters, with_change_set)

    def _plan_stack(self, plan: InstallPlan, parameters: dict[str, str], with_change_set: bool) -> None:
        collected: list[ProgressEvent] = []

        def report(event: ProgressEvent) -> None:
            collected.append(event)
            self.report(event)

        name, template = self.settings.stack_name, template_path().read_text()
        with aws_errors(f"plan the stack {name}"):
            session = make_session(self.settings)
            deployer = StackDeployer(make_client(session, "cloudformation", self.settings), report,
                                     self.polling)
            stack_plan = deployer.inspect(name, template, parameters)  # reports the stack's line
            plan.stack_change, plan.stack_detail = stack_plan.change, stack_plan.detail
            plan.stack_item = stack_plan.plan_item()
            if not with_change_set:
                return
            if stack_plan.blocker:
                plan.notes.append(stack_plan.blocker)
            elif stack_plan.status == "ROLLBACK_COMPLETE" or (
                    stack_plan.status.endswith("_IN_PROGRESS") and stack_plan.status != "REVIEW_IN_PROGRESS"):
                plan.notes.append("the resource list appears when the deploy starts: " + stack_plan.detail)
            elif stack_plan.change is not Change.NO_CHANGE:
                collected.clear()
                prepared = deployer.prepare(name, template, parameters)
                try:
                    plan.resources = [event for event in collected if isinstance(event, PlanItem)]
                    plan.notes += [event.message for event in collected if isinstance(event, Notice)]
                finally:
                    deployer.discard(prepared)

    def _plan_stackset(self, plan: InstallPlan, parameters: dict[str, str]) -> None:
        collected: list[ProgressEvent] = []

        def report(event: ProgressEvent) -> None:
            collected.append(event)
            self.report(event)

        session = make_session(self.settings)
        config = stackset_preflight(session, self.settings, report)
        items = plan_stackset(make_client(session, "cloudformation", self.settings), config,
                              template_path().read_text(), parameters, report)
        for item in items:
            if item.kind == "stackset":
                plan.stack_change, plan.stack_detail = item.change, item.detail
                plan.stack_item = item
            else:
                plan.resources.append(item)
        plan.notes += [event.message for event in collected if isinstance(event, Notice)]
