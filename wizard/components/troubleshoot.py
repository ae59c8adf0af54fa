"""Troubleshooting: per-hop checks and a live tail of the Lambda's CloudWatch logs.

The tail runs in a thread worker that posts batches of new lines; it stops when the
screen goes away (the worker is cancelled and the generator sees `should_stop`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Log, Static
from textual.worker import get_current_worker

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings
from wizard import messages
from wizard.backend import explain
from wizard.components.base import status_text

MAX_LINES = 5000
HISTORY_SECONDS = 600  # start the tail this far back, so recent lines show at once


class TroubleshootScreen(Screen):
    BINDINGS = [
        Binding("ctrl+p", "toggle_follow", "Pause/Follow", priority=True),
        Binding("ctrl+f", "focus_filter", "Filter", priority=True),
        Binding("ctrl+r", "recheck", "Re-check", priority=True),
        Binding("escape", "close", "Back"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    DEFAULT_CSS = """
    TroubleshootScreen #ts-title { height: 1; background: $primary-muted; padding: 0 1; }
    TroubleshootScreen #checks { height: auto; padding: 0 1; }
    TroubleshootScreen #group { height: auto; padding: 0 1; color: $text-muted; }
    TroubleshootScreen #filter-row { height: 1; padding: 0 1; margin: 1 0 0 0; }
    TroubleshootScreen #filter-row Label { width: 8; }
    TroubleshootScreen #filter { width: 1fr; max-width: 40; }
    TroubleshootScreen #follow { width: auto; padding: 0 0 0 2; }
    TroubleshootScreen Log { height: 1fr; border: round $primary-muted; }
    """

    def __init__(self, settings: InstallSettings, credentials: PortCredentials | None = None, *,
                 standalone: bool = False, since_seconds: float = HISTORY_SECONDS) -> None:
        super().__init__()
        self.settings = settings
        self.credentials = credentials
        self.standalone = standalone
        self.since_seconds = since_seconds
        self.lines: list[Any] = []  # core.operations.logs.LogLine
        self.held = 0  # lines that arrived while paused
        self.following = True
        self.log_group = ""

    @property
    def backend(self):  # noqa: ANN201 - wizard.backend.Backend
        return self.app.backend  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        settings = self.settings
        yield Static(f"[b]Troubleshooting[/b] · stack {escape(settings.stack_name)} · function "
                     f"{escape(settings.lambda_function_name)} ({escape(settings.aws_region)})",
                     id="ts-title")
        yield Static(status_text("busy", "checking each hop..."), id="checks")
        yield Static(status_text("busy", "finding the function's log group..."), id="group")
        with Horizontal(id="filter-row"):
            yield Label("Filter")
            yield Input(placeholder="text to match (case-insensitive)", compact=True, id="filter")
            yield Static("", id="follow")
        yield Log(id="log", max_lines=MAX_LINES, auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        self._render_follow()
        self.find_log_group()
        self.run_checks()

    def on_unmount(self) -> None:
        self.workers.cancel_node(self)

    # -- checks ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="checks")
    def run_checks(self) -> None:
        worker = get_current_worker()
        checks: list[Any] = []
        try:
            for check in self.backend.hop_checks(self.settings, self.credentials):
                if worker.is_cancelled:
                    return
                checks.append(check)
                self.post_message(messages.ChecksDone(list(checks), finished=False))
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.ChecksDone(checks, error=explain(error)))
            return
        self.post_message(messages.ChecksDone(checks))

    def on_checks_done(self, message: messages.ChecksDone) -> None:
        widget = self.query_one("#checks", Static)
        kinds = {True: "ok", False: "bad", None: "warn"}
        lines = [status_text(kinds[check.ok], f"{check.name}: {check.detail}") for check in message.checks]
        if message.error:
            lines.append(status_text("bad", f"checks stopped: {message.error}"))
        elif not message.finished:
            lines.append(status_text("busy", "checking the next hop..."))
        else:
            failed = sum(check.ok is False for check in message.checks)
            total = len(message.checks)
            summary = f"{failed} of {total} checks failed" if failed else f"all {total} checks passed"
            lines.insert(0, status_text("bad" if failed else "ok", summary) + " (Ctrl+R re-checks)")
        widget.update("\n".join(lines))

    def action_recheck(self) -> None:
        self.query_one("#checks", Static).update(status_text("busy", "checking each hop..."))
        self.run_checks()

    # -- the tail ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="log-group")
    def find_log_group(self) -> None:
        try:
            group, origin = self.backend.log_group(self.settings)
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.TailStopped(error=explain(error)))
            return
        self.post_message(messages.LogGroupFound(group, origin))

    def on_log_group_found(self, message: messages.LogGroupFound) -> None:
        self.log_group = message.log_group
        self.query_one("#group", Static).update(
            f"Log group {escape(message.log_group)} ({escape(message.origin)}) · waiting for lines...")
        self.tail(message.log_group)

    @work(thread=True, exclusive=True, group="tail")
    def tail(self, log_group: str) -> None:
        worker = get_current_worker()
        batches = self.backend.tail(self.settings, log_group, lambda: worker.is_cancelled,
                                    since_seconds=self.since_seconds)
        try:
            with contextlib.closing(batches):  # closed at once when the screen goes away
                for batch in batches:
                    if worker.is_cancelled:
                        return
                    if batch:
                        self.post_message(messages.LogLines(list(batch)))
        except Exception as error:  # noqa: BLE001
            if not worker.is_cancelled:
                self.post_message(messages.TailStopped(error=explain(error), log_group=log_group))

    def on_log_lines(self, message: messages.LogLines) -> None:
        self.lines.extend(message.lines)
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]
        if self.following:
            self._write(message.lines)
        else:
            self.held += sum(1 for line in message.lines if self._matches(line))
        self._render_group()
        self._render_follow()

    def on_tail_stopped(self, message: messages.TailStopped) -> None:
        self.query_one("#group", Static).update(status_text("bad", f"log tail stopped: {message.error}"))

    def _render_group(self) -> None:
        self.query_one("#group", Static).update(
            f"Log group {escape(self.log_group)} · {len(self.lines)} line(s) received")

    # -- follow / pause / filter -------------------------------------------------------
    def _matches(self, line: Any) -> bool:
        text = self.query_one("#filter", Input).value.strip().lower()
        return not text or text in line.text.lower()

    def _write(self, lines: list[Any]) -> None:
        shown = [line.text for line in lines if self._matches(line)]
        if shown:
            self.query_one("#log", Log).write_lines(shown, scroll_end=self.following)

    def _rebuild(self) -> None:
        log = self.query_one("#log", Log)
        log.clear()
        self._write(self.lines)

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.held = 0
        self._rebuild()
        self._render_follow()

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        log = self.query_one("#log", Log)
        log.auto_scroll = self.following
        if self.following:
            self.held = 0
            self._rebuild()
            log.scroll_end(animate=False)
        self._render_follow()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def _render_follow(self) -> None:
        if self.following:
            text = "[green]● following[/] (Ctrl+P pauses)"
        else:
            held = f": {self.held} new line(s) held" if self.held else ""
            text = f"[yellow]‖ paused{held}[/] (Ctrl+P follows)"
        self.query_one("#follow", Static).update(text)

    def action_close(self) -> None:
        if self.standalone:
            self.app.exit(0)
        else:
            self.app.pop_screen()
