"""`port-aws-wizard sync`: send every resource of the chosen kinds to Port, prune the rest.

Events only describe changes, so after an install the catalog is empty. The sync lists
each kind in each region with core/lambda_code/describers.py (the code the Lambda uses to enrich
events) and POSTs the documents to the install's ingest webhook, whose resource-document
mappings (port-app-config.yml) turn them into entities: one mapping per kind for both.

Requests: documents go in batches {"metadata": {"eventId", ...}, "items": [...]} within
Port's ingest limits (512 KiB, 500 items for itemsToParse), signed and retried as the
forwarder does (core.lambda_code.forwarder.send). With prune, entities of the synced kinds whose
account and region were listed completely and whose identifier was not seen are deleted
by "gone" documents through the same webhook.

UI-free: `run_sync(...)` reports SyncProgress to a callback and returns a SyncResult;
the console command is wizard/cli/sync.py.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from core.aws.clients import AwsClients, explain_aws_error, make_session
from core.aws.stack_parameters import SIGNATURE_HEADER
from core.aws.webhook_secret import StoredWebhook, stored_webhook
from core.config.credentials import (
    WEBHOOK_SECRET_VARIABLE,
    WEBHOOK_URL_VARIABLE,
    PortCredentials,
    require_credentials,
)
from core.config.settings import InstallSettings
from core.errors import InputError
from core.lambda_code import describers, forwarder
from core.lambda_code.ingest_batches import batch_body, batches, encode_items, kinds_for
from core.port.client import PortClient
from core.port.resources import webhook_mappings
from core.port.setup import WebhookTarget, ingest_base_url

SEND_BUDGET_SECONDS = 120.0
SYNC_SOURCE = "port-aws-wizard.sync"


@dataclass(frozen=True)
class SyncProgress:
    """After each listing and each batch: where the sync is, and the totals so far."""

    kind: str
    region: str
    units_done: int
    units_total: int
    listed: int
    sent: int


@dataclass
class SyncResult:
    counts: dict[str, int] = field(default_factory=dict)  # kind -> documents Port accepted
    pruned: dict[str, int] = field(default_factory=dict)  # blueprint -> entities deleted
    ingest_requests: int = 0
    errors: list[str] = field(default_factory=list)
    aws_seconds: float = 0.0
    aws_seconds_by_kind: dict[str, float] = field(default_factory=dict)
    port_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def resolve_webhook(client: PortClient | None, settings: InstallSettings,
                    environ: Mapping[str, str], stored: StoredWebhook | None = None) -> WebhookTarget:
    """The ingest URL (from Port) and the signing secret of the install's webhook: from
    PORT_WEBHOOK_SECRET, else the stack's secret (`stored`); Port's answer only as a last
    resort (Port need not return it)."""
    ref = settings.webhook_ref
    secret = environ.get(WEBHOOK_SECRET_VARIABLE, "") or (stored.secret if stored else "")
    if not ref.managed:
        return WebhookTarget(url=ref.ingest_url or "", secret=secret)
    assert client is not None
    webhook = client.get_webhook(ref.identifier or "")
    if webhook is None:
        raise InputError(f"webhook {ref.identifier!r} is not in Port: run the install first "
                         "(or pass --webhook with its identifier or ingest URL)")
    url = webhook.get("url") or f"{ingest_base_url(settings.port_api_url)}/{webhook.get('webhookKey')}"
    security = webhook.get("security") or {}
    secret = secret or str(security.get("secret") or "")
    if security.get("signatureHeaderName") and not secret:
        raise InputError(
            f"webhook {ref.identifier!r} checks signatures, but its secret was found neither in "
            f"the stack {settings.stack_name!r} ({settings.aws_region}) nor in PORT_WEBHOOK_SECRET: "
            "Port would drop every request. Pass the install's --stack-name/--aws-region, or "
            "export PORT_WEBHOOK_SECRET")
    return WebhookTarget(url=str(url), secret=secret,
                         header=str(security.get("signatureHeaderName") or SIGNATURE_HEADER))


def blueprints_by_kind() -> dict[str, str]:
    """Resource kind -> blueprint, read from the mappings that delete gone documents."""
    found: dict[str, str] = {}
    for mapping in webhook_mappings():
        match = re.search(r'resource\.Type == "([^"]+)"', mapping.get("itemsToParse") or "")
        if match and mapping["operation"] == "delete":
            found[match.group(1)] = mapping["blueprint"]
    return found


@dataclass
class Syncer:
    """One sync run; see run_sync."""

    settings: InstallSettings
    client: PortClient | None
    session: Any
    regions: tuple[str, ...]
    sources: tuple[str, ...]
    prune: bool = False
    progress: Callable[[SyncProgress], None] | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    concurrency: int = 16
    result: SyncResult = field(default_factory=SyncResult)

    def run(self) -> SyncResult:
        started = time.monotonic()
        self._run_id = uuid.uuid4().hex[:12]
        self._batch_number = 0
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="sync-aws") as aws_pool, \
                ThreadPoolExecutor(4, thread_name_prefix="sync-port") as port_pool:
            self._aws_pool, self._port_pool = aws_pool, port_pool
            self._sync_all()
        self.result.seconds = time.monotonic() - started
        return self.result

    def _sync_all(self) -> None:
        clients = AwsClients(self.settings, self.session, Config(max_pool_connections=self.concurrency))
        stored = None if self.environ.get(WEBHOOK_SECRET_VARIABLE) else self._timed(
            "aws", lambda: stored_webhook(clients.for_region(self.settings.aws_region), self.settings))
        target = self._timed("port", lambda: resolve_webhook(self.client, self.settings,
                                                              self.environ, stored))
        self._config = forwarder.Config({WEBHOOK_URL_VARIABLE: target.url,
                                         WEBHOOK_SECRET_VARIABLE: target.secret,
                                         "PORT_SIGNATURE_HEADER": target.header})
        if not self._config.valid:
            raise InputError("the webhook's ingest URL is not an http(s) URL (not shown: it holds "
                             "the webhook key); check --webhook")
        sts = clients.for_region(self.regions[0])("sts")
        self.account = self._timed("aws", lambda: sts.get_caller_identity()["Account"])
        kinds = kinds_for(self.sources)
        units = [(kind, region) for region in self.regions for kind in kinds
                 if describers.KINDS[kind].source is not None or region == self.regions[0]]
        seen: dict[str, set[str]] = {}
        listed_ok: dict[str, set[str]] = {}
        for done, (kind, region) in enumerate(units, start=1):
            documents = self._list(kind, region, clients)
            if documents is not None:
                listed_ok.setdefault(kind, set()).add(region)
                key = describers.KINDS[kind].id_key
                seen.setdefault(kind, set()).update(d["Properties"].get(key) for d in documents)
                meta = {"kind": kind, "account": self.account, "region": region}
                sent = self._send(kind, region, [{"metadata": meta, "resource": d}
                                                 for d in documents], (done, len(units)))
                self.result.counts[kind] = self.result.counts.get(kind, 0) + sent
        if self.prune:
            self._prune(seen, listed_ok)

    def _timed(self, side: str, call: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            return call()
        finally:
            elapsed = time.monotonic() - started
            if side == "aws":
                self.result.aws_seconds += elapsed
            else:
                self.result.port_seconds += elapsed

    def _list(self, kind: str, region: str, clients: AwsClients) -> list[dict] | None:
        """The kind's documents in the region; None (and an error noted) when listing failed."""
        before = self.result.aws_seconds
        try:
            return self._timed("aws", lambda: describers.list_documents(
                kind, clients.for_region(region), self.account, region, self._aws_pool.map))
        except Exception as error:  # one kind failing must not stop the others
            self.result.errors.append(str(explain_aws_error(error, f"list {kind} in {region}")))
            return None
        finally:
            spent = self.result.aws_seconds - before
            by_kind = self.result.aws_seconds_by_kind
            by_kind[kind] = by_kind.get(kind, 0.0) + spent

    def _send(self, kind: str, region: str, items: list[dict], unit: tuple[int, int]) -> int:
        """POST the items in batches; the number of items Port accepted."""
        encoded, skipped = encode_items(items)
        self.result.errors += skipped
        groups = list(batches(encoded))
        bodies = [self._body(region, group) for group in groups]
        accepted = 0
        started = time.monotonic()
        for group, line in zip(groups, self._port_pool.map(self._post, bodies), strict=True):
            self.result.ingest_requests += line["attempts"]
            if line["ok"]:
                accepted += len(group)
            else:
                self.result.errors.append(
                    f"Port did not accept {len(group)} {kind} document(s) from {region}: "
                    f"{line.get('error') or line.get('status')}")
            self._report(kind, region, unit, len(items), accepted)
        self.result.port_seconds += time.monotonic() - started
        if not groups:
            self._report(kind, region, unit, 0, 0)
        return accepted

    def _body(self, region: str, group: list[bytes]) -> bytes:
        self._batch_number += 1
        return batch_body(f"sync-{self._run_id}-{self._batch_number}", SYNC_SOURCE, self.account,
                          region, group)

    def _post(self, body: bytes) -> dict:
        return forwarder.send(self._config, body, SEND_BUDGET_SECONDS)

    def _report(self, kind: str, region: str, unit: tuple[int, int], listed: int,
                sent: int) -> None:
        if self.progress is not None:
            total = self.result.total + sent
            self.progress(SyncProgress(kind, region, unit[0], unit[1], listed, total))

    def _prune(self, seen: dict[str, set[str]], listed_ok: dict[str, set[str]]) -> None:
        """Delete entities of this account in fully listed regions that AWS no longer has."""
        if self.client is None:
            raise InputError("--prune needs Port credentials (PORT_CLIENT_ID/PORT_CLIENT_SECRET)")
        blueprints = blueprints_by_kind()
        for kind, regions in listed_ok.items():
            blueprint = blueprints.get(kind)
            if blueprint is None:  # the account: never pruned
                continue
            entities = self._timed("port", lambda b=blueprint: self.client.list_entities(b))
            gone = [entity for entity in entities
                    if (entity.get("relations") or {}).get("account") == self.account
                    and (entity.get("properties") or {}).get("region") in regions
                    and entity["identifier"] not in seen.get(kind, set())]
            items = [{"metadata": {"kind": kind, "account": self.account,
                                   "region": entity["properties"]["region"],
                                   "resourceGone": True},
                      "resource": describers.gone_document(kind, entity["identifier"])}
                     for entity in gone]
            deleted = self._send(kind, "prune", items, (0, 0)) if items else 0
            if deleted:
                self.result.pruned[blueprint] = deleted


