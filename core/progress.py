"""Events the install reports while it runs.

The orchestrator calls ``report(event)`` with these; the console runner prints them and
the Textual wizard turns them into messages. They carry no secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Change(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NO_CHANGE = "no change"
    DELETE = "delete"
    REPLACE = "replace"


@dataclass(frozen=True)
class PlanItem:
    """One step of the install plan: what will happen to one Port object or AWS resource."""

    target: str  # "port" or "aws"
    kind: str  # e.g. "blueprint", "integration", "webhook", "stack", "AWS::SQS::Queue"
    name: str
    change: Change
    detail: str = ""


@dataclass(frozen=True)
class StepStarted:
    step: str
    description: str


@dataclass(frozen=True)
class StepFinished:
    step: str
    change: Change
    detail: str = ""


@dataclass(frozen=True)
class StepFailed:
    step: str
    reason: str


@dataclass(frozen=True)
class StackEventSeen:
    """One CloudFormation stack event, new since the last one reported."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""


@dataclass(frozen=True)
class StackSettled:
    stack_name: str
    status: str
    succeeded: bool
    first_failure: str = ""  # "LogicalId (Type): reason" when the stack failed
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StackSetOperationUpdate:
    """A StackSet operation (CREATE/UPDATE/DELETE of instances) started or changed status."""

    stack_set_name: str
    operation_id: str
    action: str  # CREATE | UPDATE | DELETE (the operation's Action)
    status: str  # QUEUED | RUNNING | SUCCEEDED | FAILED | STOPPING | STOPPED
    reason: str = ""


@dataclass(frozen=True)
class StackSetInstanceUpdate:
    """One account/region of a StackSet operation changed status (ListStackSetOperationResults)."""

    stack_set_name: str
    action: str  # the operation's Action
    account: str
    region: str
    status: str  # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED
    reason: str = ""
    organizational_unit: str = ""


@dataclass(frozen=True)
class StackSetSettled:
    """The StackSet and its instances after an install (or NO_CHANGE when nothing was to do)."""

    stack_set_name: str
    change: Change  # CREATE | UPDATE | NO_CHANGE, for the set and its instances together
    succeeded: bool
    instances: tuple[str, ...] = ()  # "account/region: STATUS" per instance
    failures: tuple[str, ...] = ()  # "account/region: reason" per failed instance


@dataclass(frozen=True)
class Notice:
    """Something the user should read (e.g. "deleting the failed first stack")."""

    message: str
    level: str = "info"  # info | warning | error


ProgressEvent = (
    PlanItem | StepStarted | StepFinished | StepFailed | StackEventSeen | StackSettled | Notice
    | StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled
)
Reporter = Callable[[ProgressEvent], None]


def ignore(_event: ProgressEvent) -> None:
    """A reporter that drops everything (for callers that only want the result)."""
