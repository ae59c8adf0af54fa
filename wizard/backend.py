"""The wizard's door to `core`: blocking calls that the screens run in thread workers.

Nothing here touches Textual. Every method may take seconds (it calls Port or AWS), so
screens call them only from `@work(thread=True)` workers. Dependencies are injected so
tests point the wizard at the Port emulator and at moto (`aws_endpoint_url`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.config.credentials import WEBHOOK_SECRET_VARIABLE, PortCredentials
from core.config.settings import InstallSettings
from core.errors import AwsAccessError, WizardError
from core.polling import Polling
from core.progress import ProgressEvent, Reporter

if TYPE_CHECKING:
    from core.operations.install_plan import InstallPlan

# What the install does in AWS, checked with IAM policy simulation before deploying.
REQUIRED_ACTIONS: tuple[str, ...] = (
    "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet",
    "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
    "cloudformation:GetTemplate", "cloudformation:DeleteStack",
    "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:GetRole", "iam:PassRole",
    "lambda:CreateFunction", "lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode",
    "lambda:CreateEventSourceMapping", "lambda:GetFunction",
    "sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:SendMessage",
    "events:PutRule", "events:PutTargets", "events:DescribeRule",
    "logs:CreateLogGroup", "logs:PutRetentionPolicy",
)


class DeployCancelled(Exception):
    """The install's polling stopped because the wizard left (quit, or the screen went away)."""


@dataclass(frozen=True)
class AwsIdentity:
    account: str
    arn: str
    user_id: str = ""
    denied: tuple[str, ...] = ()  # actions the simulation says are denied
    permission_note: str = ""  # why permissions could not be checked, or "" when they were


@dataclass(frozen=True)
class TrailStatus:
    logging_trails: tuple[str, ...] = ()
    other_trails: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.logging_trails)


@dataclass(frozen=True)
class WebhookChoice:
    identifier: str
    title: str = ""


@dataclass(frozen=True)
class ResourceState:
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class HopCheck:
    name: str
    ok: bool | None  # None: could not tell
    detail: str = ""


