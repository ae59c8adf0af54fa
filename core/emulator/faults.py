"""Test switches: injected failures and latency, matched on method and path."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field


@dataclass
class InjectedFailure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _FailNext:
    method: str
    path: re.Pattern[str]
    remaining: int
    failure: InjectedFailure


@dataclass
class _FailRatio:
    ratio: float
    status: int
    rng: random.Random


class Faults:
    """Thread-safe registry of the switches; the server asks it once per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fail_next: list[_FailNext] = []
        self._ratios: dict[str, _FailRatio] = {}
        self._latency: list[tuple[re.Pattern[str] | None, float]] = []

    def fail_next(
        self, method: str, path_regex: str, count: int, status: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``count`` matching requests get ``status`` (e.g. 429 + Retry-After).

        ``method`` may be ``"*"`` for any method; ``path_regex`` is searched in the path.
        """
        if count <= 0:
            return
        with self._lock:
            self._fail_next.append(_FailNext(method.upper(), re.compile(path_regex), count,
                                             InjectedFailure(status, dict(headers or {}))))

    def fail_ratio(
        self, path_regex: str, ratio: float, status: int = 503, seed: int | None = None
    ) -> None:
        """A ``ratio`` share of matching requests fails; ``ratio=0`` turns it off."""
        with self._lock:
            if ratio <= 0:
                self._ratios.pop(path_regex, None)
            else:
                self._ratios[path_regex] = _FailRatio(ratio, status, random.Random(seed))

    def set_latency(self, seconds: float, path_regex: str | None = None) -> None:
        """Delay matching requests (all when ``path_regex`` is None); 0 clears that entry."""
        pattern = re.compile(path_regex) if path_regex is not None else None
        with self._lock:
            self._latency = [(p, s) for p, s in self._latency
                             if (p.pattern if p else None) != path_regex]
            if seconds > 0:
                self._latency.append((pattern, seconds))

    def latency_for(self, path: str) -> float:
        with self._lock:
            return max((s for p, s in self._latency if p is None or p.search(path)), default=0.0)

    def failure_for(self, method: str, path: str) -> InjectedFailure | None:
        with self._lock:
            for rule in self._fail_next:
                if rule.method in ("*", method) and rule.path.search(path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._fail_next.remove(rule)
                    return rule.failure
            for pattern, rule in self._ratios.items():
                if re.search(pattern, path) and rule.rng.random() < rule.ratio:
                    return InjectedFailure(rule.status)
            return None
