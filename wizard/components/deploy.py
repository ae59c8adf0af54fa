"""Step 8: the install running: Port steps, a live table of stack resources, the outcome."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, DataTable, Static
from textual.worker import get_current_worker

from core.aws.stack_events import STACK_RESOURCE_TYPE
from core.config.credentials import PortCredentials
from core.errors import AwsAccessError, InputError, PortApiError, PortAuthError, StackDeployError
from core.progress import (
    Change,
    Notice,
    PlanItem,
    StackEventSeen,
    StackSetInstanceUpdate,
    StackSetOperationUpdate,
    StackSetSettled,
    StackSettled,
    StepFailed,
    StepFinished,
    StepStarted,
)
from wizard import messages
from wizard.backend import DeployCancelled, explain
from wizard.components.base import StepScreen

PORT_STEPS = (("blueprints", "Blueprints"), ("integration", "Integration"), ("webhook", "Webhook"))
_MARK = {"pending": "[dim]○[/]", "running": "[cyan]◐[/]", "done": "[green]✓[/]", "failed": "[red]✗[/]"}
_PAST = {Change.CREATE: "created", Change.UPDATE: "updated", Change.NO_CHANGE: "no change",
         Change.DELETE: "deleted", Change.REPLACE: "replaced"}


@dataclass
class PortRow:
    status: str = "pending"
    detail: str = ""
    total: int = 0
    done: int = 0
    changes: Counter = field(default_factory=Counter)


@dataclass
class ResourceRow:
    logical_id: str
    resource_type: str
    status: str = "PENDING"
    reason: str = ""
    started: float | None = None
    ended: float | None = None


@dataclass
class InstanceRow:
    """One account (or OU) x region of a StackSet install."""

    target: str
    region: str
    action: str = ""
    status: str = "PENDING"
    reason: str = ""


INSTANCE_STATES = {"PENDING": "pending", "QUEUED": "pending", "RUNNING": "running", "SUCCEEDED": "done",
                   "FAILED": "failed", "CANCELLED": "failed"}


def resource_state(status: str) -> str:
    if status.endswith("_FAILED"):
        return "failed"
    if status.endswith("_IN_PROGRESS"):
        return "running"
    if status.endswith("_COMPLETE") or status == "NO_CHANGE":
        return "failed" if "ROLLBACK" in status else "done"
    return "pending"


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def advice_for(error: BaseException) -> str:
    """What the user can do about a failed install, in one or two sentences."""
    cause = getattr(error, "cause", error)
    if isinstance(cause, PortAuthError):
        return ("Go Back (Ctrl+B) to the Port step, check the client id and secret and the region, then "
                "deploy again.")
    if isinstance(cause, PortApiError):
        return ("Retry (Ctrl+R) once Port answers again: every step is idempotent, so what was done is "
                "kept and not done twice.")
    if isinstance(cause, StackDeployError):
        again = ""
        if cause.status == "ROLLBACK_COMPLETE":
            again = " The failed stack holds nothing: the retry deletes it and creates it again."
        return ("Fix the cause named above in AWS (a missing permission, a name already in use, a "
                "service limit), then Retry (Ctrl+R). Port is already set up and is not changed again."
                + again)
    if isinstance(cause, AwsAccessError):
        return "Fix the AWS access named above (or go Back to pick another profile), then Retry (Ctrl+R)."
    if isinstance(cause, InputError):
        return "Go Back (Ctrl+B) and correct the answers above, then deploy again."
    return "Retry (Ctrl+R); if it fails the same way, open troubleshooting or report the message above."


class DeployScreen(StepScreen):
    STEP = "deploy"
    NEXT_LABEL = "Finish"
    BINDINGS = [Binding("ctrl+r", "retry", "Retry")]

    DEFAULT_CSS = """
    DeployScreen #port-steps { height: auto; }
    DeployScreen DataTable { height: auto; max-height: 12; margin: 0 0 0 0; }
    DeployScreen #summary { height: auto; margin: 1 0 0 0; text-style: bold; }
    DeployScreen #notes { height: auto; color: $text-muted; }
    DeployScreen #failure { height: auto; border: round $error; padding: 0 1; display: none; }
    DeployScreen #failure.shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.finished: messages.DeployFinished | None = None
        self.port_rows = {key: PortRow() for key, _title in PORT_STEPS}
        self.rows: dict[str, ResourceRow] = {}
        self.instances: dict[str, InstanceRow] = {}  # "account/region" -> row (StackSet installs)
        self.stackset = False
        self.stack_status = ""
        self.notes: list[str] = []
        self.started_at = 0.0
        self.ended_at: float | None = None

    def body(self) -> ComposeResult:
        state = self.state
        self.stackset = state.stackset
        what = "StackSet" if self.stackset else "stack"
        yield Static(f"Installing into Port and AWS {what} {escape(state.stack_name)} "
                     f"({escape(state.aws_region)})", classes="title")
        yield Static("", id="failure")
        yield Static("Port", classes="section")
        yield Static("", id="port-steps")
        if self.stackset:
            yield Static(f"StackSet {escape(state.stack_name)}: one stack per account and region",
                         classes="section")
            table: DataTable = DataTable(id="instances", cursor_type="row", zebra_stripes=False)
            table.add_column("Account", key="target")
            table.add_column("Region", key="region")
            table.add_column("Operation", key="action")
            table.add_column("Status", key="status")
            table.add_column("Reason", key="reason")
            yield table
        else:
            yield Static(f"Stack {escape(state.stack_name)}", classes="section")
            table = DataTable(id="resources", cursor_type="row", zebra_stripes=False)
            table.add_column("Resource", key="resource")
            table.add_column("Type", key="type")
            table.add_column("Status", key="status")
            table.add_column("Time", key="elapsed")
            table.add_column("Reason", key="reason")
            yield table
        yield Static("", id="summary")
        yield Static("", id="notes")

    def on_mount(self) -> None:
        review = self.state.review
        for item in getattr(review, "resources", None) or []:
            if not self.stackset:
                self._row(item.name, item.kind)
            elif item.kind == "stack instance" and item.change is not Change.NO_CHANGE:
                target, _, region = item.name.rpartition("/")
                self.instances[item.name] = InstanceRow(target, region, str(item.change).upper())
        self.set_interval(1.0, self._tick)
        self.start()

    # -- running -----------------------------------------------------------------------
    def start(self) -> None:
        self.running = True
        self.finished = None
        self.ended_at = None
        self.started_at = self.wizard.clock()
        self.port_rows = {key: PortRow() for key, _title in PORT_STEPS}
        self.stack_status = ""
        self.notes = []
        failure = self.query_one("#failure", Static)
        failure.remove_class("shown")
        failure.update("")
        self.set_next_enabled(False)
        self.query_one("#back", Button).disabled = True
        self.refresh_bindings()
        self.state.step = "deploy"
        self.wizard.save_state()
        state = self.state
        self.deploy(state.settings(), PortCredentials(state.client_id, state.client_secret))
        self._render_all()

    @work(thread=True, exclusive=True, group="deploy")
    def deploy(self, settings: object, credentials: PortCredentials) -> None:
        from core.operations.install import InstallFailed

        worker = get_current_worker()

        def report(event: object) -> None:
            self.post_message(messages.Progress(event))  # thread-safe

        try:  # quitting cancels the worker: its event stops the stack polling at the next wait
            result = self.backend.install(settings, credentials, report, cancel=worker.cancelled_event)
        except DeployCancelled:
            return
        except InstallFailed as error:
            cause = error.cause
            self.post_message(messages.DeployFinished(
                error=str(cause), completed=list(error.completed),
                first_failure=getattr(cause, "first_failure", "") or "", advice=advice_for(error)))
            return
        except Exception as error:  # noqa: BLE001 - shown, never a crash
            self.post_message(messages.DeployFinished(error=explain(error), advice=advice_for(error)))
            return
        if getattr(result, "stack", None) is not None:
            with contextlib.suppress(Exception):  # the table only misses its final statuses
                self.post_message(messages.ResourcesRead(self.backend.stack_resources(settings)))
        self.post_message(messages.DeployFinished(result=result))

    def on_progress(self, message: messages.Progress) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            key = "blueprints" if event.step == "blueprints" else event.step.split(" ")[0]
            if key in self.port_rows:
                self._finish_running_before(key)
                row = self.port_rows[key]
                row.status = "running"
                if key == "blueprints":
                    row.total = int(event.description.split(" ")[0]) if event.description[:1].isdigit() else 0
                    row.detail = f"0 of {row.total}"
                else:
                    row.detail = event.description
        elif isinstance(event, StepFinished):
            self._step_finished(event)
        elif isinstance(event, StepFailed):
            for row in self.port_rows.values():
                if row.status == "running":
                    row.status, row.detail = "failed", event.reason
        elif isinstance(event, PlanItem) and event.target == "aws" and not self.stackset:
            self._finish_running_before(None)
            self._row(event.name, event.kind)
        elif isinstance(event, StackEventSeen):
            self._stack_event(event)
        elif isinstance(event, StackSettled):
            self.stack_status = event.status
        elif isinstance(event, StackSetOperationUpdate):
            self._finish_running_before(None)
            self.stack_status = f"{event.action} operation {event.status}"
        elif isinstance(event, StackSetInstanceUpdate):
            self._instance_update(event)
        elif isinstance(event, StackSetSettled):
            self.stack_status = f"StackSet {_PAST[event.change]}, {len(event.instances)} instance(s)"
        elif isinstance(event, Notice):
            self.notes.append(event.message)
        self._render_all()

    def _step_finished(self, event: StepFinished) -> None:
        if event.step.startswith("blueprint "):
            row = self.port_rows["blueprints"]
            row.done += 1
            row.changes[event.change] += 1
            parts = ", ".join(f"{count} {_PAST[change]}" for change, count in row.changes.items())
            row.detail = f"{row.done} of {row.total or row.done} ({parts})"
            if row.total and row.done >= row.total:
                row.status = "done"
            return
        key = event.step.split(" ")[0]
        if key in self.port_rows:
            row = self.port_rows[key]
            row.status = "done"
            name = event.step.partition(" ")[2]
            row.detail = f"{name}: {_PAST[event.change]}" if name else _PAST[event.change]
            if event.detail:
                row.detail += f" ({event.detail})"

    def _finish_running_before(self, key: str | None) -> None:
        """A step that started means the ones before it finished (blueprints report no end)."""
        for name, _title in PORT_STEPS:
            if name == key:
                return
            row = self.port_rows[name]
            if row.status == "running":
                row.status = "done"

    def _row(self, logical_id: str, resource_type: str) -> ResourceRow:
        if logical_id not in self.rows:
            self.rows[logical_id] = ResourceRow(logical_id, resource_type)
        return self.rows[logical_id]

    def _stack_event(self, event: StackEventSeen) -> None:
        if event.resource_type == STACK_RESOURCE_TYPE and event.logical_id == self.state.stack_name:
            self.stack_status = event.status
            return
        row = self._row(event.logical_id, event.resource_type)
        stamp = event.timestamp.timestamp()
        row.status = event.status
        if event.reason:
            row.reason = event.reason
        if event.status.endswith("_IN_PROGRESS"):
            if row.started is None or row.ended is not None:
                row.started, row.ended = stamp, None
        else:
            if row.started is None:
                row.started = stamp
            row.ended = stamp

    def _instance_update(self, event: StackSetInstanceUpdate) -> None:
        if event.organizational_unit:  # the OU's planned row gives way to its accounts' rows
            planned = self.instances.get(f"{event.organizational_unit}/{event.region}")
            if planned is not None and INSTANCE_STATES.get(planned.status) == "pending":
                del self.instances[f"{event.organizational_unit}/{event.region}"]
                with contextlib.suppress(Exception):
                    self.query_one("#instances", DataTable).remove_row(
                        f"{event.organizational_unit}/{event.region}")
        key = f"{event.account}/{event.region}"
        row = self.instances.setdefault(key, InstanceRow(event.account, event.region))
        row.action, row.status, row.reason = event.action, event.status, event.reason

    def on_resources_read(self, message: messages.ResourcesRead) -> None:
        for resource in message.resources:
            row = self._row(resource.logical_id, resource.resource_type)
            if resource_state(row.status) in ("pending", "running"):
                row.status = resource.status
                if resource.reason:
                    row.reason = resource.reason
        self._render_all()

    def on_deploy_finished(self, message: messages.DeployFinished) -> None:
        self.running = False
        self.finished = message
        self.ended_at = self.wizard.clock()
        self.refresh_bindings()
        if message.ok:
            self._finish_running_before(None)
            self.state.step = "done"
            self.wizard.save_state()
            self.set_next_enabled(True)
            self.query_one("#next", Button).focus()
        else:
            for row in self.port_rows.values():
                if row.status == "running":
                    row.status = "failed"
            self.state.step = "review"
            self.state.review = None  # plan again when going back
            self.wizard.save_state()
            self.query_one("#back", Button).disabled = False
            self._show_failure(message)
        self._render_all()

    def _show_failure(self, message: messages.DeployFinished) -> None:
        lines = ["[b red]✗ The install stopped.[/]"]
        if message.first_failure:
            lines.append(f"[b]First failure:[/b] {escape(message.first_failure)}")
            if message.first_failure not in message.error:
                lines.append(escape(message.error))
        else:
            lines.append(f"[b]Why:[/b] {escape(message.error)}")
        lines.append(f"[b]What to do next:[/b] {escape(message.advice)}")
        if message.completed:
            lines.append("Done before the failure (kept): " + escape(", ".join(message.completed)))
        lines.append(f"Your answers are saved ({escape(str(self.wizard.store.answers_path))}): running "
                     "port-aws-wizard again starts where you are.")
        failure = self.query_one("#failure", Static)
        failure.update("\n".join(lines))
        failure.add_class("shown")
        self.query_one("#body").scroll_home(animate=False)

    # -- drawing -----------------------------------------------------------------------
    def _tick(self) -> None:
        if self.running:
            self._render_all()

    def _render_all(self) -> None:
        port_lines = []
        for key, title in PORT_STEPS:
            row = self.port_rows[key]
            port_lines.append(f"  {_MARK[row.status]} {title:<12} {escape(row.detail)}")
        self.query_one("#port-steps", Static).update("\n".join(port_lines))
        self._render_table()
        self.query_one("#summary", Static).update(self._summary())
        self.query_one("#notes", Static).update("\n".join(f"• {escape(note)}" for note in self.notes[-4:]))

    def _render_instances(self) -> None:
        table = self.query_one("#instances", DataTable)
        for key, row in self.instances.items():
            state = INSTANCE_STATES.get(row.status, "pending")
            cells = (row.target, row.region, row.action.lower(), Text(row.status, style=STATE_STYLES[state]),
                     row.reason)
            _upsert_row(table, key, ("target", "region", "action", "status", "reason"), cells)

    def _render_table(self) -> None:
        if self.stackset:
            self._render_instances()
            return
        table = self.query_one("#resources", DataTable)
        now = self.wizard.clock()
        for logical_id, row in self.rows.items():
            state = resource_state(row.status)
            if row.started is None:
                elapsed = ""
            else:
                elapsed = format_elapsed((row.ended if row.ended is not None else now) - row.started)
            cells = (logical_id, row.resource_type, Text(row.status, style=STATE_STYLES[state]), elapsed,
                     row.reason)
            _upsert_row(table, logical_id, ("resource", "type", "status", "elapsed", "reason"), cells)

    def _summary(self) -> str:
        if self.stackset:
            counts = Counter(INSTANCE_STATES.get(row.status, "pending") for row in self.instances.values())
            done = f"StackSet {counts['done']}/{len(self.instances)} accounts x regions succeeded"
        else:
            counts = Counter(resource_state(row.status) for row in self.rows.values())
            done = f"stack {counts['done']}/{len(self.rows)} resources done"
        elapsed = format_elapsed((self.ended_at or self.wizard.clock()) - self.started_at)
        port_done = sum(row.status == "done" for row in self.port_rows.values())
        parts = [f"Port {port_done}/{len(PORT_STEPS)} steps", done]
        if counts["running"]:
            parts.append(f"{counts['running']} in progress")
        if counts["failed"]:
            parts.append(f"[red]{counts['failed']} failed[/]")
        parts.append(f"{elapsed} elapsed")
        if self.finished is None:
            head = "[cyan]Deploying...[/]"
        elif self.finished.ok:
            status = f" ({self.stack_status})" if self.stack_status else ""
            head = f"[green]✓ Installed{escape(status)}.[/] Press Finish (Ctrl+N)."
        else:
            head = "[red]✗ Failed.[/]"
        return f"{head} " + " · ".join(parts)

    # -- navigation --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "retry"):
            return self.finished is not None and not self.finished.ok
        if action == "next":
            return bool(self.finished is not None and self.finished.ok)
        return True

    def action_retry(self) -> None:
        if self.finished is not None and not self.finished.ok:
            self.start()

    def collect(self) -> list[str]:
        if self.finished is None or not self.finished.ok:
            return ["wait for the install to finish"] if self.running else []
        return []

    async def proceed(self) -> None:
        if self.finished is not None and self.finished.ok:
            self.wizard.show_done(self.finished.result)

    def action_back(self) -> None:
        if self.finished is not None and not self.finished.ok:
            self.wizard.go_back()


STATE_STYLES = {"pending": "dim", "running": "cyan", "done": "green", "failed": "bold red"}


def _upsert_row(table: DataTable, key: str, columns: tuple[str, ...], cells: tuple[object, ...]) -> None:
    """Update the row's cells in place (keeps the cursor and scroll), or add it."""
    if key in table.rows:
        for column, value in zip(columns, cells, strict=True):
            table.update_cell(key, column, value, update_width=True)
    else:
        table.add_row(*cells, key=key)
