"""Step 9: what was created, the webhook (key masked), next steps, and "save these answers"."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, ProgressBar, Static

from core.config.resync_schedule import RESYNC_OFF
from core.config.url_checks import mask_url
from core.progress import Change
from wizard import messages
from wizard.backend import explain
from wizard.components.base import StepScreen, status_text

_PAST = {Change.CREATE: "created", Change.UPDATE: "updated", Change.NO_CHANGE: "no change",
         Change.DELETE: "deleted", Change.REPLACE: "replaced"}
DEFAULT_ANSWERS_FILE = "port-aws-answers.yml"


def port_lines(result: Any) -> list[str]:
    items = list(getattr(result, "items", []) or [])
    blueprints = [item for item in items if item.kind == "blueprint"]
    lines = []
    if blueprints:
        counts = Counter(item.change for item in blueprints)
        summary = ", ".join(f"{count} {_PAST[change]}" for change, count in counts.items())
        lines.append(f"  • {len(blueprints)} blueprints: {summary}")
    for item in items:
        if item.kind == "blueprint":
            continue
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(f"  • {item.kind} {item.name}: {_PAST[item.change]}{detail}")
    return [escape(line) for line in lines]


def existing_resources(result: Any, schedule: str) -> str:
    """When Port will have the resources that existed before the install."""
    sync = "A sync sends them all now from here, through the same webhook."
    if schedule == RESYNC_OFF:
        return ("  Events bring changes from now on; resources that already exist reach Port when they "
                f"next change (resync is off). {sync}")
    resync = getattr(result, "resync", None)
    if resync is not None:
        return (f"  The first resync is running: Port should have every resource that already exists "
                f"{resync.estimate}, then they are resent on the schedule {schedule} "
                f"(`port-aws-wizard status` shows the last resync). {sync}")
    if getattr(result, "stackset", None) is not None:
        return (f"  Each StackSet instance resyncs on its schedule ({schedule}): Port has its "
                f"resources one interval after it was created. {sync}")
    return (f"  The first resync did not start (see the deploy log): existing resources arrive with "
            f"the schedule ({schedule}). {sync}")


class DoneScreen(StepScreen):
    STEP = "done"
    SHOW_BACK = False
    NEXT_LABEL = "Close"
    BINDINGS = [
        Binding("ctrl+t", "troubleshoot", "Troubleshoot", priority=True),
        Binding("ctrl+s", "save", "Save answers", priority=True),
        Binding("ctrl+y", "sync", "Sync now", priority=True),
        Binding("ctrl+o", "sandbox", "Sandbox panel", priority=True),
    ]

    DEFAULT_CSS = """
    DoneScreen #save-row { height: 1; margin: 1 0 0 0; }
    DoneScreen #save-row Input { width: 1fr; max-width: 50; }
    DoneScreen #save-row Button { margin: 0 0 0 2; }
    DoneScreen #save-status { height: auto; }
    DoneScreen #sync-row { height: 1; margin: 0 0 0 2; }
    DoneScreen #sync-row Button { margin: 0 2 0 0; }
    DoneScreen #sync-status { height: auto; }
    DoneScreen #sync-progress { margin: 0 0 0 2; display: none; }
    DoneScreen #sync-progress.shown { display: block; }
    DoneScreen #sync-counts { height: auto; }
    """

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result
        self.syncing = False

    def body(self) -> ComposeResult:
        state, result = self.state, self.result
        yield Static("[green]✓[/] Installed: AWS events now flow to Port.", classes="title")
        organization = f" (organization {escape(state.organization)})" if state.organization else ""
        yield Static(f"In Port{organization}", classes="section")
        lines = port_lines(result)
        webhook = getattr(result, "webhook", None)
        if webhook is not None and webhook.url:
            lines.append(f"  • ingest URL: {escape(mask_url(webhook.url))} (key masked)")
            if webhook.secret:
                lines.append("  • requests are signed (HMAC-SHA256); the secret is stored in the webhook "
                             "and the stack")
        yield Static("\n".join(lines) or "  nothing changed")
        account = f"account {state.aws_account}, " if state.aws_account else ""
        yield Static(f"In AWS ({escape(account + state.aws_region)})", classes="section")
        stackset = getattr(result, "stackset", None)
        if stackset is not None:
            instances = "".join(f"\n      {escape(line)}" for line in stackset.instances)
            where = f"  • StackSet {escape(state.stack_name)}: {_PAST[stackset.change]}, " \
                    f"{len(stackset.instances)} instance(s){instances}\n"
        else:
            stack = getattr(result, "stack", None)
            status = stack.status if stack is not None else "not deployed"
            where = f"  • stack {escape(state.stack_name)}: {escape(status)}\n"
        yield Static(f"{where}"
                     f"  • queue {escape(state.queue_name)} → function {escape(state.lambda_function_name)}"
                     f" → webhook\n  • event sources: {escape(', '.join(state.event_sources))}")
        yield Static("Existing resources", classes="section")
        yield Static(escape(existing_resources(result, state.resync_schedule)), id="existing")
        with Horizontal(id="sync-row"):
            yield Button("Sync existing resources now", id="sync", compact=True)
            yield Static("", id="sync-status")
        yield ProgressBar(id="sync-progress", show_eta=False)
        yield Static("", id="sync-counts")
        yield Static("Next steps", classes="section")
        yield Static(
            "  1. Change something in AWS (e.g. stop or start an EC2 instance): it shows up in Port's\n"
            "     catalog within a minute.\n"
            "  2. API-call events (S3, RDS, SQS, ...) need a CloudTrail trail logging in the region.\n"
            "  3. Nothing arriving? Ctrl+T opens troubleshooting: live Lambda logs and a check per hop.")
        yield Static("Save these answers (no secrets) to reuse with port-aws-wizard --answers FILE",
                     classes="section")
        with Horizontal(id="save-row"):
            yield Label("File  ")
            yield Input(str(self.wizard.cwd / DEFAULT_ANSWERS_FILE), compact=True, id="save-path")
            yield Button("Save", id="save", compact=True)
        yield Static("", id="save-status")

    def action_save(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        status = self.query_one("#save-status", Static)
        if not text:
            status.update(status_text("bad", "enter a file name"))
            self._show(status)
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.wizard.cwd / path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.state.shareable_answers(), encoding="utf-8")
        except OSError as error:
            status.update(status_text("bad", f"could not write {path}: {error.strerror or error}"))
            self._show(status)
            return
        extra = " (export PORT_WEBHOOK_URL first: the URL is not saved)" if self.state.webhook_mode == "url" \
            else ""
        status.update(status_text("ok", f"saved {path}: run port-aws-wizard --answers {path} with "
                                        f"PORT_CLIENT_ID and PORT_CLIENT_SECRET exported{extra}"))
        self._show(status)

    def _show(self, widget: Static) -> None:
        """Scroll the body so a status line that just changed is on screen (small terminals)."""
        self.call_after_refresh(self.query_one("#body").scroll_to_widget, widget, animate=False)

    def action_troubleshoot(self) -> None:
        self.wizard.show_troubleshoot()

    def action_sandbox(self) -> None:
        self.wizard.show_sandbox()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sandbox":
            return self.wizard.sandbox is not None
        if action == "sync":
            return None if self.syncing else True
        return super().check_action(action, parameters)

    # -- sync --------------------------------------------------------------------------
    def action_sync(self) -> None:
        if self.syncing:
            return
        self.syncing = True
        self.refresh_bindings()
        self.query_one("#sync", Button).disabled = True
        self.query_one("#sync-status", Static).update(status_text("busy", "listing resources in AWS..."))
        self.query_one("#sync-counts", Static).update("")
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("shown")
        self._show(self.query_one("#sync-counts", Static))
        self.sync(self.state.settings(), self.wizard.credentials())

    @work(thread=True, exclusive=True, group="sync")
    def sync(self, settings: Any, credentials: Any) -> None:
        try:
            result = self.backend.sync(settings, credentials,
                                       lambda progress: self.post_message(messages.SyncProgressed(progress)))
        except Exception as error:  # noqa: BLE001 - shown, never a crash
            self.post_message(messages.SyncFinished(error=explain(error)))
            return
        self.post_message(messages.SyncFinished(result))

    def on_sync_progressed(self, message: messages.SyncProgressed) -> None:
        progress = message.progress
        if progress.units_total:
            self.query_one("#sync-progress", ProgressBar).update(total=progress.units_total,
                                                                 progress=progress.units_done)
        self.query_one("#sync-status", Static).update(status_text(
            "busy", f"{progress.kind} in {progress.region}: {progress.listed} listed · {progress.sent} sent "
                    "to Port so far"))

    def on_sync_finished(self, message: messages.SyncFinished) -> None:
        self.syncing = False
        self.refresh_bindings()
        self.query_one("#sync", Button).disabled = False
        status = self.query_one("#sync-status", Static)
        bar = self.query_one("#sync-progress", ProgressBar)
        if message.error:
            bar.remove_class("shown")
            status.update(status_text("bad", f"sync stopped: {message.error}") + " (Ctrl+Y tries again)")
            self._show(status)
            return
        result = message.result
        if bar.total is None:
            bar.update(total=1, progress=1)
        else:
            bar.update(progress=bar.total)
        kind = "warn" if result.errors else "ok"
        status.update(status_text(kind, f"synced {result.total} resource(s) with {result.ingest_requests} "
                                        f"ingest request(s) in {result.seconds:.1f} s"))
        lines = [f"  • {escape(kind)}: {count}" for kind, count in result.counts.items() if count]
        lines += [f"  [yellow]![/] {escape(error)}" for error in result.errors]
        counts = self.query_one("#sync-counts", Static)
        counts.update("\n".join(lines))
        self._show(counts)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
            return
        if event.button.id == "sync":
            event.stop()
            self.action_sync()
            return
        await super().on_button_pressed(event)

    async def proceed(self) -> None:
        self.app.exit(0)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "save-path":
            self.action_save()
