"""Port API emulator: Port's public API contract over real HTTP on 127.0.0.1, for tests
and the sandbox. See ``docs/contracts.md`` and :class:`PortEmulator`."""

from core.emulator.ingest import IngestRecord
from core.emulator.server import PortEmulator, RequestRecord
from core.emulator.store import Change

__all__ = ["Change", "IngestRecord", "PortEmulator", "RequestRecord"]
