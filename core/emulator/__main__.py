"""``python -m core.emulator --port N --client-id X --client-secret Y``: serve in the foreground.

Credentials may also come from PORT_CLIENT_ID / PORT_CLIENT_SECRET. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from core.emulator.server import PortEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default=os.environ.get("PORT_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("PORT_CLIENT_SECRET"))
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument("--hide-webhook-secret", action="store_true",
                        help="never return a webhook's security.secret on read (Port may not)")
    args = parser.parse_args(argv)
    if not args.client_id or not args.client_secret:
        parser.error("--client-id/--client-secret (or PORT_CLIENT_ID/PORT_CLIENT_SECRET) "
                     "are required")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    emulator = PortEmulator(args.client_id, args.client_secret, host=args.host, port=args.port,
                            log=None if args.quiet else log,
                            return_webhook_secret=not args.hide_webhook_secret)
    base_url = emulator.start()
    print(f"Port emulator listening on {base_url} (client id {args.client_id})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
