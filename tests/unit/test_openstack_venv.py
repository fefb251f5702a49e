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
"""The OpenStack venv's pins and cache key (tools/openstack-venv)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TOP = Path(__file__).resolve().parents[2]
TOOL = TOP / "tools" / "openstack-venv"
SPEC = TOP / "tests" / "functional" / "openstack"
INDEX = TOP / "tools" / "confcheck" / "data" / "oslo" / "index.json"


def _tool():
    loader = importlib.machinery.SourceFileLoader("openstack_venv",
                                                  str(TOOL))
    spec = importlib.util.spec_from_loader("openstack_venv", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _pins() -> dict[str, str]:
    pins = {}
    for line in (SPEC / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def _requirements() -> list[str]:
    return [canonicalize_name(Requirement(line).name)
            for line in (SPEC / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_every_requirement_is_pinned():
    pins = _pins()
    assert [name for name in _requirements() if name not in pins] == []


def test_pins_are_the_versions_of_the_option_data():
    """The lab runs the releases whose options confcheck checks."""
    packages = json.loads(INDEX.read_text())["packages"]
    pins = _pins()
    shared = {canonicalize_name(n): p["version"]
              for n, p in packages.items() if canonicalize_name(n) in pins}
    assert {"keystone", "openstack-placement", "oslo-messaging",
            "keystonemiddleware"} <= set(shared)
    assert {n: pins[n] for n in shared} == shared


def test_key_follows_the_constraints(tmp_path, monkeypatch):
    tool = _tool()
    before = tool.key()
    changed = tmp_path / "constraints.txt"
    changed.write_text(tool.CONSTRAINTS.read_text() + "six==1.16.0\n")
    monkeypatch.setattr(tool, "CONSTRAINTS", changed)
    assert tool.key() != before


@pytest.mark.parametrize("args, status", [(["path"], 1), ([], 2),
                                          (["bogus"], 2)])
def test_path_without_a_venv(tmp_path, args, status):
    done = subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True,
        timeout=60, env={"HAGUIDE_OPENSTACK_VENV_DIR": str(tmp_path),
                         "PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == status
    assert done.stdout == ""
