"""The settings flags every command shares (`--aws-region`, `--stack-name`, ...), defined once.

The install, `status`/`logs`/`redrive`/`uninstall`, `troubleshoot` and `sync` all find or
describe an install with the same names; argparse dests equal the settings field names.
Importing this module imports neither Textual nor boto3 (`--help` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any

from core.config.settings import InstallSettings

_DEFAULTS = InstallSettings()  # the help shows the settings model's own defaults
_FLAG_HELP: dict[str, tuple[str, str]] = {
    "port_base_url": ("--port-base-url", "Port API base URL"),
    "aws_region": ("--aws-region", "AWS region"),
    "aws_profile": ("--aws-profile", "AWS profile from your AWS config"),
    "integration_id": ("--integration-id", "integration identifier in Port"),
    "stack_name": ("--stack-name", "CloudFormation stack name"),
    "queue_name": ("--queue-name", "SQS queue name"),
    "lambda_function_name": ("--lambda-function-name", "Lambda function name"),
    "webhook": ("--webhook", "webhook identifier, full ingest URL, or partial URL"),
    "event_sources": ("--event-sources", "comma-separated AWS event sources"),
}
SETTINGS_FLAGS: tuple[str, ...] = tuple(_FLAG_HELP)
# The AWS CLI's names, accepted too (exact only: parsers never take abbreviations).
ALIASES: dict[str, tuple[str, ...]] = {"aws_region": ("--region",), "aws_profile": ("--profile",)}

_STACKSET_HELP: dict[str, tuple[str, dict[str, Any]]] = {
    "stackset": ("--stackset", {"action": "store_true", "default": None, "help":
                 "deploy with a CloudFormation StackSet named --stack-name, from --aws-region"}),
    "accounts": ("--accounts", {"help": "comma-separated 12-digit target account ids (self-managed)"}),
    "organizational_units": ("--organizational-units", {
        "help": "comma-separated target OU ids, ou-xxxx-yyyyyyyy (service-managed)"}),
    "regions": ("--regions", {"help": "comma-separated target regions, e.g. us-east-1,eu-west-1"}),
    "permission_model": ("--permission-model", {
        "help": "SELF_MANAGED (default with --accounts) or SERVICE_MANAGED (default with "
                "--organizational-units)"}),
    "failure_tolerance": ("--failure-tolerance", {
        "metavar": "N|N%", "help": "accounts per region that may fail before a region stops (default: 0)"}),
    "max_concurrency": ("--max-concurrency", {
        "metavar": "N|N%", "help": "accounts deployed at the same time (default: 1)"}),
    "administration_role_arn": ("--administration-role-arn", {
        "help": "self-managed administration role (default: "
                "AWSCloudFormationStackSetAdministrationRole in this account)"}),
    "execution_role_name": ("--execution-role-name", {
        "help": "self-managed execution role in each target account (default: "
                "AWSCloudFormationStackSetExecutionRole)"}),
}
STACKSET_FLAGS: tuple[str, ...] = tuple(_STACKSET_HELP)


def add_settings_flags(parser: argparse.ArgumentParser | Any, *, answers_help: str = "YAML answers file",
                       names: tuple[str, ...] = SETTINGS_FLAGS, overrides: dict[str, str] | None = None
                       ) -> None:
    """Add `--answers` and the named settings flags (to a parser or an argument group)."""
    parser.add_argument("--answers", metavar="FILE", help=answers_help)
    for name in names:
        flag, help_text = _FLAG_HELP[name]
        parser.add_argument(flag, *ALIASES.get(name, ()), dest=name,
                            help=(overrides or {}).get(name, help_text + _default_text(name)))


def _default_text(name: str) -> str:
    default = getattr(_DEFAULTS, name)
    if not default:
        return ""
    return f" (default: {','.join(default) if isinstance(default, tuple) else default})"


def add_stackset_flags(parser: argparse.ArgumentParser, *, names: tuple[str, ...] = STACKSET_FLAGS,
                       title: str = "StackSet install (one stack per account and region, Port set up once)",
                       overrides: dict[str, str] | None = None) -> None:
    """Add the StackSet flags in their own group: the install and every command that finds it
    take the same ones (and the same answers-file keys), so only the verb changes."""
    group = parser.add_argument_group(title)
    for name in names:
        flag, options = _STACKSET_HELP[name]
        group.add_argument(flag, **{**options, "help": (overrides or {}).get(name, options["help"])})


def settings_flags(args: argparse.Namespace, names: tuple[str, ...] = SETTINGS_FLAGS) -> dict[str, Any]:
    """The settings values given on the command line (None where a flag was not given)."""
    return {name: getattr(args, name, None) for name in names}
