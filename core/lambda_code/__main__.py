"""`python -m core.lambda_code --check|--write`: re-inline the Lambda code (developer tool)."""

from __future__ import annotations

import argparse
import sys

from core.lambda_code.inlining import (
    DESCRIBERS_PATH,
    FORWARDER_PATH,
    TEMPLATE_BYTE_BUDGET,
    forwarder_code,
    with_inline_code,
)
from core.resources import template_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.lambda_code", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when the inline code differs")
    mode.add_argument("--write", action="store_true",
                      help="write core/lambda_code/forwarder.py + core/lambda_code/describers.py inline")
    args = parser.parse_args(argv)
    path = template_path()
    current = path.read_text(encoding="utf-8")
    wanted = with_inline_code(current, forwarder_code())
    if args.write and wanted != current:
        path.write_text(wanted, encoding="utf-8")
        print(f"updated {path}")
    elif wanted != current:
        print(
            f"{path}: inline code differs from {FORWARDER_PATH} + {DESCRIBERS_PATH.name}; "
            "run python -m core.lambda_code --write",
            file=sys.stderr,
        )
        return 1
    size = len(wanted.encode())
    if size > TEMPLATE_BYTE_BUDGET:
        print(f"{path} is {size} bytes, over the budget of {TEMPLATE_BYTE_BUDGET}: make room "
              "before adding more", file=sys.stderr)
        return 1
    print(f"{path}: {size} of {TEMPLATE_BYTE_BUDGET} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
