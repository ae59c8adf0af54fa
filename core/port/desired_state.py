"""Compare what we want in Port with what Port has, without caring about fields Port adds."""

from __future__ import annotations

from typing import Any


def is_subset(desired: Any, actual: Any) -> bool:
    """True when every key/value we want is already present (Port adds createdAt etc.)."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return False
        return all(key in actual and is_subset(value, actual[key]) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        return all(is_subset(d, a) for d, a in zip(desired, actual, strict=True))
    return desired == actual


def merged_schema(desired: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """Our properties over Port's, keeping properties someone added in Port."""
    properties = {**(actual.get("properties") or {}), **(desired.get("properties") or {})}
    required = list(dict.fromkeys([*(actual.get("required") or []), *(desired.get("required") or [])]))
    return {**actual, **desired, "properties": properties, "required": required}
