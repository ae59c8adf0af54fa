"""The Port half of an install: blueprints, integration config, ingest webhook.

Each object is read first and written only when it differs, so a re-run with the same
inputs changes nothing and says so. With ``write=False`` the same code yields the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.aws.stack_parameters import SIGNATURE_HEADER
from core.aws.webhook_secret import SecretChoice, StoredWebhook, choose_secret
from core.config.settings import InstallSettings
from core.errors import PortApiError
from core.port import resources as port_resources
from core.port.client import PortClient
from core.port.desired_state import is_subset, merged_schema
from core.progress import Change, PlanItem, Reporter, StepFinished, StepStarted

INTEGRATION_APP_TYPE = "aws-serverless"
INTEGRATION_VERSION = "0.1.0"
WEBHOOK_TITLE = "AWS events (port-aws-wizard)"
WEBHOOK_DESCRIPTION = "AWS EventBridge events forwarded by the port-aws-wizard Lambda"


@dataclass
class WebhookTarget:
    """Where the Lambda posts, and how it signs. `url` holds the webhook key: a secret."""

    url: str = ""
    secret: str = ""
    identifier: str | None = None
    rotated: bool = False  # a new secret replaced the one Port and the stack had
    header: str = SIGNATURE_HEADER  # the request header that carries the signature


@dataclass
class PortOutcome:
    items: list[PlanItem] = field(default_factory=list)
    webhook: WebhookTarget = field(default_factory=WebhookTarget)

    @property
    def changed(self) -> bool:
        return any(item.change != Change.NO_CHANGE for item in self.items)


class PortSetup:
    def __init__(self, client: PortClient, settings: InstallSettings, report: Reporter,
                 webhook_secret: str = "", stored: StoredWebhook | None = None) -> None:
        self.client = client
        self.settings = settings
        self.report = report
        self.given_webhook_secret = webhook_secret
        self.stored = stored  # what the installed stack signs with (core.aws.webhook_secret)

    def run(self, write: bool) -> PortOutcome:
        outcome = PortOutcome()
        outcome.items += self._blueprints(write)
        outcome.items.append(self._integration(write))
        item, outcome.webhook = self._webhook(write)
        outcome.items.append(item)
        return outcome

    # -- blueprints -------------------------------------------------------------------
    def _blueprints(self, write: bool) -> list[PlanItem]:
        blueprints = port_resources.load_blueprints()
        changes: dict[str, Change] = {}
        self._started("blueprints", f"{len(blueprints)} blueprints", write)
        # Pass 1 without relations: a relation may target a blueprint not created yet.
        for blueprint in blueprints:
            identifier = blueprint["identifier"]
            body = {key: value for key, value in blueprint.items() if key != "relations"}
            actual = self.client.get_blueprint(identifier)
            if actual is None and write:
                created, actual = self.client.create_blueprint(body)
                if created:
                    changes[identifier] = Change.CREATE
                    continue
                actual = self.client.get_blueprint(identifier) or {}  # taken meanwhile: update it
            if actual is None:
                changes[identifier] = Change.CREATE
                continue
            if is_subset(body, actual):
                changes[identifier] = Change.NO_CHANGE
                continue
            changes[identifier] = Change.UPDATE
            if write:
                schema = merged_schema(body.get("schema") or {}, actual.get("schema") or {})
                update = {**body, "schema": schema}
                self.client.update_blueprint(identifier, update)
        # Pass 2: relations, now that every blueprint exists.
        for blueprint in blueprints:
            wanted = blueprint.get("relations") or {}
            identifier = blueprint["identifier"]
            if not wanted or changes[identifier] == Change.CREATE and not write:
                continue
            actual = self.client.get_blueprint(identifier) or {}
            current = actual.get("relations") or {}
            if is_subset(wanted, current):
                continue
            if changes[identifier] == Change.NO_CHANGE:
                changes[identifier] = Change.UPDATE
            if write:
                self.client.update_blueprint(identifier, {"relations": {**current, **wanted}})
        items = [PlanItem("port", "blueprint", identifier, change) for identifier, change in changes.items()]
        for item in items:
            self._finished(f"blueprint {item.name}", item.change, write)
        return items

    # -- integration ------------------------------------------------------------------
    def _integration(self, write: bool) -> PlanItem:
        identifier = self.settings.integration_id
        config = port_resources.load_app_config()
        self._started("integration", f"integration {identifier}", write)
        actual = self.client.get_integration(identifier)
        if actual is None:
            change = Change.CREATE
            if write:
                created, _ = self.client.create_integration(identifier, INTEGRATION_APP_TYPE,
                                                            INTEGRATION_VERSION, config)
                if not created:
                    self.client.update_integration_config(identifier, config)
                    change = Change.UPDATE
        elif is_subset(config, actual.get("config") or {}):
            change = Change.NO_CHANGE
        else:
            change = Change.UPDATE
            if write:
                self.client.update_integration_config(identifier, config)
        item = PlanItem("port", "integration", identifier, change,
                        f"{len(config.get('resources') or [])} mapping resources")
        self._finished(f"integration {identifier}", change, write)
        return item

    # -- webhook ----------------------------------------------------------------------
    def _webhook(self, write: bool) -> tuple[PlanItem, WebhookTarget]:
        ref = self.settings.webhook_ref
        if not ref.managed:
            item = PlanItem("port", "webhook", ref.describe(), Change.NO_CHANGE,
                            "given as a URL: used as is, not created or changed")
            self._finished("webhook", Change.NO_CHANGE, write)
            return item, WebhookTarget(url=ref.ingest_url or "", secret=self.given_webhook_secret)
        identifier = ref.identifier or ""
        self._started("webhook", f"webhook {identifier}", write)
        actual = self.client.get_webhook(identifier)
        choice = choose_secret(self.settings, self.given_webhook_secret, self.stored, actual)
        secret = choice.secret
        desired = self._desired_webhook(identifier, secret)
        if actual is None:
            change = Change.CREATE
            if write:
                created, actual = self.client.create_webhook(desired)
                if not created:
                    actual = self.client.update_webhook(identifier, _without_identifier(desired))
                    change = Change.UPDATE
        elif is_subset(_comparable(desired, choice), actual):
            change = Change.NO_CHANGE
        else:
            change = Change.UPDATE
            if write:
                actual = self.client.update_webhook(identifier, _without_identifier(desired)) or actual
        target = WebhookTarget(url=self._ingest_url(actual or {}), secret=secret, identifier=identifier,
                               rotated=choice.rotated)
        detail = f"{len(desired['mappings'])} mapping rules, " + (
            f"signed: secret {choice.reason}" if secret else "unsigned")
        self._finished(f"webhook {identifier}", change, write)
        return PlanItem("port", "webhook", identifier, change, detail), target

    def _desired_webhook(self, identifier: str, secret: str) -> dict[str, Any]:
        security: dict[str, Any] = {"requestIdentifierPath": port_resources.WEBHOOK_REQUEST_IDENTIFIER_PATH}
        if secret:
            security |= {"secret": secret, "signatureHeaderName": SIGNATURE_HEADER,
                         "signatureAlgorithm": "sha256", "signaturePrefix": "sha256="}
        return {
            "identifier": identifier,
            "title": WEBHOOK_TITLE,
            "description": WEBHOOK_DESCRIPTION,
            "icon": "AWS",
            "enabled": True,
            "mappings": port_resources.webhook_mappings(),
            "security": security,
        }

    def _ingest_url(self, webhook: dict[str, Any]) -> str:
        if webhook.get("url"):
            return str(webhook["url"])
        key = webhook.get("webhookKey")
        if not key:
            if webhook:
                raise PortApiError("Port returned the webhook without its url or webhookKey")
            return ""
        return f"{ingest_base_url(self.settings.port_api_url)}/{key}"

    def _started(self, step: str, description: str, write: bool) -> None:
        if write:
            self.report(StepStarted(step, description))

    def _finished(self, step: str, change: Change, write: bool) -> None:
        if write:
            self.report(StepFinished(step, change))


def ingest_base_url(api_url: str) -> str:
    """Port serves ingest on its own host: api.getport.io -> ingest.getport.io (same for US)."""
    parts = urlsplit(api_url)
    host = parts.hostname or ""
    if host.startswith("api."):
        return urlunsplit((parts.scheme, "ingest." + host[4:], "", "", "")).rstrip("/")
    return api_url.rstrip("/")


def _without_identifier(webhook: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in webhook.items() if key != "identifier"}


def _comparable(desired: dict[str, Any], choice: SecretChoice) -> dict[str, Any]:
    """What a read of the webhook must show for no update: without the secret when Port
    holds it already (Port need not return it)."""
    webhook = _without_identifier(desired)
    if choice.port_has_it:
        security = {k: v for k, v in webhook["security"].items() if k != "secret"}
        webhook = {**webhook, "security": security}
    return webhook
