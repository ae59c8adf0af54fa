"""The CloudFormation parameters the installer passes to cloudformation/aws-serverless.template.

The names are a contract with the template (docs/contracts.md); a test checks both ways.
"""

from __future__ import annotations

import hashlib

from core.config.settings import InstallSettings

SIGNATURE_HEADER = "x-port-aws-signature"

PARAMETER_NAMES: tuple[str, ...] = (
    "PortWebhookUrl",
    "PortWebhookSecret",
    "PortWebhookSignatureHeader",
    "WebhookVersion",
    "QueueName",
    "LambdaFunctionName",
    "EventSources",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "LogRetentionInDays",
    "EnableEnrichment",
    "LambdaMaxConcurrency",
    "AlarmEmail",
    "ResyncSchedule",
)

SECRET_PARAMETERS: frozenset[str] = frozenset({"PortWebhookUrl", "PortWebhookSecret"})


def webhook_version(webhook_url: str, webhook_secret: str) -> str:
    """A fingerprint of the webhook URL and secret: it changes when either does, which makes
    Lambda start fresh containers that read the new secret. The URL holds the webhook key
    (random, from Port), so the fingerprint tells nothing about the secret."""
    return hashlib.sha256(f"{webhook_url}\n{webhook_secret}".encode()).hexdigest()[:16]


def stack_parameters(settings: InstallSettings, webhook_url: str, webhook_secret: str) -> dict[str, str]:
    """The template's parameters for an install, every one passed explicitly."""
    return {
        "PortWebhookUrl": webhook_url,
        "PortWebhookSecret": webhook_secret,
        "PortWebhookSignatureHeader": SIGNATURE_HEADER,
        "WebhookVersion": webhook_version(webhook_url, webhook_secret),
        "QueueName": settings.queue_name,
        "LambdaFunctionName": settings.lambda_function_name,
        "EventSources": ",".join(settings.event_sources),
        "BatchSize": str(settings.batch_size),
        "MaximumBatchingWindowInSeconds": str(settings.batching_window_seconds),
        "LogRetentionInDays": str(settings.log_retention_days),
        "EnableEnrichment": "true" if settings.enrich_events else "false",
        "LambdaMaxConcurrency": str(settings.lambda_max_concurrency),
        "AlarmEmail": settings.alarm_email,
        "ResyncSchedule": settings.resync_schedule,
    }
