"""One check of `status`: what it looked at, whether it passed, the figure it saw, and the fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.aws.clients import AWS_ERRORS, explain_aws_error
from core.errors import PortApiError


@dataclass(frozen=True)
class CheckResult:
    """One line of `status`: what was checked, whether it passed, the figure seen, the fix."""

    name: str
    ok: bool
    figure: str
    detail: str = ""
    fix: str = ""
    skipped: bool = False  # not checked (e.g. no Port credentials): neither passed nor failed
    data: dict[str, Any] = field(default_factory=dict)  # figures for --json (e.g. the last resync)

    @property
    def label(self) -> str:
        return "skip" if self.skipped else "ok" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        if not found["data"]:
            del found["data"]
        return found


def skipped(name: str, reason: str) -> CheckResult:
    return CheckResult(name, True, f"skipped: {reason}", skipped=True)


def guarded(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    """A check that raised is a failed check saying why, not a crash."""
    try:
        return check()
    except AWS_ERRORS as error:
        return CheckResult(name, False, "error", str(explain_aws_error(error, f"check {name}")))
    except PortApiError as error:
        return CheckResult(name, False, "error", str(error))
