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
"""The CLI contract: output lines and the exit-code matrix."""

import os
import re
import subprocess
import sys

import pytest

import confcheck
from confcheck import cli, kinds

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")
GOOD_NOVA = os.path.join(os.path.dirname(__file__), "samples", "oslo",
                         "good", "nova.conf")
LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+): (?P<sev>error|warning): "
                  r"(?P<code>[A-Z]{2,3}\d{3}): (?P<msg>.+)$")
BAD_NOVA = "[DEFAULT]\ndebug = maybe\n[default]\nx = 1\n"
WARN_NOVA = "[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n"


@pytest.fixture(autouse=True)
def no_config(tmp_path, monkeypatch):
    """Run from an empty directory, so no configuration file is found."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def parsed(out: str) -> list[tuple[str, int, str, str]]:
    result = []
    for line in out.splitlines():
        match = LINE.match(line)
        assert match, f"not a finding line: {line!r}"
        result.append((match["path"], int(match["line"]), match["sev"],
                       match["code"]))
    return result


def test_clean_file_exits_0(capsys):
    assert cli.main([GOOD_NOVA]) == cli.EXIT_OK
    assert capsys.readouterr().out == ""


def test_errors_exit_1_with_one_line_per_finding(tmp_path, capsys):
    path = write(tmp_path, "nova.conf", BAD_NOVA)
    assert cli.main([path]) == cli.EXIT_ERRORS
    assert parsed(capsys.readouterr().out) == [
        (path, 2, "error", "OSL008"), (path, 3, "error", "OSL003")]


def test_warnings_only_exit_0_and_strict_makes_them_fail(tmp_path, capsys):
    path = write(tmp_path, "nova.conf", WARN_NOVA)
    assert cli.main([path]) == cli.EXIT_OK
    assert [f[2] for f in parsed(capsys.readouterr().out)] == ["warning"]
    assert cli.main(["--strict", path]) == cli.EXIT_ERRORS


@pytest.mark.parametrize("setup, reason", [
    (lambda p: p.write_bytes(b"\x00\x01"), "binary"),
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "directory"),
])
def test_unreadable_file_is_an_error_finding(tmp_path, capsys, setup,
                                             reason):
    target = tmp_path / "sub" / "nova.conf"
    target.parent.mkdir()
    setup(target)
    # A directory named explicitly is walked; one inside it is not a file.
    path = str(target if reason != "directory" else target.parent)
    status = cli.main([path])
    out = capsys.readouterr().out
    if reason == "directory":
        # Walked: an empty directory of unknown files is nothing to check.
        assert status == cli.EXIT_USAGE
        assert out == ""
        return
    assert status == cli.EXIT_ERRORS
    assert parsed(out) == [(path, 0, "error", "GEN010")]
    assert reason in out


def test_unknown_kind_named_explicitly_is_an_error_finding(tmp_path,
                                                           capsys):
    path = write(tmp_path, "api-paste.ini", "[DEFAULT]\n")
    assert cli.main([path]) == cli.EXIT_ERRORS
    out = capsys.readouterr().out
    assert parsed(out) == [(path, 0, "error", "GEN011")]
    assert "--kind" in out


def test_an_unreadable_file_never_hides_errors_elsewhere(tmp_path, capsys):
    bad = write(tmp_path, "nova.conf", "[DEFAULT]\ndebug = maybe\n")
    missing = str(tmp_path / "missing.conf")
    assert cli.main([bad, missing]) == cli.EXIT_ERRORS
    captured = capsys.readouterr()
    assert [f[3] for f in parsed(captured.out)] == ["OSL008", "GEN010"]
    assert "2 files, 2 errors" in captured.err


@pytest.mark.parametrize("argv", [
    ["--kind", "no-such-kind", GOOD_NOVA],
    ["--format", "xml", GOOD_NOVA],
    ["--no-such-option", GOOD_NOVA],
    [],
])
def test_bad_options_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == cli.EXIT_USAGE
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("argv, message", [
    (["--select", "NOPE", GOOD_NOVA], "no code starts with NOPE"),
    (["--ignore", "OSL999", GOOD_NOVA], "no code starts with OSL999"),
    (["-", "-"], "only once"),
])
def test_usage_errors_exit_2_with_nothing_checked(tmp_path, capsys, argv,
                                                  message):
    assert cli.main(argv) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_nothing_to_check_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    write(tmp_path, "empty/README", "not a configuration file\n")
    assert cli.main([str(tmp_path / "empty")]) == cli.EXIT_USAGE
    assert "nothing to check" in capsys.readouterr().err


def test_internal_error_exits_3_and_is_never_hidden(tmp_path, capsys,
                                                    monkeypatch):
    """A crash wins over errors, the other files are still checked, and
    neither --ignore nor a suppression comment can hide it."""

    def crash(text, path):
        raise KeyError("boom")

    monkeypatch.setattr(kinds.checker("hosts"), "check", crash)
    crashing = write(tmp_path, "hosts",
                     "# confcheck: file-ignore=GEN\n10.0.0.12 c1\n")
    bad = write(tmp_path, "nova.conf", "[DEFAULT]\ndebug = maybe\n")
    status = cli.main([crashing, bad, "--ignore", "GEN"])
    assert status == cli.EXIT_INTERNAL
    assert [f[3] for f in parsed(capsys.readouterr().out)] == [
        confcheck.INTERNAL_ERROR, "OSL008"]


def test_kind_option_checks_any_name_as_oslo(tmp_path, capsys):
    path = write(tmp_path, "custom.conf", "[DEFAULT]\ndebug = true\n")
    assert cli.main(["--kind", "oslo", path]) == cli.EXIT_OK
    assert "OSL014" in capsys.readouterr().out


def run_module(*args, stdin=None, cwd=None, env=None):
    env = dict(os.environ if env is None else env,
               PYTHONPATH=os.path.abspath(TOOLS))
    return subprocess.run([sys.executable, "-m", "confcheck", *args],
                          input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, check=False)


def test_python_m_confcheck_subprocess(tmp_path):
    """The real entry point: stdout lines and exit status from a process."""
    path = write(tmp_path, "keystone.conf",
                 "[catalog]\ndriver = keystone.catalog.backends.sql."
                 "Catalog\n")
    result = run_module(path, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == (f"{path}:2: error: OSL011: [catalog] driver = "
                             f"keystone.catalog.backends.sql.Catalog is a "
                             f"class path; keystone loads drivers by "
                             f"entry-point name (e.g. 'sql')\n")
    # Pipes get no colour; the hints say where each code is explained.
    assert "\033[" not in result.stdout + result.stderr
    assert "appendix/confcheck-codes.html#osl011" in result.stderr


def test_version(tmp_path):
    result = run_module("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"confcheck {confcheck.__version__}\n"


def test_version_imports_no_checker(tmp_path):
    """--version must stay cheap: no checker, option data or oslo.config."""
    probe = ("import sys\nfrom confcheck import cli\n"
             "try:\n    cli.main(['--version'])\nexcept SystemExit:\n"
             "    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith("
             "('confcheck.checks', 'oslo_config', 'yaml'))))\n")
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=os.path.abspath(TOOLS)),
        cwd=tmp_path, timeout=60, check=False)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_appendix_documents_every_option():
    """Each long option of --help is explained in the guide's appendix."""
    appendix = os.path.join(TOOLS, "..", "doc", "source", "appendix",
                            "confcheck.rst")
    with open(appendix, encoding="utf-8") as fh:
        text = fh.read()
    options = {opt for action in cli.build_parser()._actions
               for opt in action.option_strings if opt.startswith("--")}
    options -= {"--help", "--no-strict", "--no-config"}
    undocumented = sorted(o for o in options if f"``{o}" not in text)
    assert undocumented == []
