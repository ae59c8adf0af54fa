"""Helpers for the wizard's tests: screen text, settling, typing, and scripted stand-ins for the
backend, the state store and the sandbox."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings
from core.errors import PortAuthError, StackDeployError
from core.operations.install import InstallFailed, InstallResult
from core.operations.install_plan import InstallPlan
from core.operations.logs import LogLine, format_record
from core.operations.resync_start import ResyncStarted
from core.port.setup import WebhookTarget
from core.progress import (
    Change,
    Notice,
    PlanItem,
    StackEventSeen,
    StackSettled,
    StepFinished,
    StepStarted,
)
from core.sandbox.counters import CounterSnapshot
from core.sandbox.flow import EntityRow
from wizard.backend import (
    AwsIdentity,
    HopCheck,
    ResourceState,
    TrailStatus,
    WebhookChoice,
)
from wizard.state import StateStore

ACCOUNT = "123456789012"
ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
T0 = datetime(2026, 11, 25, 9, 30, 0, tzinfo=UTC)
RESOURCES = [("DeadLetterQueue", "AWS::SQS::Queue"), ("Queue", "AWS::SQS::Queue"),
             ("EventRule", "AWS::Events::Rule"), ("FunctionRole", "AWS::IAM::Role"),
             ("LogGroup", "AWS::Logs::LogGroup"), ("Function", "AWS::Lambda::Function"),
             ("EventSourceMapping", "AWS::Lambda::EventSourceMapping")]
FAILURE_REASON = ("Resource handler returned message: \"User: arn:aws:iam::123456789012:user/alice is "
                  "not authorized to perform: iam:PassRole\"")


def screen_text(app: Any) -> str:
    """The current screen as plain text, as a user reads it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def seen(app: Any) -> str:
    """The screen's text with runs of spaces and line breaks as one space: phrases survive wrapping."""
    return " ".join(screen_text(app).split())


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (new screens may start more workers)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_into(pilot: Any, selector: str, text: str) -> None:
    """Focus an input, clear it and type `text` key by key, as a user does."""
    from textual.widgets import Input

    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


class MemoryStore(StateStore):
    """A state store at a fixed, fake path that keeps what it saves in memory (for snapshots)."""

    def __init__(self) -> None:
        super().__init__(Path("/home/user/.local/state/port-aws-wizard"))
        self.saved: list[dict[str, Any]] = []

    def save(self, state: Any) -> None:
        self.saved.append({"step": state.step, "answers": state.shareable_answers()})

    def load(self, state: Any) -> bool:
        return False


