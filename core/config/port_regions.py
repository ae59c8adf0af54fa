"""Port's regions and their API base URLs: EU and US run separate organizations, each with its
own API, and credentials made in one region are unknown to the other. So a 401 from one of
them may only mean the wrong `--port-base-url`: `other_region_hint` says which URL to try."""

from __future__ import annotations

from urllib.parse import urlsplit

PORT_REGIONS: dict[str, str] = {
    "eu": "https://api.getport.io",
    "us": "https://api.us.getport.io",
}
DEFAULT_PORT_BASE_URL = PORT_REGIONS["eu"]
US_PORT_BASE_URL = PORT_REGIONS["us"]
_HOSTS = {"api.getport.io": "eu", "api.port.io": "eu", "api.us.getport.io": "us", "api.us.port.io": "us"}


def region_of(base_url: str) -> str | None:
    """"eu" or "us" for Port's own API URLs; None for any other (a local Port, a proxy)."""
    return _HOSTS.get((urlsplit(base_url).hostname or "").lower())


def other_region_hint(base_url: str) -> str:
    """For a 401 at one of Port's regions: the other region's URL and the flag to set ("" otherwise)."""
    region = region_of(base_url)
    if region is None:
        return ""
    other = "us" if region == "eu" else "eu"
    return (f"; if your Port organization is in the {other.upper()} region, its API is "
            f"{PORT_REGIONS[other]}: pass --port-base-url {PORT_REGIONS[other]} (or set PORT_BASE_URL)")
