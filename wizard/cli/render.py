"""Rendering of an install's progress and result for the console (`--answers`, flags, CI).

Each progress event becomes one line of segments (wizard/cli/style.py): the same words in
plain output as on a terminal, where changes, stack statuses and marks are coloured.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from core.config.url_checks import mask_url
from core.errors import WizardError
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
)
from wizard.cli.output import Output
from wizard.cli.style import Line, change_style, join, mark, stack_status_style

if TYPE_CHECKING:
    from core.operations.install import InstallResult

_PAST = {
    Change.CREATE: "created",
    Change.UPDATE: "updated",
    Change.NO_CHANGE: "no change",
    Change.DELETE: "deleted",
    Change.REPLACE: "replaced",
}


class ConsoleReporter:
    """Writes each progress event as one line, as it happens (warnings and errors on stderr)."""

    def __init__(self, out: TextIO | Output | None = None) -> None:
        self.output = out if isinstance(out, Output) else Output(out)
        self._stack_header_shown = False

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, Notice) and event.level in ("warning", "error"):
            (self.output.warning if event.level == "warning" else self.output.problem)(event.message)
            return
        line = self.line(event)
        if line:
            self.output.progress(line)

    def format(self, event: ProgressEvent) -> str:
        """The event's plain text ("" for none)."""
        return "".join(text for text, _style in self.line(event))

    def line(self, event: ProgressEvent) -> Line:
        if isinstance(event, PlanItem):
            return plan_line(event)
        if isinstance(event, StepFinished):
            past = (_PAST[event.change], change_style(event.change))
            return join("  ", mark("[ok]"), f" {event.step}: ", past)
        if isinstance(event, StepFailed):
            return join("  ", mark("[failed]"), f" {event.step}: {event.reason}")
        if isinstance(event, StackEventSeen):
            header = []
            if not self._stack_header_shown:
                self._stack_header_shown = True
                header = [("Stack events:", "heading"), ("\n", "")]
            reason = f"  {event.reason}" if event.reason else ""
            return join(header, f"  {event.timestamp:%H:%M:%S}  ",
                        (f"{event.status:<22}", stack_status_style(event.status)),
                        f" {event.logical_id} ", (f"({event.resource_type})", "dim"), reason)
        if isinstance(event, StackSettled):
            status = (event.status, stack_status_style(event.status))
            if event.succeeded:
                return join(f"Stack {event.stack_name}: ", status)
            return join(f"Stack {event.stack_name}: ", status, f". First failure: {event.first_failure}")
        if isinstance(event, StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled):
            return stackset_line(event)
        if isinstance(event, Notice):
            return join(event.message)
        return []  # StepStarted: the plan line already said what comes


def plan_line(item: PlanItem) -> Line:
    """`  aws  resource     Queue (AWS::SQS::Queue)   create  (detail)`."""
    detail = f"  ({item.detail})" if item.detail else ""
    kind, name = item.kind, item.name
    if kind.startswith("AWS::"):  # a resource of the stack's change set
        kind, name = "resource", f"{name} ({kind})"
    return join(f"  {item.target:<4} {kind:<12} {name:<52} ", (str(item.change), change_style(item.change)),
                (detail, "dim"))


def format_stackset(event: StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled) -> str:
    return "".join(text for text, _style in stackset_line(event))


def stackset_line(event: StackSetOperationUpdate | StackSetInstanceUpdate | StackSetSettled) -> Line:
    """One line per StackSet operation status, per account/region status, and at the end."""
    if isinstance(event, StackSetOperationUpdate):
        reason = f"  {event.reason}" if event.reason else ""
        return join(f"StackSet {event.stack_set_name}: {event.action} operation {event.operation_id[:8]} ",
                    (event.status, stack_status_style(event.status)), reason)
    if isinstance(event, StackSetInstanceUpdate):
        unit = f" ({event.organizational_unit})" if event.organizational_unit else ""
        reason = f"  {event.reason}" if event.reason else ""
        return join(f"  {event.account}{unit} {event.region:<15} {event.action.lower():<7} ",
                    (event.status, stack_status_style(event.status)), reason)
    if not event.succeeded:
        return join(f"StackSet {event.stack_set_name}: ", ("failed", "fail"),
                    " in " + "; ".join(event.failures))
    lines = join(f"StackSet {event.stack_set_name}: ", (_PAST[event.change], change_style(event.change)),
                 f", {len(event.instances)} instance(s)")
    for instance in event.instances:
        lines += join(f"\n  {instance}")
    return lines


def print_summary(result: InstallResult, dry_run: bool, out: TextIO | Output | None = None) -> None:
    """What the install did, after its progress lines: webhook, deploy command, stack outputs."""
    output = out if isinstance(out, Output) else Output(out)
    if dry_run:
        output.result("Dry run: nothing was changed in Port or AWS.")
        return
    if not result.changed:
        output.result("Everything was already up to date: no changes.")
    if result.webhook.url:
        output.result(join("Webhook ingest URL: ", (mask_url(result.webhook.url), "name"), " (key masked)"))
    if result.deploy_command:
        output.result("\nPort is set up. Deploy the stack later with:")
        if result.webhook_env_file:
            output.result(f"  . {shlex.quote(str(result.webhook_env_file))}   "
                          "# webhook URL and secret, owner-readable only")
        output.result(f"  {result.deploy_command}")
        if result.first_resync_command:
            output.result("Then start the first resync (existing resources into Port; "
                          "the schedule repeats it):")
            output.result(f"  {result.first_resync_command}")
    if result.resync:
        output.result(f"First resync started: Port should have every existing resource "
                      f"{result.resync.estimate}.")
    if result.stack and result.stack.outputs:
        output.result(join(("Stack outputs:", "heading")))
        for key, value in sorted(result.stack.outputs.items()):
            output.result(join(f"  {key}: ", (value, "name")))


def print_error(error: WizardError, err: TextIO | Output | None = None) -> int:
    """Show a user-facing error (each input problem on its own line); return its exit code."""
    output = err if isinstance(err, Output) else Output(err=err or sys.stderr)
    return output.fail(error)
