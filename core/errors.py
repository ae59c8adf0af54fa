"""Errors the installer reports to users. Each message says what is wrong and how to fix it."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code the console uses, in one place (scripts and CI depend on them)."""

    OK = 0
    FAILED = 1  # something went wrong midway (Port, AWS, a check); a re-run finishes
    BAD_INPUT = 2  # flags, answers file, environment: refused before anything was touched
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class WizardError(Exception):
    """Base class: an error with a message fit to show a user, and the exit code to use."""

    exit_code = ExitCode.FAILED


class InputError(WizardError):
    """Bad input (flags, answers file, environment): nothing was touched."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [_clipped(problem) for problem in ([problems] if isinstance(problems, str)
                                                             else problems)]
        super().__init__("\n".join(self.problems))


MAX_PROBLEM_CHARS = 1000


def _clipped(problem: str) -> str:
    """A problem that quotes a huge value (a 1 MiB name) keeps its start and its fix (the end)."""
    if len(problem) <= MAX_PROBLEM_CHARS:
        return problem
    cut = len(problem) - 700
    return f"{problem[:300]}...({cut} characters left out)...{problem[-400:]}"


class PortApiError(WizardError):
    """Port answered with an error, or could not be reached after retries."""

    def __init__(self, message: str, status: int | None = None, error: str = "") -> None:
        self.status = status
        self.error = error
        super().__init__(message)


class PortAuthError(PortApiError):
    """Port rejected the client id/secret."""


class PortUnreachableError(PortApiError):
    """No answer from Port at all: `kind` is refused, dns, tls-certificate, tls, timeout or network."""

    def __init__(self, message: str, kind: str) -> None:
        self.kind = kind
        super().__init__(message)


class StackDeployError(WizardError):
    """The CloudFormation stack did not reach a *_COMPLETE state."""

    def __init__(self, message: str, status: str = "", first_failure: str = "") -> None:
        self.status = status
        self.first_failure = first_failure
        super().__init__(message)


class AwsAccessError(WizardError):
    """AWS credentials are missing/invalid or lack a permission the install needs."""
