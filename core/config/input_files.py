"""Read a file the user names (answers file, event file) safely: bounded, once, never hanging.

A path can be anything: a regular file, a pipe from process substitution
(`--answers <(envsubst < answers.yml)`, which is /dev/fd/N), a named pipe with no writer,
/dev/zero, a directory. Regular files are size-checked before reading; pipes are read
without blocking on open, with an idle timeout and the same size cap, and their bytes are
kept so a second read in the same process (the prompts, then the install) gets the same
content instead of an empty pipe. Everything else is refused.
"""

from __future__ import annotations

import os
import select
import stat

from core.errors import InputError

MAX_INPUT_BYTES = 1024 * 1024
PIPE_IDLE_SECONDS = 1.5
"""How long a pipe may stay silent before we give up (a named pipe nobody writes to)."""

_pipe_contents: dict[tuple[int, int], bytes | InputError] = {}  # (device, inode) of a pipe -> what
# it held, or why it could not be read: a pipe is read once per process, whoever asks again


def read_input_file(path: str, what: str, *, limit: int = MAX_INPUT_BYTES,
                    idle_seconds: float = PIPE_IDLE_SECONDS) -> bytes:
    """The bytes of `path` (`what` names it in errors, e.g. "answers file"), or InputError."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    except ValueError:  # e.g. a NUL character in the path
        raise InputError(f"cannot read {what} {path!r}: the path is malformed") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISREG(info.st_mode):
            if info.st_size > limit:
                raise InputError(_too_large(path, what, limit))
            return _read_regular(descriptor, path, what, limit)
        if stat.S_ISFIFO(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key not in _pipe_contents:
                try:
                    _pipe_contents[key] = _read_pipe(descriptor, path, what, limit, idle_seconds)
                except InputError as error:
                    _pipe_contents[key] = error
            content = _pipe_contents[key]
            if isinstance(content, InputError):
                raise InputError(content.problems)
            return content
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device or socket, not a regular file"
        raise InputError(f"{what} {path} is {kind}: pass the path of a file (at most {_size(limit)})")
    finally:
        os.close(descriptor)


def _read_regular(descriptor: int, path: str, what: str, limit: int) -> bytes:
    os.set_blocking(descriptor, True)
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(descriptor, min(1 << 16, limit + 1 - total))
        except OSError as error:
            raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:  # it grew after the size check
            raise InputError(_too_large(path, what, limit))


def _read_pipe(descriptor: int, path: str, what: str, limit: int, idle_seconds: float) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        ready, _, _ = select.select([descriptor], [], [], idle_seconds)
        if not ready:
            raise InputError(f"{what} {path} is a pipe that sent nothing for {idle_seconds:g} s "
                             "(a named pipe with no writer?): pass a regular file")
        try:
            chunk = os.read(descriptor, 1 << 16)
        except BlockingIOError:
            continue
        except OSError as error:
            raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputError(_too_large(path, what, limit))
    if not chunks:  # the writer closed it empty, or it was read already by another process
        raise InputError(f"{what} {path} is a pipe that held no data: pass a regular file")
    return b"".join(chunks)


def _too_large(path: str, what: str, limit: int) -> str:
    return f"{what} {path} is larger than {_size(limit)}: pass the right file (it is YAML or JSON text)"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"
