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
"""Running the real tools (haproxy -c, keepalived -t, pcs -f ...) safely.

No shell, a timeout on every call, and one exception type whose text is a
one-line reason. ``CONFCHECK_EXTERNAL=0`` makes every checker use its
built-in fallback, as on a docs builder without the binaries.
"""

from __future__ import annotations

import os
import shutil
import subprocess

DEFAULT_TIMEOUT = 30.0

# Settings of the calling Python that must not reach tools written in
# Python (crmsh, pcs): PYTHONWARNINGS=error from a test run, for example,
# turns crmsh's own deprecation warnings into failures of a valid file.
ISOLATED_VARIABLES = ("PYTHONWARNINGS", "PYTHONPATH", "PYTHONHOME")


class ExternalToolError(Exception):
    """The tool could not be run to a result; ``str(exc)`` says why."""


def available(name: str) -> str | None:
    """Path of the binary ``name`` if external checks are enabled."""
    if os.environ.get("CONFCHECK_EXTERNAL", "1") == "0":
        return None
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}")
         if os.access(p, os.X_OK)), None)


def child_environment() -> dict[str, str]:
    """This process's environment without ISOLATED_VARIABLES."""
    return {k: v for k, v in os.environ.items()
            if k not in ISOLATED_VARIABLES}


def run(argv: list[str], *, timeout: float = DEFAULT_TIMEOUT,
        cwd: str | None = None, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run argv (never through a shell) and return its completed process.

    ``env`` defaults to child_environment().
    """
    if env is None:
        env = child_environment()
    try:
        return subprocess.run(
            argv, input=stdin, capture_output=True, text=True,
            errors="replace", timeout=timeout, cwd=cwd, env=env,
            check=False,
            stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise ExternalToolError(f"{argv[0]}: not installed") from None
    except subprocess.TimeoutExpired:
        raise ExternalToolError(
            f"{os.path.basename(argv[0])} did not finish within "
            f"{timeout:g} s") from None
    except OSError as exc:
        raise ExternalToolError(
            f"{os.path.basename(argv[0])}: cannot run: {exc.strerror}"
        ) from None
