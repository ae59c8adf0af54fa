"""The sandbox panel (`--sandbox`, after the install): each hop's counters and the entities in Port.

Everything it shows comes from `core.sandbox.environment.SandboxEnvironment`: the event
flow starts (and one round of sample events goes out) when the panel first opens; a timer
then reads the counters and entities in a thread worker every POLL_SECONDS. The timer
pauses while another screen covers the panel and stops, with its workers, when the panel
goes away. Buttons (and keys) send more events, make the Port emulator fail a share of
ingest requests for a while (failed records go back to the queue and arrive later), or fire
the stack's resync schedule ("Resync now": every resource in moto is resent to Port, in
pieces, through the same queue and forwarder).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Footer, Static
from textual.worker import get_current_worker

from wizard import messages
from wizard.backend import explain
from wizard.components.base import status_text

POLL_SECONDS = 0.5
FAIL_SECONDS = 10.0
FAIL_RATIO = 0.5


def counters_table(counters: Any) -> Table:
    """One row per hop, in pipeline order (core.sandbox.counters.CounterSnapshot)."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    table.add_column("hop", style="bold", no_wrap=True)
    table.add_column("counters")

    def figure(value: int, label: str, bad: bool = False) -> Text:
        style = "bold red" if bad and value else ("bold" if value else "dim")
        return Text.assemble((str(value), style), f" {label}")

    def join(*parts: Text) -> Text:
        return Text(" · ").join(parts)

    c = counters
    table.add_row("EventBridge", join(figure(c.put, "put"), figure(c.put_failed, "refused", bad=True)))
    table.add_row("SQS queue", join(figure(c.queued, "queued"), figure(c.in_flight, "in flight")))
    table.add_row("Forwarder", join(figure(c.received, "received"), figure(c.forwarded, "forwarded"),
                                    figure(c.failed, "failed (back to the queue)", bad=True)))
    table.add_row("Dead letters", figure(c.dead_lettered, "in the DLQ", bad=True))
    table.add_row("Port", join(figure(c.entity_changes, "entity changes"),
                               figure(c.rejected, "filtered out"),
                               figure(c.ingest_refused, "ingests refused, retried")))
    table.add_row("Resync", join(figure(c.resync_pieces, "pieces done"),
                                 figure(c.resync_failed, "failed (retried)", bad=True),
                                 figure(c.resync_changes, "entity changes")))
    return table


