"""What every step screen shares: the step bar, the Back/Next row, key hints, problems."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Label, Static

from wizard.state import STEP_TITLES, STEPS

if TYPE_CHECKING:
    from wizard.app import WizardApp
    from wizard.backend import Backend
    from wizard.state import WizardState


class StepBar(Static):
    """`Step 3 of 9 · AWS` and a dot per step, so the user always knows where they are."""

    DEFAULT_CSS = """
    StepBar { height: 1; background: $primary-muted; color: $text; padding: 0 1; }
    """

    def __init__(self, step: str) -> None:
        number = STEPS.index(step) + 1
        dots = " ".join("●" if index < number else "○" for index in range(len(STEPS)))
        super().__init__(f"[b]port-aws-wizard[/b]  Step {number} of {len(STEPS)} · "
                         f"[b]{STEP_TITLES[step]}[/b]   {dots}")


def form_row(label: str, *widgets: Widget, row_id: str | None = None) -> Horizontal:
    """One line: a fixed-width label, then the field(s)."""
    return Horizontal(Label(label, classes="form-label"), *widgets, classes="form-row", id=row_id)


class StepScreen(Screen):
    """A step of the wizard. Subclasses compose `body()`, and `collect()` answers on Next."""

    STEP = "welcome"
    NEXT_LABEL = "Next"
    SHOW_BACK = True

    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    DEFAULT_CSS = """
    StepScreen #body { padding: 0 1; height: 1fr; }
    StepScreen .title { text-style: bold; margin: 1 0 0 0; }
    StepScreen .hint { color: $text-muted; }
    StepScreen .section { text-style: bold; color: $accent; margin: 1 0 0 0; }
    StepScreen .form-row { height: 1; margin: 0 0 1 0; }
    StepScreen .form-label { width: 20; }
    StepScreen .form-row Input { width: 1fr; max-width: 70; }
    StepScreen #problems { color: $error; height: auto; }
    StepScreen .ok { color: $success; }
    StepScreen .bad { color: $error; }
    StepScreen .warn { color: $warning; }
    StepScreen #nav { height: 1; dock: bottom; margin: 0 0 1 0; padding: 0 1; }
    StepScreen #nav Button { margin: 0 2 0 0; }
    StepScreen #nav-spacer { width: 1fr; }
    """

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    @property
    def backend(self) -> Backend:
        return self.wizard.backend

    def compose(self) -> ComposeResult:
        yield StepBar(self.STEP)
        with VerticalScroll(id="body", can_focus=False):
            yield from self.body()
            yield Static("", id="problems")
        with Horizontal(id="nav"):
            if self.SHOW_BACK:
                yield Button("Back", id="back", compact=True)
            yield Static("", id="nav-spacer")
            yield Button(self.NEXT_LABEL, id="next", variant="primary", compact=True)
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    # -- navigation --------------------------------------------------------------------
    def collect(self) -> list[str]:
        """Write the widgets' values into the state; return what is wrong (empty: go on)."""
        return []

    def show_problems(self, problems: list[str]) -> None:
        text = "\n".join(f"✗ {escape(problem)}" for problem in problems)
        widget = self.query_one("#problems", Static)
        widget.update(text)
        if problems:
            self.query_one("#body", VerticalScroll).scroll_to_widget(widget, animate=False)

    async def action_next(self) -> None:
        problems = self.collect()
        self.show_problems(problems)
        if not problems:
            await self.proceed()

    async def proceed(self) -> None:
        self.wizard.advance(self.STEP)

    def action_back(self) -> None:
        if self.SHOW_BACK:
            self.collect()  # keep what was typed, even if not valid yet
            self.wizard.go_back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "back" and not self.SHOW_BACK)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            event.stop()
            await self.action_next()
        elif event.button.id == "back":
            event.stop()
            self.action_back()

    def set_next_enabled(self, enabled: bool, label: str | None = None) -> None:
        button = self.query_one("#next", Button)
        button.disabled = not enabled
        if label is not None:
            button.label = label


def status_text(kind: str, text: str) -> str:
    mark = {"ok": "[green]✓[/]", "bad": "[red]✗[/]", "warn": "[yellow]![/]", "busy": "[cyan]…[/]"}[kind]
    return f"{mark} {escape(text)}"


def describe_change(change: Any) -> str:
    colours = {"create": "green", "update": "yellow", "replace": "red", "delete": "red",
               "no change": "dim"}
    text = str(change)
    return f"[{colours.get(text, 'white')}]{text}[/]"


class LiveCheckedStep(StepScreen):
    """A step whose answers are checked live (a token from Port, the AWS identity).

    Check (Ctrl+T) runs the check; Next runs it too and goes on once it passes, unless the
    same answers passed already. A result for answers that changed meanwhile is dropped.
    Subclasses start the check in a worker; on its result they return early when `is_stale`,
    show it, then call `settle_check`.
    """

    BINDINGS = [Binding("ctrl+t", "check", "Check")]

    DEFAULT_CSS = """
    LiveCheckedStep #check-row { height: auto; margin: 1 0 0 0; }
    LiveCheckedStep #check-row Button { margin: 0 2 0 0; }
    LiveCheckedStep #check-status { width: 1fr; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._advancing = False  # Next was pressed: advance when the check passes

    def current_key(self) -> tuple[object, ...]:
        """What the check depends on; a result for another key is stale."""
        raise NotImplementedError

    def passed_key(self) -> tuple[object, ...] | None:
        """The key of the last check that passed (kept in the wizard state)."""
        raise NotImplementedError

    def start_check(self) -> None:
        raise NotImplementedError

    def action_check(self) -> None:
        problems = self.collect()
        self.show_problems(problems)
        if not problems:
            self.start_check()

    async def proceed(self) -> None:
        if self.passed_key() == self.current_key():
            self.wizard.advance(self.STEP)
            return
        self._advancing = True
        self.start_check()

    def is_stale(self, key: tuple[object, ...]) -> bool:
        """True (and Next forgotten) when the answers changed while the check ran."""
        if key == self.current_key():
            return False
        self._advancing = False
        return True

    def settle_check(self, passed: bool) -> None:
        """After showing a result: go on when Next asked for this check and it passed."""
        advance, self._advancing = self._advancing and passed, False
        if advance:
            self.wizard.advance(self.STEP)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            event.stop()
            self.action_check()
            return
        await super().on_button_pressed(event)
