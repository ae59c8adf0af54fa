"""The CloudFormation parameters the installer passes to cloudformation/aws-serverless.template.

The names are a contract with the template (docs/contracts.md); a test checks both ways.
"""

from __future__ import annotations

from core.config.settings import InstallSettings

SIGNATURE_HEADER = "x-port-aws-signature"

PARAMETER_NAMES: tuple[str, ...] = (
    "PortWebhookUrl",
    "PortWebhookSecret",
    "PortWebhookSignatureHeader",
    "QueueName",
    "LambdaFunctionName",
    "EventSources",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "LogRetentionInDays",
    "EnableEnrichment",
    "ResyncSchedule",
)

SECRET_PARAMETERS: frozenset[str] = frozenset({"PortWebhookUrl", "PortWebhookSecret"})


def stack_parameters(settings: InstallSettings, webhook_url: str, webhook_secret: str) -> dict[str, str]:
    """The template's parameters for an install, every one passed explicitly."""
    return {
        "PortWebhookUrl": webhook_url,
        "PortWebhookSecret": webhook_secret,
        "PortWebhookSignatureHeader": SIGNATURE_HEADER,
        "QueueName": settings.queue_name,
        "LambdaFunctionName": settings.lambda_function_name,
        "EventSources": ",".join(settings.event_sources),
        "BatchSize": str(settings.batch_size),
        "MaximumBatchingWindowInSeconds": str(settings.batching_window_seconds),
        "LogRetentionInDays": str(settings.log_retention_days),
        "EnableEnrichment": "true" if settings.enrich_events else "false",
        "ResyncSchedule": settings.resync_schedule,
    }
