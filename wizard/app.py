"""The full-screen wizard: the App, its navigation between steps, and `run_app()`.

Screens live in `wizard/components/`, the messages their workers post in
`wizard/messages.py`, and every Port/AWS call goes through `wizard/backend.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings
from wizard.backend import Backend
from wizard.components.aws import AwsScreen
from wizard.components.base import StepScreen
from wizard.components.deploy import DeployScreen
from wizard.components.done import DoneScreen
from wizard.components.names import NamesScreen
from wizard.components.port import PortScreen
from wizard.components.review import ReviewScreen
from wizard.components.sandbox import SandboxScreen
from wizard.components.sources import SourcesScreen
from wizard.components.stackset import StackSetScreen
from wizard.components.troubleshoot import TroubleshootScreen
from wizard.components.webhook import WebhookScreen
from wizard.components.welcome import WelcomeScreen
from wizard.state import STEPS, StateStore, WizardState, default_state_dir

SCREENS: dict[str, type[StepScreen]] = {
    "welcome": WelcomeScreen,
    "port": PortScreen,
    "aws": AwsScreen,
    "sources": SourcesScreen,
    "webhook": WebhookScreen,
    "names": NamesScreen,
    "stackset": StackSetScreen,
    "review": ReviewScreen,
    "deploy": DeployScreen,
}
RESUMABLE = ("port", "aws", "sources", "webhook", "names", "stackset", "review")


class WizardApp(App[int]):
    """The install wizard. Everything it talks to is injectable, for tests and the sandbox."""

    TITLE = "port-aws-wizard"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        *,
        backend: Backend | None = None,
        state: WizardState | None = None,
        store: StateStore | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        cwd: Path | None = None,
        start_step: str = "welcome",
        result: Any = None,
        sandbox: Any = None,
    ) -> None:
        super().__init__()
        options = getattr(sandbox, "options", None)
        self.backend = backend or Backend(
            environ=environ, poll_seconds=options.stack_poll_seconds if options is not None else 2.0)
        self.sandbox = sandbox
        if sandbox is not None:  # `--sandbox`: local moto and Port emulator, set in os.environ
            store = store or StateStore(default_state_dir() / "sandbox")
            if state is None:
                state = WizardState()
                state.apply_settings(sandbox.settings)
        self.store = store or StateStore()
        self.clock = clock
        self.cwd = cwd or Path.cwd()
        self.resumed_step: str | None = None
        if state is None:
            state = WizardState()
            if self.store.load(state):
                step = "review" if state.step in ("deploy", "done") else state.step
                self.resumed_step = step if step in RESUMABLE else None
        if not (state.client_id and state.client_secret):
            state.client_id, state.client_secret = self.backend.environment_credentials()
        self.state = state
        self.start_step = start_step
        self.result = result

    def on_mount(self) -> None:
        if self.start_step == "troubleshoot":
            self.push_screen(TroubleshootScreen(self.state.settings(), self.credentials(), standalone=True))
            return
        self.push_screen(WelcomeScreen())
        if self.start_step != "welcome":
            self._push_through(self.start_step)

    # -- navigation --------------------------------------------------------------------
    def screen_for(self, step: str) -> Screen:
        if step == "done":
            return DoneScreen(self.result)
        return SCREENS[step]()

    def _push_through(self, target: str) -> None:
        """Push the steps after Welcome up to `target`, so Back walks through them."""
        for step in STEPS[1: STEPS.index(target) + 1]:
            self.push_screen(self.screen_for(step))

    def advance(self, step: str) -> None:
        following = STEPS[STEPS.index(step) + 1]
        if STEPS.index(following) > STEPS.index(self.state.step) or following in ("deploy", "done"):
            self.state.step = following
        self.save_state()
        self.push_screen(self.screen_for(following))

    def go_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def resume(self) -> None:
        """Jump to the step the last run reached (Port at most, when credentials are missing)."""
        target = self.resumed_step or "port"
        if not (self.state.client_id and self.state.client_secret):
            environment_id, environment_secret = self.backend.environment_credentials()
            if not (environment_id and environment_secret):
                target = "port"
        self._push_through(target)

    def show_done(self, result: Any) -> None:
        self.result = result
        self.push_screen(DoneScreen(result))
        if self.sandbox is not None:  # the sandbox's point: watch events go through what was installed
            self.show_sandbox()

    def show_sandbox(self) -> None:
        if self.sandbox is not None:
            self.push_screen(SandboxScreen(self.sandbox))

    def show_troubleshoot(self) -> None:
        self.push_screen(TroubleshootScreen(self.state.settings(), self.credentials()))

    def credentials(self) -> PortCredentials | None:
        """What the user typed, else the environment; None when incomplete."""
        client_id, client_secret = self.state.client_id, self.state.client_secret
        if not (client_id and client_secret):
            client_id, client_secret = self.backend.environment_credentials()
        return PortCredentials(client_id, client_secret) if client_id and client_secret else None

    def save_state(self) -> None:
        self.store.save(self.state)


def run_app(**kwargs: Any) -> int:
    """Run the wizard in the terminal; the exit code is 0 unless the user quit with an error."""
    app = WizardApp(**kwargs)
    code = app.run()
    return int(code or 0)


def run_troubleshoot(settings: InstallSettings, backend: Backend | None = None) -> int:
    state = WizardState()
    state.apply_settings(settings)
    app = WizardApp(backend=backend or Backend(aws_endpoint_url=settings.aws_endpoint_url), state=state,
                    start_step="troubleshoot")
    return int(app.run() or 0)