class ScriptedBackend:
    """Answers like the real backend, from a script: deterministic screens, scripted failures."""

    def __init__(self, environ: dict[str, str] | None = None, *, fail_stack: bool = False,
                 gate: threading.Event | None = None) -> None:
        self.environ = environ or {}
        self.fail_stack = fail_stack
        self.gate = gate  # when set, the deploy waits for it half way (to resize meanwhile)
        self.installs = 0
        self.tail_stopped = threading.Event()
        self.log_batches: list[list[LogLine]] = []

    def environment_credentials(self) -> tuple[str, str]:
        return self.environ.get("PORT_CLIENT_ID", ""), self.environ.get("PORT_CLIENT_SECRET", "")

    def check_port(self, base_url: str, credentials: PortCredentials) -> str:
        if credentials.client_secret == "wrong":
            raise PortAuthError("Port rejected the client id/secret (check PORT_CLIENT_ID and "
                                "PORT_CLIENT_SECRET, and that they belong to the organization at "
                                f"{base_url})")
        return "Acme Corp"

    def list_webhooks(self, base_url: str, credentials: PortCredentials) -> list[WebhookChoice]:
        return [WebhookChoice("aws_ingest", "AWS events (port-aws-wizard)"),
                WebhookChoice("github_events", "GitHub")]

    def aws_profiles(self) -> list[str]:
        return ["default", "production"]

    def check_aws(self, settings: InstallSettings) -> AwsIdentity:
        return AwsIdentity(ACCOUNT, ARN, "AIDAEXAMPLE", denied=("iam:PassRole",))

    def cloudtrail(self, settings: InstallSettings) -> TrailStatus:
        return TrailStatus(logging_trails=("management-events",))

    def review(self, settings: InstallSettings, credentials: PortCredentials) -> InstallPlan:
        return InstallPlan(
            port_items=[PlanItem("port", "blueprint", "awsAccount", Change.NO_CHANGE),
                        PlanItem("port", "blueprint", "ec2Instance", Change.UPDATE),
                        PlanItem("port", "integration", settings.integration_id, Change.CREATE,
                                 "41 mapping resources"),
                        PlanItem("port", "webhook", "aws_ingest", Change.CREATE, "41 mapping rules, signed")],
            stack_change=Change.CREATE,
            resources=[PlanItem("aws", kind, name, Change.CREATE) for name, kind in RESOURCES],
        )

    def install(self, settings: InstallSettings, credentials: PortCredentials, report: Any,
                cancel: threading.Event | None = None) -> Any:
        self.installs += 1
        report(StepStarted("blueprints", "2 blueprints"))
        report(StepFinished("blueprint awsAccount", Change.NO_CHANGE))
        report(StepFinished("blueprint ec2Instance", Change.UPDATE))
        report(StepStarted("integration", f"integration {settings.integration_id}"))
        report(StepFinished(f"integration {settings.integration_id}", Change.CREATE))
        report(StepStarted("webhook", "webhook aws_ingest"))
        report(StepFinished("webhook aws_ingest", Change.CREATE))
        for name, kind in RESOURCES:
            report(PlanItem("aws", kind, name, Change.CREATE))
        stack = settings.stack_name
        stack_type = "AWS::CloudFormation::Stack"
        report(StackEventSeen("e0", T0, stack, stack_type, "CREATE_IN_PROGRESS", "User Initiated"))
        for index, (name, kind) in enumerate(RESOURCES[:3]):
            started, ended = T0 + timedelta(seconds=1), T0 + timedelta(seconds=3 + index)
            report(StackEventSeen(f"s{index}", started, name, kind, "CREATE_IN_PROGRESS"))
            report(StackEventSeen(f"c{index}", ended, name, kind, "CREATE_COMPLETE"))
        if self.gate is not None:
            self.gate.wait(10)
        report(StackEventSeen("r0", T0 + timedelta(seconds=4), "FunctionRole", "AWS::IAM::Role",
                              "CREATE_IN_PROGRESS"))
        report(StackEventSeen("r1", T0 + timedelta(seconds=21), "FunctionRole", "AWS::IAM::Role",
                              "CREATE_COMPLETE"))
        report(StackEventSeen("f0", T0 + timedelta(seconds=22), "Function", "AWS::Lambda::Function",
                              "CREATE_IN_PROGRESS"))
        if self.fail_stack:
            report(StackEventSeen("f1", T0 + timedelta(seconds=25), "Function", "AWS::Lambda::Function",
                                  "CREATE_FAILED", FAILURE_REASON))
            report(StackEventSeen("l1", T0 + timedelta(seconds=26), "LogGroup", "AWS::Logs::LogGroup",
                                  "CREATE_FAILED", "Resource creation cancelled"))
            report(StackEventSeen("e9", T0 + timedelta(seconds=40), stack, stack_type, "ROLLBACK_COMPLETE"))
            first = f"Function (AWS::Lambda::Function): {FAILURE_REASON}"
            report(StackSettled(stack, "ROLLBACK_COMPLETE", False, first))
            cause = StackDeployError(f"the stack {stack} ended in ROLLBACK_COMPLETE: {first} (the next run "
                                     "deletes the empty stack and creates it again)",
                                     status="ROLLBACK_COMPLETE", first_failure=first)
            raise InstallFailed(cause, ["blueprint awsAccount: no change", "blueprint ec2Instance: update",
                                        f"integration {settings.integration_id}: create",
                                        "webhook aws_ingest: create"])
        for index, (name, kind) in enumerate(RESOURCES[4:]):
            report(StackEventSeen(f"g{index}", T0 + timedelta(seconds=23 + index), name, kind,
                                  "CREATE_IN_PROGRESS"))
            report(StackEventSeen(f"h{index}", T0 + timedelta(seconds=30 + index), name, kind,
                                  "CREATE_COMPLETE"))
        report(StackEventSeen("e9", T0 + timedelta(seconds=40), stack, stack_type, "CREATE_COMPLETE"))
        settled = StackSettled(stack, "CREATE_COMPLETE", True)
        report(settled)
        resync = ResyncStarted("https://sqs.us-east-1.amazonaws.com/123456789012/q", "m-1", 8, 2)
        report(Notice("first resync started: Port should be complete within about 2 minutes"))
        return InstallResult(
            resync=resync,
            items=[PlanItem("port", "blueprint", "awsAccount", Change.NO_CHANGE),
                   PlanItem("port", "blueprint", "ec2Instance", Change.UPDATE),
                   PlanItem("port", "integration", settings.integration_id, Change.CREATE,
                            "41 mapping resources"),
                   PlanItem("port", "webhook", "aws_ingest", Change.CREATE, "41 mapping rules, signed")],
            webhook=WebhookTarget("https://ingest.getport.io/Zx81SECRETKEYVALUE", "s3cr3t", "aws_ingest"),
            stack=settled,
        )

    def stack_resources(self, settings: InstallSettings) -> list[ResourceState]:
        return [ResourceState(name, kind, "CREATE_COMPLETE") for name, kind in RESOURCES]

    def log_group(self, settings: InstallSettings) -> tuple[str, str]:
        group = f"/aws/lambda/{settings.lambda_function_name}"
        return group, "the default for the function (no LoggingConfig)"

    def tail(self, settings: InstallSettings, log_group: str, should_stop: Any,
             since_seconds: float = 600) -> Iterator[list[LogLine]]:
        try:
            yield from self.log_batches
            while not should_stop():
                threading.Event().wait(0.02)
                yield []
        finally:  # stopped, or closed by the worker
            self.tail_stopped.set()

    def hop_checks(self, settings: InstallSettings, credentials: Any) -> Iterator[HopCheck]:
        yield HopCheck("stack", True, f"{settings.stack_name}: CREATE_COMPLETE")
        yield HopCheck("queue", True, "0 waiting, oldest 0s")
        yield HopCheck("dead-letter queue", False, "3 messages: run port-aws-wizard redrive")
        yield HopCheck("Port webhook", None, "skipped: no Port credentials")


