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
"""Option data of every maintained release: --release and --upgrade-from."""

import glob
import os
import pathlib

import pytest

from confcheck import cli
from confcheck.checks import oslo_conf, oslo_data, oslo_delta

MAINTAINED = ("2024.1", "2024.2", "2025.1", "2025.2", "2026.1", "2026.2")
OLD = pathlib.Path(__file__).parent / "samples" / "verdicts" / "oslo"
TREE = pathlib.Path(__file__).parents[2] / "doc" / "examples"


@pytest.fixture(autouse=True)
def newest_again():
    """select_release is process-wide: each test starts and ends clean."""
    oslo_data.select_release(None)
    yield
    oslo_data.select_release(None)


def tree_oslo_files() -> list[str]:
    return sorted(p for p in glob.glob(str(TREE / "**" / "*"),
                                       recursive=True)
                  if os.path.isfile(p) and
                  oslo_conf.handles(os.path.basename(p)))


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    status = cli.main(["-q", *argv])
    return status, capsys.readouterr().out.splitlines()


def test_every_maintained_release_has_data():
    assert set(MAINTAINED) <= set(oslo_data.releases())
    assert oslo_data.newest() == MAINTAINED[-1]


@pytest.mark.parametrize("series", oslo_data.releases())
def test_every_file_of_every_release_loads(series):
    files = oslo_data.release_info(series)["files"]
    assert {"nova.conf", "neutron.conf", "keystone.conf"} <= set(files)
    for name in files:
        schema = oslo_data.schema(name, series)
        assert schema.groups and schema.release == series
    nova = oslo_data.release_info(series)["packages"]["nova"]
    assert nova["series"] == series


def test_delta_round_trip():
    def opt(kind):
        return {"type": f"{kind} value"}

    base = {"a.conf": {"groups": {"DEFAULT": {"x": opt("string"),
                                              "y": opt("integer")}}},
            "gone.conf": {"groups": {"DEFAULT": {}}}}
    other = {"a.conf": {"groups": {"DEFAULT": {"x": opt("boolean"),
                                               "z": opt("port")},
                                   "new": {"w": opt("uri")}}},
             "only.ini": {"groups": {"DEFAULT": {"v": opt("list")}}}}
    change = oslo_delta.diff(base, other)
    assert change["absent"] == ["gone.conf"]
    assert change["files"]["a.conf"]["groups"]["DEFAULT"]["y"] is None
    assert oslo_delta.apply(base, change) == other


def test_tree_on_the_newest_release_is_clean(capsys):
    status, lines = run(capsys, *tree_oslo_files())
    assert (status, lines) == (0, [])


@pytest.mark.parametrize("argv, message", [
    (["--release", "1999.1"], "no option data for release '1999.1'"),
    (["--to", "2026.1"], "--to needs --upgrade-from"),
    (["--upgrade-from", "2026.2", "--to", "2024.1"], "must be older"),
])
def test_bad_release_options_are_usage_errors(capsys, argv, message):
    assert cli.main([*argv, "nova.conf"]) == 2
    assert message in capsys.readouterr().err


# The options of the 2024.1 files that later releases removed.
CARACAL_REMOVED = {"nova.conf": [5, 6, 7, 8, 9, 13],
                   "neutron.conf": [4, 5, 6]}


# What 2024.1 itself says of them: nova deprecated [api] auth_strategy.
CARACAL_ON_ITS_RELEASE = {"nova.conf": ["13: warning: OSL007"],
                          "neutron.conf": []}


@pytest.mark.parametrize("name", sorted(CARACAL_REMOVED))
def test_old_release_file_is_clean_on_its_release(capsys, name):
    status, lines = run(capsys, "--release", "2024.1",
                        str(OLD / "caracal" / name))
    assert status == 0
    assert [line.split(":", 1)[1].split(": [")[0] for line in lines] \
        == CARACAL_ON_ITS_RELEASE[name]


@pytest.mark.parametrize("name", sorted(CARACAL_REMOVED))
def test_old_release_file_on_the_newest_says_when_removed(name):
    path = OLD / "caracal" / name
    found = oslo_conf.check(path.read_text(), str(path))
    assert [(f.line, f.code) for f in found] == [
        (line, "OSL005") for line in CARACAL_REMOVED[name]]
    for finding in found:
        assert " was removed in 20" in finding.message
        assert "(last in 20" in finding.message


@pytest.mark.parametrize("name", sorted(CARACAL_REMOVED))
def test_upgrade_lists_what_the_old_file_must_change(capsys, name):
    status, lines = run(capsys, "--upgrade-from", "2024.1",
                        str(OLD / "caracal" / name))
    assert status == 1
    removed = [int(line.split(":")[1]) for line in lines
               if ": OSL005: " in line]
    assert removed == CARACAL_REMOVED[name]
    # Nothing the 2024.1 check already reports, and only upgrade codes.
    assert {line.split(": ")[2] for line in lines} <= {
        "OSL005", "OSL006", "OSL007", "OSL016", "OSL004"}


def test_tree_on_the_oldest_maintained_release(capsys):
    """The tree is written for the newest release: on 2024.1, each finding
    is an option 2024.1 does not have yet, with the release that added
    it, or a value only a later release accepts."""
    status, lines = run(capsys, "--release", "2024.1", *tree_oslo_files())
    assert status == 1
    for line in lines:
        assert (": OSL004: " in line and "it was added in 20" in line) or \
            ": OSL008: " in line, line


@pytest.mark.parametrize("old, new", [(MAINTAINED[0], MAINTAINED[-1]),
                                      ("2025.1", "2026.1")])
def test_tree_upgrade(capsys, old, new):
    """The appendix's example (2025.1 to 2026.1) and the longest jump."""
    status, lines = run(capsys, "--upgrade-from", old, "--to", new,
                        *tree_oslo_files())
    assert status in (0, 1)
    assert all(line.split(": ")[2] in {"OSL004", "OSL005", "OSL006",
                                       "OSL007", "OSL016"}
               for line in lines)
