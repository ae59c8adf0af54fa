"""Locate the files the installer ships: the CloudFormation template and `.port/resources`.

In a checkout they live beside the packages; in an installed wheel they are copied into
``core/_data`` (see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent
_WHEEL_DATA = _PACKAGE_DIR / "_data"


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        "port-aws-wizard data files are missing (looked in: "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall the package"
    )


def cloudformation_dir() -> Path:
    return _first_existing(_CHECKOUT_ROOT / "cloudformation", _WHEEL_DATA / "cloudformation")


def port_resources_dir() -> Path:
    return _first_existing(_CHECKOUT_ROOT / ".port" / "resources", _WHEEL_DATA / "port_resources")


def template_path() -> Path:
    return cloudformation_dir() / "aws-serverless.template"
