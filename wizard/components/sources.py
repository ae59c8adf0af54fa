"""Step 4: which AWS event sources to route, what each produces in Port, and CloudTrail."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from core.config.event_sources import EVENT_SOURCES
from wizard import messages
from wizard.components.base import StepScreen, status_text


class SourcesScreen(StepScreen):
    STEP = "sources"

    DEFAULT_CSS = """
    SourcesScreen SelectionList { height: auto; max-height: 9; border: none; padding: 0; }
    SourcesScreen #trail { height: auto; margin: 1 0 0 0; }
    """

    def body(self) -> ComposeResult:
        chosen = set(self.state.event_sources)
        yield Static("Which AWS events should reach Port? (Space toggles)", classes="title")
        yield SelectionList[str](
            *(Selection(f"{source.service:<7} {source.produces}"
                        + (" *" if source.needs_cloudtrail else ""), name, name in chosen)
              for name, source in EVENT_SOURCES.items()),
            id="sources",
        )
        yield Static("* API-call events: EventBridge only sees them when a CloudTrail trail "
                     "records management events in the region.", classes="hint")
        yield Static(status_text("busy", "looking for a CloudTrail trail..."), id="trail")

    def on_mount(self) -> None:
        self.query_one("#sources", SelectionList).focus()
        self.check_trail(self.state.settings())

    @work(thread=True, exclusive=True, group="trail")
    def check_trail(self, settings: object) -> None:
        self.post_message(messages.TrailChecked(self.backend.cloudtrail(settings)))

    def on_trail_checked(self, message: messages.TrailChecked) -> None:
        status = message.status
        region = self.state.aws_region
        widget = self.query_one("#trail", Static)
        if status.error:
            widget.update(status_text("warn", f"could not look for CloudTrail trails ({status.error}); "
                                              "API-call events need one that is logging"))
        elif status.ok:
            widget.update(status_text("ok", f"CloudTrail trail {', '.join(status.logging_trails)} is "
                                            f"logging in {region}: API-call events will arrive"))
        elif status.other_trails:
            widget.update(status_text("warn", f"CloudTrail trail {', '.join(status.other_trails)} exists "
                                              "but is not logging: API-call events (*) will not arrive "
                                              "until it logs"))
        else:
            widget.update(status_text("warn", f"no CloudTrail trail in {region}: sources marked * send "
                                              "nothing until you create one (EC2 state changes work "
                                              "without it)"))
        widget.refresh()

    def collect(self) -> list[str]:
        selected = self.query_one("#sources", SelectionList).selected
        self.state.event_sources = tuple(name for name in EVENT_SOURCES if name in selected)
        if not self.state.event_sources:
            return ["choose at least one event source (Space toggles the highlighted one)"]
        return []
