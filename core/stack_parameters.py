"""The CloudFormation parameters the installer passes to cloudformation/aws-serverless.template.

The names are a contract with the template (docs/contracts.md); a test checks both ways.
"""

from __future__ import annotations

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
)

SECRET_PARAMETERS: frozenset[str] = frozenset({"PortWebhookUrl", "PortWebhookSecret"})
