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
"""Stop a docs build early, with one clear line, outside a git checkout.

openstackdocstheme reads the commit of the sources for every page and
turns its absence into a warning that -W makes fatal. tox runs this before
sphinx-build so a reader who unpacked a tarball gets a sentence saying
what to do; conf.py uses the same check and message for direct
sphinx-build runs, where Sphinx adds its own error report around it.
"""

from __future__ import annotations

import os
import subprocess
import sys

MESSAGE = (
    "the guide must be built from a git checkout with at least one commit "
    "(openstackdocstheme reads the commit for each page): clone the "
    "repository, or run 'git init && git add -A && git commit -m import' "
    "in an unpacked copy, and make sure git is installed")


def inside_git_checkout(path: str) -> bool:
    """True when path is in a git work tree whose HEAD is a commit."""
    try:
        result = subprocess.run(
            ["git", "-C", path, "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def main() -> int:
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if inside_git_checkout(top):
        return 0
    print(f"error: {MESSAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
