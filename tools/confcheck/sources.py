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

# Configuration files are small; anything this large is a mistake (a log,
# a dump) and reading it whole would stall a docs build.
MAX_BYTES = 4 * 1024 * 1024


class InputError(Exception):
    """The file cannot be checked; ``str(exc)`` is a one-line reason."""


def read_text(path: str) -> str:
    """Return the file's text, or raise InputError saying why not."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    if st.st_size > MAX_BYTES:
        raise InputError(
            f"{path}: file too large ({st.st_size / 1048576:.1f} MiB; "
            f"the limit for a configuration file is "
            f"{MAX_BYTES // 1048576} MiB)")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return decode(data, path)


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
