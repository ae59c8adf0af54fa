"""Step 7: one stack in this account and region, or a StackSet over accounts (or OUs) and regions."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from core.config.settings import stackset_problems
from wizard.components.base import StepScreen, form_row

AUTOMATIC = "automatic"
PERMISSION_OPTIONS = [("from the targets", AUTOMATIC),
                      ("SELF_MANAGED (accounts)", "SELF_MANAGED"),
                      ("SERVICE_MANAGED (OUs)", "SERVICE_MANAGED")]


def split_list(text: str) -> tuple[str, ...]:
    """"a, b,,a" -> ("a", "b"): commas or spaces, blanks and repeats dropped (as the flags do)."""
    return tuple(dict.fromkeys(part for part in text.replace(",", " ").split() if part))


class StackSetScreen(StepScreen):
    STEP = "stackset"

    DEFAULT_CSS = """
    StackSetScreen RadioSet { border: none; padding: 0; margin: 0 0 1 0; width: auto; }
    StackSetScreen .form-row Select { width: 1fr; max-width: 40; }
    StackSetScreen #stackset-fields { height: auto; }
    StackSetScreen #mode-help { height: auto; margin: 0 0 1 0; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        account = f"account {state.aws_account}" if state.aws_account else "this account"
        yield Static("Deploy one stack, or the same stack to many accounts and regions?", classes="title")
        with RadioSet(id="mode"):
            yield RadioButton(f"One stack in {escape(account)}, {escape(state.aws_region)}",
                              value=not state.stackset, id="mode-stack")
            yield RadioButton("A StackSet: several accounts (or organizational units) and regions",
                              value=state.stackset, id="mode-stackset")
        yield Static("", id="mode-help", classes="hint")
        with Vertical(id="stackset-fields"):
            yield form_row("Accounts", Input(", ".join(state.accounts), compact=True, id="accounts",
                                             placeholder="111111111111, 222222222222 (self-managed)"))
            yield form_row("Or OUs", Input(", ".join(state.organizational_units), compact=True, id="ous",
                                           placeholder="ou-abcd-12345678 (service-managed)"))
            regions = state.regions or (state.aws_region,)
            yield form_row("Regions", Input(", ".join(regions), compact=True, id="regions",
                                            placeholder="us-east-1, eu-west-1"))
            yield form_row("Permission model", Select(
                PERMISSION_OPTIONS, value=state.permission_model or AUTOMATIC, allow_blank=False,
                compact=True, id="permission-model"))
            yield form_row("Failure tolerance", Input(state.failure_tolerance, compact=True,
                                                      id="failure-tolerance",
                                                      placeholder="0 (a count or 10%)"))
            yield form_row("Max concurrency", Input(state.max_concurrency, compact=True,
                                                    id="max-concurrency", placeholder="1 (a count or 25%)"))
            yield form_row("Admin role ARN", Input(state.administration_role_arn, compact=True,
                                                   id="admin-role",
                                                   placeholder="AWSCloudFormationStackSetAdministrationRole"))
            yield form_row("Execution role", Input(state.execution_role_name, compact=True,
                                                   id="execution-role",
                                                   placeholder="AWSCloudFormationStackSetExecutionRole"))

    def on_mount(self) -> None:
        self._sync_mode()

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        self._sync_mode()

    def _stackset_chosen(self) -> bool:
        return self.query_one("#mode-stackset", RadioButton).value

    def _sync_mode(self) -> None:
        chosen = self._stackset_chosen()
        self.query_one("#stackset-fields").display = chosen
        state = self.state
        if chosen:
            text = (f"The StackSet is named {state.stack_name} and administered from {state.aws_region}; "
                    "Port is set up once. Accounts need the StackSet administration and execution "
                    "roles (self-managed); OUs need trusted access for AWS Organizations "
                    "(service-managed). The role fields are for self-managed only (blank: AWS's names).")
        else:
            text = (f"CloudFormation stack {state.stack_name} in the account and region of the AWS step. "
                    "Choose StackSet to roll the same stack out to several accounts or regions.")
        self.query_one("#mode-help", Static).update(escape(text))

    def collect(self) -> list[str]:
        state = self.state
        state.stackset = self._stackset_chosen()
        state.accounts = split_list(self.query_one("#accounts", Input).value)
        state.organizational_units = split_list(self.query_one("#ous", Input).value)
        state.regions = split_list(self.query_one("#regions", Input).value)
        model = self.query_one("#permission-model", Select).value
        state.permission_model = model if isinstance(model, str) and model != AUTOMATIC else ""
        state.failure_tolerance = self.query_one("#failure-tolerance", Input).value.strip()
        state.max_concurrency = self.query_one("#max-concurrency", Input).value.strip()
        state.administration_role_arn = self.query_one("#admin-role", Input).value.strip()
        state.execution_role_name = self.query_one("#execution-role", Input).value.strip()
        if not state.stackset:
            return []
        if self.wizard.sandbox is not None:
            return ["the sandbox deploys one stack in its own local account: choose One stack "
                    "(a StackSet needs real AWS accounts)"]
        return stackset_problems(state.settings())
