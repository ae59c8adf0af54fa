"""Keep the template's inline Lambda code in step with forwarder.py + the modules appended to it.

    python -m core.lambda_code --check   # exit 1 when the template's ZipFile differs
    python -m core.lambda_code --write   # write the code into the template

The Lambda gets one file (index.py): forwarder.py with describers.py, ingest_batches.py and
resync.py appended (their docstrings and __future__ imports dropped), so the Lambda, `sync`
and the resync run the one describers and batching code. The template's copy has no
docstrings, comments or blank lines (code_strip.py): the same statements in fewer bytes, so
the template stays within CloudFormation's 51,200-byte TemplateBody limit with room to grow
(TEMPLATE_BYTE_BUDGET).

Also loads the YAML template with CloudFormation's short tags (!Ref, !GetAtt, ...) for tests
and tools that inspect it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from core.lambda_code.code_strip import stripped
from core.resources import template_path

FORWARDER_PATH = Path(__file__).resolve().parent / "forwarder.py"
DESCRIBERS_PATH = Path(__file__).resolve().parent / "describers.py"
APPENDED_PATHS = (DESCRIBERS_PATH, DESCRIBERS_PATH.with_name("ingest_batches.py"),
                  DESCRIBERS_PATH.with_name("resync.py"))
_ZIPFILE_KEY = "ZipFile: |"
_APPENDED = "\n\n# ---- core/lambda_code/{} (appended by core.lambda_code.inlining) ----\n"
TEMPLATE_BYTE_BUDGET = 48_000  # every option on; CloudFormation's limit is 51,200


def _module_body(source: str) -> str:
    """The module's code without its docstring and `from __future__` import."""
    first = ast.parse(source).body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    lines = source.splitlines(keepends=True)[first.end_lineno if docstring else 0:]
    body = [line for line in lines if line.strip() != "from __future__ import annotations"]
    return "".join(body).strip("\n") + "\n"


def readable_code() -> str:
    """The Lambda's code as the repo keeps it: forwarder.py, then APPENDED_PATHS in order."""
    code = FORWARDER_PATH.read_text(encoding="utf-8").rstrip("\n") + "\n"
    for path in APPENDED_PATHS:
        code += _APPENDED.format(path.name) + _module_body(path.read_text(encoding="utf-8"))
    return code


def forwarder_code() -> str:
    """The template's inline code: readable_code() without docstrings and comments."""
    return stripped(readable_code())


def with_inline_code(template_text: str, code: str) -> str:
    """The template text with the `ZipFile: |` block replaced by `code`."""
    lines = template_text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == _ZIPFILE_KEY]
    if len(starts) != 1:
        raise ValueError(f"expected one '{_ZIPFILE_KEY}' line in the template, found {len(starts)}")
    start = starts[0]
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block belong to the layout, not the code
    pad = " " * (indent + 2)
    block = [pad + line if line.strip() else "\n" for line in code.splitlines(keepends=True)]
    return "".join(lines[: start + 1] + block + lines[end:])


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads !Ref / !GetAtt / !Sub ... as their long JSON forms."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_tag)


def load_template(text: str | None = None) -> dict[str, Any]:
    """The template as a dict (short tags expanded); reads the shipped template by default."""
    if text is None:
        text = template_path().read_text(encoding="utf-8")
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
