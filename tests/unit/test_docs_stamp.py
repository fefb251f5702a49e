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
"""tools/docs_stamp.py: a docs build is reused only for the same inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

import docs_stamp


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A tiny project with every input directory the key reads."""
    for name, text in (("doc/source/index.rst", "Guide\n=====\n"),
                       ("doc/examples/controller/etc/a.conf", "[x]\n"),
                       ("tools/ext.py", "VALUE = 1\n"),
                       ("doc/requirements.txt", "# the build\nsphinx\n"),
                       ("tests/functional/openstack/constraints.txt",
                        "kombu==5.7.0\n")):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(docs_stamp, "TOP", tmp_path)
    monkeypatch.setattr(docs_stamp, "REQUIREMENTS",
                        tmp_path / "doc" / "requirements.txt")
    return tmp_path


def _build(outdir: Path) -> None:
    docs_stamp.begin(outdir)
    (outdir / "index.html").write_text("<p>Guide</p>")
    assert docs_stamp.done(outdir) == 0


def test_a_finished_build_of_the_same_inputs_matches(project):
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    assert docs_stamp.matches(outdir)


@pytest.mark.parametrize("changed", [
    "doc/source/index.rst", "doc/examples/controller/etc/a.conf",
    "tools/ext.py", "doc/requirements.txt",
    "tests/functional/openstack/constraints.txt"])
def test_an_edited_input_means_building_again(project, changed):
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    with open(project / changed, "a") as fh:
        fh.write("\n# edited\n")
    assert not docs_stamp.matches(outdir)


def test_a_new_input_file_means_building_again(project):
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    (project / "doc" / "source" / "new.rst").write_text("New\n===\n")
    assert not docs_stamp.matches(outdir)


def test_other_checking_tools_mean_building_again(project, monkeypatch):
    """The tool versions page names the tools that validated the build."""
    outdir = project / "doc" / "build" / "html"
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "1")
    _build(outdir)
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    assert not docs_stamp.matches(outdir)


def test_generated_files_are_not_inputs(project):
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    cache = project / "tools" / "__pycache__"
    cache.mkdir()
    (cache / "ext.cpython-311.pyc").write_bytes(b"\0")
    assert docs_stamp.matches(outdir)


def test_no_stamp_no_reuse(project):
    outdir = project / "doc" / "build" / "html"
    outdir.mkdir(parents=True)
    (outdir / "index.html").write_text("<p>an unstamped build</p>")
    assert not docs_stamp.matches(outdir)


def test_a_build_that_did_not_finish_is_not_stamped(project):
    """begin, then sphinx-build fails: tox never runs done."""
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    docs_stamp.begin(outdir)
    assert not docs_stamp.matches(outdir)


def test_begin_removes_every_page_of_the_earlier_build(project):
    outdir = project / "doc" / "build" / "html"
    _build(outdir)
    (outdir / "removed-chapter.html").write_text("<p>old</p>")
    _build(outdir)
    assert not (outdir / "removed-chapter.html").exists()


def test_inputs_edited_during_the_build_are_not_stamped(project, capsys):
    outdir = project / "doc" / "build" / "html"
    docs_stamp.begin(outdir)
    (project / "doc" / "source" / "index.rst").write_text("Edited\n")
    assert docs_stamp.done(outdir) == 0
    assert not docs_stamp.matches(outdir)
    assert "not stamped" in capsys.readouterr().err


def test_done_without_begin_fails(project):
    outdir = project / "out"
    outdir.mkdir()
    assert docs_stamp.done(outdir) == 1
    assert not docs_stamp.matches(outdir)


def test_distributions_follow_requirements_with_versions():
    found = docs_stamp.distributions([Requirement("pytest")])
    names = {line.split("==")[0] for line in found}
    # pytest's own requirements, installed in the test environment.
    assert {"pytest", "pluggy", "iniconfig"} <= names
    assert all(not line.endswith("==missing") for line in found
               if line.startswith(("pytest==", "pluggy==")))


def test_a_missing_distribution_is_part_of_the_key():
    found = docs_stamp.distributions(
        [Requirement("haguide-no-such-distribution")])
    assert found == ["haguide-no-such-distribution==missing"]


def test_usage_error_exits_2(capsys):
    assert docs_stamp.main(["stamp"]) == 2
    assert "usage" in capsys.readouterr().err
