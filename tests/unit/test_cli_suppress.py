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
"""Inline suppression comments, in every kind's comment style."""

import json

import pytest

import confcheck
from confcheck import cli, kinds, suppress

# A file name of each kind, for check_text.
NAMES = {
    "haproxy": "haproxy.cfg", "keepalived": "keepalived.conf",
    "corosync": "corosync.conf", "mysql": "galera.cnf", "pcs": "vip.pcs",
    "crm": "vip.crm", "rabbitmq": "rabbitmq.conf",
    "rabbitmq-env": "rabbitmq-env.conf", "garb": "default/garb",
    "sysctl": "sysctl.conf",
    "memcached": "memcached.conf", "hosts": "hosts",
    "xinetd": "xinetd.d/clustercheck", "shell": "check.sh",
    "python": "local_settings.py", "yaml": "cluster.yaml",
    "oslo": "nova.conf",
}


def test_every_kind_has_a_name_here():
    assert set(NAMES) == set(kinds.KINDS)


def with_comment(code, line: int) -> str:
    lines = code.bad.splitlines(keepends=True)
    lines.insert(line - 1, f"# confcheck: ignore={code.code}\n")
    return "".join(lines)


def first_suppressible(kind: str):
    """The first code whose bad example it reports on a line of content.

    (A finding about the file's first line, such as a missing shebang,
    stays on line 1 when a comment is put before it, so it cannot serve.)
    """
    for code in kinds.checker(kind).CODES:
        findings = confcheck.check_text(code.bad, NAMES[kind], kind)
        lines = [f.line for f in findings if f.code == code.code]
        if not lines or lines[0] == 0:
            continue
        text = with_comment(code, lines[0])
        after = confcheck.check_text(text, NAMES[kind], kind)
        if any(f.code == code.code and f.line == lines[0] + 1
               for f in after):
            return code, findings, lines[0], text, after
    raise AssertionError(f"{kind}: no bad example reports on a line")


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_comment_on_the_line_before_works_in_every_kind(kind, builtin):
    """The comment is valid syntax in each kind and hides only its code."""
    code, before, line, text, after = first_suppressible(kind)
    kept, hidden, named = suppress.apply(after, text)
    assert code.code not in {f.code for f in kept}
    assert code.code in {f.code for f in hidden}
    # The comment itself adds no finding of its own.
    assert {f.code for f in after} <= {f.code for f in before}
    assert named == [(line, code.code)]


def test_parse_scopes():
    text = ("# confcheck: file-ignore=HAP\n"
            "global\n"
            "    # confcheck: ignore=HAP010, hap011\n"
            "\n"
            "    # an ordinary comment in between\n"
            "    daemon\n"
            "    maxconn 10  # confcheck: ignore=HAP020\n"
            "; confcheck: ignore=MYS001\n"
            "! confcheck: ignore=KAL001\n"
            "x\n")
    rules = suppress.parse(text)
    assert rules.whole_file == {"HAP"}
    assert rules.by_line == {6: {"HAP010", "HAP011"}, 7: {"HAP020"},
                             10: {"MYS001", "KAL001"}}


def test_without_a_code_nothing_is_suppressed():
    rules = suppress.parse("# confcheck: ignore\nfoo\n# confcheck: ignore=\n")
    assert rules.by_line == {} and rules.whole_file == set()


def finding(line, code):
    return confcheck.Finding("f", line, "error", code, "m")


def test_line_zero_needs_file_ignore():
    text = "# confcheck: ignore=GEN001\nx\n"
    kept, hidden, _ = suppress.apply([finding(0, "GEN001")], text)
    assert kept and not hidden
    text = "x\n# confcheck: file-ignore=GEN001\n"
    kept, hidden, _ = suppress.apply([finding(0, "GEN001")], text)
    assert hidden and not kept


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_counts_suppressed_and_reports_unknown_codes(cwd, capsys):
    (cwd / "nova.conf").write_text(
        "[DEFAULT]\n# confcheck: ignore=OSL008\ndebug = maybe\n"
        "# confcheck: ignore=OSL99\nverbose = true\n")
    status = cli.main(["nova.conf"])
    captured = capsys.readouterr()
    assert status == cli.EXIT_ERRORS
    found = [line.split(": ")[2] for line in captured.out.splitlines()]
    # OSL99 matches no code: a warning says so, and the error remains.
    assert found == ["GEN012", "OSL004"]
    assert "1 suppressed" in captured.err


def test_suppressed_errors_make_a_clean_exit(cwd, capsys):
    (cwd / "haproxy.cfg").write_text(
        "# confcheck: file-ignore=HAP\nfrontend www\n    mode httpx\n")
    assert cli.main(["--format", "json", "haproxy.cfg"]) == cli.EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["summary"]["suppressed"] >= 1
