"""Port's regions and their API base URLs: a Port organization lives in exactly one of them,
and its credentials work only against that region's API."""

from __future__ import annotations

PORT_REGIONS: dict[str, str] = {
    "eu": "https://api.getport.io",
    "us": "https://api.us.getport.io",
}
DEFAULT_PORT_BASE_URL = PORT_REGIONS["eu"]


def region_of(base_url: str) -> str:
    """"eu", "us", or "custom" for any other API (a self-hosted or local Port)."""
    for name, url in PORT_REGIONS.items():
        if base_url.rstrip("/") == url:
            return name
    return "custom"
