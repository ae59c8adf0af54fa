"""The install, start to finish: Port objects first, then the CloudFormation stack.

Used by the console runner (`--answers`, flags) and by the Textual wizard; both get the
same progress events through `report`. Every step is idempotent, so after any failure a
re-run finishes the job.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import botocore.exceptions

from core.aws.clients import explain_aws_error, make_client, make_session
from core.aws.deployer import StackDeployer, render_deploy_command
from core.aws.stack_parameters import stack_parameters
from core.aws.stackset import deploy_stackset, plan_stackset
from core.aws.stackset_permissions import stackset_preflight
from core.config.credentials import PortCredentials, require_credentials
from core.config.settings import InstallSettings
from core.errors import WizardError
from core.operations.resync_start import ResyncStarted, first_resync, stackset_resync_notice
from core.port.client import PortClient
from core.port.setup import PortOutcome, PortSetup, WebhookTarget
from core.progress import (
    Change,
    Notice,
    PlanItem,
    ProgressEvent,
    Reporter,
    StackSetSettled,
    StackSettled,
    StepFinished,
)
from core.resources import template_path

WEBHOOK_ENV_FILE = "port-aws-webhook.env"
PLACEHOLDER_WEBHOOK_URL = "https://ingest.example/<created-by-this-install>"


@dataclass
class InstallResult:
    items: list[PlanItem] = field(default_factory=list)
    webhook: WebhookTarget = field(default_factory=WebhookTarget)
    stack: StackSettled | None = None
    stackset: StackSetSettled | None = None  # a StackSet install (--stackset)
    deploy_command: str = ""
    webhook_env_file: Path | None = None
    resync: ResyncStarted | None = None  # the first resync, started after the deploy

    @property
    def changed(self) -> bool:
        stack_changed = self.stack is not None and self.stack.status != "NO_CHANGE"
        stack_changed |= self.stackset is not None and self.stackset.change != Change.NO_CHANGE
        return stack_changed or any(item.change != Change.NO_CHANGE for item in self.items)


class InstallFailed(WizardError):
    """A step failed; `completed` lists what was done before it (a re-run picks up from there)."""

    def __init__(self, cause: WizardError, completed: list[str]) -> None:
        self.cause = cause
        self.completed = completed
        self.exit_code = cause.exit_code
        super().__init__(str(cause))


@dataclass
class Installer:
    settings: InstallSettings
    credentials: PortCredentials | None
    report: Reporter
    webhook_secret: str = ""
    poll_seconds: float = 2.0
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient
    completed: list[str] = field(default_factory=list)
    sleep: Callable[[float], None] = time.sleep  # between polls of the stack (a cancel hook may raise)

    def run(self) -> InstallResult:
        """Plan only (dry run), Port only, or the whole install, as the settings say."""
        if self.settings.dry_run:
            return self.plan()
        try:
            return self._install()
        except WizardError as error:
            raise InstallFailed(error, list(self.completed)) from error

    def plan(self) -> InstallResult:
        """What the install would do, from read-only calls: nothing is changed in Port or AWS."""
        result = InstallResult()
        if self.credentials is None:
            self.report(Notice("no Port credentials (PORT_CLIENT_ID/PORT_CLIENT_SECRET): the Port "
                               "steps are listed without checking what exists", "warning"))
            result.items += _unchecked_port_items(self.settings)
        else:
            with self.port_client_factory(self.settings.port_api_url, self.credentials) as client:
                outcome = PortSetup(client, self.settings, self.report, self.webhook_secret).run(write=False)
            result.items += outcome.items
            result.webhook = outcome.webhook
        for item in result.items:
            self.report(item)
        if self.settings.stackset:
            result.items += self._stackset_plan(result.webhook.url or PLACEHOLDER_WEBHOOK_URL,
                                                result.webhook.secret)
            return result
        if self.settings.port_only:
            item = PlanItem("aws", "stack", self.settings.stack_name, Change.NO_CHANGE,
                            "--port-only: the deploy command is printed, not run")
            self.report(item)
        else:
            item = self._stack_plan(result.webhook.url or PLACEHOLDER_WEBHOOK_URL, result.webhook.secret)
        result.items.append(item)
        return result

    def _install(self) -> InstallResult:
        credentials = require_credentials(self.credentials)
        cloudformation = None
        stackset_config = None
        if not self.settings.port_only:
            cloudformation = self._aws_preflight()  # fail before Port is touched
            if self.settings.stackset:
                stackset_config = stackset_preflight(make_session(self.settings), self.settings, self.report)
        result = InstallResult()
        with self.port_client_factory(self.settings.port_api_url, credentials) as client:
            outcome: PortOutcome = PortSetup(client, self.settings, self._report_done,
                                             self.webhook_secret).run(write=True)
        result.items += outcome.items
        result.webhook = outcome.webhook
        parameters = stack_parameters(self.settings, outcome.webhook.url, outcome.webhook.secret)
        if self.settings.port_only:
            result.deploy_command = render_deploy_command(
                self.settings.stack_name, self.settings.aws_region, str(template_path()), parameters)
            result.webhook_env_file = write_webhook_env(Path.cwd() / WEBHOOK_ENV_FILE, outcome.webhook)
            return result
        if stackset_config is not None:
            result.stackset = deploy_stackset(cloudformation, stackset_config, template_path().read_text(),
                                              parameters, self.report, self.poll_seconds, sleep=self.sleep)
            self.completed.append(f"StackSet {stackset_config.name}: {result.stackset.change}")
            stackset_resync_notice(self.settings, self.report)
            return result
        deployer = StackDeployer(cloudformation, self.report, poll_seconds=self.poll_seconds,
                                 sleep=self.sleep)
        try:
            result.stack = deployer.deploy(self.settings.stack_name, template_path().read_text(), parameters)
        except botocore.exceptions.BotoCoreError as error:
            raise explain_aws_error(error, f"deploy stack {self.settings.stack_name}") from None
        except botocore.exceptions.ClientError as error:
            raise explain_aws_error(error, f"deploy stack {self.settings.stack_name}") from None
        self.completed.append(f"stack {self.settings.stack_name}: {result.stack.status}")
        result.resync = first_resync(self.settings, self.report)
        return result

    def _report_done(self, event: ProgressEvent) -> None:
        if isinstance(event, StepFinished):
            self.completed.append(f"{event.step}: {event.change}")
        self.report(event)

    def _aws_preflight(self):  # noqa: ANN202 - a boto3 client
        session = make_session(self.settings)
        try:
            make_client(session, "sts", self.settings).get_caller_identity()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise explain_aws_error(error, "check your AWS identity (sts get-caller-identity)") from None
        return make_client(session, "cloudformation", self.settings)

    def _stack_plan(self, webhook_url: str, webhook_secret: str) -> PlanItem:
        session = make_session(self.settings)
        cloudformation = make_client(session, "cloudformation", self.settings)
        parameters = stack_parameters(self.settings, webhook_url, webhook_secret)
        deployer = StackDeployer(cloudformation, self.report, poll_seconds=self.poll_seconds)
        try:
            stack_plan = deployer.inspect(self.settings.stack_name, template_path().read_text(), parameters)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise explain_aws_error(error, f"read stack {self.settings.stack_name}") from None
        return stack_plan.plan_item()  # the deployer has reported it

    def _stackset_plan(self, webhook_url: str, webhook_secret: str) -> list[PlanItem]:
        session = make_session(self.settings)
        config = stackset_preflight(session, self.settings, self.report)
        parameters = stack_parameters(self.settings, webhook_url, webhook_secret)
        return plan_stackset(make_client(session, "cloudformation", self.settings), config,
                             template_path().read_text(), parameters, self.report)


def _unchecked_port_items(settings: InstallSettings) -> list[PlanItem]:
    from core.port import resources as port_resources

    items = [PlanItem("port", "blueprint", bp["identifier"], Change.CREATE, "create or update (not checked)")
             for bp in port_resources.load_blueprints()]
    items.append(PlanItem("port", "integration", settings.integration_id, Change.CREATE,
                          "create or update (not checked)"))
    ref = settings.webhook_ref
    items.append(PlanItem("port", "webhook", ref.describe(),
                          Change.CREATE if ref.managed else Change.NO_CHANGE,
                          "create or update (not checked)" if ref.managed else "given as a URL: used as is"))
    return items


def write_webhook_env(path: Path, webhook: WebhookTarget) -> Path:
    """Write the webhook URL/secret for a later `aws cloudformation deploy`, readable by the owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# Secrets for the deploy command printed by port-aws-wizard --port-only.\n")
        handle.write(f"export PORT_WEBHOOK_URL='{webhook.url}'\n")
        handle.write(f"export PORT_WEBHOOK_SECRET='{webhook.secret}'\n")
    os.chmod(path, 0o600)
    return path
