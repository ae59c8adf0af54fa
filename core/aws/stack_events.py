"""Stream a CloudFormation stack's events while one operation runs.

DescribeStackEvents answers newest first, in pages, and holds the stack's whole history.
A `StackEventStream` is pointed at one operation (`mark_start` before it begins), and each
`poll()` returns only the events that are new since the last poll, oldest first, each once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from core.progress import StackEventSeen

STACK_RESOURCE_TYPE = "AWS::CloudFormation::Stack"

# Reasons that follow a failure instead of explaining it: CloudFormation cancels the other
# resources and rolls back because *something else* failed.
_NOISE_REASONS = (
    "resource creation cancelled",
    "resource update cancelled",
    "resource deletion cancelled",
    "rollback requested",
    "the following resource(s) failed to",
)


def is_noise(reason: str) -> bool:
    """True when a failure reason only says that another resource failed first."""
    lowered = reason.lower()
    return any(noise in lowered for noise in _NOISE_REASONS)


def to_event(raw: Mapping[str, Any]) -> StackEventSeen:
    """A `StackEventSeen` from one entry of DescribeStackEvents' `StackEvents`."""
    return StackEventSeen(
        event_id=raw["EventId"],
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason", ""),
        physical_id=raw.get("PhysicalResourceId", ""),
    )


def describe_failure(event: StackEventSeen) -> str:
    """The failure as the user reads it: "LogicalId (Type): reason"."""
    return f"{event.logical_id} ({event.resource_type}): {event.reason or event.status}"


def first_failure(events: Iterable[StackEventSeen], stack_name: str = "") -> str:
    """The failure that started a rollback, from the events of one operation (oldest first).

    Prefers the earliest *_FAILED event of a resource whose reason explains something
    (not "Resource creation cancelled" and the like); then a failure of the stack itself;
    then any failure at all. "" when nothing failed.
    """
    failures = [event for event in events if event.status.endswith("_FAILED")]

    def is_stack(event: StackEventSeen) -> bool:
        return event.resource_type == STACK_RESOURCE_TYPE and event.logical_id == stack_name

    for candidates in (
        [e for e in failures if not is_stack(e) and e.reason and not is_noise(e.reason)],
        [e for e in failures if e.reason and not is_noise(e.reason)],
        failures,
    ):
        if candidates:
            return describe_failure(candidates[0])
    return ""


class StackEventStream:
    """New events of one stack operation, oldest first, each reported once."""

    def __init__(self, client: Any, stack: str, since: datetime | None = None) -> None:
        """`stack` is the stack's name or, better, its id (ids survive a delete).

        `since`: ignore events older than this (an alternative to `mark_start`).
        """
        self._client = client
        self._stack = stack
        self._since = since
        self._seen: set[str] = set()
        self.events: list[StackEventSeen] = []
        """Every event of this operation returned so far, oldest first."""
        self.stack_name = ""
        self.stack_statuses: list[str] = []
        """The statuses the stack itself reported in this operation, oldest first."""

    def mark_start(self) -> None:
        """Treat every event that exists now as history: only later ones are reported."""
        page = self._client.describe_stack_events(StackName=self._stack)["StackEvents"]
        if page:
            newest = page[0]
            self._seen.add(newest["EventId"])
            self._since = newest["Timestamp"]
            self.stack_name = newest.get("StackName", "")

    def poll(self) -> list[StackEventSeen]:
        """The events that appeared since the last poll, oldest first."""
        fresh: list[Mapping[str, Any]] = []
        token: str | None = None
        while True:
            kwargs = {"StackName": self._stack}
            if token:
                kwargs["NextToken"] = token
            page = self._client.describe_stack_events(**kwargs)
            reached_known = False
            for raw in page.get("StackEvents", []):
                if raw["EventId"] in self._seen or self._is_before_start(raw):
                    reached_known = True
                    break
                fresh.append(raw)
            token = page.get("NextToken")
            if reached_known or not token:
                break
        fresh.reverse()
        new_events = []
        for raw in fresh:
            if raw["EventId"] in self._seen:  # a page boundary moved under us
                continue
            self._seen.add(raw["EventId"])
            event = to_event(raw)
            new_events.append(event)
            self.stack_name = self.stack_name or raw.get("StackName", "")
            if event.resource_type == STACK_RESOURCE_TYPE and event.logical_id == self.stack_name:
                self.stack_statuses.append(event.status)
        self.events.extend(new_events)
        return new_events

    def first_failure(self) -> str:
        """See `first_failure`: for the events of this operation."""
        return first_failure(self.events, self.stack_name)

    def _is_before_start(self, raw: Mapping[str, Any]) -> bool:
        return self._since is not None and raw["Timestamp"] < self._since
