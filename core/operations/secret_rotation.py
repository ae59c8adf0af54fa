"""What the install says when it rotates the webhook secret: the window Port may drop events.

Port checks the new secret from the moment its webhook is updated; the forwarder signs with
the old one until the stack update gives it the new secret (new containers start because
the function's PORT_WEBHOOK_VERSION changes). Events forwarded in between are dropped by
Port, which answers 202 either way: the install names the window, and `sync` repairs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from core.progress import Notice, Reporter


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S UTC")


class RotationWindow:
    """Reports the start of the window (Port updated) and its end (the stack updated)."""

    def __init__(self, report: Reporter, now: Callable[[], float] = time.time) -> None:
        self.report, self.now = report, now
        self.started: float | None = None

    def opened(self, until: str) -> None:
        """Port has the new secret now; `until` says what ends the window."""
        self.started = self.now()
        self.report(Notice(
            f"webhook secret rotated in Port at {_clock(self.started)}: until {until}, Port drops "
            "the events the forwarder still signs with the old secret (it answers 202 either way)",
            "warning"))

    def closed(self) -> None:
        """The stack signs with the new secret: say how long the window was."""
        if self.started is None:
            return
        ended = self.now()
        self.report(Notice(
            f"the forwarder signs with the new secret since {_clock(ended)}: events forwarded "
            f"between {_clock(self.started)} and {_clock(ended)} ({ended - self.started:.0f} s) may "
            "have been dropped by Port; `port-aws-wizard sync` brings the catalog up to date",
            "warning"))
        self.started = None
