"""Reading a file the user named, refusing anything but a regular file: opening a FIFO, a
terminal or a device to read could block forever or never end."""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotRegularFile(OSError):
    """`strerror` says what the path is instead, e.g. "not a regular file but a FIFO (named pipe)"."""


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The file's bytes (at most `limit` + 1 of them, so a caller can tell it is too large).

    Raises NotRegularFile for anything but a regular file, OSError when it cannot be read. The
    file is opened without blocking and checked before any read, so a FIFO never hangs us."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file but {kind_of(mode)}", os.fspath(path))
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as stream:
            return stream.read() if limit is None else stream.read(limit + 1)
    finally:
        os.close(fd)
