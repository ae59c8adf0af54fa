"""Keep the template's inline Lambda code identical to core/lambda_code/forwarder.py + the modules appended.

    python -m core.lambda_code.inlining --check   # exit 1 when the template's ZipFile differs
    python -m core.lambda_code.inlining --write   # write the code into the template

The Lambda gets one file (index.py): core/lambda_code/forwarder.py with core/lambda_code/describers.py,
core/lambda_code/ingest_batches.py and core/lambda_code/resync.py appended, so the Lambda and `sync` run the one
describers and batching code. Docstrings, comments and blank lines are left out of it
(the template must stay within CloudFormation's 51,200-byte TemplateBody limit).

Also loads the YAML template with CloudFormation's short tags (!Ref, !GetAtt, ...) for tests
and tools that inspect it.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from pathlib import Path
from typing import Any

import yaml

from core.resources import template_path

FORWARDER_PATH = Path(__file__).resolve().parent / "forwarder.py"
DESCRIBERS_PATH = Path(__file__).resolve().parent / "describers.py"
APPENDED_PATHS = (DESCRIBERS_PATH, DESCRIBERS_PATH.with_name("ingest_batches.py"),
                  DESCRIBERS_PATH.with_name("resync.py"))
_ZIPFILE_KEY = "ZipFile: |"
_HEADER = ("# core/lambda_code/forwarder.py with core/lambda_code/describers.py, core/lambda_code/ingest_batches.py and core/lambda_code/resync.py\n"
           "# appended, by core.lambda_code.inlining (docstrings and comments are in those files).\n")
_APPENDED = "# ---- core/{} ----\n"


def _module_body(source: str, keep_future: bool = False) -> str:
    """The module's code without docstrings, comments, blank lines (and `from __future__`).

    The modules are documented where they live; the template keeps their code only, so it
    stays within CloudFormation's 51,200-byte TemplateBody limit.
    """
    drop: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and len(body) > 1 and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            drop.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    comments = {token.start[0]: token.start[1] for token in
                tokenize.generate_tokens(io.StringIO(source).readline) if token.type == tokenize.COMMENT}
    lines = []
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if number in comments:
            line = line[:comments[number]].rstrip() + "\n"
        future = line.strip() == "from __future__ import annotations"
        if number not in drop and line.strip() and (keep_future or not future):
            lines.append(line)
    return "".join(lines)


def forwarder_code() -> str:
    """The Lambda's inline code: core/lambda_code/forwarder.py, then APPENDED_PATHS in order."""
    code = _HEADER + _module_body(FORWARDER_PATH.read_text(encoding="utf-8"), keep_future=True)
    for path in APPENDED_PATHS:
        code += _APPENDED.format(path.name) + _module_body(path.read_text(encoding="utf-8"))
    return code


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.lambda_code.inlining", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when the inline code differs")
    mode.add_argument("--write", action="store_true",
                      help="write core/lambda_code/forwarder.py + the appended modules inline")
    args = parser.parse_args(argv)
    path = template_path()
    current = path.read_text(encoding="utf-8")
    wanted = with_inline_code(current, forwarder_code())
    if args.write:
        if wanted != current:
            path.write_text(wanted, encoding="utf-8")
            print(f"updated {path}")
        return 0
    if wanted != current:
        print(
            f"{path}: inline code differs from {FORWARDER_PATH} + the appended modules; "
            "run python -m core.lambda_code.inlining --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
