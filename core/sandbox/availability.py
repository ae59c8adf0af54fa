"""Whether this install can run the sandbox: moto is an optional extra, not a dependency.

A plain `pip install port-aws-wizard` leaves moto (and its server's ~50 packages) out;
`pip install 'port-aws-wizard[sandbox]'` brings the one moto version the sandbox's
extensions (core/sandbox/moto_fidelity.py) were checked against. This module reads
installed package metadata only, so asking costs no moto import.
"""

from __future__ import annotations

from importlib import metadata

from core.errors import InputError

PINNED_MOTO_VERSION = "5.2.5"
SANDBOX_EXTRA = "pip install 'port-aws-wizard[sandbox]'"


class SandboxUnavailable(InputError):
    """moto is missing, or is a version the sandbox does not support (exit 2)."""


def sandbox_problem() -> str | None:
    """Why the sandbox cannot run here (one line with the fix), or None when it can."""
    try:
        installed = metadata.version("moto")
    except metadata.PackageNotFoundError:
        return f"the sandbox needs moto, which a plain install leaves out: {SANDBOX_EXTRA}"
    if installed != PINNED_MOTO_VERSION:
        return (f"the sandbox supports moto {PINNED_MOTO_VERSION} only, but moto {installed} is "
                f"installed: {SANDBOX_EXTRA} (it pins moto[server]=={PINNED_MOTO_VERSION})")
    for server_part in ("flask", "flask-cors"):  # moto[server]: ThreadedMotoServer needs them
        try:
            metadata.version(server_part)
        except metadata.PackageNotFoundError:
            return (f"the sandbox needs moto's server ({server_part} is missing): {SANDBOX_EXTRA}")
    return None


def require_sandbox() -> None:
    """Raise SandboxUnavailable (exit 2, one line) unless the sandbox can run."""
    problem = sandbox_problem()
    if problem is not None:
        raise SandboxUnavailable(problem)
