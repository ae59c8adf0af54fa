"""The webhook's one home: the stack's Secrets Manager secret (URL and signing secret).

The stack creates the secret from its NoEcho parameters (output WebhookSecretArn); the
forwarder reads it, and so do `sync`, `status`, a re-run of the install and the sandbox,
with the user's AWS credentials. Port is never relied on for the secret: its API does not
promise to return `security.secret` (Port's Terraform provider treats it as write-only).

`choose_secret` decides which secret an install uses: a re-run keeps the stored one, a new
one is made only for a new webhook or when asked (`--rotate-webhook-secret`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from core.aws.stacks import describe_stack
from core.config.credentials import WEBHOOK_SECRET_VARIABLE, WEBHOOK_URL_VARIABLE
from core.config.settings import InstallSettings
from core.errors import AwsAccessError, InputError

SECRET_OUTPUT = "WebhookSecretArn"
ROTATION_WINDOW_HINT = "usually one to two minutes"


@dataclass(frozen=True)
class StoredWebhook:
    """The URL and secret an installed stack signs with, and where they were read."""

    url: str = field(repr=False)
    secret: str = field(repr=False)
    origin: str  # e.g. "secret arn:aws:secretsmanager:..." (no value, fit to show)


def read_secret(secretsmanager: Any, arn: str) -> StoredWebhook:
    """The secret's value: {"url", "secret"} as the template writes it."""
    value = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])
    return StoredWebhook(str(value.get("url") or ""), str(value.get("secret") or ""), f"secret {arn}")


def find_stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    """The install's stack: `name`, or this account's instance of a StackSet of that name."""
    stack = describe_stack(cloudformation, name)
    if stack is not None:
        return stack
    prefixes = (f"StackSet-{name}-", f"StackSet:{name}")  # AWS; moto names instances the second way
    try:
        for page in cloudformation.get_paginator("list_stacks").paginate():
            for summary in page.get("StackSummaries", []):
                if summary["StackName"].startswith(prefixes) and summary["StackStatus"] != "DELETE_COMPLETE":
                    return describe_stack(cloudformation, summary["StackId"])
    except ClientError:  # no cloudformation:ListStacks: then there is no instance to find
        return None
    return None


def stored_webhook(client: Callable[[str], Any], settings: InstallSettings) -> StoredWebhook | None:
    """What the installed stack signs with; None when there is no stack (or no copy in it).

    A stack from before the secret existed kept both in the function's environment: read
    there, so upgrading does not rotate the secret. Raises AwsAccessError when the secret
    exists but cannot be read (never a silent rotation).
    """
    stack = find_stack(client("cloudformation"), settings.stack_name)
    if stack is None:
        return None
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    name = (outputs.get("FunctionName") or parameters.get("LambdaFunctionName")
            or settings.lambda_function_name)
    arn = outputs.get(SECRET_OUTPUT, "")
    variables: dict[str, str] = {}
    try:
        if not arn:  # no outputs (moto, after a change set): the function names the secret
            variables = (client("lambda").get_function_configuration(FunctionName=name)
                         .get("Environment") or {}).get("Variables") or {}
            arn = variables.get("PORT_WEBHOOK_SECRET_ARN", "")
        if arn:
            return read_secret(client("secretsmanager"), arn)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            return None
        what = f"the webhook secret {arn}" if arn else f"the function {name}"
        raise AwsAccessError(
            f"could not read {what} ({code}): the install keeps signing with the stored secret "
            "and needs to read it. Grant secretsmanager:GetSecretValue on it (and lambda:"
            "GetFunctionConfiguration), or pass --rotate-webhook-secret to set a new one") from None
    if not variables.get(WEBHOOK_URL_VARIABLE):
        return None
    return StoredWebhook(variables[WEBHOOK_URL_VARIABLE], variables.get(WEBHOOK_SECRET_VARIABLE, ""),
                         f"the environment of {name} (installed before the secret had its home)")


@dataclass(frozen=True)
class SecretChoice:
    """The secret an install uses, whether Port already holds it, and why it was chosen."""

    secret: str = field(repr=False)
    port_has_it: bool
    reason: str  # shown in the plan: "kept from ...", "rotated", "new webhook", ...

    @property
    def rotated(self) -> bool:
        return self.reason.startswith("rotated")


def choose_secret(settings: InstallSettings, given: str, stored: StoredWebhook | None,
                  port_webhook: Mapping[str, Any] | None) -> SecretChoice:
    """Keep what the stack signs with unless told to rotate; never rely on Port returning it."""
    if not settings.sign_requests:
        return SecretChoice("", True, "unsigned")
    security = (port_webhook or {}).get("security") or {}
    shown = security.get("secret") if isinstance(security.get("secret"), str) else ""
    if settings.rotate_webhook_secret:
        return SecretChoice(new_secret(), False, "rotated (--rotate-webhook-secret): Port drops events "
                            f"signed with the old one until the stack is updated ({ROTATION_WINDOW_HINT})")
    signing = bool(security.get("signatureHeaderName"))
    if given:
        held = shown == given or (not shown and signing and stored is not None and stored.secret == given)
        return SecretChoice(given, held, "given (PORT_WEBHOOK_SECRET)")
    if stored is not None and stored.secret:
        # Port hides the secret (assume it holds the stored one) or shows the same one.
        same = (shown or stored.secret) == stored.secret and signing
        return SecretChoice(stored.secret, same, f"kept from {stored.origin}")
    if shown:
        return SecretChoice(shown, True, "kept (Port returned it)")
    if port_webhook is not None and signing and settings.stackset:
        raise InputError(
            "the webhook's signing secret is needed to update the StackSet without rotating it: "
            "Port does not return it and no stack instance in this account and region holds a "
            "copy. Export PORT_WEBHOOK_SECRET with the value from an instance's secret (aws "
            "secretsmanager get-secret-value --secret-id <its WebhookSecretArn output>), or "
            "pass --rotate-webhook-secret (Port then drops events until every instance is updated)")
    return SecretChoice(new_secret(), False, "new" if port_webhook is None else "new (none stored)")


def new_secret() -> str:
    return secrets.token_urlsafe(32)
