"""Step 1: what the install creates in Port and in AWS, and what the user needs first."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.widgets import Button, Static

from wizard.components.base import StepScreen
from wizard.state import STEP_TITLES


def _blueprint_titles() -> str:
    try:
        from core.port import resources as port_resources

        return ", ".join(bp.get("title") or bp["identifier"] for bp in port_resources.load_blueprints())
    except Exception:  # noqa: BLE001 - the welcome text must show even if the data is unreadable
        return "AWS account, S3, EC2, ECS, RDS, Lambda, SQS, EKS"


class WelcomeScreen(StepScreen):
    STEP = "welcome"
    SHOW_BACK = False
    NEXT_LABEL = "Start"

    DEFAULT_CSS = """
    WelcomeScreen #resume-row { height: auto; margin: 1 0 0 0; }
    WelcomeScreen #resume { margin: 0 0 0 0; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        yield Static("Connect an AWS account to Port", classes="title")
        yield Static("AWS changes reach Port as they happen: "
                     "[b]EventBridge → SQS queue → Lambda → Port ingest webhook[/b].")
        yield Static("In Port (created, or updated if they exist)", classes="section")
        yield Static(f"  • blueprints: {escape(_blueprint_titles())}\n"
                     f"  • the integration [b]{escape(state.integration_id)}[/b] and its mapping config\n"
                     "  • an ingest webhook the Lambda posts events to (or one you already have)")
        yield Static("In AWS (one CloudFormation stack in the account and region you pick, or a StackSet)",
                     classes="section")
        yield Static("  • an EventBridge rule for the event sources you choose, and a schedule that "
                     "resends every resource (resync)\n"
                     "  • an SQS queue and its dead-letter queue, with alarms on dead letters and errors\n"
                     "  • a Lambda function, its IAM role and its CloudWatch log group\n"
                     "  • a Secrets Manager secret holding the webhook URL and signing secret")
        yield Static("Before you start", classes="section")
        yield Static("  • a Port client id and secret (Port: ... → Credentials), of an admin\n"
                     "  • AWS credentials (a profile or environment) allowed to create the stack\n"
                     "  • for API-call events (S3, RDS, SQS, ...): a CloudTrail trail in the region")
        yield Static("Nothing changes until you confirm on the Review step. "
                     "Keys: Tab moves, Enter presses, Ctrl+N next, Ctrl+B back.", classes="hint")
        if self.wizard.resumed_step:
            title = STEP_TITLES[self.wizard.resumed_step]
            yield Static(f"[b]Welcome back.[/b] Your answers from the last run are filled in "
                         f"(saved in {escape(str(self.wizard.store.answers_path))}).",
                         id="resume-note")
            yield Button(f"Continue at {title}", id="resume", compact=True)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "resume":
            event.stop()
            self.wizard.resume()
            return
        await super().on_button_pressed(event)
