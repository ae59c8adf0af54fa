"""Typed messages the wizard's workers post to their screens.

Workers run in threads and call `screen.post_message(...)`, which is thread-safe; the
screen's handlers then update what is shown. No message carries a secret.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from core.progress import ProgressEvent


class PortChecked(Message):
    """The live Port check finished: `organization` answered, or `error` says why not."""

    def __init__(self, key: tuple[str, str, str], organization: str = "", error: str = "") -> None:
        super().__init__()
        self.key = key  # (base URL, client id, secret digest) the check was made with
        self.organization = organization
        self.error = error

    @property
    def ok(self) -> bool:
        return not self.error


class AwsChecked(Message):
    """sts get-caller-identity (and the permission simulation) finished."""

    def __init__(self, key: tuple[str | None, str], identity: Any = None, error: str = "") -> None:
        super().__init__()
        self.key = key  # (profile, region)
        self.identity = identity  # backend.AwsIdentity
        self.error = error


class TrailChecked(Message):
    def __init__(self, status: Any) -> None:
        super().__init__()
        self.status = status  # backend.TrailStatus


class WebhooksListed(Message):
    def __init__(self, webhooks: list[Any], error: str = "") -> None:
        super().__init__()
        self.webhooks = webhooks  # list[backend.WebhookChoice]
        self.error = error


class ReviewReady(Message):
    def __init__(self, review: Any = None, error: str = "") -> None:
        super().__init__()
        self.review = review  # backend.ReviewResult
        self.error = error


class Progress(Message):
    """One progress event of the install (core/progress.py), as the console runner gets it."""

    def __init__(self, event: ProgressEvent) -> None:
        super().__init__()
        self.event = event


class ResourcesRead(Message):
    """The stack's resources as CloudFormation lists them once the stack settled."""

    def __init__(self, resources: list[Any]) -> None:
        super().__init__()
        self.resources = resources  # list[backend.ResourceState]


class DeployFinished(Message):
    def __init__(self, result: Any = None, error: str = "", completed: list[str] | None = None,
                 first_failure: str = "", advice: str = "") -> None:
        super().__init__()
        self.result = result  # core.operations.install.InstallResult
        self.error = error
        self.completed = completed or []
        self.first_failure = first_failure
        self.advice = advice

    @property
    def ok(self) -> bool:
        return not self.error


class LogLines(Message):
    """New log lines from the tail worker (a batch, oldest first)."""

    def __init__(self, lines: list[Any]) -> None:
        super().__init__()
        self.lines = lines  # list[core.operations.logs.LogLine]


class TailStopped(Message):
    def __init__(self, error: str = "", log_group: str = "") -> None:
        super().__init__()
        self.error = error
        self.log_group = log_group


class LogGroupFound(Message):
    def __init__(self, log_group: str, origin: str) -> None:
        super().__init__()
        self.log_group = log_group
        self.origin = origin


class ChecksDone(Message):
    """The hop checks so far (`finished` False while more are coming)."""

    def __init__(self, checks: list[Any], error: str = "", finished: bool = True) -> None:
        super().__init__()
        self.checks = checks  # list[backend.HopCheck]
        self.error = error
        self.finished = finished


class SandboxStarted(Message):
    """The sandbox's event flow runs (`sent` sample events were put to start it), or `error`."""

    def __init__(self, round_size: int = 0, sent: int = 0, error: str = "") -> None:
        super().__init__()
        self.round_size = round_size
        self.sent = sent
        self.error = error


class SandboxPolled(Message):
    """The sandbox's hop counters and Port entities at one moment (or why they could not be read)."""

    def __init__(self, counters: Any = None, entities: list[Any] | None = None, error: str = "") -> None:
        super().__init__()
        self.counters = counters  # core.sandbox.counters.CounterSnapshot
        self.entities = entities or []  # list[core.sandbox.flow.EntityRow]
        self.error = error


class SandboxActed(Message):
    """A sandbox button did its work: `sent` more events, the ingest fault started, or a
    resync was requested (`resynced`)."""

    def __init__(self, sent: int = 0, fault_seconds: float = 0.0, error: str = "",
                 resynced: bool = False) -> None:
        super().__init__()
        self.sent = sent
        self.fault_seconds = fault_seconds
        self.error = error
        self.resynced = resynced


class SyncProgressed(Message):
    """A step of the sync (core.operations.sync.SyncProgress)."""

    def __init__(self, progress: Any) -> None:
        super().__init__()
        self.progress = progress


class SyncFinished(Message):
    def __init__(self, result: Any = None, error: str = "") -> None:
        super().__init__()
        self.result = result  # core.operations.sync.SyncResult
        self.error = error
