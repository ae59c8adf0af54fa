"""Shared fixtures: moto's server for AWS (tests/aws_fixtures.py) and the Port API emulator."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# moto's request recorder (used to prove --dry-run changes nothing) reads this at import time.
os.environ.setdefault("MOTO_RECORDER_FILEPATH", os.path.join(tempfile.mkdtemp(), "moto_recording"))

from core.emulator import PortEmulator

pytest_plugins = ["tests.aws_fixtures"]

EMULATOR_CLIENT_ID = "test-client-id"
EMULATOR_CLIENT_SECRET = "test-client-secret-value"


@pytest.fixture
def port_emulator() -> Iterator[PortEmulator]:
    """A fresh Port API emulator on a free loopback port (its state is per test)."""
    with PortEmulator(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET) as emulator:
        yield emulator


@pytest.fixture
def port_env(port_emulator: PortEmulator) -> dict[str, str]:
    """Environment for an install against the emulator."""
    return {
        "PORT_CLIENT_ID": EMULATOR_CLIENT_ID,
        "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
        "PORT_BASE_URL": port_emulator.base_url,
    }
