"""The template's copy of the Lambda code: the repo's code without docstrings and comments.

CloudFormation takes at most 51,200 bytes of TemplateBody, and the inline code is most of
it. The repo keeps the readable code (forwarder.py, describers.py beside this module); the
template gets the same statements, line for line as written, minus docstrings, comments and blank
lines, indented by two spaces a level instead of four. `same_code` proves the two are one
program (tests/test_template.py).
"""

from __future__ import annotations

import ast
import io
import tokenize

_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
INDENT = 2  # spaces per block level in the template's copy


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if isinstance(node, _SCOPES) and body and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0]
    return None


def stripped(source: str) -> str:
    """The source without docstrings, comments and blank lines; otherwise unchanged.

    A docstring that is a body's only statement becomes `pass` (the body must not be empty).
    Docstrings must sit on lines of their own, as ours do.
    """
    dropped: dict[int, str] = {}  # line number -> replacement ("" = drop the line)
    for node in ast.walk(ast.parse(source)):
        doc = _docstring(node)
        if doc is None:
            continue
        for number in range(doc.lineno, (doc.end_lineno or doc.lineno) + 1):
            dropped[number] = ""
        if len(node.body) == 1:  # type: ignore[attr-defined]
            dropped[doc.lineno] = " " * doc.col_offset + "pass"
    comments = {token.start[0]: token.start[1]
                for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT}
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in dropped:
            line = dropped[number]
        elif number in comments:
            line = line[:comments[number]]
        if line.strip():
            lines.append(line.rstrip())
    return reindented("\n".join(lines) + "\n", INDENT)


def reindented(source: str, unit: int) -> str:
    """The source with `unit` spaces per block level. A statement's continuation lines move
    by as much as its first line, so their alignment holds; lines inside a multi-line
    string are left alone."""
    shift: dict[int, int] = {}  # line number -> spaces to remove
    inside_strings: set[int] = set()
    depth, first, delta = 0, 0, 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.INDENT:
            depth += 1
        elif token.type == tokenize.DEDENT:
            depth -= 1
        elif token.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
            continue
        elif token.type == tokenize.NEWLINE:
            for number in range(first, token.end[0] + 1):
                shift[number] = delta
            first = 0
        else:
            if not first:
                first, delta = token.start[0], token.start[1] - depth * unit
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside_strings.update(range(token.start[0] + 1, token.end[0] + 1))
    lines = source.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        if number in shift and number not in inside_strings:
            lead = len(line) - len(line.lstrip(" "))
            lines[number - 1] = line[min(shift[number], lead):]
    return "".join(lines)


def without_docstrings(source: str) -> str:
    """ast.dump of the source with its docstrings removed (comments never reach the AST)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if _docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree)


def same_code(readable: str, generated: str) -> bool:
    """True when `generated` is `readable` up to docstrings, comments and layout."""
    return without_docstrings(readable) == ast.dump(ast.parse(generated))
