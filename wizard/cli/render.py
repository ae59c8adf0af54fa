"""Plain-text rendering of an install for the non-interactive path (`--answers`, flags, CI)."""

from __future__ import annotations

import sys
from typing import TextIO

from core.operations.install import InstallResult
from core.progress import (
    Change,
    Notice,
    PlanItem,
    ProgressEvent,
    StackEventSeen,
    StackSetInstanceUpdate,
    StackSetOperationUpdate,
    StackSetSettled,
    StackSettled,
    StepFailed,
    StepFinished,
    StepStarted,
)

_PAST = {
    Change.CREATE: "created",
    Change.UPDATE: "updated",
    Change.NO_CHANGE: "no change",
    Change.DELETE: "deleted",
    Change.REPLACE: "replaced",
}


class ConsoleReporter:
    """Prints each progress event as one line, as it happens."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._stack_header_shown = False

    def __call__(self, event: ProgressEvent) -> None:
        line = self.format(event)
        if line:
            print(line, file=self.out, flush=True)

    def format(self, event: ProgressEvent) -> str:
        if isinstance(event, PlanItem):
            detail = f"  ({event.detail})" if event.detail else ""
            if event.kind.startswith("AWS::"):  # a resource of the stack's change set
                return f"  {event.target:<4} {'resource':<12} {event.name + ' (' + event.kind + ')':<52} " \
                       f"{event.change}{detail}"
            return f"  {event.target:<4} {event.kind:<12} {event.name:<52} {event.change}{detail}"
        if isinstance(event, StepStarted):
            return ""
        if isinstance(event, StepFinished):
            return f"  [ok] {event.step}: {_PAST[event.change]}"
        if isinstance(event, StepFailed):
            return f"  [failed] {event.step}: {event.reason}"
        if isinstance(event, StackEventSeen):
            header = ""
            if not self._stack_header_shown:
                self._stack_header_shown = True
                header = "Stack events:\n"
            reason = f"  {event.reason}" if event.reason else ""
            return (f"{header}  {event.timestamp:%H:%M:%S}  {event.status:<22} "
                    f"{event.logical_id} ({event.resource_type}){reason}")
        if isinstance(event, StackSettled):
            if event.succeeded:
                return f"Stack {event.stack_name}: {event.status}"
            return f"Stack {event.stack_name}: {event.status}. First failure: {event.first_failure}"
        if isinstance(event, StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled):
            return format_stackset(event)
        if isinstance(event, Notice):
            prefix = {"warning": "warning: ", "error": "error: "}.get(event.level, "")
            return f"{prefix}{event.message}"
        return ""


def format_stackset(event: StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled) -> str:
    """One line per StackSet operation status, per account/region status, and at the end."""
    if isinstance(event, StackSetOperationUpdate):
        reason = f"  {event.reason}" if event.reason else ""
        return (f"StackSet {event.stack_set_name}: {event.action} operation {event.operation_id[:8]} "
                f"{event.status}{reason}")
    if isinstance(event, StackSetInstanceUpdate):
        unit = f" ({event.organizational_unit})" if event.organizational_unit else ""
        reason = f"  {event.reason}" if event.reason else ""
        return (f"  {event.account}{unit} {event.region:<15} {event.action.lower():<7} "
                f"{event.status}{reason}")
    if not event.succeeded:
        return f"StackSet {event.stack_set_name}: failed in " + "; ".join(event.failures)
    lines = [f"StackSet {event.stack_set_name}: {_PAST[event.change]}, "
             f"{len(event.instances)} instance(s)"]
    return "\n".join(lines + [f"  {instance}" for instance in event.instances])


def print_summary(result: InstallResult, dry_run: bool, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if dry_run:
        print("Dry run: nothing was changed in Port or AWS.", file=out)
        return
    if not result.changed:
        print("Everything was already up to date: no changes.", file=out)
    if result.webhook.url:
        print(f"Webhook ingest URL: {mask_url(result.webhook.url)} (key masked)", file=out)
    if result.deploy_command:
        print("\nPort is set up. Deploy the stack later with:", file=out)
        if result.webhook_env_file:
            print(f"  . {result.webhook_env_file}   # webhook URL and secret, owner-readable only",
                  file=out)
        print(f"  {result.deploy_command}", file=out)
    if result.resync:
        print(f"First resync started: Port should have every existing resource "
              f"{result.resync.estimate}.", file=out)
    if result.stack and result.stack.outputs:
        print("Stack outputs:", file=out)
        for key, value in sorted(result.stack.outputs.items()):
            print(f"  {key}: {value}", file=out)


def mask_url(url: str) -> str:
    """Show an ingest URL with its key masked: https://ingest.getport.io/abcd****."""
    head, _, key = url.rpartition("/")
    return f"{head}/{key[:4]}{'*' * 8}" if key else url
