"""The install, start to finish: Port objects first, then the CloudFormation stack.

Used by the console runner (`--answers`, flags) and by the Textual wizard; both get the
same progress events through `report`. Every step is idempotent, so after any failure a
re-run finishes the job.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import botocore.exceptions

from core.aws.clients import aws_errors, explain_aws_error, make_client, make_session
from core.aws.deployer import StackDeployer, render_deploy_command
from core.aws.stack_parameters import stack_parameters
from core.aws.stackset import STACKSET_POLLING, deploy_stackset
from core.aws.stackset_permissions import stackset_preflight
from core.aws.webhook_secret import ROTATION_WINDOW_HINT, StoredWebhook, stored_webhook
from core.config.credentials import PortCredentials, require_credentials
from core.config.settings import InstallSettings
from core.errors import WizardError
from core.operations.install_plan import InstallPlan, InstallPlanner
from core.operations.resync_start import (
    ResyncStarted,
    first_resync,
    first_resync_command,
    stackset_resync_notice,
)
from core.operations.secret_rotation import RotationWindow
from core.polling import Polling
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


@dataclass
class InstallResult:
    items: list[PlanItem] = field(default_factory=list)
    webhook: WebhookTarget = field(default_factory=WebhookTarget)
    stack: StackSettled | None = None
    stackset: StackSetSettled | None = None  # a StackSet install (--stackset)
    deploy_command: str = ""
    webhook_env_file: Path | None = None
    resync: ResyncStarted | None = None  # the first resync, started after the deploy
    first_resync_command: str = ""  # --port-only: how to start it after the printed deploy

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
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient
    completed: list[str] = field(default_factory=list)
    polling: Polling = field(default_factory=Polling)  # its sleep may raise to cancel the wait

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
        planner = InstallPlanner(self.settings, self.credentials, self.report,  # type: ignore[arg-type]
                                 self.webhook_secret, self.port_client_factory, self.polling)
        if self.credentials is None:
            self.report(Notice("no Port credentials (PORT_CLIENT_ID/PORT_CLIENT_SECRET): the Port "
                               "steps are listed without checking what exists", "warning"))
            plan = InstallPlan(port_items=_unchecked_port_items(self.settings))
            for item in plan.port_items:
                self.report(item)
            planner.plan_aws(plan)
        else:
            planner.stored = self._stored_webhook(required=False)
            plan = planner.plan()
        aws_items = plan.resources if self.settings.stackset else []
        return InstallResult(items=[*plan.port_items, *filter(None, [plan.stack_item]), *aws_items],
                             webhook=plan.webhook)

    def _install(self) -> InstallResult:
        credentials = require_credentials(self.credentials)
        cloudformation = None
        stackset_config = None
        if not self.settings.port_only:
            cloudformation = self._aws_preflight()  # fail before Port is touched
            if self.settings.stackset:
                stackset_config = stackset_preflight(make_session(self.settings), self.settings, self.report)
        result = InstallResult()
        stored = self._stored_webhook(required=not self.settings.port_only)
        with self.port_client_factory(self.settings.port_api_url, credentials) as client:
            outcome: PortOutcome = PortSetup(client, self.settings, self._report_done,
                                             self.webhook_secret, stored).run(write=True)
        result.items += outcome.items
        result.webhook = outcome.webhook
        window = RotationWindow(self.report)
        if outcome.webhook.rotated:
            window.opened("you run the deploy command below" if self.settings.port_only else
                          "every stack instance is updated" if self.settings.stackset else
                          f"the stack update completes ({ROTATION_WINDOW_HINT})")
        parameters = stack_parameters(self.settings, outcome.webhook.url, outcome.webhook.secret)
        if self.settings.port_only:
            result.deploy_command = render_deploy_command(
                self.settings.stack_name, self.settings.aws_region, str(template_path()), parameters)
            result.webhook_env_file = write_webhook_env(Path.cwd() / WEBHOOK_ENV_FILE, outcome.webhook)
            result.first_resync_command = first_resync_command(self.settings)
            return result
        if stackset_config is not None:
            result.stackset = deploy_stackset(cloudformation, stackset_config, template_path().read_text(),
                                              parameters, self.report,
                                              self.polling.replace(timeout=STACKSET_POLLING.timeout))
            self.completed.append(f"StackSet {stackset_config.name}: {result.stackset.change}")
            stackset_resync_notice(self.settings, self.report)
            window.closed()
            return result
        deployer = StackDeployer(cloudformation, self.report, self.polling)
        with aws_errors(f"deploy stack {self.settings.stack_name}"):
            result.stack = deployer.deploy(self.settings.stack_name, template_path().read_text(), parameters)
        self.completed.append(f"stack {self.settings.stack_name}: {result.stack.status}")
        window.closed()
        result.resync = first_resync(self.settings, self.report)
        return result

    def _stored_webhook(self, required: bool) -> StoredWebhook | None:
        """What the installed stack signs with (its Secrets Manager secret), read with the
        user's AWS credentials. Not `required` (a plan, --port-only): unreadable is a warning."""
        if not self.settings.webhook_ref.managed:
            return None
        try:
            session = make_session(self.settings)
            return stored_webhook(lambda service: make_client(session, service, self.settings),
                                  self.settings)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                WizardError) as error:
            if not isinstance(error, WizardError):
                error = explain_aws_error(error, "read the installed stack's webhook secret")
            if required:
                raise error from None
            self.report(Notice(f"{error}; without it the webhook gets a new secret", "warning"))
            return None

    def _report_done(self, event: ProgressEvent) -> None:
        if isinstance(event, StepFinished):
            self.completed.append(f"{event.step}: {event.change}")
        self.report(event)

    def _aws_preflight(self):  # noqa: ANN202 - a boto3 client
        session = make_session(self.settings)
        with aws_errors("check your AWS identity (sts get-caller-identity)"):
            make_client(session, "sts", self.settings).get_caller_identity()
        return make_client(session, "cloudformation", self.settings)


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
        # Quoted for the shell: sourcing the file yields the exact values and runs nothing.
        handle.write(f"export PORT_WEBHOOK_URL={shlex.quote(webhook.url)}\n")
        handle.write(f"export PORT_WEBHOOK_SECRET={shlex.quote(webhook.secret)}\n")
    os.chmod(path, 0o600)
    return path
