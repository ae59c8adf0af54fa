"""What the console's lines say and how they look, kept apart: a line is a list of segments.

A segment is (text, style name). Plain output joins the texts, so CI logs and tests read the
same words as ever; a terminal gets the styles from THEME through `rich`, and "mark" segments
become glyphs (`[ok]` -> a green check). Style names are ours; only output.py imports rich.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Segment = tuple[str, str]  # (text, style name; "" for none)
Line = Sequence[Segment]

THEME: dict[str, str] = {
    "ok": "green",
    "fail": "bold red",
    "warn": "yellow",
    "skip": "dim",
    "dim": "dim",
    "bold": "bold",
    "heading": "bold",
    "name": "cyan",
    "create": "green",
    "update": "yellow",
    "replace": "magenta",
    "delete": "red",
    "no change": "dim",
    "keep": "dim",
    "progress": "yellow",
}

# Plain text of a status mark -> (glyph, style) on a terminal.
MARKS: dict[str, tuple[str, str]] = {
    "[ok]": ("✓", "ok"),
    "[failed]": ("✗", "fail"),
    "ok": ("✓", "ok"),
    "FAIL": ("✗", "fail"),
    "skip": ("–", "skip"),
    "error:": ("error:", "fail"),  # the word stays: scripts and people search for it
    "warning:": ("warning:", "warn"),
}


def mark(plain: str, width: int = 0) -> Segment:
    """A status mark: `plain` in plain output, its glyph on a terminal; `width` pads both (a column)."""
    return (plain.ljust(width), "mark-column") if width else (plain, "mark")


def plain_text(line: Line) -> str:
    return "".join(text for text, _style in line)


def change_style(change: str) -> str:
    """create / update / delete / replace / no change: its colour."""
    return str(change) if str(change) in THEME else ""


def stack_status_style(status: str) -> str:
    """CloudFormation status colours: failures and rollbacks red, done green, under way yellow."""
    if "FAILED" in status or "ROLLBACK" in status:
        return "fail"
    if status.endswith("_COMPLETE") or status in ("SUCCEEDED", "CURRENT"):
        return "ok"
    if status.endswith("_IN_PROGRESS") or status in ("RUNNING", "QUEUED", "PENDING"):
        return "progress"
    return ""


def join(*parts: Iterable[Segment] | Segment | str) -> list[Segment]:
    """Segments from strings (unstyled), segments and lists of segments."""
    line: list[Segment] = []
    for part in parts:
        if isinstance(part, str):
            line.append((part, ""))
        elif isinstance(part, tuple):
            line.append(part)
        else:
            line.extend(part)
    return line
