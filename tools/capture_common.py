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
"""Shared by the capture_*.py scripts: run a tool, record where data came from.

The capture scripts turn what an installed program says about itself
(``mariadbd --verbose --help``, RabbitMQ's schema files, ``memcached
--help``) into the compact JSON files under tools/confcheck/data/ that the
checkers fall back on when the program is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "confcheck", "data")
TIMEOUT = 60


def find(name: str) -> str:
    """Path of an installed program, or exit saying which one is missing."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}")
         if os.access(p, os.X_OK)), None)
    if path is None:
        sys.exit(f"{name} is not installed; install it (see bindep.txt) "
                 f"and run this script again")
    return path


def output(argv: list[str], ok: tuple[int, ...] = (0,)) -> str:
    """Standard output of argv (standard error is only logging here)."""
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): "
                 f"{proc.stderr.strip()[-300:]}")
    return proc.stdout


def package_version(package: str) -> str:
    """The Debian package's version, or "unknown" on other systems."""
    dpkg = shutil.which("dpkg-query")
    if dpkg is None:
        return "unknown"
    proc = subprocess.run([dpkg, "-W", "-f", "${Version}", package],
                          capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def write(name: str, data: dict) -> str:
    """Write data as tools/confcheck/data/NAME, one key per line."""
    path = os.path.join(DATA, name)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=0, sort_keys=True, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {path}")
    return path
