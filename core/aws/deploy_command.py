"""The `aws cloudformation deploy` command that --port-only prints for the user to run later."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from core.aws.stack_parameters import PARAMETER_NAMES, SECRET_PARAMETERS

CAPABILITIES = ("CAPABILITY_IAM",)
"""What the template needs acknowledged (it creates an IAM role); the deployer passes the same."""


def secret_variable(parameter: str) -> str:
    """The environment variable that holds a NoEcho parameter: PortWebhookUrl -> PORT_WEBHOOK_URL."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", parameter).upper()


def render_deploy_command(
    stack_name: str, region: str, template_path: str, parameters: Mapping[str, str]
) -> str:
    """A shell command (one argument per line) that deploys the stack with these parameters.

    Secret parameters appear as "$PORT_WEBHOOK_URL"-style references, never as values:
    the user exports them before running the command. Re-running it with nothing to change
    succeeds (--no-fail-on-empty-changeset), as the installer does.
    """
    ordered = [name for name in PARAMETER_NAMES if name in parameters]
    ordered += sorted(name for name in parameters if name not in PARAMETER_NAMES)
    overrides = [
        f'{name}="${secret_variable(name)}"'
        if name in SECRET_PARAMETERS
        else shlex.quote(f"{name}={parameters[name]}")
        for name in ordered
    ]
    lines = [
        "aws cloudformation deploy",
        f"--stack-name {shlex.quote(stack_name)}",
        f"--region {shlex.quote(region)}",
        f"--template-file {shlex.quote(template_path)}",
        f"--capabilities {' '.join(CAPABILITIES)}",
        "--no-fail-on-empty-changeset",
    ]
    if overrides:
        lines.append("--parameter-overrides")
        lines.extend(overrides)
    return " \\\n  ".join(lines)
