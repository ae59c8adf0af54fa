"""Step 2: Port region/URL and credentials, checked live (a token and the organization's name)."""

from __future__ import annotations

import hashlib

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings, validate
from wizard import messages
from wizard.backend import explain
from wizard.components.base import LiveCheckedStep, form_row, status_text
from wizard.state import PORT_REGIONS


def check_key(base_url: str, client_id: str, secret: str) -> tuple[str, str, str]:
    """What a check was made with; the secret only as a digest."""
    return (base_url.rstrip("/"), client_id, hashlib.sha256(secret.encode()).hexdigest())


class PortScreen(LiveCheckedStep):
    STEP = "port"

    DEFAULT_CSS = """
    PortScreen RadioSet { border: none; padding: 0; margin: 0 0 1 0; width: auto; }
    PortScreen #env-note { color: $text-muted; margin: 0 0 1 0; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        yield Static("Which Port organization should receive AWS data?", classes="title")
        region = state.port_region
        with RadioSet(id="region"):
            yield RadioButton(f"EU   {PORT_REGIONS['eu']}", value=region == "eu", id="region-eu")
            yield RadioButton(f"US   {PORT_REGIONS['us']}", value=region == "us", id="region-us")
            yield RadioButton("Custom URL", value=region == "custom", id="region-custom")
        yield form_row("Custom API URL", Input(state.port_base_url if region == "custom" else "",
                                               placeholder="https://api.example.com", compact=True,
                                               id="custom-url"), row_id="custom-row")
        env_id, env_secret = self.backend.environment_credentials()
        yield form_row("Client ID", Input(state.client_id or env_id, compact=True, id="client-id"))
        yield form_row("Client secret", Input(state.client_secret or env_secret, password=True,
                                              compact=True, id="client-secret"))
        notes = []
        if env_id and env_secret:
            notes.append("Taken from PORT_CLIENT_ID and PORT_CLIENT_SECRET.")
        notes.append("Port app: ... menu → Credentials. The secret is never saved to disk.")
        yield Static(" ".join(notes), id="env-note")
        with form_row("", row_id="check-row"):
            yield Button("Check", id="check", compact=True)
            yield Static(self._initial_status(), id="check-status")

    def _initial_status(self) -> str:
        if self.state.checked_port and self.state.organization:
            return status_text("ok", f"organization {self.state.organization} answered")
        return "Check gets a token from Port now (Ctrl+T); Next checks too."

    def on_mount(self) -> None:
        self._sync_custom()

    @on(RadioSet.Changed, "#region")
    def _region_changed(self) -> None:
        self._sync_custom()

    def _sync_custom(self) -> None:
        custom = self.query_one("#region-custom", RadioButton).value
        self.query_one("#custom-row").display = custom

    # -- values ------------------------------------------------------------------------
    def _base_url(self) -> str:
        if self.query_one("#region-eu", RadioButton).value:
            return PORT_REGIONS["eu"]
        if self.query_one("#region-us", RadioButton).value:
            return PORT_REGIONS["us"]
        return self.query_one("#custom-url", Input).value.strip()

    def collect(self) -> list[str]:
        state = self.state
        state.port_base_url = self._base_url()
        state.client_id = self.query_one("#client-id", Input).value.strip()
        state.client_secret = self.query_one("#client-secret", Input).value.strip()
        problems = []
        if not state.port_base_url:
            problems.append("enter the Port API URL (or pick EU or US)")
        else:
            problems += validate(InstallSettings(port_base_url=state.port_base_url))
        if not state.client_id:
            problems.append("enter the Port client id")
        if not state.client_secret:
            problems.append("enter the Port client secret")
        return problems

    def current_key(self) -> tuple[str, str, str]:
        state = self.state
        return check_key(state.port_base_url, state.client_id, state.client_secret)

    def passed_key(self) -> tuple[object, ...] | None:
        return self.state.checked_port

    # -- the live check ----------------------------------------------------------------
    def start_check(self) -> None:
        state = self.state
        self.query_one("#check-status", Static).update(
            status_text("busy", f"asking {state.port_base_url} for a token..."))
        self.check_port(self.current_key(), state.port_base_url,
                        PortCredentials(state.client_id, state.client_secret))

    @work(thread=True, exclusive=True, group="port-check")
    def check_port(self, key: tuple[str, str, str], base_url: str, credentials: PortCredentials) -> None:
        try:
            organization = self.backend.check_port(base_url, credentials)
        except Exception as error:  # noqa: BLE001 - every failure is shown
            self.post_message(messages.PortChecked(key, error=explain(error)))
            return
        self.post_message(messages.PortChecked(key, organization=organization))

    def on_port_checked(self, message: messages.PortChecked) -> None:
        if self.is_stale(message.key):
            return  # the fields changed while the check ran
        status = self.query_one("#check-status", Static)
        if not message.ok:
            self.state.checked_port = None
            status.update(status_text("bad", message.error))
            self.settle_check(passed=False)
            return
        self.state.checked_port = message.key
        self.state.organization = message.organization
        status.update(status_text("ok", f"organization {message.organization} answered at "
                                        f"{self.state.port_base_url}"))
        self.settle_check(passed=True)
