"""Step 5: the ingest webhook: create one, reuse one listed from Port, or paste an ingest URL."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from core.config.credentials import PortCredentials
from core.config.webhook_ref import identifier_problem, parse_webhook
from core.errors import InputError
from wizard import messages
from wizard.backend import explain
from wizard.components.base import StepScreen, form_row, status_text


class WebhookScreen(StepScreen):
    STEP = "webhook"

    DEFAULT_CSS = """
    WebhookScreen RadioSet { border: none; padding: 0; margin: 0 0 1 0; width: auto; }
    WebhookScreen .form-row Select { width: 1fr; max-width: 60; }
    WebhookScreen #listed { height: auto; margin: 0 0 1 0; }
    WebhookScreen #mode-help { height: auto; }
    """

    def body(self) -> ComposeResult:
        state = self.state
        yield Static("Where should the Lambda send events?", classes="title")
        with RadioSet(id="mode"):
            yield RadioButton("Create a new webhook", value=state.webhook_mode == "create", id="mode-create")
            yield RadioButton("Reuse an existing webhook", value=state.webhook_mode == "reuse",
                              id="mode-reuse")
            yield RadioButton("Paste an ingest URL", value=state.webhook_mode == "url", id="mode-url")
        yield form_row("Identifier", Input(state.webhook_identifier, compact=True, id="identifier",
                                           max_length=30), row_id="create-row")
        options = [(state.webhook_identifier, state.webhook_identifier)] if state.webhook_mode == "reuse" \
            else []
        yield form_row("Webhook", Select(options, prompt="(loading from Port...)", compact=True,
                                         id="existing", value=options[0][1] if options else Select.NULL),
                       row_id="reuse-row")
        yield form_row("Ingest URL", Input(state.webhook_url, placeholder="https://ingest.getport.io/KEY",
                                           compact=True, id="url"), row_id="url-row")
        yield Static("", id="listed")
        yield Static("", id="mode-help", classes="hint")

    def on_mount(self) -> None:
        self._sync_mode()
        state = self.state
        if state.client_id and state.client_secret:
            self.query_one("#listed", Static).update(status_text("busy", "listing webhooks in Port..."))
            self.list_webhooks(state.port_base_url, PortCredentials(state.client_id, state.client_secret))

    @work(thread=True, exclusive=True, group="webhooks")
    def list_webhooks(self, base_url: str, credentials: PortCredentials) -> None:
        try:
            webhooks = self.backend.list_webhooks(base_url, credentials)
        except Exception as error:  # noqa: BLE001
            self.post_message(messages.WebhooksListed([], error=explain(error)))
            return
        self.post_message(messages.WebhooksListed(webhooks))

    def on_webhooks_listed(self, message: messages.WebhooksListed) -> None:
        listed = self.query_one("#listed", Static)
        select = self.query_one("#existing", Select)
        self._existing = {webhook.identifier for webhook in message.webhooks}
        if message.error:
            listed.update(status_text("bad", f"could not list webhooks: {message.error}"))
            select.set_options([])
            return
        current = select.value
        select.prompt = "(choose a webhook: Enter opens the list)" if message.webhooks else "(none in Port)"
        select.set_options([(f"{w.identifier}  {w.title}".strip(), w.identifier) for w in message.webhooks])
        if isinstance(current, str) and current in self._existing:
            select.value = current
        count = len(message.webhooks)
        listed.update(status_text("ok", f"{count} webhook(s) in Port" if count
                                  else "no webhooks in Port yet"))
        self._sync_mode()

    _existing: set[str] = set()

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        self._sync_mode()

    def _mode(self) -> str:
        for mode in ("create", "reuse", "url"):
            if self.query_one(f"#mode-{mode}", RadioButton).value:
                return mode
        return "create"

    def _sync_mode(self) -> None:
        mode = self._mode()
        for name in ("create", "reuse", "url"):
            self.query_one(f"#{name}-row").display = name == mode
        help_text = {
            "create": "A webhook with this identifier is created in Port (or updated if it exists) with "
                      "the AWS mappings; requests are signed unless you turn signing off later.",
            "reuse": "The chosen webhook's mappings and security are updated to the AWS ones.",
            "url": "The URL is used as is: nothing is created or changed in Port. It holds the "
                   "webhook's key, so it is never saved to disk.",
        }[mode]
        if mode == "create" and self.query_one("#identifier", Input).value.strip() in self._existing:
            help_text = "This identifier exists in Port: that webhook is updated. " + help_text
        self.query_one("#mode-help", Static).update(help_text)

    @on(Input.Changed, "#identifier")
    def _identifier_changed(self) -> None:
        self._sync_mode()

    def collect(self) -> list[str]:
        state = self.state
        mode = self._mode()
        state.webhook_mode = mode
        if mode == "create":
            state.webhook_identifier = self.query_one("#identifier", Input).value.strip()
            if not state.webhook_identifier:
                return ["enter an identifier for the new webhook, e.g. aws_ingest"]
            problem = identifier_problem(state.webhook_identifier)
            return [problem] if problem else []
        if mode == "reuse":
            value = self.query_one("#existing", Select).value
            if not isinstance(value, str) or not value:
                return ["choose a webhook to reuse (Enter opens the list), or create a new one"]
            state.webhook_identifier = value
            return []
        state.webhook_url = self.query_one("#url", Input).value.strip()
        if not state.webhook_url:
            return ["paste the webhook's ingest URL (https://ingest.getport.io/<webhookKey>)"]
        try:
            ref = parse_webhook(state.webhook_url)
        except InputError as error:
            return error.problems
        if ref.managed:
            return ["that is the webhook's API URL, not its ingest URL; use 'Reuse an existing "
                    "webhook' for it, or paste the ingest URL (https://ingest.getport.io/<key>)"]
        return []
