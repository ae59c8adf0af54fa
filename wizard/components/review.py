"""Step 7: the plan: what happens to each Port object, and the stack's change set."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from core.config.credentials import PortCredentials
from core.config.resync_schedule import RESYNC_OFF
from core.progress import Change
from wizard import messages
from wizard.backend import explain

if TYPE_CHECKING:
    from core.operations.install_plan import InstallPlan
from wizard.components.base import StepScreen, status_text

_ACTION = {Change.CREATE: "Add", Change.UPDATE: "Modify", Change.REPLACE: "Replace",
           Change.DELETE: "Remove", Change.NO_CHANGE: "-"}
_STYLE = {Change.CREATE: "green", Change.UPDATE: "yellow", Change.REPLACE: "red",
          Change.DELETE: "red", Change.NO_CHANGE: "dim"}


def port_table(review: InstallPlan) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    table.add_column("kind", style="dim", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("change", no_wrap=True)
    table.add_column("detail", style="dim")
    for item in review.port_items:
        table.add_row(item.kind, item.name, Text(str(item.change), style=_STYLE[item.change]), item.detail)
    return table


def resources_table(review: InstallPlan) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1), expand=False)
    table.add_column("Action", no_wrap=True)
    table.add_column("Resource", no_wrap=True)
    table.add_column("Type", style="dim", no_wrap=True)
    table.add_column("", style="dim")
    for item in review.resources:
        action = Text(_ACTION[item.change], style=_STYLE[item.change])
        table.add_row(action, item.name, item.kind, item.detail)
    return table


def guards_line(alarm_email: str, max_concurrency: int) -> str:
    """What tells the user of trouble, and what bounds the request rate against Port."""
    told = f"mailed to {alarm_email} (confirm the subscription)" if alarm_email else "not mailed"
    return (f"Alarms on dead letters and function errors: {told}. At most {max_concurrency} "
            "function instances post to Port at once.")


def change_summary(review: InstallPlan) -> str:
    counts = Counter(item.change for item in review.resources)
    return (f"{counts[Change.CREATE]} to add · {counts[Change.UPDATE]} to modify · "
            f"{counts[Change.REPLACE]} to replace · {counts[Change.DELETE]} to remove")


def resync_note(schedule: str, stackset: bool) -> str:
    """What the stack's resync will do, in the words of the review."""
    if schedule == RESYNC_OFF:
        return "resync off: resources that already exist reach Port when they change (or with a sync)"
    first = "each instance's first one a schedule interval after it is created" if stackset else \
        "and once right after the deploy, so resources that already exist arrive without a sync"
    return f"resync: the stack resends every resource to Port on the schedule {schedule}, {first}"


class ReviewScreen(StepScreen):
    STEP = "review"
    NEXT_LABEL = "Deploy"
    BINDINGS = [Binding("ctrl+r", "refresh_plan", "Plan again")]

    DEFAULT_CSS = """
    ReviewScreen #plan-status { height: auto; margin: 1 0 0 0; }
    ReviewScreen .plan { height: auto; }
    """

    def body(self) -> ComposeResult:
        yield Static("Nothing has changed yet. This is what Deploy will do:", classes="title")
        yield Static(status_text("busy", "working out the plan: reading Port, and asking CloudFormation "
                                         "for a change set (deleted again afterwards)..."), id="plan-status")
        yield Static("", id="port-heading", classes="section")
        yield Static("", id="port-plan", classes="plan")
        yield Static("", id="stack-heading", classes="section")
        yield Static("", id="stack-plan", classes="plan")
        yield Static("", id="stack-summary", classes="plan")
        yield Static("", id="guards", classes="plan")
        yield Static("", id="notes", classes="plan hint")

    def on_mount(self) -> None:
        self.action_refresh_plan()

    def on_screen_resume(self) -> None:
        if self.state.review is None:  # back from a failed deploy: things changed, plan again
            self.action_refresh_plan()

    def action_refresh_plan(self) -> None:
        self.state.review = None
        self.set_next_enabled(False)
        self.query_one("#plan-status", Static).update(status_text(
            "busy", "working out the plan: reading Port, and asking CloudFormation for a change set "
                    "(deleted again afterwards)..."))
        state = self.state
        self.make_plan(state.settings(), PortCredentials(state.client_id, state.client_secret))

    @work(thread=True, exclusive=True, group="review")
    def make_plan(self, settings: object, credentials: PortCredentials) -> None:
        try:
            review = self.backend.review(settings, credentials)
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.ReviewReady(error=explain(error)))
            return
        self.post_message(messages.ReviewReady(review))

    def on_review_ready(self, message: messages.ReviewReady) -> None:
        status = self.query_one("#plan-status", Static)
        if message.error:
            status.update(status_text("bad", f"could not work out the plan: {message.error}") +
                          "\nFix this (Ctrl+B goes back to change answers), then plan again with Ctrl+R.")
            return
        review: InstallPlan = message.review
        self.state.review = review
        state = self.state
        port_changes = sum(item.change is not Change.NO_CHANGE for item in review.port_items)
        status.update(status_text("ok", "plan ready: press Deploy (Ctrl+N) to make these changes"))
        where = f"organization {state.organization}" if state.organization else state.port_base_url
        self.query_one("#port-heading", Static).update(
            f"Port ({escape(where)}): {port_changes} of {len(review.port_items)} objects change")
        self.query_one("#port-plan", Static).update(port_table(review))
        account = f"account {state.aws_account}, " if state.aws_account else ""
        if state.stackset:
            stack_line = (f"AWS StackSet {state.stack_name} (administered from {account}{state.aws_region}): "
                          f"{review.stack_change}")
        else:
            stack_line = f"AWS stack {state.stack_name} ({account}{state.aws_region}): {review.stack_change}"
        if review.stack_detail:
            stack_line += f" ({review.stack_detail})"
        self.query_one("#stack-heading", Static).update(escape(stack_line))
        if review.resources:
            self.query_one("#stack-plan", Static).update(resources_table(review))
            self.query_one("#stack-summary", Static).update(change_summary(review))
        elif review.stack_change is Change.NO_CHANGE:
            what = "the StackSet and its instances are" if state.stackset else "the stack is"
            self.query_one("#stack-summary", Static).update(f"{what} up to date: no resource changes")
        self.query_one("#guards", Static).update(escape(guards_line(state.alarm_email,
                                                                    state.lambda_max_concurrency)))
        notes = [resync_note(state.resync_schedule, state.stackset), *review.notes]
        self.query_one("#notes", Static).update("\n".join(f"• {escape(note)}" for note in notes))
        self.set_next_enabled(True)

    def collect(self) -> list[str]:
        if self.state.review is None:
            return ["wait for the plan (or fix what stops it and press Ctrl+R)"]
        return []
