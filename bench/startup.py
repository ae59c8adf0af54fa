"""Startup time of port-aws-wizard: `--help`, and process start to the first wizard screen drawn.

    .venv/bin/python bench/startup.py [--runs 7]

`--help` runs the console entry point in a fresh process; the first-screen figure starts
the full-screen wizard in a pseudo-terminal (100x30) and stops the clock when the
Welcome screen's text has been written to the terminal. Each figure is the median of
--runs runs. Also checks that `--help` imports neither textual nor boto3 (exit 1 if so).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_SCREEN_TEXT = "Connect an AWS account to Port"
_ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b[PX^_].*?\x1b\\|\x1b\][^\x07]*\x07"
                   rb"|\x1b[()][0-9A-Za-z]|\x1b.")


def entry_point() -> list[str]:
    script = Path(sys.executable).parent / "port-aws-wizard"
    if script.exists():
        return [str(script)]
    found = shutil.which("port-aws-wizard")
    return [found] if found else [sys.executable, "-m", "wizard"]


def clean_env(state_dir: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORT_", "TEXTUAL"))}
    env.update({"XDG_STATE_HOME": state_dir, "TERM": "xterm-256color", "COLORTERM": "truecolor"})
    return env


def time_help(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([*command, "--help"], env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or "usage: port-aws-wizard" not in result.stdout:
        raise SystemExit(f"--help failed ({result.returncode}): {result.stderr[-500:]}")
    return elapsed


def help_imports(env: dict[str, str]) -> list[str]:
    probe = ("import sys\nfrom wizard.cli.main import main\ntry:\n    main(['--help'])\n"
             "except SystemExit:\n    pass\n"
             "print(' '.join(m for m in ('textual', 'boto3', 'botocore', 'questionary') "
             "if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    return result.stderr.split()


def time_first_screen(command: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                               start_new_session=True)
    os.close(slave)
    output = b""
    try:
        while True:
            remaining = timeout - (time.perf_counter() - started)
            if remaining <= 0:
                raise SystemExit(f"the first screen did not appear within {timeout:.0f}s")
            ready, _, _ = select.select([master], [], [], min(remaining, 0.5))
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                raise SystemExit("the wizard exited before drawing its first screen:\n"
                                 + _ANSI.sub(b"", output).decode(errors="replace")[-800:]) from None
            output += chunk
            if FIRST_SCREEN_TEXT in _ANSI.sub(b"", output).decode(errors="replace"):
                return time.perf_counter() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median reported)")
    args = parser.parse_args()
    command = entry_point()
    with tempfile.TemporaryDirectory() as state_dir:
        env = clean_env(state_dir)
        imported = help_imports(env)
        time_help(command, env)  # warm the OS file cache and .pyc files
        helps = [time_help(command, env) for _ in range(args.runs)]
        time_first_screen(command, env)
        screens = [time_first_screen(command, env) for _ in range(args.runs)]
    print(f"command: {' '.join(command)}")
    print(f"--help:       median {statistics.median(helps) * 1000:7.1f} ms  "
          f"(min {min(helps) * 1000:.1f}, max {max(helps) * 1000:.1f}, {args.runs} runs)")
    print(f"first screen: median {statistics.median(screens) * 1000:7.1f} ms  "
          f"(min {min(screens) * 1000:.1f}, max {max(screens) * 1000:.1f}, {args.runs} runs)")
    if imported:
        print(f"FAIL: --help imported {', '.join(imported)}")
        return 1
    print("--help imports neither textual nor boto3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
