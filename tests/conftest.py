"""Registers the shared fixtures: the plugins in tests/support/ (moto's server for AWS, the Port
API emulator, a real install, the StackSet roles). Helpers are imported from tests/support/."""

from __future__ import annotations

import os
import tempfile

import pytest

# moto's request recorder (used to prove --dry-run changes nothing) reads this at import time.
os.environ.setdefault("MOTO_RECORDER_FILEPATH", os.path.join(tempfile.mkdtemp(), "moto_recording"))

# Plain asserts in the helpers report their values as they did in the test modules.
pytest.register_assert_rewrite("tests.support")

pytest_plugins = [
    "tests.support.moto_server",
    "tests.support.port",
    "tests.support.installed",
    "tests.support.stackset",
    "tests.support.sync_world",
]
