"""The `--json` documents of the install and `sync` (status, uninstall and redrive build theirs
inline): plain dicts, every key always present, secrets never (the webhook URL is masked).

Success: `{"ok": true, ...}`; failure: wizard/cli/output.error_document, the same for every
command. The exit code is the same as without --json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.config.url_checks import mask_url

if TYPE_CHECKING:
    from core.config.settings import InstallSettings
    from core.operations.install import InstallResult
    from core.operations.sync import SyncResult
    from core.progress import PlanItem


def plan_item(item: PlanItem) -> dict[str, str]:
    return {"target": item.target, "kind": item.kind, "name": item.name, "change": str(item.change),
            "detail": item.detail}


def install_document(result: InstallResult, settings: InstallSettings) -> dict[str, Any]:
    """The plan (--dry-run) or what the install did: items, webhook, stack or StackSet, deploy command."""
    stack = None
    if not settings.stackset:
        stack = {"name": settings.stack_name, "region": settings.aws_region,
                 "status": result.stack.status if result.stack else None,
                 "outputs": dict(sorted(result.stack.outputs.items())) if result.stack else {}}
    stackset = None
    if result.stackset is not None:
        stackset = {"name": result.stackset.stack_set_name, "change": str(result.stackset.change),
                    "succeeded": result.stackset.succeeded, "instances": list(result.stackset.instances),
                    "failures": list(result.stackset.failures)}
    elif settings.stackset:
        stackset = {"name": settings.stack_name, "change": None, "succeeded": None, "instances": [],
                    "failures": []}
    return {
        "ok": True,
        "dry_run": settings.dry_run,
        "port_only": settings.port_only,
        "changed": result.changed,  # with --dry-run: whether the install would change anything
        "items": [plan_item(item) for item in result.items],
        "webhook": {"identifier": result.webhook.identifier,
                    "url": mask_url(result.webhook.url) if result.webhook.url else None},
        "stack": stack,
        "stackset": stackset,
        "deploy_command": result.deploy_command or None,
        "webhook_env_file": str(result.webhook_env_file) if result.webhook_env_file else None,
    }


def sync_document(result: SyncResult, regions: tuple[str, ...]) -> dict[str, Any]:
    return {
        "ok": not result.errors,
        "regions": list(regions),
        "total": result.total,
        "counts": dict(result.counts),
        "pruned": dict(result.pruned),
        "ingest_requests": result.ingest_requests,
        "errors": list(result.errors),
        "seconds": round(result.seconds, 3),
        "aws_seconds": round(result.aws_seconds, 3),
        "port_seconds": round(result.port_seconds, 3),
    }
