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
"""The /etc/default/garb checker: what garb-systemd hands to garbd."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text, kinds

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"
GARB = "variants/stretch/etc/default/garb"
GOOD = ('GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n'
        'GALERA_GROUP="openstack"\n')


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "default/garb",
                                                 "garb")]


CASES = [
    ("blanks_around_equals", GOOD + "GALERA_GROUP = x\n", 3, "GRB001"),
    ("command", GOOD + "systemctl restart garb\n", 3, "GRB001"),
    ("open_quote", 'GALERA_GROUP="openstack"\nGALERA_NODES="10.0.0.12\n',
     2, "GRB002"),
    ("unquoted_blanks", 'GALERA_GROUP=openstack\n'
     "GALERA_NODES=10.0.0.12:4567 10.0.0.13:4567\n", 2, "GRB003"),
    ("no_group", 'GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n', 0,
     "GRB004"),
    ("empty_nodes", 'GALERA_GROUP="openstack"\n# nodes\nGALERA_NODES=""\n',
     3, "GRB004"),
    ("quote_in_group", GOOD + "GALERA_GROUP=\"open'stack\"\n", 3,
     "GRB005"),
    ("quote_in_log_file", GOOD + "LOG_FILE=\"/var/log/it's.log\"\n", 3,
     "GRB005"),
    ("port_too_big", 'GALERA_GROUP="openstack"\n'
     'GALERA_NODES="10.0.0.12:99999,10.0.0.13:4567"\n', 2, "GRB006"),
    ("bad_ipv4", 'GALERA_GROUP="x"\nGALERA_NODES="10.0.0.312,10.0.0.13"\n',
     2, "GRB006"),
    ("ipv6_without_brackets", 'GALERA_GROUP="x"\n'
     'GALERA_NODES="fd00::12:4567,[fd00::13]:4567"\n', 2, "GRB006"),
    ("ipv6_unclosed", 'GALERA_GROUP="x"\n'
     'GALERA_NODES="[fd00::12:4567,[fd00::13]:4567"\n', 2, "GRB006"),
    ("bad_host_name", 'GALERA_GROUP="x"\n'
     'GALERA_NODES="-db1:4567,db2:4567"\n', 2, "GRB006"),
    ("one_node", 'GALERA_GROUP="x"\nGALERA_NODES="10.0.0.12:4567"\n', 2,
     "GRB007"),
    ("remove_marker", "# REMOVE this line\n" + GOOD, 1, "GRB008"),
    ("galera_port", GOOD + 'GALERA_PORT="4568"\n', 3, "GRB009"),
    ("unknown_name", GOOD + 'GALERA_NODE="10.0.0.14"\n', 3, "GRB009"),
    ("option_without_value", GOOD + 'GALERA_OPTIONS="gmcast.segment 2"\n',
     3, "GRB010"),
    ("ignore_sb", GOOD + 'GALERA_OPTIONS="gmcast.segment=2; '
     'pc.ignore_sb=TRUE"\n', 3, "GRB011"),
    # A value continued over two lines is one assignment, reported at
    # the line where it starts.
    ("continued_one_node", 'GALERA_GROUP="x"\nGALERA_NODES="\\\n'
     '10.0.0.12:4567"\n', 2, "GRB007"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


def test_accepts_what_garb_systemd_accepts():
    text = ('# Arbitrator\nGALERA_NODES="10.0.0.12:4567 db2.example.org '
            '[fd00::13]:4567"\nexport GALERA_GROUP=openstack\n'
            "GALERA_OPTIONS='gmcast.segment=2;pc.ignore_sb=false'\n"
            'LOG_FILE="/var/log/garbd.log"  # own file\n'
            'WORK_DIR="/var/lib/garbd"\n')
    assert found(text) == []


def test_expansions_are_not_judged():
    """Only bash knows what $NODES holds; nothing is guessed."""
    text = ('NODES="10.0.0.12"\nGALERA_NODES="$NODES"\n'
            'GALERA_GROUP="`hostname`"\n')
    assert found(text) == [(1, "GRB009")]


def test_tree_file_is_clean_and_named_garb():
    path = EXAMPLES / GARB
    assert kinds.infer_kind(str(path)) == "garb"
    assert found(path.read_text()) == []


def test_other_default_files_stay_shell():
    assert kinds.infer_kind("/etc/default/garbd") == "shell"
    assert kinds.infer_kind("/etc/default/etcd") == "shell"


@pytest.mark.parametrize("text", [
    "", "\x00\x07=\x1b", "GALERA_NODES='\n", "GALERA_NODES=\\", "=",
    'GALERA_NODES="[' + ":" * 5000 + '"', "GALERA_OPTIONS=\";;=;\"",
    "GALERA_NODES=\"" + "a." * 3000 + "\""])
def test_hostile_input_gives_findings_with_lines(text):
    """Never a traceback; every finding on a line of the file."""
    lines = len(text.splitlines())
    for line, code in found(text):
        assert code[:3] in ("GRB", "GEN") and 0 <= line <= lines
