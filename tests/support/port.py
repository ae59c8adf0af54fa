"""Pytest plugin: the Port API emulator with per-run credentials, and a client logged in to it.

Fixtures:
- ``port_emulator``: a fresh emulator on a free loopback port (its state is per test).
- ``port_env``: the environment for an install against it (PORT_CLIENT_ID, ...).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from core.config.credentials import PortCredentials
from core.emulator import PortEmulator
from core.port.client import PortClient

EMULATOR_CLIENT_ID = "test-client-id"
EMULATOR_CLIENT_SECRET = secrets.token_urlsafe(24)  # made per run: no credential in the source
# Credentials present, Port where nothing listens: for input that must be refused before any call.
UNREACHABLE_PORT_ENV = {"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": secrets.token_urlsafe(16),
                        "PORT_BASE_URL": "http://127.0.0.1:9"}


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


class PortClientFor:
    """A PortClient logged in to the emulator (for arranging a broken install)."""

    def __init__(self, emulator: PortEmulator) -> None:
        self._client = PortClient(emulator.base_url,
                                  PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET))

    def __enter__(self) -> Any:
        return self._client

    def __exit__(self, *_exc: object) -> None:
        self._client.close()
