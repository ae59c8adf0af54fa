"""Progress of long work (sync; resync can use the same): a bar on a terminal, lines elsewhere.

A terminal gets a rich progress bar that clears itself when the work ends. A CI log or a
pipe gets one plain line at the start, then at most one every PROGRESS_INTERVAL_SECONDS
and one at the end, so a long run shows it is alive without a line per batch. `--quiet`
gets nothing. Callers see one small interface: `update(done, total, detail)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from wizard.cli.output import Output

PROGRESS_INTERVAL_SECONDS = 5.0


class Progress(Protocol):
    def update(self, done: int, total: int, detail: str = "") -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def update(self, done: int, total: int, detail: str = "") -> None:
        pass

    def close(self) -> None:
        pass


class PeriodicLines:
    """`sync: 3/14 (21%) 120 sent, aws.ec2 us-east-1`: the first, then one per interval, and the last."""

    def __init__(self, output: Output, label: str, interval: float = PROGRESS_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.output, self.label, self.interval, self.clock = output, label, interval, clock
        self._last_time: float | None = None
        self._last_shown: tuple[int, int] | None = None

    def update(self, done: int, total: int, detail: str = "") -> None:
        now = self.clock()
        due = self._last_time is None or now - self._last_time >= self.interval or done >= total > 0
        if not due or (done, total) == self._last_shown:
            return
        self._last_time, self._last_shown = now, (done, total)
        share = f" ({done * 100 // total}%)" if total else ""
        self.output.progress(f"{self.label}: {done}/{total}{share}" + (f" {detail}" if detail else ""))

    def close(self) -> None:
        pass


class RichBar:
    """A transient rich progress bar on the progress stream."""

    def __init__(self, output: Output, label: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn(label, style="bold"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), TextColumn("{task.fields[detail]}"),
                             console=output.console(output.progress_stream), transient=True)
        self._task: Any = self._bar.add_task(label, total=None, detail="")
        self._bar.start()

    def update(self, done: int, total: int, detail: str = "") -> None:
        self._bar.update(self._task, completed=done, total=total or None, detail=detail)

    def close(self) -> None:
        self._bar.stop()


def progress_for(output: Output, label: str) -> Progress:
    """The display that fits the output: none (--quiet), a bar (terminal) or periodic lines."""
    if output.quiet:
        return NoProgress()
    if output.is_rich(output.progress_stream):
        return RichBar(output, label)
    return PeriodicLines(output, label)
