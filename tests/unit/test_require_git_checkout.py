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
"""Outside a git checkout the docs build stops with one clear line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(TOP, "tools", "require_git_checkout.py")


def run(script: str, ceiling: str) -> subprocess.CompletedProcess:
    # No GIT_* variables from the caller; never look above the ceiling.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = ceiling
    return subprocess.run([sys.executable, script], capture_output=True,
                          text=True, timeout=30, env=env, check=False)


def test_passes_in_the_repository():
    result = run(SCRIPT, os.path.dirname(TOP))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_unpacked_copy_gets_one_line_and_exit_2(tmp_path):
    """As after unpacking a tarball: no .git, so no commit to read."""
    (tmp_path / "tools").mkdir()
    copy = tmp_path / "tools" / "require_git_checkout.py"
    shutil.copy(SCRIPT, copy)
    result = run(str(copy), str(tmp_path.parent))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the guide must be built from a git")
    assert "Traceback" not in result.stderr
