"""Where and how a command writes: one object per run, built from the console options.

- The result goes to stdout: human lines, or with `--json` one JSON document (and nothing else).
- Progress goes to stdout, or to stderr with `--json`; `--quiet` drops it.
- Warnings and errors go to stderr, always; with `--json` an error is also the document
  `{"ok": false, "exit_code": N, "error": {"type", "message", "problems"}}` on stdout.
- A stream gets colour and layout (rich) when it is a terminal, or FORCE_COLOR is set, and
  TERM is not `dumb`; NO_COLOR keeps the layout and drops the colours. Anything else (CI,
  pipes, files) gets plain lines, the same words. rich is imported only when a terminal
  needs it, so `--help` and plain runs never load it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from core.errors import ExitCode, InputError, WizardError
from wizard.cli.style import MARKS, THEME, Line, join, plain_text

if TYPE_CHECKING:
    import argparse

    from rich.console import Console
    from rich.text import Text


def wants_rich(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A terminal (or FORCE_COLOR) that can move the cursor: TERM=dumb gets plain lines."""
    if environ.get("TERM", "") == "dumb":
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def wants_color(environ: Mapping[str, str]) -> bool:
    """https://no-color.org: NO_COLOR set to anything but the empty string turns colour off."""
    return not environ.get("NO_COLOR")


class Output:
    """The streams and modes of one command run; see the module docstring for the rules."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None,
                 environ: Mapping[str, str] | None = None, *, json: bool = False, quiet: bool = False,
                 verbose: bool = False) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.environ = os.environ if environ is None else environ
        self.json, self.quiet, self.verbose = json, quiet, verbose
        self._consoles: dict[int, Console] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_args(cls, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None,
                  environ: Mapping[str, str] | None = None) -> Output:
        return cls(out, err, environ, json=bool(getattr(args, "json", False)),
                   quiet=bool(getattr(args, "quiet", False)), verbose=bool(getattr(args, "verbose", False)))

    @property
    def progress_stream(self) -> TextIO:
        return self.err if self.json else self.out

    # -- writing lines --------------------------------------------------------------------
    def is_rich(self, stream: TextIO) -> bool:
        return wants_rich(stream, self.environ)

    def write(self, line: Line | str, stream: TextIO | None = None) -> None:
        """One line (or several, joined by newlines) on `stream` (default stdout), styled on a terminal."""
        stream = stream or self.out
        segments = join(line) if isinstance(line, str) else line
        if self.is_rich(stream):
            self.console(stream).print(rich_text(segments))
        else:
            with self._lock:
                print(plain_text(segments), file=stream, flush=True)

    def progress(self, line: Line | str) -> None:
        """A line about work under way: dropped by --quiet; on stderr with --json."""
        if not self.quiet:
            self.write(line, self.progress_stream)

    def result(self, line: Line | str) -> None:
        """A human line of the result: stdout, or with --json (the document is the result) progress."""
        if self.json:
            self.progress(line)
        else:
            self.write(line, self.out)

    def warning(self, message: str) -> None:
        self.write(join(("warning:", "mark"), f" {message}"), self.err)

    def problem(self, message: str) -> None:
        self.write(join(("error:", "mark"), f" {message}"), self.err)

    # -- results and errors ---------------------------------------------------------------
    def document(self, document: Mapping[str, Any]) -> None:
        """The --json result: one document on stdout."""
        with self._lock:
            self.out.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
            self.out.flush()

    def fail(self, error: WizardError, **extra: Any) -> int:
        """Each problem as an `error:` line on stderr (and the error document with --json); the exit code."""
        for problem in problems_of(error):
            self.problem(problem)
        if self.json:
            self.document(error_document(error, **extra))
        return int(error.exit_code)

    # -- rich -----------------------------------------------------------------------------
    def console(self, stream: TextIO) -> Console:
        """The rich Console for a stream (made once; rich is imported here, never at start-up)."""
        key = id(stream)
        if key not in self._consoles:
            from rich.console import Console

            self._consoles[key] = Console(
                file=stream, force_terminal=True, no_color=not wants_color(self.environ), highlight=False,
                markup=False, emoji=False, soft_wrap=True, _environ=dict(self.environ))
        return self._consoles[key]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Line | str]],
              stream: TextIO | None = None) -> None:
        """Aligned columns: a rich table on a terminal, plain columns under a dashed rule elsewhere."""
        stream = stream or self.out
        if not self.is_rich(stream):
            with self._lock:
                print(plain_table(headers, [[plain_text(_line(cell)) for cell in row] for row in rows]),
                      file=stream, flush=True)
            return
        from rich import box
        from rich.padding import Padding
        from rich.table import Table

        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for header in headers:
            table.add_column(header)
        for row in rows:
            table.add_row(*(rich_text(_line(cell)) for cell in row))
        self.console(stream).print(Padding(table, (0, 0, 0, 2)))


def _line(cell: Line | str) -> Line:
    return join(cell) if isinstance(cell, str) else cell


def rich_text(line: Line) -> Text:
    """Segments as a rich Text: styles from THEME, marks as glyphs."""
    from rich.text import Text

    text = Text()
    for part, style in line:
        if style in ("mark", "mark-column") and part.strip() in MARKS:
            glyph, mark_style = MARKS[part.strip()]
            text.append(glyph.ljust(len(part)) if style == "mark-column" else glyph, THEME[mark_style])
        else:
            text.append(part, THEME.get(style, ""))
    return text


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns, indented two spaces."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip(),
             "  " + "  ".join("-" * w for w in widths)]
    lines += ["  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
              for row in rows]
    return "\n".join(lines)


def problems_of(error: WizardError) -> list[str]:
    """One line per problem: an InputError lists each; a wrapped cause (InstallFailed) speaks for itself."""
    cause = getattr(error, "cause", None)
    error = cause if isinstance(cause, WizardError) else error
    return list(error.problems) if isinstance(error, InputError) else [str(error)]


def failure_document(kind: str, message: str, exit_code: int, problems: list[str] | None = None
                     ) -> dict[str, Any]:
    """The --json shape of every failure, whatever the command: ok false, the exit code, the error."""
    return {"ok": False, "exit_code": int(exit_code),
            "error": {"type": kind, "message": message, "problems": problems or [message]}}


def error_document(error: WizardError, **extra: Any) -> dict[str, Any]:
    """A WizardError as the failure document (the cause's type for a wrapped error)."""
    cause = getattr(error, "cause", None)
    kind = type(cause if isinstance(cause, WizardError) else error).__name__
    return {**failure_document(kind, str(error), error.exit_code, problems_of(error)), **extra}


def print_failure_document(kind: str, message: str, exit_code: int = ExitCode.BAD_INPUT,
                           problems: list[str] | None = None, out: TextIO | None = None) -> None:
    """For failures outside a command run (a refused command line, Ctrl-C): the document on stdout."""
    out = out or sys.stdout
    out.write(json.dumps(failure_document(kind, message, exit_code, problems), indent=2) + "\n")
    out.flush()
