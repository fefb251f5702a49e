# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Reading input files safely: every refusal is a one-line reason."""

from __future__ import annotations

import os
import stat

# Configuration files are small; anything this large is a mistake (a log,
# a dump) and reading it whole would stall a docs build.
MAX_BYTES = 4 * 1024 * 1024
# The longest line a checker is given: real configuration lines are far
# shorter, and longer ones only make regular expressions and shlex slow.
MAX_LINE = 64 * 1024
# Deepest block nesting a brace format may use (keepalived, corosync,
# xinetd); real files nest three or four levels.
MAX_DEPTH = 100
# Opened without blocking and never as our controlling terminal: a FIFO
# or a terminal must not stall the reader before it is refused.
OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY


class InputError(Exception):
    """The file cannot be checked; ``str(exc)`` is a one-line reason."""


def _refuse_special(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        what = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode) else "a special file")
        raise InputError(f"{path}: is {what}, not a regular file")


def read_text(path: str) -> str:
    """Return the file's text, or raise InputError saying why not
    (see read_bytes; also binary data and text that is not UTF-8)."""
    return decode(read_bytes(path), path)


def read_bytes(path: str) -> bytes:
    """Return the file's bytes, or raise InputError saying why not.

    Only regular files are read: the type is checked before opening (a
    device may act on open) and again on the open descriptor (the path
    may have been swapped in between).
    """
    try:
        _refuse_special(path, os.stat(path).st_mode)
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        _refuse_special(path, st.st_mode)
        if st.st_size > MAX_BYTES:
            raise InputError(
                f"{path}: file too large ({st.st_size / 1048576:.1f} MiB; "
                f"the limit for a configuration file is "
                f"{MAX_BYTES // 1048576} MiB)")
        try:
            data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:  # grew since fstat
        raise InputError(f"{path}: file too large (over "
                         f"{MAX_BYTES // 1048576} MiB)")
    return data


def decode(data: bytes, path: str) -> str:
    """Decode bytes as UTF-8 text, refusing binary data with a reason."""
    if b"\x00" in data:
        raise InputError(f"{path}: binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start})") from None
    return text.removeprefix("\ufeff")
