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
"""The rabbitmq-env.conf checker: known variables and shell syntax."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import rabbitmq_env

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "rabbitmq-env.conf", "rabbitmq-env")]


CASES = [
    ("unknown_name", "NODE_NAME=rabbit@controller1\n", 1, "RME001"),
    ("unknown_prefixed", "# c\nRABBITMQ_NODEPORT=5672\n", 2, "RME001"),
    ("blanks_around_equals", "NODENAME = rabbit@controller1\n",
     1, "RME002"),
    ("command", "rabbitmqctl stop\n", 1, "RME002"),
    ("open_quote", 'SERVER_ADDITIONAL_ERL_ARGS="-kernel x\n', 1, "RME003"),
    ("unquoted_blanks", "SERVER_ADDITIONAL_ERL_ARGS=-kernel "
     "inet_dist_use_interface {10,0,0,12}\n", 1, "RME004"),
    ("set_twice", "NODE_PORT=5672\nRABBITMQ_NODE_PORT=5673\n",
     2, "RME005"),
    # A continued value is one assignment, reported where it starts.
    ("continued_open_quote", '# c\nCTL_ERL_ARGS="-proto_dist \\\n'
     '  inet_tls\n', 2, "RME003"),
    ("continued_unquoted_blanks", "CTL_ERL_ARGS=-proto_dist \\\n"
     "  inet_tls\n", 1, "RME004"),
    ("continued_into_unknown_name", 'NODENAME=rabbit@c1\nNODE_NAME="a \\\n'
     '  b"\n', 2, "RME001"),
    # An even number of backslashes is an escaped backslash: no
    # continuation, so the next line is a command of its own.
    ("escaped_backslash", "NODENAME=rabbit\\\\\n-proto_dist\n", 2,
     "RME002"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


def test_accepts_both_spellings_and_erlang_variables():
    text = ("NODENAME=rabbit@controller1\nRABBITMQ_USE_LONGNAME=false\n"
            "export NODE_IP_ADDRESS=10.0.0.12\nDIST_PORT=25672 # fixed\n"
            "ERL_EPMD_ADDRESS=10.0.0.12\n"
            "SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface "
            "{10,0,0,12}'\n")
    assert found(text) == []


@pytest.mark.parametrize("relpath", [
    "controller/etc/rabbitmq/rabbitmq-env.conf",
    "variants/tls/etc/rabbitmq/rabbitmq-env.conf"])
def test_guide_file_is_clean(relpath):
    assert found((EXAMPLES / relpath).read_text()) == []


def test_continued_value_is_one_assignment():
    text = ('# c\nCTL_ERL_ARGS="-proto_dist inet_tls \\\n'
            '# not a comment inside the quotes \\\n'
            '  -ssl_dist_opt client_verify verify_peer"\n'
            "NODENAME=rabbit@controller1\n")
    assert found(text) == []
    assert [n for n, _ in rabbitmq_env.logical_lines(text)] == [2, 5]


def test_names_come_from_the_broker():
    rabbit, other = rabbitmq_env.names()
    assert {"NODENAME", "NODE_IP_ADDRESS", "NODE_PORT", "DIST_PORT",
            "USE_LONGNAME", "SERVER_ADDITIONAL_ERL_ARGS"} <= rabbit
    assert "ERL_EPMD_ADDRESS" in other


def test_codes_have_examples():
    for code in rabbitmq_env.CODES:
        assert code.bad and code.good and code.code.startswith("RME")
