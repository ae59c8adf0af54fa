"""Typed messages the wizard's workers post to their screens.

Workers run in threads and call `screen.post_message(...)`, which is thread-safe; the
screen's handlers then update what is shown. No message carries a secret. Each message is
a dataclass (Textual initialises a dataclass message in `__post_init__`); eq=False keeps the
identity equality and hashing Textual expects of messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # only for the annotations: importing these costs start-up time
    from core.operations.install import InstallResult
    from core.operations.install_plan import InstallPlan
    from core.operations.logs import LogLine
    from core.operations.sync import SyncProgress, SyncResult
    from core.progress import ProgressEvent
    from core.sandbox.counters import CounterSnapshot
    from core.sandbox.flow import EntityRow
    from wizard.backend import AwsIdentity, HopCheck, ResourceState, TrailStatus, WebhookChoice


@dataclass(eq=False)
class PortChecked(Message):
    """The live Port check finished: `organization` answered, or `error` says why not."""

    key: tuple[str, str, str]  # (base URL, client id, secret digest) the check was made with
    organization: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(eq=False)
class AwsChecked(Message):
    """sts get-caller-identity (and the permission simulation) finished."""

    key: tuple[str | None, str]  # (profile, region)
    identity: AwsIdentity | None = None
    error: str = ""


@dataclass(eq=False)
class TrailChecked(Message):
    status: TrailStatus


@dataclass(eq=False)
class WebhooksListed(Message):
    webhooks: list[WebhookChoice]
    error: str = ""


@dataclass(eq=False)
class ReviewReady(Message):
    review: InstallPlan | None = None
    error: str = ""


@dataclass(eq=False)
class Progress(Message):
    """One progress event of the install (core/progress.py), as the console runner gets it."""

    event: ProgressEvent


@dataclass(eq=False)
class ResourcesRead(Message):
    """The stack's resources as CloudFormation lists them once the stack settled."""

    resources: list[ResourceState]


@dataclass(eq=False)
class DeployFinished(Message):
    result: InstallResult | None = None
    error: str = ""
    completed: list[str] = field(default_factory=list)
    first_failure: str = ""
    advice: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(eq=False)
class LogLines(Message):
    """New log lines from the tail worker (a batch, oldest first)."""

    lines: list[LogLine]


@dataclass(eq=False)
class TailStopped(Message):
    error: str = ""
    log_group: str = ""


@dataclass(eq=False)
class LogGroupFound(Message):
    log_group: str
    origin: str


@dataclass(eq=False)
class ChecksDone(Message):
    """The hop checks so far (`finished` False while more are coming)."""

    checks: list[HopCheck]
    error: str = ""
    finished: bool = True


@dataclass(eq=False)
class SandboxStarted(Message):
    """The sandbox's event flow runs (`sent` sample events were put to start it), or `error`."""

    round_size: int = 0
    sent: int = 0
    error: str = ""


@dataclass(eq=False)
class SandboxPolled(Message):
    """The sandbox's hop counters and Port entities at one moment (or why they could not be read)."""

    counters: CounterSnapshot | None = None
    entities: list[EntityRow] = field(default_factory=list)
    error: str = ""


@dataclass(eq=False)
class SandboxActed(Message):
    """A sandbox button did its work: `sent` more events, the ingest fault started, or a
    resync was requested (`resynced`)."""

    sent: int = 0
    fault_seconds: float = 0.0
    error: str = ""
    resynced: bool = False


@dataclass(eq=False)
class SyncProgressed(Message):
    """A step of the sync."""

    progress: SyncProgress


@dataclass(eq=False)
class SyncFinished(Message):
    result: SyncResult | None = None
    error: str = ""
