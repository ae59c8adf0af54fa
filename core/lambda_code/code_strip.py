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
INDENT = 1  # space per block level in the template's copy (Python takes any consistent unit)


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
    return without_signature_annotations(joined(reindented("\n".join(lines) + "\n", INDENT)))


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


def joined(source: str) -> str:
    """The source with each statement on one line: a bracketed or backslash-continued
    statement's lines are joined (their indentation is bytes the template pays for)."""
    out: list[str] = []
    continued: set[int] = set()  # physical lines that continue the statement above
    inside_strings: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NL and token.line.strip():
            continued.add(token.end[0] + 1)
        if token.type == tokenize.STRING and token.end[0] > token.start[0]:
            inside_strings.update(range(token.start[0] + 1, token.end[0] + 1))
    for number, line in enumerate(source.splitlines(), start=1):
        backslash = out and out[-1].endswith("\\") and number not in inside_strings
        if out and (number in continued or backslash) and number not in inside_strings:
            head = out[-1][:-1].rstrip() if backslash else out[-1]
            glue = "" if head.endswith(("(", "[", "{")) or line.lstrip().startswith((")", "]", "}")) else " "
            out[-1] = head + glue + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def without_signature_annotations(source: str) -> str:
    """The source without the annotations of function parameters and returns: they do nothing
    at run time here (``from __future__ import annotations``). Class fields keep theirs
    (dataclasses read them). Each def must be on one line (`joined` sees to that)."""
    cuts: dict[int, list[tuple[int, int]]] = {}  # line number -> (start, end) columns to cut
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                    *filter(None, (arguments.vararg, arguments.kwarg))]:
            if arg.annotation is not None:
                cuts.setdefault(arg.lineno, []).append(
                    (arg.col_offset + len(arg.arg), arg.annotation.end_col_offset or 0))
        returns = getattr(node, "returns", None)
        if returns is not None:
            line = source.splitlines()[returns.lineno - 1]
            arrow = line.rindex("->", 0, returns.col_offset)
            start = len(line[:arrow].rstrip())
            cuts.setdefault(returns.lineno, []).append((start, returns.end_col_offset or 0))
    lines = source.splitlines()
    for number, spans in cuts.items():
        line = lines[number - 1]
        for start, end in sorted(spans, reverse=True):
            rest = line[end:]
            line = line[:start] + ("=" + rest[3:] if rest.startswith(" = ") else rest)
        lines[number - 1] = line
    return "\n".join(lines) + "\n"


class _NoSignatureAnnotations(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def _function(self, node: ast.AST) -> ast.AST:
        node.returns = None  # type: ignore[attr-defined]
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function


def without_docstrings(source: str) -> str:
    """ast.dump of the source with its docstrings removed (comments never reach the AST)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if _docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(_NoSignatureAnnotations().visit(tree))


def same_code(readable: str, generated: str) -> bool:
    """True when `generated` is `readable` up to docstrings, comments, layout and signature annotations."""
    return without_docstrings(readable) == ast.dump(_NoSignatureAnnotations().visit(ast.parse(generated)))
