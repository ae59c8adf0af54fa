"""The Port side of `status`: the webhook (enabled, with mappings, the URL the stack posts
to), the integration and the blueprints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from core.aws.installation import Installation
from core.config.credentials import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE, PortCredentials
from core.config.settings import InstallSettings
from core.errors import PortApiError
from core.operations.check_result import CheckResult, guarded, skipped
from core.port.client import PortClient
from core.port.resources import load_blueprints


def blueprint_identifiers() -> list[str]:
    """The blueprints the install creates, relation targets first."""
    return [blueprint["identifier"] for blueprint in load_blueprints()]


PORT_CHECK_NAMES = ("Port webhook", "Port integration", "Port blueprints")


def port_checks(
    settings: InstallSettings,
    credentials: PortCredentials | None,
    installation: Installation | None,
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient,
) -> Iterator[CheckResult]:
    """The Port side: the webhook (enabled, with mappings, the one the Lambda posts to), the
    integration and the blueprints. Skipped, not failed, without credentials."""
    if credentials is None:
        reason = f"no Port credentials ({CLIENT_ID_VARIABLE}/{CLIENT_SECRET_VARIABLE} not set)"
        for name in PORT_CHECK_NAMES:
            yield skipped(name, reason)
        return
    with port_client_factory(settings.port_api_url, credentials) as client:
        try:
            client.authenticate()
        except PortApiError as error:
            yield CheckResult("Port access", False, "error", str(error),
                              f"check {CLIENT_ID_VARIABLE}, {CLIENT_SECRET_VARIABLE} and --port-base-url")
            for name in PORT_CHECK_NAMES:
                yield skipped(name, "Port could not be reached")
            return
        yield guarded("Port webhook", lambda: _webhook_check(client, settings, installation))
        yield guarded("Port integration", lambda: _integration_check(client, settings))
        yield guarded("Port blueprints", lambda: _blueprints_check(client))


def _webhook_check(client: PortClient, settings: InstallSettings,
                   installation: Installation | None) -> CheckResult:
    name = "Port webhook"
    ref = settings.webhook_ref
    lambda_url = installation.webhook_url if installation else ""
    if ref.managed:
        webhook = client.get_webhook(ref.identifier or "")
        if webhook is None:
            return CheckResult(name, False, "not found",
                               f"webhook {ref.identifier} does not exist in Port: every event the "
                               "Lambda forwards is rejected",
                               "run the install again to recreate it (the stack is updated with "
                               "the new ingest URL)")
    else:
        webhook = next((w for w in client.list_webhooks() if w.get("url") == ref.ingest_url), None)
        if webhook is None:
            return CheckResult(name, False, "not found", f"no webhook in Port has the {ref.describe()}",
                               "check --webhook")
    identifier = webhook.get("identifier", ref.describe())
    enabled = bool(webhook.get("enabled", True))
    mappings = len(webhook.get("mappings") or [])
    figure = f"{'enabled' if enabled else 'DISABLED'}, {mappings} mapping(s)"
    if not enabled:
        return CheckResult(name, False, figure, f"webhook {identifier} is disabled: Port drops events",
                           "enable it in Port (Data sources) or run the install again")
    if mappings == 0:
        return CheckResult(name, False, figure, f"webhook {identifier} has no mappings: nothing "
                           "becomes an entity", "run the install again")
    if lambda_url and not _same_webhook(webhook, lambda_url):
        return CheckResult(name, False, figure + ", other URL",
                           "the Lambda posts to a different ingest URL (was the webhook recreated?)",
                           "run the install again to update the stack")
    return CheckResult(name, True, figure, f"webhook {identifier}")


def _same_webhook(webhook: dict[str, Any], lambda_url: str) -> bool:
    key = webhook.get("webhookKey")
    if key:
        return lambda_url.rstrip("/").endswith("/" + key)
    url = webhook.get("url")
    return not url or url.rstrip("/") == lambda_url.rstrip("/")


def _integration_check(client: PortClient, settings: InstallSettings) -> CheckResult:
    integration = client.get_integration(settings.integration_id)
    if integration is None:
        return CheckResult("Port integration", False, "not found",
                           f"integration {settings.integration_id} does not exist in Port",
                           "run the install again")
    return CheckResult("Port integration", True, "exists", f"integration {settings.integration_id}")


def _blueprints_check(client: PortClient) -> CheckResult:
    wanted = blueprint_identifiers()
    missing = [identifier for identifier in wanted if client.get_blueprint(identifier) is None]
    figure = f"{len(wanted) - len(missing)} of {len(wanted)} present"
    if missing:
        return CheckResult("Port blueprints", False, figure, f"missing: {', '.join(missing)}",
                           "run the install again")
    return CheckResult("Port blueprints", True, figure)
