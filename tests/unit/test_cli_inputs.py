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
"""Directory walks, standard input, explain and progress."""

import io
import json
import os
import subprocess
import sys

import pytest

import confcheck
from confcheck import cli, report

TOOLS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                     "tools"))


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """An /etc-like tree with known, unknown, hidden and linked files."""
    monkeypatch.chdir(tmp_path)
    etc = tmp_path / "etc"
    for rel, text in {
        "nova/nova.conf": "[DEFAULT]\ndebug = maybe\n",
        "nova/api-paste.ini": "[pipeline:main]\n",
        "nova/README": "notes\n",
        "haproxy/haproxy.cfg": "global\n    daemon\n",
        "sysctl.d/90-ha.conf": "net.ipv4.ip_nonlocal_bind = 1\n",
        ".git/nova.conf": "[DEFAULT]\ndebug = maybe\n",
    }.items():
        (etc / rel).parent.mkdir(parents=True, exist_ok=True)
        (etc / rel).write_text(text)
    outside = tmp_path / "outside" / "keystone.conf"
    outside.parent.mkdir()
    outside.write_text("[DEFAULT]\ndebug = maybe\n")
    os.symlink(outside, etc / "keystone.conf")
    os.symlink(tmp_path / "outside", etc / "linked-dir")
    os.mkfifo(etc / "nova" / "glance-api.conf")
    return etc


def checked_paths(capsys, *argv) -> list[str]:
    cli.main(["--format", "json", *argv])
    data = json.loads(capsys.readouterr().out)
    return sorted({f["path"] for f in data["findings"]}), data["summary"]


def test_walk_checks_known_names_only(tree, capsys):
    paths, summary = checked_paths(capsys, "etc")
    # Unknown names, hidden directories, links and special files are
    # skipped silently; the three known regular files are checked.
    assert summary["files"] == 3
    assert paths == ["etc/nova/nova.conf"]


def test_walk_uses_the_same_name_rules_as_kind_inference(tree):
    opts = cli.merge(cli.build_parser().parse_args(["x"]),
                     cli.settings.Settings())
    walked = cli.targets([str(tree)], opts)
    assert [(os.path.relpath(t.path, tree), t.kind) for t in walked] == [
        ("haproxy/haproxy.cfg", "haproxy"), ("nova/nova.conf", "oslo"),
        ("sysctl.d/90-ha.conf", "sysctl")]
    for target in walked:
        assert confcheck.infer_kind(target.path) == target.kind


def test_unknown_name_named_explicitly_is_reported(tree, capsys):
    paths, summary = checked_paths(capsys, "etc/nova/README", "etc")
    assert paths == ["etc/nova/README", "etc/nova/nova.conf"]
    assert summary["files"] == 4


def test_stdin_with_a_file_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(
        io.BytesIO(b"[DEFAULT]\ndebug = maybe\n")))
    status = cli.main(["--stdin-filename", "etc/nova/nova.conf", "-"])
    out = capsys.readouterr().out
    assert status == cli.EXIT_ERRORS
    assert out.startswith("etc/nova/nova.conf:2: error: OSL008: ")


def test_stdin_option_data_follows_the_file_name(tmp_path, capsys,
                                                 monkeypatch):
    """dhcp_agents_per_network is neutron's: unknown to nova."""
    monkeypatch.chdir(tmp_path)
    text = b"[DEFAULT]\ndhcp_agents_per_network = 2\n"
    status = {}
    for name in ("nova.conf", "neutron.conf"):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
        status[name] = cli.main(["--stdin-filename", name, "-"])
    assert status == {"nova.conf": cli.EXIT_ERRORS,
                      "neutron.conf": cli.EXIT_OK}
    assert capsys.readouterr().out.startswith("nova.conf:2: error: OSL004")


def test_stdin_without_a_name_needs_a_kind(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(
        io.BytesIO(b"global\n    daemon\n")))
    assert cli.main(["-"]) == cli.EXIT_ERRORS
    out = capsys.readouterr().out
    assert out.startswith("-:0: error: GEN011: ")
    assert "--stdin-filename" in out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(
        io.BytesIO(b"global\n    daemon\n")))
    assert cli.main(["--kind", "haproxy", "-"]) == cli.EXIT_OK


