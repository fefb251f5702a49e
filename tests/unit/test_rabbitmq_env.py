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


def test_guide_file_is_clean():
    path = EXAMPLES / "controller/etc/rabbitmq/rabbitmq-env.conf"
    assert found(path.read_text()) == []


def test_names_come_from_the_broker():
    rabbit, other = rabbitmq_env.names()
    assert {"NODENAME", "NODE_IP_ADDRESS", "NODE_PORT", "DIST_PORT",
            "USE_LONGNAME", "SERVER_ADDITIONAL_ERL_ARGS"} <= rabbit
    assert "ERL_EPMD_ADDRESS" in other


def test_codes_have_examples():
    for code in rabbitmq_env.CODES:
        assert code.bad and code.good and code.code.startswith("RME")
