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
"""The CLI contract (output lines, exit codes) exercised on oslo files."""

import os
import re
import subprocess
import sys

import pytest

from confcheck import cli

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")
GOOD_NOVA = os.path.join(os.path.dirname(__file__), "samples", "oslo",
                         "good", "nova.conf")
LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+): (?P<sev>error|warning): "
                  r"(?P<code>[A-Z]{3}\d{3}): (?P<msg>.+)$")


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_clean_file_exits_0(capsys):
    assert cli.main([GOOD_NOVA]) == cli.EXIT_OK
    assert capsys.readouterr().out == ""


def test_errors_exit_1_with_one_line_per_finding(tmp_path, capsys):
    path = write(tmp_path, "nova.conf",
                 "[DEFAULT]\ndebug = maybe\n[default]\nx = 1\n")
    assert cli.main([path]) == cli.EXIT_ERRORS
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    parsed = [LINE.match(line).groupdict() for line in lines]
    assert [(p["path"], p["line"], p["sev"], p["code"]) for p in parsed] == [
        (path, "2", "error", "OSL008"), (path, "3", "error", "OSL003")]


def test_warnings_only_exit_0(tmp_path, capsys):
    path = write(tmp_path, "nova.conf",
                 "[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n")
    assert cli.main([path]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert LINE.match(out.strip()).group("sev") == "warning"


def test_unreadable_input_exits_2(tmp_path, capsys):
    binary = tmp_path / "nova.conf"
    binary.write_bytes(b"\x00\x01")
    assert cli.main([str(binary)]) == cli.EXIT_USAGE
    assert "binary" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nova.conf")]) == cli.EXIT_USAGE
    assert "no such file" in capsys.readouterr().err


def test_unknown_kind_exits_2(tmp_path, capsys):
    path = write(tmp_path, "api-paste.ini", "[DEFAULT]\n")
    assert cli.main([path]) == cli.EXIT_USAGE
    assert "unknown kind" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--kind", "no-such-kind", GOOD_NOVA])
    assert exc.value.code == cli.EXIT_USAGE


def test_unreadable_input_wins_over_errors(tmp_path, capsys):
    bad = write(tmp_path, "nova.conf", "[DEFAULT]\ndebug = maybe\n")
    assert cli.main([bad, str(tmp_path / "missing.conf")]) == \
        cli.EXIT_USAGE
    assert "1 errors" in capsys.readouterr().err


def test_kind_option_checks_any_name_as_oslo(tmp_path, capsys):
    path = write(tmp_path, "custom.conf", "[DEFAULT]\ndebug = true\n")
    assert cli.main(["--kind", "oslo", path]) == cli.EXIT_OK
    assert "OSL014" in capsys.readouterr().out


def test_python_m_confcheck_subprocess(tmp_path):
    """The real entry point: stdout lines and exit status from a process."""
    path = write(tmp_path, "keystone.conf",
                 "[catalog]\ndriver = keystone.catalog.backends.sql."
                 "Catalog\n")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(TOOLS))
    result = subprocess.run([sys.executable, "-m", "confcheck", path],
                            capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout == (f"{path}:2: error: OSL011: [catalog] driver = "
                             f"keystone.catalog.backends.sql.Catalog is a "
                             f"class path; keystone loads drivers by "
                             f"entry-point name (e.g. 'sql')\n")
