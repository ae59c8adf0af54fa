"""Step 9: what was created, the webhook (key masked), next steps, and "save these answers"."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Static

from core.console import mask_url
from core.progress import Change
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


class DoneScreen(StepScreen):
    STEP = "done"
    SHOW_BACK = False
    NEXT_LABEL = "Close"
    BINDINGS = [
        Binding("ctrl+t", "troubleshoot", "Troubleshoot", priority=True),
        Binding("ctrl+s", "save", "Save answers", priority=True),
    ]

    DEFAULT_CSS = """
    DoneScreen #save-row { height: 1; margin: 1 0 0 0; }
    DoneScreen #save-row Input { width: 1fr; max-width: 50; }
    DoneScreen #save-row Button { margin: 0 0 0 2; }
    DoneScreen #save-status { height: auto; }
    """

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result

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
        stack = getattr(result, "stack", None)
        status = stack.status if stack is not None else "not deployed"
        yield Static(f"  • stack {escape(state.stack_name)}: {escape(status)}\n"
                     f"  • queue {escape(state.queue_name)} → function {escape(state.lambda_function_name)}"
                     f" → webhook\n  • event sources: {escape(', '.join(state.event_sources))}")
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
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.wizard.cwd / path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.state.shareable_answers(), encoding="utf-8")
        except OSError as error:
            status.update(status_text("bad", f"could not write {path}: {error.strerror or error}"))
            return
        extra = " (export PORT_WEBHOOK_URL first: the URL is not saved)" if self.state.webhook_mode == "url" \
            else ""
        status.update(status_text("ok", f"saved {path}: run port-aws-wizard --answers {path} with "
                                        f"PORT_CLIENT_ID and PORT_CLIENT_SECRET exported{extra}"))

    def action_troubleshoot(self) -> None:
        self.wizard.show_troubleshoot()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
            return
        await super().on_button_pressed(event)

    async def proceed(self) -> None:
        self.app.exit(0)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "save-path":
            self.action_save()
