"""Set variables in this process's environment and put back what was there.

The sandbox process plays AWS's roles itself (its SDK calls go to moto, the forwarder reads
the template's Environment.Variables), so it sets them in os.environ and restores on stop.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


class ProcessEnvironment:
    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def unset(self, names: Iterable[str]) -> None:
        for name in names:
            self._saved.setdefault(name, os.environ.get(name))
            os.environ.pop(name, None)

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
