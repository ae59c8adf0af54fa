"""How long-running AWS work is waited for: one value object instead of four copies of
poll interval, timeout, sleep and clock (tests inject a fake clock and sleep; the wizard
injects a sleep that raises to cancel)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Polling:
    interval: float = 2.0  # seconds between polls
    timeout: float = 3600.0  # seconds before giving up (the work itself goes on in AWS)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def deadline(self) -> float:
        """The clock reading at which to give up, counted from now."""
        return self.clock() + self.timeout

    def expired(self, deadline: float) -> bool:
        return self.clock() >= deadline

    def wait(self) -> None:
        """Sleep one interval (a cancelling sleep raises here)."""
        self.sleep(self.interval)

    @property
    def minutes(self) -> int:
        """The timeout in whole minutes, for messages."""
        return round(self.timeout / 60)

    def replace(self, **changes: object) -> Polling:
        return dataclasses.replace(self, **changes)
