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
"""Finding the real daemons for the checker tests that run them."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from confcheck import external

REQUIRE = "HAGUIDE_REQUIRE_DAEMONS"


def require(binary: str, package: str) -> str:
    """Path of binary; skip when absent, fail instead when CI requires it."""
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/sbin/{binary}")
         if os.access(p, os.X_OK)), None)
    if path:
        return path
    reason = f"{binary} is not installed (Debian package {package})"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} and {REQUIRE}=1")
    pytest.skip(reason)


def require_netns() -> None:
    """Namespaces need root and ip(8); same skip/fail rule as require."""
    require("ip", "iproute2")
    if os.geteuid() != 0:
        reason = "network namespaces need root"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason} and {REQUIRE}=1")
        pytest.skip(reason)


def version(binary: str) -> str:
    """binary's version as confcheck runs it: from the tool root when
    CONFCHECK_TOOL_ROOT names one, so a test can assert what that version
    of the tool prints."""
    found = external.version(binary)
    if found is None:
        require(binary, binary)  # skips or fails: confcheck cannot see it
        pytest.fail(f"{binary} is installed but disabled for confcheck")
    return found[0]


def version_tuple(text: str) -> tuple[int, ...]:
    """(0, 12, 0, 2) from '0.12.0.2' or '3.0.11-1+deb13u5'."""
    match = re.search(r"\d+(?:\.\d+)+", text)
    return tuple(map(int, match.group().split("."))) if match else ()