class SandboxScreen(Screen):
    BINDINGS = [
        Binding("ctrl+e", "send", "Send events", priority=True),
        Binding("ctrl+f", "fail", "Fail ingest", priority=True),
        Binding("ctrl+r", "resync", "Resync now", priority=True),
        Binding("escape", "close", "Back"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    DEFAULT_CSS = """
    SandboxScreen #sb-title { height: auto; background: $primary-muted; padding: 0 1; }
    SandboxScreen #sb-status, SandboxScreen #sb-fault { height: auto; padding: 0 1; }
    SandboxScreen #sb-counters { height: auto; padding: 0 1; margin: 1 0 0 0; }
    SandboxScreen #sb-entities-title { height: 1; padding: 0 1; margin: 1 0 0 0; text-style: bold;
                                       color: $accent; }
    SandboxScreen DataTable { height: 1fr; margin: 0 1; }
    SandboxScreen #sb-actions { height: 1; dock: bottom; margin: 0 0 1 0; padding: 0 1; }
    SandboxScreen #sb-actions Button { margin: 0 2 0 0; }
    SandboxScreen #sb-spacer { width: 1fr; }
    """

    def __init__(self, sandbox: Any) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.fail_seconds = FAIL_SECONDS
        self.fail_ratio = FAIL_RATIO
        self.round_size = 0
        self.started = False
        self.sent = 0
        self.resyncs = 0  # "Resync now" presses
        self.counters: Any = None
        self.entity_keys: list[str] = []
        self.fault_until: float | None = None
        self._polling = False
        self._timer: Timer | None = None

    @property
    def clock(self):  # noqa: ANN201 - the app's clock (fixed in snapshots)
        return self.app.clock  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        sandbox = self.sandbox
        yield Static(f"[b]Sandbox[/b] · AWS: moto at {escape(sandbox.aws_endpoint)} (account "
                     f"{escape(str(sandbox.account))}) · Port: emulator at {escape(sandbox.port_base_url)}",
                     id="sb-title")
        yield Static(status_text("busy", "starting the event flow..."), id="sb-status")
        yield Static("", id="sb-fault")
        yield Static("", id="sb-counters")
        yield Static("Entities in Port (0)", id="sb-entities-title")
        table: DataTable = DataTable(id="sb-entities", cursor_type="row", zebra_stripes=False)
        table.add_column("Blueprint", key="blueprint")
        table.add_column("Identifier", key="identifier")
        table.add_column("Title", key="title")
        yield table
        with Horizontal(id="sb-actions"):
            yield Button("Send events", id="send", variant="primary", compact=True, disabled=True)
            yield Button(f"Fail ingest {self.fail_seconds:g} s at {self.fail_ratio:.0%}", id="fail",
                         compact=True, disabled=True)
            yield Button("Resync now", id="resync", compact=True, disabled=True)
            yield Static("", id="sb-spacer")
            yield Button("Back", id="close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._render_fault()
        self._timer = self.set_interval(POLL_SECONDS, self._poll)
        self.start_flow()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.workers.cancel_node(self)

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()

    # -- workers -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="sandbox-start")
    def start_flow(self) -> None:
        sandbox = self.sandbox
        try:
            first = sandbox.flow is None
            flow = sandbox.start_flow()
            round_size = int(flow.plan.round_size)
            sent = len(sandbox.send_events(round_size)) if first else 0
        except Exception as error:  # noqa: BLE001 - shown, never a crash
            self.post_message(messages.SandboxStarted(error=explain(error)))
            return
        self.post_message(messages.SandboxStarted(round_size, sent))

    def _poll(self) -> None:
        self._render_fault()
        if self.started and not self._polling:
            self._polling = True
            self.read_counters()

    @work(thread=True, group="sandbox-poll")
    def read_counters(self) -> None:
        worker = get_current_worker()
        try:
            counters, entities = self.sandbox.counters(), self.sandbox.entities()
        except Exception as error:  # noqa: BLE001
            if not worker.is_cancelled:
                self.post_message(messages.SandboxPolled(error=explain(error)))
            return
        if not worker.is_cancelled:
            self.post_message(messages.SandboxPolled(counters, list(entities)))

    @work(thread=True, group="sandbox-act")
    def send(self, count: int) -> None:
        try:
            sent = len(self.sandbox.send_events(count))
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.SandboxActed(error=explain(error)))
            return
        self.post_message(messages.SandboxActed(sent=sent))

    @work(thread=True, group="sandbox-act")
    def resync(self) -> None:
        try:
            self.sandbox.resync_now()
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.SandboxActed(error=explain(error)))
            return
        self.post_message(messages.SandboxActed(resynced=True))

    @work(thread=True, group="sandbox-act")
    def fail(self, seconds: float, ratio: float) -> None:
        try:
            self.sandbox.fail_ingest_for(seconds, ratio)
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.SandboxActed(error=explain(error)))
            return
        self.post_message(messages.SandboxActed(fault_seconds=seconds))

    # -- messages ----------------------------------------------------------------------
    def on_sandbox_started(self, message: messages.SandboxStarted) -> None:
        status = self.query_one("#sb-status", Static)
        if message.error:
            status.update(status_text("bad", f"the event flow did not start: {message.error}"))
            return
        self.started = True
        self.round_size = message.round_size
        self.sent += message.sent
        send = self.query_one("#send", Button)
        send.label = f"Send {self.round_size} events"
        send.disabled = False
        self.query_one("#fail", Button).disabled = False
        self.query_one("#resync", Button).disabled = False
        self.refresh_bindings()
        self._render_status()
        self._poll()

    def on_sandbox_polled(self, message: messages.SandboxPolled) -> None:
        self._polling = False
        if message.error:
            self.query_one("#sb-status", Static).update(
                status_text("bad", f"could not read the counters: {message.error}"))
            return
        self.counters = message.counters
        self.query_one("#sb-counters", Static).update(counters_table(message.counters))
        self._render_entities(message.entities)

    def on_sandbox_acted(self, message: messages.SandboxActed) -> None:
        if message.error:
            self.query_one("#sb-status", Static).update(status_text("bad", message.error))
            return
        self.sent += message.sent
        self.resyncs += message.resynced
        if message.fault_seconds:
            self.fault_until = self.clock() + message.fault_seconds
        self._render_status()
        self._render_fault()

    # -- drawing -----------------------------------------------------------------------
    def _render_status(self) -> None:
        resyncs = f"; resync requested {self.resyncs}×" if self.resyncs else ""
        self.query_one("#sb-status", Static).update(status_text(
            "ok", f"events flow: EventBridge → SQS → forwarder → Port; {self.sent} sample events sent"
                  f"{resyncs}"))

    def _render_fault(self) -> None:
        widget = self.query_one("#sb-fault", Static)
        left = (self.fault_until - self.clock()) if self.fault_until is not None else 0.0
        if left > 0:
            widget.update(status_text("warn", f"Port ingest fails {self.fail_ratio:.0%} of requests for "
                                              f"{left:.0f} s more: failed records return to the queue "
                                              "and are retried"))
        else:
            widget.update("[green]●[/] Port ingest answers every request")

    def _render_entities(self, entities: list[Any]) -> None:
        table = self.query_one("#sb-entities", DataTable)
        keys = [f"{row.blueprint}/{row.identifier}" for row in entities]
        for key in set(self.entity_keys) - set(keys):
            table.remove_row(key)
        added = False
        for key, row in zip(keys, entities, strict=True):
            if key not in table.rows:
                table.add_row(row.blueprint, row.identifier, row.title, key=key)
                added = True
        self.entity_keys = keys
        self.query_one("#sb-entities-title", Static).update(f"Entities in Port ({len(keys)})")
        if added:
            table.scroll_end(animate=False)

    # -- actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("send", "fail", "resync"):
            return True if self.started else None  # shown greyed out until the flow runs
        return True

    def action_send(self) -> None:
        if self.started:
            self.send(self.round_size)

    def action_fail(self) -> None:
        if self.started:
            self.fail(self.fail_seconds, self.fail_ratio)

    def action_resync(self) -> None:
        if self.started:
            self.resync()

    def action_close(self) -> None:
        self.app.pop_screen()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {"send": self.action_send, "fail": self.action_fail, "resync": self.action_resync,
                   "close": self.action_close}
        actions[event.button.id or "close"]()
