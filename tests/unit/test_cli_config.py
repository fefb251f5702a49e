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
"""--select/--ignore/--strict and the configuration file."""

import json

import pytest

from confcheck import cli, settings

# OSL008 (error) on line 2, OSL017-style warning on line 4, OSL003 on 5.
NOVA = ("[DEFAULT]\ndebug = maybe\n[oslo_messaging_rabbit]\n"
        "rabbit_ha_queues = true\n[default]\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory with a nova.conf, used as the cwd."""
    root = tmp_path / "project"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "nova.conf").write_text(NOVA)
    monkeypatch.chdir(root)
    return root


def codes(capsys, *argv) -> tuple[int, list[str]]:
    status = cli.main(["--format", "json", *argv])
    data = json.loads(capsys.readouterr().out)
    return status, [f["code"] for f in data["findings"]]


def test_all_findings_without_filters(project, capsys):
    status, found = codes(capsys, "etc/nova.conf")
    assert status == cli.EXIT_ERRORS
    assert found[0] == "OSL008" and "OSL003" in found
    assert len(found) == 3


def test_select_by_code_and_by_prefix(project, capsys):
    assert codes(capsys, "--select", "OSL008", "etc/nova.conf") == (
        cli.EXIT_ERRORS, ["OSL008"])
    status, found = codes(capsys, "--select", "osl", "etc/nova.conf")
    assert len(found) == 3
    assert codes(capsys, "--select", "HAP", "etc/nova.conf") == (
        cli.EXIT_OK, [])


def test_ignore_wins_over_select(project, capsys):
    status, found = codes(capsys, "--select", "OSL", "--ignore",
                          "OSL008,OSL003", "etc/nova.conf")
    assert status == cli.EXIT_OK
    assert len(found) == 1


def test_select_never_hides_a_file_that_could_not_be_read(project, capsys):
    status, found = codes(capsys, "--select", "OSL", "etc/missing.conf")
    assert (status, found) == (cli.EXIT_ERRORS, ["GEN010"])


def test_strict_warnings_fail(project, capsys):
    args = ["--ignore", "OSL008,OSL003", "etc/nova.conf"]
    assert codes(capsys, *args)[0] == cli.EXIT_OK
    assert codes(capsys, "--strict", *args)[0] == cli.EXIT_ERRORS


def test_confcheck_toml_found_from_a_subdirectory(project, capsys,
                                                  monkeypatch):
    (project / ".confcheck.toml").write_text(
        'ignore = ["OSL008", "OSL003"]\nstrict = true\n')
    monkeypatch.chdir(project / "etc")
    assert codes(capsys, "nova.conf")[0] == cli.EXIT_ERRORS
    # The command line overrides the file, both ways.
    assert codes(capsys, "--no-strict", "nova.conf")[0] == cli.EXIT_OK
    assert codes(capsys, "--ignore", "OSL", "nova.conf") == (
        cli.EXIT_OK, [])
    assert len(codes(capsys, "--no-config", "nova.conf")[1]) == 3


def test_pyproject_tool_table(project, capsys):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.confcheck]\nselect = ["OSL008"]\n'
        'format = "json"\n')
    status = cli.main(["etc/nova.conf"])
    data = json.loads(capsys.readouterr().out)
    assert status == cli.EXIT_ERRORS
    assert [f["code"] for f in data["findings"]] == ["OSL008"]


def test_pyproject_without_the_table_is_passed_over(project, tmp_path):
    (tmp_path / ".confcheck.toml").write_text("strict = true\n")
    (project / "pyproject.toml").write_text('[tool.ruff]\nline-length = 79\n')
    assert settings.find() == str(tmp_path / ".confcheck.toml")


def test_own_file_wins_over_pyproject_in_one_directory(project):
    (project / "pyproject.toml").write_text("[tool.confcheck]\n")
    (project / ".confcheck.toml").write_text("")
    assert settings.find() == str(project / ".confcheck.toml")


def test_explicit_config_file(project, tmp_path, capsys):
    other = tmp_path / "ci.toml"
    other.write_text('select = ["OSL003"]\n')
    assert codes(capsys, "--config", str(other), "etc/nova.conf") == (
        cli.EXIT_ERRORS, ["OSL003"])


def test_per_file_ignores_and_exclude(project, capsys):
    (project / "etc" / "old").mkdir()
    (project / "etc" / "old" / "nova.conf").write_text(NOVA)
    (project / ".confcheck.toml").write_text(
        'exclude = ["old"]\n[per-file-ignores]\n"etc/*.conf" = ["OSL008"]\n')
    status, found = codes(capsys, "etc")
    assert "OSL008" not in found
    assert len(found) == 2
    data = cli.main(["--format", "json", "etc"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert data == status and summary["files"] == 1
    assert summary["suppressed"] == 1


@pytest.mark.parametrize("text, message", [
    ("strict = 'yes'\n", "strict must be true or false"),
    ("select = 'OSL'\n", "select must be a list of strings"),
    ("format = 'xml'\n", "format must be one of"),
    ("colour = true\n", "unknown setting 'colour'"),
    ("select = [\n", "not valid TOML"),
    ('select = ["NOPE"]\n', "no code starts with NOPE"),
])
def test_bad_configuration_is_a_usage_error(project, capsys, text,
                                            message):
    (project / ".confcheck.toml").write_text(text)
    assert cli.main(["etc/nova.conf"]) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
