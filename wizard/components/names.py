"""Step 6: stack, queue and function names; batch size; signing; concurrency; alarms; the resync."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Static

from wizard.components.base import StepScreen, form_row


class NamesScreen(StepScreen):
    STEP = "names"

    DEFAULT_CSS = """
    NamesScreen Checkbox.-textual-compact:focus { border: none !important; }
    NamesScreen #sign-help, NamesScreen #alarm-help, NamesScreen #resync-help { margin: 0 0 0 20; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        yield Static("Names in AWS (defaults are fine for one install per account and region)",
                     classes="title")
        yield form_row("Stack name", Input(state.stack_name, compact=True, id="stack-name"))
        yield form_row("Queue name", Input(state.queue_name, compact=True, id="queue-name"))
        yield form_row("Function name", Input(state.lambda_function_name, compact=True, id="function-name"))
        yield Static("Advanced", classes="section")
        yield form_row("Batch size", Input(str(state.batch_size), compact=True, id="batch-size",
                                           type="integer"))
        yield form_row("Batch window (s)", Input(str(state.batching_window_seconds), compact=True,
                                                 id="batch-window", type="integer"))
        yield form_row("Sign requests", Checkbox("HMAC-SHA256 signature on every request",
                                                 state.sign_requests, compact=True, id="sign"))
        yield Static("Signed: the Lambda adds an HMAC-SHA256 signature Port verifies, so only it can "
                     "post to the webhook. Turn off only for a webhook that cannot check signatures.",
                     classes="hint", id="sign-help")
        yield form_row("Max concurrency", Input(str(state.lambda_max_concurrency), compact=True,
                                                id="max-concurrency", type="integer"))
        yield form_row("Alarm e-mail", Input(state.alarm_email, compact=True, id="alarm-email",
                                             placeholder="ops@example.com (optional)"))
        yield Static("At most this many function instances (2-1000) post to Port at once. Alarms "
                     "watch the dead-letter queue and the function's errors; an address is mailed "
                     "when one fires (it confirms the subscription first).",
                     classes="hint", id="alarm-help")
        yield form_row("Resync schedule", Input(state.resync_schedule, compact=True, id="resync-schedule",
                                                placeholder="rate(6 hours)"))
        yield Static("The stack resends every resource to Port on this EventBridge schedule (rate(...) or "
                     "cron(...)), and once right after the deploy; off turns it off.",
                     classes="hint", id="resync-help")

    def collect(self) -> list[str]:
        state = self.state
        state.stack_name = self.query_one("#stack-name", Input).value.strip()
        state.queue_name = self.query_one("#queue-name", Input).value.strip()
        state.lambda_function_name = self.query_one("#function-name", Input).value.strip()
        state.sign_requests = self.query_one("#sign", Checkbox).value
        state.alarm_email = self.query_one("#alarm-email", Input).value.strip()
        state.resync_schedule = self.query_one("#resync-schedule", Input).value.strip()
        problems = []
        for widget_id, name, label in (("batch-size", "batch_size", "batch size"),
                                       ("batch-window", "batching_window_seconds", "batch window"),
                                       ("max-concurrency", "lambda_max_concurrency", "max concurrency")):
            text = self.query_one(f"#{widget_id}", Input).value.strip()
            try:
                setattr(state, name, int(text))
            except ValueError:
                problems.append(f"{label} must be a whole number, not {text!r}")
        if problems:
            return problems
        return state.problems()
