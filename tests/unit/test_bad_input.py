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
"""Bad input through the CLI, for every kind: a finding or exit 2, no crash.

Each case is run in-process through cli.main, so a traceback anywhere in
a checker fails the test instead of reaching the user.
"""

from __future__ import annotations

import re

import pytest

from confcheck import cli, sources

# One file name per kind, as the CLI infers it.
NAMES = {
    "haproxy": "haproxy.cfg", "keepalived": "keepalived.conf",
    "corosync": "corosync.conf", "mysql": "60-galera.cnf",
    "pcs": "vip.pcs", "crm": "vip.crm", "rabbitmq": "rabbitmq.conf",
    "rabbitmq-env": "rabbitmq-env.conf", "sysctl": "sysctl.conf",
    "memcached": "memcached.conf", "hosts": "hosts", "shell": "check.sh",
    "python": "local_settings.py", "yaml": "polling.yaml",
    "oslo": "nova.conf",
}
# Unreadable input: exit 2 and a one-line reason naming the file.
UNREADABLE = {
    "binary": (b"\x00\x01\x02 not text", "binary"),
    "non-utf8": (b"[DEFAULT]\ndebug = \xff\xfe\n", "not UTF-8"),
    "huge": (b"# " + b"x" * 78 + b"\n", "too large"),
}
# Readable but broken: findings (or none), never a crash.
BROKEN = {
    "empty": "",
    "keys-before-section": "debug = true\n[DEFAULT]\nverbose = 1\n",
    "broken-quoting": 'key = "never closed\n[x\n}\n{\n',
    "unbalanced": "global {\n  {\n]]]\n",
    "control-characters": "\x07\x1b[31m\x7f = \x01\n",
}
LINE = re.compile(r"^\S.*:\d+: (error|warning): [A-Z]+\d{3}: .+$")


# The real tools get their own garbage tests; these stay fast.
pytestmark = pytest.mark.usefixtures("builtin")


@pytest.mark.parametrize("kind", sorted(NAMES))
@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_input_is_one_error_finding(tmp_path, capsys, kind,
                                               case):
    data, reason = UNREADABLE[case]
    if case == "huge":
        data = data * (sources.MAX_BYTES // len(data) + 2)
    path = tmp_path / NAMES[kind]
    path.write_bytes(data)
    assert cli.main([str(path)]) == cli.EXIT_ERRORS
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and reason in out[0]
    assert out[0].startswith(f"{path}:0: error: GEN010: ")


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_directory_is_walked_and_missing_file_is_an_error(tmp_path, capsys,
                                                          kind):
    directory = tmp_path / NAMES[kind]
    directory.mkdir()
    # An empty directory: nothing to check, a usage error.
    assert cli.main([str(directory)]) == cli.EXIT_USAGE
    assert "nothing to check" in capsys.readouterr().err
    missing = tmp_path / "gone" / NAMES[kind]
    assert cli.main([str(missing)]) == cli.EXIT_ERRORS
    assert "GEN010: no such file" in capsys.readouterr().out


@pytest.mark.parametrize("kind", sorted(NAMES))
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_input_gives_findings_not_tracebacks(tmp_path, capsys,
                                                    kind, case):
    path = tmp_path / NAMES[kind]
    path.write_text(BROKEN[case], encoding="utf-8")
    status = cli.main([str(path)])
    out = capsys.readouterr().out.splitlines()
    assert status in (cli.EXIT_OK, cli.EXIT_ERRORS)
    assert all(LINE.match(line) for line in out), out
    if case == "empty":
        assert [line.split(": ")[2] for line in out] == ["GEN001"]
    if status == cli.EXIT_ERRORS:
        assert any(": error: " in line for line in out)


@pytest.mark.parametrize("kind", ["oslo", "mysql"])
def test_keys_before_any_section_are_an_error_at_line_1(tmp_path, capsys,
                                                         kind):
    path = tmp_path / NAMES[kind]
    path.write_text(BROKEN["keys-before-section"], encoding="utf-8")
    assert cli.main([str(path)]) == cli.EXIT_ERRORS
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{path}:1: error: ")
