"""The settings flags every command shares (`--aws-region`, `--stack-name`, ...), defined once.

The install, `status`/`logs`/`redrive`/`uninstall`, `troubleshoot` and `sync` all find or
describe an install with the same names; argparse dests equal the settings field names.
Importing this module imports neither Textual nor boto3 (`--help` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any

from core.config.event_sources import DEFAULT_EVENT_SOURCES

_FLAG_HELP: dict[str, tuple[str, str]] = {
    "port_base_url": ("--port-base-url", "Port API base URL (default: https://api.getport.io)"),
    "aws_region": ("--aws-region", "AWS region (default: us-east-1)"),
    "aws_profile": ("--aws-profile", "AWS profile from your AWS config"),
    "integration_id": ("--integration-id", "integration identifier in Port (default: aws-serverless)"),
    "stack_name": ("--stack-name", "CloudFormation stack name (default: port-aws-serverless)"),
    "queue_name": ("--queue-name", "SQS queue name (default: port-aws-events-queue)"),
    "lambda_function_name": ("--lambda-function-name",
                             "Lambda function name (default: port-aws-event-processor)"),
    "webhook": ("--webhook", "webhook identifier, full ingest URL, or partial URL (default: aws_ingest)"),
    "event_sources": ("--event-sources",
                      "comma-separated AWS event sources (default: " + ",".join(DEFAULT_EVENT_SOURCES) + ")"),
}
SETTINGS_FLAGS: tuple[str, ...] = tuple(_FLAG_HELP)


def add_settings_flags(parser: argparse.ArgumentParser | Any, *, answers_help: str = "YAML answers file",
                       names: tuple[str, ...] = SETTINGS_FLAGS, overrides: dict[str, str] | None = None
                       ) -> None:
    """Add `--answers` and the named settings flags (to a parser or an argument group)."""
    parser.add_argument("--answers", metavar="FILE", help=answers_help)
    for name in names:
        flag, help_text = _FLAG_HELP[name]
        parser.add_argument(flag, help=(overrides or {}).get(name, help_text))


def settings_flags(args: argparse.Namespace, names: tuple[str, ...] = SETTINGS_FLAGS) -> dict[str, Any]:
    """The settings values given on the command line (None where a flag was not given)."""
    return {name: getattr(args, name, None) for name in names}
