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
"""How examples are cut and shown, without a Sphinx build."""

import pytest

from confcheck import present

INI = """\
# nova.conf
[DEFAULT]
debug = false

# The database, through the VIP.
[database]
connection = mysql+pymysql://nova:NOVA_DBPASS@10.0.0.11/nova

[cache]
enabled = true

"""

HAPROXY = """\
global
    daemon

# API
listen keystone_api 10.0.0.11:5000
    server controller1 10.0.0.12:5000 check

listen galera
    server controller1 10.0.0.12:3306 check
"""

KEEPALIVED = """\
! keepalived
global_defs {
    router_id controller1
}

vrrp_instance VI_INTERNAL {
    virtual_ipaddress {
        10.0.0.11/24 dev eth0
    }
}
"""

XINETD = """\
service mysqlchk
{
    port = 9200
}
"""


@pytest.mark.parametrize("name, first, last", [
    ("DEFAULT", 2, 3),          # stops before the next section's comment
    ("database", 6, 7),
    ("cache", 9, 10),           # trailing blank lines dropped
])
def test_ini_sections(name, first, last):
    assert present.section_lines(INI, "oslo", name) == (first, last)


@pytest.mark.parametrize("name, first, last", [
    ("global", 1, 2),
    ("listen keystone_api", 5, 6),   # address after the name is allowed
    ("listen  galera", 8, 9),        # blanks in the request normalised
])
def test_haproxy_sections(name, first, last):
    assert present.section_lines(HAPROXY, "haproxy", name) == (first, last)


def test_brace_blocks():
    assert present.section_lines(KEEPALIVED, "keepalived",
                               "global_defs") == (2, 4)
    assert present.section_lines(KEEPALIVED, "keepalived",
                               "vrrp_instance VI_INTERNAL") == (6, 10)


def test_brace_on_its_own_line():
    """xinetd puts the opening brace on the line after the header."""
    assert present.section_lines(XINETD, "xinetd",
                               "service mysqlchk") == (1, 4)


def test_unknown_section_lists_the_known_ones():
    with pytest.raises(present.UnknownSection,
                       match=r"no section 'listen nova'.*'listen galera'"):
        present.section_lines(HAPROXY, "haproxy", "listen nova")


def test_kind_without_sections():
    with pytest.raises(present.UnknownSection, match="have no sections"):
        present.section_lines("-m 64\n", "memcached", "x")


def test_commands_get_one_prompt_each():
    text = ("# Fencing first.\n"
            "pcs stonith create f1 fence_ipmilan \\\n"
            "    ip=10.0.1.12\n"
            "\n"
            "pcs property set stonith-enabled=true\n")
    assert present.commands_as_console(text) == (
        "# # Fencing first.\n"
        "# pcs stonith create f1 fence_ipmilan \\\n"
        "    ip=10.0.1.12\n"
        "\n"
        "# pcs property set stonith-enabled=true\n")


def test_a_comment_ending_in_a_backslash_does_not_continue():
    """In the shell a comment ends at its line, backslash or not; the next
    line is a command (or comment) of its own and gets its prompt."""
    text = ("#   fence_ipmilan --ip=192.0.2.12 \\\n"
            "#       --lanplus --action=status\n")
    assert present.commands_as_console(text) == (
        "# #   fence_ipmilan --ip=192.0.2.12 \\\n"
        "# #       --lanplus --action=status\n")


@pytest.mark.parametrize("relpath, kind, node, caption", [
    ("controller/etc/haproxy/haproxy.cfg", "haproxy", "controller1",
     "/etc/haproxy/haproxy.cfg on controller1"),
    ("network/etc/neutron/l3_agent.ini", "oslo", "network1",
     "/etc/neutron/l3_agent.ini on network1"),
    ("variants/cinder-active-passive/etc/cinder/cinder.conf", "oslo",
     "controller1",
     "/etc/cinder/cinder.conf on controller1 (variant: "
     "cinder-active-passive)"),
    ("pacemaker/vip-haproxy.pcs", "pcs", None,
     "pcs commands, run on one controller"),
])
def test_captions(relpath, kind, node, caption):
    assert present.caption(relpath, kind, node) == caption


def test_crm_statements_keep_the_crmsh_lexer():
    statements = "primitive vip ocf:heartbeat:IPaddr2 \\\n    ip=10.0.0.11\n"
    commands = "crm configure property stonith-enabled=true\n"
    assert present.language("crm", statements) == "crmsh"
    assert present.caption("pacemaker/x.crm", "crm", None, statements) == (
        "crmsh configuration, load on one controller with crm configure")
    assert present.language("crm", commands) == "console"


@pytest.mark.parametrize("kind, lexer", [
    ("oslo", "ini"), ("mysql", "ini"), ("haproxy", "haproxy"),
    ("keepalived", "keepalived"), ("corosync", "corosync"),
    ("pcs", "console"), ("yaml", "yaml"), (None, "text")])
def test_lexer_per_kind(kind, lexer):
    assert present.lexer(kind) == lexer


def test_only_an_attached_comment_moves_to_the_next_section():
    """A comment with a blank line before the next header stays where it
    is: it may be about the lines above it."""
    text = ("[a]\nx = 1\n# about x\n\n[b]\ny = 2\n"
            "# about c\n[c]\nz = 3\n")
    assert present.section_lines(text, "oslo", "a") == (1, 3)
    assert present.section_lines(text, "oslo", "b") == (5, 6)
