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
"""Skip or fail when a scenario's binaries or privileges are missing."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from harness import labroot

# CI sets this so that a missing daemon fails the run instead of skipping.
REQUIRE_ENV = "HAGUIDE_REQUIRE_DAEMONS"
# Root-only tools live in sbin, which a non-login PATH may lack.
EXTRA_PATH = ("/usr/sbin", "/sbin", "/usr/lib/rabbitmq/bin")
HOW_TO_INSTALL = (
    "install the test profile with tools/test-setup.sh (bindep.txt) and "
    "the Python packages with pip install -r test-requirements.txt; "
    "run as root")


def which(name: str) -> str | None:
    """Path of the binary name, looking in sbin directories too."""
    found = shutil.which(name)
    if found:
        return found
    for directory in EXTRA_PATH:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return None


def require(*, binaries: tuple[str, ...] = (),
            root_binaries: tuple[str, ...] = (),
            modules: tuple[str, ...] = (), root: bool = True) -> None:
    """Skip (or, with HAGUIDE_REQUIRE_DAEMONS=1, fail) if anything lacks.

    binaries run from the host (ip, nsenter, a client's curl);
    root_binaries are the daemons and tools the lab runs from the Debian
    13 lab root (harness.labroot), so they are looked up there and the
    root itself is required.
    """
    missing = [b for b in binaries if which(b) is None]
    if root_binaries and labroot.path() is None:
        missing.append(labroot.missing_reason())
    elif root_binaries:
        missing += [f"{b} in the lab root" for b in root_binaries
                    if labroot.which(b) is None]
    missing += [f"python module {m}" for m in modules
                if importlib.util.find_spec(m) is None]
    if root and os.geteuid() != 0:
        missing.append("root privileges")
    if missing:
        missing_parts(", ".join(missing))


def missing_parts(what: str) -> None:
    """Skip (or, with HAGUIDE_REQUIRE_DAEMONS=1, fail): what is missing."""
    message = f"missing {what}: {HOW_TO_INSTALL}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 and {message}", pytrace=False)
    pytest.skip(message)