class Backend:
    """Blocking operations over `core`, with the endpoints and environment injected."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        aws_endpoint_url: str | None = None,
        poll_seconds: float = 2.0,
        port_client_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.aws_endpoint_url = aws_endpoint_url or self.environ.get("AWS_ENDPOINT_URL") or None
        self.poll_seconds = poll_seconds
        self._port_client_factory = port_client_factory

    # -- Port ------------------------------------------------------------------------
    def environment_credentials(self) -> tuple[str, str]:
        from core.config.credentials import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE

        return (self.environ.get(CLIENT_ID_VARIABLE, "").strip(),
                self.environ.get(CLIENT_SECRET_VARIABLE, "").strip())

    def _port_client(self, base_url: str, credentials: PortCredentials) -> Any:
        from core.port.client import PortClient
        from core.port.retry import Backoff

        if self._port_client_factory is not None:
            return self._port_client_factory(base_url, credentials)
        return PortClient(base_url, credentials, backoff=Backoff(attempts=2, base_seconds=0.3))

    def check_port(self, base_url: str, credentials: PortCredentials) -> str:
        """Get a token and read the organization: its name, or raise WizardError saying why not."""
        with self._port_client(base_url.rstrip("/"), credentials) as client:
            client.authenticate()
            return client.organization_name() or "(unnamed organization)"

    def list_webhooks(self, base_url: str, credentials: PortCredentials) -> list[WebhookChoice]:
        with self._port_client(base_url.rstrip("/"), credentials) as client:
            webhooks = client.list_webhooks()
        choices = [WebhookChoice(str(w.get("identifier") or ""), str(w.get("title") or ""))
                   for w in webhooks if w.get("identifier")]
        return sorted(choices, key=lambda choice: choice.identifier)

    # -- AWS -------------------------------------------------------------------------
    def settings(self, settings: InstallSettings) -> InstallSettings:
        """The settings with the injected AWS endpoint (moto in tests)."""
        if self.aws_endpoint_url and not settings.aws_endpoint_url:
            import dataclasses

            return dataclasses.replace(settings, aws_endpoint_url=self.aws_endpoint_url)
        return settings

    def aws_profiles(self) -> list[str]:
        import botocore.session

        try:
            return sorted(botocore.session.Session().available_profiles)
        except Exception:  # noqa: BLE001 - a broken config only means no list
            return []

    def _stored_webhook(self, settings: InstallSettings) -> Any:
        """What an installed stack signs with, so the review plans to keep it (None: unknown)."""
        from core.aws.webhook_secret import stored_webhook
        from core.errors import WizardError

        try:
            return stored_webhook(lambda service: self._client(settings, service), settings)
        except (WizardError, Exception):  # the install itself says what is wrong
            return None

    def _client(self, settings: InstallSettings, service: str, retries: int | None = None) -> Any:
        from core.aws.clients import AwsClients, attempts

        config = attempts(retries) if retries is not None else None
        return AwsClients(self.settings(settings))(service, config)

    def check_aws(self, settings: InstallSettings) -> AwsIdentity:
        """sts get-caller-identity, then an IAM policy simulation of what the install needs."""
        from core.aws.clients import aws_errors

        with aws_errors("check your AWS identity (sts get-caller-identity)"):
            identity = self._client(settings, "sts", retries=2).get_caller_identity()
        arn = identity.get("Arn", "")
        denied, note = self._simulate(settings, arn)
        return AwsIdentity(identity.get("Account", ""), arn, identity.get("UserId", ""), denied, note)

    def _simulate(self, settings: InstallSettings, arn: str) -> tuple[tuple[str, ...], str]:
        source = principal_arn(arn)
        if not source:
            return (), ("permissions not checked: this identity type cannot be simulated; the install "
                        "needs CloudFormation, IAM role, Lambda, SQS, EventBridge and CloudWatch Logs access")
        try:
            iam = self._client(settings, "iam", retries=1)
            denied: list[str] = []
            for start in range(0, len(REQUIRED_ACTIONS), 20):
                answer = iam.simulate_principal_policy(PolicySourceArn=source,
                                                       ActionNames=list(REQUIRED_ACTIONS[start:start + 20]))
                denied += [result["EvalActionName"] for result in answer.get("EvaluationResults", [])
                           if result.get("EvalDecision") != "allowed"]
            return tuple(denied), ""
        except Exception as error:  # noqa: BLE001 - any failure here only means "not checked"
            reason = _short_reason(error)
            return (), (f"permissions not checked ({reason}): the install needs CloudFormation, "
                        "IAM role, Lambda, SQS, EventBridge and CloudWatch Logs access; a missing "
                        "one shows up as the deploy's first failure")

    def cloudtrail(self, settings: InstallSettings) -> TrailStatus:
        """Whether a trail records API calls in the region (API-call events depend on one)."""
        try:
            client = self._client(settings, "cloudtrail", retries=2)
            trails = client.describe_trails(includeShadowTrails=True).get("trailList", [])
            logging, other = [], []
            for trail in trails:
                name = trail.get("Name", "")
                try:
                    status = client.get_trail_status(Name=trail.get("TrailARN") or name)
                    (logging if status.get("IsLogging") else other).append(name)
                except Exception:  # noqa: BLE001
                    other.append(name)
            return TrailStatus(tuple(logging), tuple(other))
        except Exception as error:  # noqa: BLE001
            return TrailStatus(error=_short_reason(error))

    # -- review and install ------------------------------------------------------------
    def review(self, settings: InstallSettings, credentials: PortCredentials) -> InstallPlan:
        """The install's plan (core.operations.install_plan) with the stack's change set listed."""
        from core.operations.install_plan import InstallPlanner

        settings = self.settings(settings)
        planner = InstallPlanner(settings, credentials, _drop,
                                 self.environ.get(WEBHOOK_SECRET_VARIABLE, ""), self._port_client,
                                 Polling(interval=min(self.poll_seconds, 1.0)),
                                 stored=self._stored_webhook(settings))
        return planner.plan(with_change_set=True)

    def install(self, settings: InstallSettings, credentials: PortCredentials, report: Reporter,
                cancel: threading.Event | None = None) -> Any:
        """The whole install (core.operations.install.Installer); raises its InstallFailed.

        When `cancel` is set (the app quits, the screen goes away) the stack or StackSet
        polling stops at its next wait with DeployCancelled; what was started in AWS goes on.
        """
        from core.operations.install import Installer

        def sleep(seconds: float) -> None:
            if cancel is None:
                time.sleep(seconds)
            elif cancel.wait(seconds):
                raise DeployCancelled("the install was left while it ran")

        installer = Installer(self.settings(settings), credentials, report,
                              webhook_secret=self.environ.get(WEBHOOK_SECRET_VARIABLE, ""),
                              polling=Polling(interval=self.poll_seconds, sleep=sleep))
        return installer.run()

    def sync(self, settings: InstallSettings, credentials: PortCredentials | None,
             progress: Callable[[Any], None]) -> Any:
        """core.operations.sync.run_sync over the install's regions and sources; returns its SyncResult."""
        from core.operations.sync import run_sync

        settings = self.settings(settings)
        regions = settings.regions if settings.stackset and settings.regions else None
        kwargs: dict[str, Any] = {}
        if self._port_client_factory is not None:
            kwargs["port_client_factory"] = self._port_client_factory
        return run_sync(settings, credentials, regions=regions, progress=progress,
                        environ=dict(self.environ), **kwargs)

    def stack_resources(self, settings: InstallSettings) -> list[ResourceState]:
        client = self._client(settings, "cloudformation", retries=2)
        answer = client.describe_stack_resources(StackName=settings.stack_name)
        return [ResourceState(item.get("LogicalResourceId", ""), item.get("ResourceType", ""),
                              item.get("ResourceStatus", ""), item.get("ResourceStatusReason", ""))
                for item in answer.get("StackResources", []) if item.get("LogicalResourceId")]

    # -- troubleshooting ---------------------------------------------------------------
    def log_group(self, settings: InstallSettings) -> tuple[str, str]:
        """The function's real log group (its LoggingConfig, else /aws/lambda/NAME) and where it came from."""
        default = f"/aws/lambda/{settings.lambda_function_name}"
        try:
            function = self._client(settings, "lambda", retries=2).get_function_configuration(
                FunctionName=settings.lambda_function_name)
        except Exception as error:  # noqa: BLE001
            return default, f"default for the function name ({_short_reason(error)})"
        group = (function.get("LoggingConfig") or {}).get("LogGroup")
        if group:
            return group, "the function's LoggingConfig"
        return default, "the default for the function (no LoggingConfig)"

    def tail(self, settings: InstallSettings, log_group: str, should_stop: Callable[[], bool],
             since_seconds: float = 600) -> Iterator[list[Any]]:
        """Batches of new log lines (core.operations.logs.LogLine), oldest first, each line once.

        One FilterLogEvents round per batch (core.operations.logs.LogTail keeps the no-duplicates,
        no-gaps bookkeeping), an empty batch when nothing is new, until should_stop().
        """
        from core.operations.logs import LogTail

        tail = LogTail(self._client(settings, "logs", retries=3), log_group, since_seconds,
                       poll_seconds=self.poll_seconds)
        while not should_stop():
            yield tail.poll()
            deadline = time.monotonic() + self.poll_seconds
            while time.monotonic() < deadline and not should_stop():
                time.sleep(0.05)

    def hop_checks(self, settings: InstallSettings, credentials: PortCredentials | None
                   ) -> Iterator[HopCheck]:
        """core.operations.status, one hop at a time, as each completes."""
        from core.operations.status import iter_checks

        kwargs: dict[str, Any] = {}
        if self._port_client_factory is not None:
            kwargs["port_client_factory"] = self._port_client_factory
        for check in iter_checks(self.settings(settings), credentials, **kwargs):
            ok = None if check.skipped else check.ok
            detail = check.figure
            if check.detail:
                detail += f" ({check.detail})"
            if not check.ok and check.fix:
                detail += f": {check.fix}"
            yield HopCheck(check.name, ok, detail)


def principal_arn(arn: str) -> str:
    """The IAM ARN to simulate for a caller ARN; "" when there is none (root, federated...)."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return ""
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource.startswith(("user/", "role/")):
        return arn
    if service == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return f"arn:{partition}:iam::{account}:role/{role}"
    return ""


def explain(error: BaseException) -> str:
    """A message fit for the screen: our errors say what to do; others get their type named."""
    if isinstance(error, WizardError):
        return str(error)
    import botocore.exceptions

    from core.aws.clients import explain_aws_error

    if isinstance(error, botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError):
        return str(explain_aws_error(error, "talk to AWS"))
    return f"unexpected error ({type(error).__name__}): {error}"


def _short_reason(error: BaseException) -> str:
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', '')}: {details.get('Message', '')}".strip(": ")
    if isinstance(error, AwsAccessError):
        return str(error)
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]


def _drop(_event: ProgressEvent) -> None:
    pass