def test_stdin_binary_is_an_error_finding(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\x00")))
    assert cli.main(["--stdin-filename", "nova.conf", "-"]) == \
        cli.EXIT_ERRORS
    assert "GEN010: binary" in capsys.readouterr().out


def test_stdin_from_a_real_pipe(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "confcheck", "--stdin-filename",
         "haproxy.cfg", "--strict", "-"],
        input="frontend www\n    mode httpx\n",
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env=dict(os.environ, PYTHONPATH=TOOLS, CONFCHECK_EXTERNAL="0"),
        check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("haproxy.cfg:1: warning: HAP024: ")


def test_explain_prints_the_appendix_entry(capsys):
    assert cli.main(["explain", "gen010"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    code = confcheck.GENERAL.codes["GEN010"]
    assert out.startswith(f"GEN010 (error, any file): {code.title}\n")
    assert f"Why: {code.why}" in out
    assert "Bad:\n    $ confcheck /etc/haproxy/haproxy.cfg\n" in out
    assert "Good:\n    $ sudo confcheck" in out
    assert out.endswith(f"More: {report.code_url('GEN010')}\n")


def test_explain_knows_every_code_of_the_appendix(capsys):
    book = cli.codebook()
    assert set(book) >= {c.code for c in confcheck.all_codes()}
    for code in ("OSL004", "HAP010", "TRE001"):
        assert cli.main(["explain", code]) == cli.EXIT_OK
        assert capsys.readouterr().out.startswith(code)


def test_explain_unknown_code_suggests(capsys):
    assert cli.main(["explain", "OSL04"]) == cli.EXIT_USAGE
    assert "did you mean" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain"])
    assert exc.value.code == cli.EXIT_USAGE


def test_code_urls_are_stable_and_lower_case():
    assert report.code_url("OSL004") == f"{report.CODES_URL}#osl004"


def test_code_urls_point_at_the_appendix_entries():
    """The page exists in the guide and the anchors are the directive's."""
    from confcheck.sphinxext import tables

    page = report.CODES_URL.removeprefix(report.DOCS_URL)
    assert page.endswith(".html")
    source = os.path.join(TOOLS, "..", "doc", "source",
                          page.removesuffix(".html") + ".rst")
    with open(source, encoding="utf-8") as fh:
        assert ".. confcheck-codes::" in fh.read()
    for code in cli.codebook():
        assert report.code_url(code) == \
            f"{report.CODES_URL}#{tables.code_anchor(code)}"


def test_progress_only_when_asked_off_a_terminal(tree, capsys):
    cli.main(["-q", "etc"])
    assert capsys.readouterr().err == ""
    cli.main(["-q", "--progress", "etc"])
    err = capsys.readouterr().err.splitlines()
    # Files done, then the file the run waits for (the last when done).
    assert err == ["confcheck: [1/3] etc/nova/nova.conf",
                   "confcheck: [2/3] etc/sysctl.d/90-ha.conf",
                   "confcheck: [3/3] etc/sysctl.d/90-ha.conf"]


def test_progress_on_a_terminal_is_one_rewritten_line(monkeypatch):
    writes = []
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    monkeypatch.setattr("sys.stderr.write", writes.append)
    monkeypatch.setattr("sys.stderr.fileno", lambda: 2)
    monkeypatch.setattr(os, "get_terminal_size",
                        lambda fd: os.terminal_size((40, 20)))
    progress = cli.Progress(10, forced=False)
    progress.update(1, "etc/nova/nova.conf")
    assert writes == []  # a short run shows nothing
    progress.start -= 1.0
    progress.update(2, "etc/" + "x" * 80)
    progress.clear()
    assert writes[0].startswith("\r\033[K[2/10] etc/x")
    assert len(writes[0]) == len("\r\033[K") + 39
    assert writes[-1] == "\r\033[K"


def test_skip_unknown_for_tools_that_pass_every_file(tree, capsys):
    assert cli.main(["--skip-unknown", "etc/nova/README",
                     "etc/nova/nova.conf"]) == cli.EXIT_ERRORS
    assert "etc/nova/README" not in capsys.readouterr().out
    # Only unknown files: nothing to do, and that is not an error here.
    assert cli.main(["--skip-unknown", "etc/nova/README"]) == cli.EXIT_OK
    assert cli.main(["etc/nova/README"]) == cli.EXIT_ERRORS


def test_pre_commit_hook_manifest():
    """The hook runs the console script setup.cfg installs, on any text."""
    import configparser

    import yaml

    root = os.path.join(TOOLS, "..")
    with open(os.path.join(root, ".pre-commit-hooks.yaml"),
              encoding="utf-8") as fh:
        hooks = yaml.safe_load(fh)
    assert [h["id"] for h in hooks] == ["confcheck"]
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python"
    setup = configparser.ConfigParser()
    setup.read(os.path.join(root, "setup.cfg"))
    scripts = setup["options.entry_points"]["console_scripts"]
    script, _, target = scripts.strip().partition(" = ")
    command, *options = hook["entry"].split()
    assert (command, target) == (script, "confcheck.cli:main")
    # The options parse, and files of unknown kind are skipped.
    args = cli.build_parser().parse_args(options + ["README.rst"])
    assert args.skip_unknown


def test_a_directory_the_walk_cannot_read_is_an_error(tree, capsys,
                                                      monkeypatch):
    real = os.walk

    def walk(top, onerror=None, **kwargs):
        yield from real(top, onerror=onerror, **kwargs)
        if top != "etc":  # a checker's own walk
            return
        denied = PermissionError(13, "Permission denied")
        denied.filename = os.path.join(top, "secret")
        onerror(denied)

    monkeypatch.setattr(os, "walk", walk)
    assert cli.main(["etc"]) == cli.EXIT_ERRORS
    out = capsys.readouterr().out
    assert ("etc/secret:0: error: GEN010: cannot read the directory: "
            "Permission denied\n") in out


def test_control_characters_never_reach_the_terminal(tmp_path, capsys,
                                                     monkeypatch):
    """A hostile file name cannot forge a finding or colour the screen."""
    monkeypatch.chdir(tmp_path)
    name = "x\nfake.cfg:1: error: HAP001: forged\033[2J"
    os.mkdir(tmp_path / name)
    (tmp_path / name / "nova.conf").write_text("[DEFAULT]\ndebug = maybe\n")
    for fmt in ("text", "github"):
        assert cli.main(["--format", fmt, "--color", "always",
                         "."]) == cli.EXIT_ERRORS
        out = capsys.readouterr().out
        assert len(out.splitlines()) == 1
        assert "\033[2J" not in out and "\\x1b[2J" in out
