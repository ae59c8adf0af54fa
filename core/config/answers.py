"""Read and write answers files (`--answers file.yml`): the settings of an install as YAML.

Unknown keys are reported with their line; `${VAR}` references are expanded from the
environment; secrets are refused unless given as a `${VAR}` reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from core.config.credentials import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE, WEBHOOK_SECRET_VARIABLE
from core.config.settings import SETTING_NAMES, InstallSettings
from core.errors import InputError

# answers-file keys that would hold a secret -> the environment variable to use instead
SECRET_KEYS: dict[str, str] = {
    "port_client_id": CLIENT_ID_VARIABLE,
    "port_client_secret": CLIENT_SECRET_VARIABLE,
    "client_id": CLIENT_ID_VARIABLE,
    "client_secret": CLIENT_SECRET_VARIABLE,
    "webhook_secret": WEBHOOK_SECRET_VARIABLE,
}
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE_REFERENCE = re.compile(r"^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$")
# Values saved by the wizard never include these: they are machine-local or per-run.
_NOT_SAVED = {"dry_run", "aws_endpoint_url"}


def load_answers(path: Path, environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (settings values, secret values given as ${VAR} references) from an answers file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read answers file {path}: {error.strerror or error}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise InputError(f"answers file {path} is not valid YAML: {_yaml_reason(error)}") from None
    if root is None:
        return {}, {}
    if not isinstance(root, yaml.MappingNode):
        raise InputError(f"answers file {path} must be a mapping of keys to values (key: value)")

    problems: list[str] = []
    values: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = str(key_node.value).strip().replace("-", "_")
        raw = yaml.safe_load(yaml.serialize(value_node))
        if key in SECRET_KEYS:
            if isinstance(raw, str) and _WHOLE_REFERENCE.match(raw):
                secrets[key] = _expand(raw, environ, path, line, problems)
            else:
                problems.append(
                    f"{path}:{line}: {key_node.value!r} holds a secret in the clear; remove it and "
                    f"set the environment variable {SECRET_KEYS[key]} instead "
                    f"(or write {key_node.value}: ${{{SECRET_KEYS[key]}}})"
                )
            continue
        if key not in SETTING_NAMES:
            problems.append(
                f"{path}:{line}: unknown key {key_node.value!r}; known keys are "
                + ", ".join(SETTING_NAMES)
            )
            continue
        values[key] = _expand_tree(raw, environ, path, line, problems)
    if problems:
        raise InputError(problems)
    return values, secrets


def dump_answers(settings: InstallSettings) -> str:
    """YAML for `--answers` holding every setting except secrets and machine-local ones."""
    data: dict[str, Any] = {}
    for name in SETTING_NAMES:
        if name in _NOT_SAVED:
            continue
        value = getattr(settings, name)
        if value is None:
            continue
        data[name] = list(value) if isinstance(value, tuple) else value
    header = (
        "# port-aws-wizard answers: run `port-aws-wizard --answers THIS_FILE`.\n"
        "# Port credentials are not saved: export PORT_CLIENT_ID and PORT_CLIENT_SECRET.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False)


def _expand_tree(value: Any, environ: Mapping[str, str], path: Path, line: int,
                 problems: list[str]) -> Any:
    if isinstance(value, str):
        return _expand(value, environ, path, line, problems)
    if isinstance(value, list):
        return [_expand_tree(item, environ, path, line, problems) for item in value]
    return value


def _expand(text: str, environ: Mapping[str, str], path: Path, line: int,
            problems: list[str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            problems.append(f"{path}:{line}: ${{{name}}} is not set in the environment")
            return ""
        return environ[name]

    return _REFERENCE.sub(substitute, text)


def _yaml_reason(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}: {problem}" if mark else problem
