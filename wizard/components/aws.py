"""Step 3: AWS profile and region, checked live (sts get-caller-identity, IAM simulation)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select, Static

from core.config.settings import InstallSettings, validate
from wizard import messages
from wizard.backend import REQUIRED_ACTIONS, explain
from wizard.components.base import LiveCheckedStep, form_row, status_text

COMMON_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-east-1", "me-south-1", "af-south-1", "il-central-1",
)
DEFAULT_PROFILE = "(default credentials)"


class AwsScreen(LiveCheckedStep):
    STEP = "aws"

    DEFAULT_CSS = """
    AwsScreen .form-row Select { width: 1fr; max-width: 50; }
    AwsScreen #permissions { height: auto; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        yield Static("Which AWS account and region should send events?", classes="title")
        options = [(DEFAULT_PROFILE, "")]
        if state.aws_profile:
            options.append((state.aws_profile, state.aws_profile))
        yield form_row("Profile", Select(options, value=state.aws_profile or "", allow_blank=False,
                                         compact=True, id="profile"))
        yield form_row("Region", Input(state.aws_region, placeholder="us-east-1", compact=True, id="region",
                                       suggester=SuggestFromList(COMMON_REGIONS, case_sensitive=False)))
        yield Static("Profiles come from your AWS config (~/.aws/config); the default uses the "
                     "environment or instance credentials.", classes="hint")
        with form_row("", row_id="check-row"):
            yield Button("Check", id="check", compact=True)
            yield Static(self._initial_status(), id="check-status")
        yield Static("", id="permissions")

    def _initial_status(self) -> str:
        state = self.state
        if state.checked_aws and state.aws_account:
            return status_text("ok", f"account {state.aws_account}") + f"\n  identity {state.aws_arn}"
        return "Check runs sts get-caller-identity now (Ctrl+T); Next checks too."

    def on_mount(self) -> None:
        self.load_profiles()

    @work(thread=True, group="profiles")
    def load_profiles(self) -> None:
        profiles = self.backend.aws_profiles()
        self.app.call_from_thread(self._set_profiles, profiles)

    def _set_profiles(self, profiles: list[str]) -> None:
        select = self.query_one("#profile", Select)
        current = select.value if isinstance(select.value, str) else ""
        names = sorted(set(profiles) | ({current} if current else set()))
        select.set_options([(DEFAULT_PROFILE, "")] + [(name, name) for name in names])
        select.value = current

    # -- values ------------------------------------------------------------------------
    def collect(self) -> list[str]:
        state = self.state
        profile = self.query_one("#profile", Select).value
        state.aws_profile = profile if isinstance(profile, str) and profile else None
        state.aws_region = self.query_one("#region", Input).value.strip()
        return validate(InstallSettings(aws_region=state.aws_region or "?"))

    def current_key(self) -> tuple[str | None, str]:
        return (self.state.aws_profile, self.state.aws_region)

    def passed_key(self) -> tuple[object, ...] | None:
        return self.state.checked_aws

    # -- the live check ----------------------------------------------------------------
    def start_check(self) -> None:
        self.query_one("#check-status", Static).update(
            status_text("busy", f"asking AWS who you are in {self.state.aws_region}..."))
        self.query_one("#permissions", Static).update("")
        self.check_aws(self.current_key(), self.state.settings())

    @work(thread=True, exclusive=True, group="aws-check")
    def check_aws(self, key: tuple[str | None, str], settings: InstallSettings) -> None:
        try:
            identity = self.backend.check_aws(settings)
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.AwsChecked(key, error=explain(error)))
            return
        self.post_message(messages.AwsChecked(key, identity=identity))

    def on_aws_checked(self, message: messages.AwsChecked) -> None:
        if self.is_stale(message.key):
            return
        status = self.query_one("#check-status", Static)
        permissions = self.query_one("#permissions", Static)
        if message.error:
            self.state.checked_aws = None
            status.update(status_text("bad", message.error))
            self.settle_check(passed=False)
            return
        identity = message.identity
        self.state.checked_aws = message.key
        self.state.aws_account, self.state.aws_arn = identity.account, identity.arn
        status.update(status_text("ok", f"account {identity.account}") + f"\n  identity {identity.arn}")
        if identity.denied:
            permissions.update(status_text(
                "warn", f"IAM simulation: this identity lacks {', '.join(identity.denied)}. The deploy "
                "will fail without them: ask an administrator, or pick another profile."))
        elif identity.permission_note:
            permissions.update(status_text("warn", identity.permission_note))
        else:
            permissions.update(status_text(
                "ok", f"IAM simulation: the {len(REQUIRED_ACTIONS)} actions the install needs are allowed"))
        self.settle_check(passed=True)
