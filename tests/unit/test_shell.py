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
"""The shell checker: shebang, bash -n / sh -n with lines, HA pitfalls."""

from __future__ import annotations

import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import shell

SAMPLES = pathlib.Path(__file__).parent / "samples" / "shell"


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "x.sh", "shell")]


@pytest.fixture
def real(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("bash", "bash")
    realtools.require("sh", "dash")


# (case, text, line, code) found by bash -n or sh -n.
CASES = [
    ("unclosed_if", "#!/bin/bash\nif true; then\n  echo up\n", 3, "SHL001"),
    ("bad_paren", "#!/bin/bash\necho ok\necho (\n", 3, "SHL001"),
    ("unclosed_subshell", "#!/bin/bash\nx=$(\n", 2, "SHL001"),
    ("double_fi_sh", "#!/bin/sh\nif true; then\n  echo\nfi fi\n",
     4, "SHL001"),
    ("bashism_in_sh", "#!/bin/sh\n[[ -n x ]] && a=(1 2)\n", 2, "SHL001"),
    ("open_heredoc", "#!/bin/bash\ncat <<EOF\nup\n", 2, "SHL002"),
]


@pytest.mark.parametrize("case,text,line,code", CASES,
                         ids=[c[0] for c in CASES])
def test_syntax_errors(real, case, text, line, code):
    assert (line, code) in codes(text)


def test_echoed_source_line_is_not_a_second_finding(real):
    """bash repeats the bad line as "`echo ('"; one finding only."""
    assert codes("#!/bin/bash\necho (\n") == [(2, "SHL001")]


@pytest.mark.parametrize("name", ["good_check_haproxy.sh",
                                  "good_bash_functions.sh"])
def test_good_scripts(real, name):
    assert codes((SAMPLES / name).read_text()) == []


def test_no_shebang(real):
    assert (1, "SHL003") in codes("echo up\n")


def test_unknown_interpreter_is_not_parsed(real):
    assert codes("#!/bin/csh\nif ( 1 ) then\n") == [(1, "SHL004")]


def test_env_shebang():
    assert shell.interpreter("#!/usr/bin/env bash") == "bash"
    assert shell.interpreter("#! /bin/sh -e") == "sh"
    assert shell.interpreter("echo") is None


def test_systemctl_wsrep_new_cluster(builtin):
    text = "#!/bin/sh\n# systemctl start mariadb --wsrep-new-cluster\n" \
           "systemctl start mariadb --wsrep-new-cluster\n"
    assert codes(text) == [(3, "SHL005")]


def test_without_external_tools_only_builtin_rules(builtin):
    assert codes("#!/bin/bash\nif true; then\n") == []
    assert codes("echo up\n") == [(1, "SHL003")]


@pytest.mark.parametrize("text", [
    "\x01\x02 garbage (((\n",
    "#!/bin/bash\necho " + "x" * 200000 + "\n",
    "#!\n",
], ids=["garbage", "long_line", "empty_shebang"])
def test_bad_input_gives_findings_not_tracebacks(real, text):
    for finding in check_text(text, "x.sh", "shell"):
        assert finding.code.startswith(("SHL", "GEN002"))


def test_every_code_has_examples():
    for code in shell.CODES:
        assert code.bad and code.good and code.bad != code.good


def test_sourced_defaults_file_needs_no_shebang(tmp_path):
    """/etc/default files are sourced by an init script's /bin/sh: no
    SHL003, but still a syntax check with sh."""
    path = tmp_path / "default" / "manila-share"
    path.parent.mkdir()
    good = 'DAEMON_ARGS="$DAEMON_ARGS --config-file=/etc/x.conf"\n'
    assert check_text(good, str(path), "shell") == []
    bad = [f.code for f in check_text(
        'DAEMON_ARGS="$DAEMON_ARGS\n', str(path), "shell")]
    assert "SHL003" not in bad and "SHL001" in bad