def run_sync(settings: InstallSettings, credentials: PortCredentials | None, *,
             regions: Iterable[str] | None = None, sources: Iterable[str] | None = None,
             prune: bool = False, progress: Callable[[SyncProgress], None] | None = None,
             environ: Mapping[str, str] | None = None,
             port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient,
             ) -> SyncResult:
    """List the chosen kinds in the chosen regions and send them to the install's webhook."""
    regions = tuple(regions or (settings.aws_region,))
    sources = tuple(sources or settings.event_sources)
    environ = dict(os.environ if environ is None else environ)
    needs_port = settings.webhook_ref.managed or prune
    client = port_client_factory(settings.port_api_url, require_credentials(credentials)) \
        if needs_port else None
    try:
        syncer = Syncer(settings, client, make_session(settings), regions, sources, prune,
                        progress, environ)
        return syncer.run()
    finally:
        if client is not None:
            client.close()


def sync_regions(settings: InstallSettings, given: str | None) -> tuple[str, ...] | None:
    """The regions to list: --regions, else a StackSet's regions, else None (the install's).
    Each must exist (checked offline, before any request)."""
    from core.config.aws_checks import region_problems

    regions = tuple(dict.fromkeys(r.strip() for r in (given or "").split(",") if r.strip()))
    regions = regions or (settings.regions if settings.stackset else ())
    problems = region_problems(regions, "--regions")
    if problems:
        raise InputError(problems)
    return regions or None
