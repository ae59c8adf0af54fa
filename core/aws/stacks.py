"""Reading CloudFormation stacks as AWS and moto answer: one place for the quirks.

Used by the deployer (plan/update), the StackSet deployer, status checks and uninstall.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from core.aws.stack_parameters import SECRET_PARAMETERS

HIDDEN_VALUE = "****"  # how DescribeStacks shows NoEcho parameters


def describe_stack(cloudformation: Any, stack: str) -> dict[str, Any] | None:
    """The stack (by name or id), or None when it does not exist or was deleted."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    return stacks[0]


def parse_list_parameter(value: str) -> tuple[str, ...]:
    """A CommaDelimitedList parameter as DescribeStacks shows it: `a,b` (AWS) or
    `['a', 'b']` (moto shows the Python repr)."""
    text = (value or "").strip()
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            items = text.strip("[]").replace("'", "").split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())
    return tuple(item.strip() for item in text.split(",") if item.strip())


def same_template(current: str | Mapping[str, Any], wanted: str) -> bool:
    """GetTemplate returns a JSON template parsed (botocore decodes it), YAML as text."""
    if isinstance(current, Mapping):
        try:
            return dict(current) == json.loads(wanted)
        except ValueError:
            return False
    return current.strip() == wanted.strip()


def compare_parameters(
    current: list[Mapping[str, Any]], wanted: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(what changed, NoEcho parameters whose current value is hidden). Secrets never shown."""
    values = {item["ParameterKey"]: item.get("ParameterValue", "") for item in current}
    changed, hidden = [], []
    for key, value in wanted.items():
        if key not in values:
            changed.append(f"{key}: new")
        elif values[key] == HIDDEN_VALUE:
            hidden.append(key)
        elif _comparable(values[key]) != value:
            if key in SECRET_PARAMETERS:
                changed.append(f"{key}: changed")
            else:
                changed.append(f"{key}: {_comparable(values[key])!r} -> {value!r}")
    return changed, hidden


def _comparable(value: str) -> str:
    """moto shows a CommaDelimitedList as a Python list repr; compare it as AWS shows it."""
    return ",".join(parse_list_parameter(value)) if value.startswith("[") else value