def log_line(second: int, message: str, event_id: str = "") -> LogLine:
    stamp = int((T0 + timedelta(seconds=second)).timestamp() * 1000)
    text, level = format_record(stamp, message)
    return LogLine(stamp, "2026/11/25/[$LATEST]abc", message, text, level, event_id or f"id{second}")


class FakeSandbox:
    """What `--sandbox` hands the wizard (core.sandbox.environment.SandboxEnvironment), frozen:
    fixed endpoints, counters and entities; it records what the panel asks of it."""

    aws_endpoint = "http://127.0.0.1:5000"
    port_base_url = "http://127.0.0.1:5001"
    account = "210987654321"
    options = None

    def __init__(self) -> None:
        self.settings = InstallSettings(port_base_url=self.port_base_url, stack_name="port-aws-sandbox")
        self.flow: Any = None
        self.sent: list[int] = []
        self.faults: list[tuple[float, float]] = []
        self.resyncs = 0
        self.polls = 0

    def start_flow(self) -> Any:
        if self.flow is None:
            self.flow = type("Flow", (), {"plan": type("Plan", (), {"round_size": 4})()})()
        return self.flow

    def send_events(self, count: int) -> list[Any]:
        self.sent.append(count)
        return [object()] * count

    def counters(self) -> CounterSnapshot:
        self.polls += 1
        return CounterSnapshot(put=8, queued=1, in_flight=2, received=9, invocations=3, forwarded=5,
                               failed=2, dead_lettered=0, entity_changes=6, rejected=1, ingest_refused=4,
                               resync_pieces=5, resync_failed=0, resync_changes=11)

    def entities(self) -> list[EntityRow]:
        return [EntityRow("awsAccount", self.account, self.account),
                EntityRow("ec2Instance", "i-0a1b2c3d4e5f60718", "web-1"),
                EntityRow("s3Bucket", "arn:aws:s3:::example-logs-bucket", "example-logs-bucket")]

    def fail_ingest_for(self, seconds: float, ratio: float = 1.0, status: int = 503) -> None:
        self.faults.append((seconds, ratio))

    def resync_now(self) -> None:
        self.resyncs += 1
