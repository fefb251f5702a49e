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
"""The xinetd service checker: braces, attributes, required settings."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import xinetd

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"
# A complete UNLISTED service; BODY's lines are 3..11, "}" is line 12.
BODY = ("    type = UNLISTED\n    port = 9200\n    bind = 10.0.0.12\n"
        "    socket_type = stream\n    protocol = tcp\n    wait = no\n"
        "    user = clustercheck\n"
        "    server = /usr/local/bin/galera-healthcheck.sh\n"
        "    flags = REUSE\n")
GOOD = "service galera-monitor\n{\n" + BODY + "}\n"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "xinetd.d/x",
                                                 "xinetd")]


CASES = [
    ("unknown_attribute", GOOD.replace("socket_type", "sockettype"),
     6, "XIN001"),
    ("unclosed", GOOD[:-2], 1, "XIN002"),
    ("stray_close", GOOD + "}\n", 13, "XIN002"),
    ("no_open_brace", GOOD.replace("{\n", "    port = 1\n", 1), 1,
     "XIN002"),
    ("outside_block", "port = 9200\n" + GOOD, 1, "XIN002"),
    ("unlisted_without_port", GOOD.replace("    port = 9200\n", ""),
     1, "XIN003"),
    ("without_server", GOOD.replace(
        "    server = /usr/local/bin/galera-healthcheck.sh\n", ""),
     1, "XIN003"),
    ("wait_false", GOOD.replace("wait = no", "wait = false"), 8, "XIN004"),
    ("bad_flag", GOOD.replace("REUSE", "REUSEADDR"), 11, "XIN004"),
    ("port_name", GOOD.replace("9200", "mysqlchk"), 4, "XIN004"),
    ("set_twice", GOOD.replace("    flags", "    port = 9201\n    flags"),
     11, "XIN005"),
    ("no_equals", GOOD.replace("port = 9200", "port 9200"), 4, "XIN006"),
    ("open_to_all", GOOD.replace("    bind = 10.0.0.12\n", ""),
     1, "XIN101"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


def test_complete_service_is_clean():
    assert found(GOOD) == []


def test_brace_on_header_line_and_defaults_block():
    text = ("defaults {\n    instances = 50\n    log_type = SYSLOG daemon "
            "info\n}\nincludedir /etc/xinetd.d\nservice galera-monitor {\n"
            + BODY + "    log_on_failure += USERID\n}\n")
    assert found(text) == []


def test_disabled_service_may_listen_anywhere():
    text = GOOD.replace("    bind = 10.0.0.12\n", "    disable = yes\n")
    assert found(text) == []


def test_guide_file_is_clean():
    path = EXAMPLES / "controller/etc/xinetd.d/galera-monitor"
    assert found(path.read_text()) == []


def test_codes_have_examples():
    for code in xinetd.CODES:
        assert code.bad and code.good and code.code.startswith("XIN")
