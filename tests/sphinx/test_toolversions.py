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
"""The tool versions page asks each tool once per tool set, not per build."""

import pytest

from confcheck import external
from confcheck.sphinxext import downloads, toolversions


def answering(monkeypatch, said: str) -> list[str]:
    """Every tool answers version said; returns the tools asked."""
    names = []

    def version(name):
        names.append(name)
        return (said, f"/usr/sbin/{name}")

    monkeypatch.setattr(external, "version", version)
    monkeypatch.setattr(external, "fingerprint", lambda: "tools-a")
    return names


@pytest.fixture
def asked(monkeypatch):
    """The tools asked, in order; every tool answers version 3.0.5."""
    return answering(monkeypatch, "3.0.5")


def test_versions_are_asked_once_for_the_same_tools(tmp_path, asked):
    first = toolversions.versions(str(tmp_path))
    second = toolversions.versions(str(tmp_path))
    assert second == first
    assert first["haproxy"] == ["3.0.5", "/usr/sbin/haproxy"]
    assert asked == [name for name, _ in toolversions.TOOLS]


def test_changed_tools_are_asked_again(tmp_path, asked, monkeypatch):
    toolversions.versions(str(tmp_path))
    monkeypatch.setattr(external, "fingerprint", lambda: "tools-b")
    toolversions.versions(str(tmp_path))
    assert len(asked) == 2 * len(toolversions.TOOLS)


def test_a_tool_that_cannot_be_asked_is_asked_again(tmp_path, monkeypatch):
    calls = answering(monkeypatch, "(cannot ask: timed out)")
    toolversions.versions(str(tmp_path))
    toolversions.versions(str(tmp_path))
    assert len(calls) == 2 * len(toolversions.TOOLS)


@pytest.mark.parametrize("damage", ["{", "[]", '{"haproxy": 3}',
                                    '{"haproxy": ["3.0.5"]}'])
def test_a_damaged_entry_is_asked_again(tmp_path, asked, damage):
    toolversions.versions(str(tmp_path))
    for entry in (tmp_path / "confcheck-cache").glob("tool-versions-*"):
        entry.write_text(damage)
    found = toolversions.versions(str(tmp_path))
    assert found["crm"] == ["3.0.5", "/usr/sbin/crm"]
    assert len(asked) == 2 * len(toolversions.TOOLS)


def test_absent_tools_are_kept_as_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(external, "version", lambda name: None)
    monkeypatch.setattr(external, "fingerprint", lambda: "tools-none")
    toolversions.versions(str(tmp_path))
    monkeypatch.setattr(external, "version", pytest.fail)
    assert set(toolversions.versions(str(tmp_path)).values()) == {None}


def test_the_tree_is_walked_again_after_each_read_phase(tmp_path):
    (tmp_path / "cluster.yaml").write_text("")
    assert downloads.build_tree_files(str(tmp_path)) == {"cluster.yaml"}
    (tmp_path / "pacemaker").mkdir()
    (tmp_path / "pacemaker" / "galera.pcs").write_text("")
    # Within one writing phase the first walk stands...
    assert downloads.build_tree_files(str(tmp_path)) == {"cluster.yaml"}
    downloads.forget_tree_files()
    assert downloads.build_tree_files(str(tmp_path)) == {
        "cluster.yaml", "pacemaker/galera.pcs"}
    downloads.forget_tree_files()
