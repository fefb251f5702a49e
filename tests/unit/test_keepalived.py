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
"""The keepalived checker: keepalived -t in a namespace, fallback, lints."""

from __future__ import annotations

import os
import pathlib
import pwd
import subprocess

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import keepalived, keepalived_tool

SAMPLES = pathlib.Path(__file__).parent / "samples" / "keepalived"
GOOD = (SAMPLES / "good_three_nodes.conf").read_text()
GLOBAL = "global_defs {\n  enable_script_security\n  script_user root\n}\n"
SCRIPT = 'vrrp_script chk {\n  script "/usr/bin/killall -0 haproxy"\n}\n'


def instance(*lines: str, vips: str = "    10.0.0.11\n") -> str:
    """A vrrp_instance starting at line 1; extra lines start at line 6."""
    body = "".join(f"  {line}\n" for line in lines)
    return ("vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n"
            "  virtual_router_id 51\n  priority 100\n" + body
            + "  virtual_ipaddress {\n" + vips + "  }\n}\n")


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "keepalived.conf", "keepalived")]


@pytest.fixture
def real(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("keepalived", "keepalived")
    realtools.require_netns()


BUILTIN_CASES = [
    ("extra_closing_brace", "global_defs {\n  router_id a\n}}\n",
     3, "KAL010"),
    ("unclosed_instance", instance()[:-2], 1, "KAL010"),
    ("unknown_keyword", instance("advert_intt 1"), 6, "KAL011"),
    ("vrid_300", instance().replace("_id 51", "_id 300"), 4, "KAL012"),
    ("priority_0", instance().replace("priority 100", "priority 0"),
     5, "KAL013"),
    ("no_interface", instance().replace("  interface eth0\n", ""),
     1, "KAL015"),
    ("master_nopreempt", instance("nopreempt").replace("BACKUP", "MASTER"),
     6, "KAL016"),
    ("script_without_security", SCRIPT + instance(), 1, "KAL017"),
    ("script_without_user", "global_defs {\n  enable_script_security\n}\n"
     + SCRIPT, 1, "KAL018"),
    ("track_undefined_script", GLOBAL + instance(
        "track_script {", "  nope", "}"), 11, "KAL019"),
    ("track_script_defined_below", GLOBAL + instance(
        "track_script {", "  chk", "}") + SCRIPT, 11, "KAL019"),
    ("vrrp_version_4", "global_defs {\n  vrrp_version 4\n}\n", 2, "KAL021"),
    ("instance_version_1", instance("version 1"), 6, "KAL021"),
    ("state_slave", instance().replace("BACKUP", "SLAVE"), 2, "KAL023"),
    ("vip_not_an_address", instance(vips="    controller\n"), 7, "KAL023"),
]

LINT_CASES = [
    ("priority_255", instance().replace("priority 100", "priority 255"),
     5, "KAL014"),
    ("advert_int_half", instance("advert_int 0.5"), 6, "KAL020"),
    ("advert_int_slow", instance("advert_int 30"), 6, "KAL020"),
    ("shared_vrid", instance() + instance().replace("VI_1", "VI_2"),
     13, "KAL022"),
    ("no_virtual_ipaddress", "vrrp_instance VI_1 {\n  interface eth0\n"
     "  virtual_router_id 51\n}\n", 1, "KAL024"),
]


@pytest.mark.parametrize("case,text,line,code", BUILTIN_CASES + LINT_CASES,
                         ids=[c[0] for c in BUILTIN_CASES + LINT_CASES])
def test_builtin_bad(builtin, case, text, line, code):
    assert (line, code) in codes(text)


@pytest.mark.parametrize("case,text,line,code", LINT_CASES,
                         ids=[c[0] for c in LINT_CASES])
def test_lints_with_real_keepalived(real, case, text, line, code):
    assert (line, code) in codes(text)


def test_good_three_nodes_builtin(builtin):
    assert codes(GOOD) == []


def test_good_three_nodes_real(real):
    """keepalived -t accepts it once eth0 exists (in the namespace)."""
    root, _ = keepalived.builtin(GOOD, "keepalived.conf")
    assert keepalived_tool.run_keepalived(GOOD, "keepalived.conf", root) == []
    assert codes(GOOD) == []


# Cases keepalived -t itself rejects, with the line it names.
REAL_CASES = [
    ("vrid_300", instance().replace("_id 51", "_id 300"), 4),
    ("unknown_keyword", instance("advert_intt 1"), 6),
    ("extra_closing_brace", "global_defs {\n  router_id a\n}}\n", 3),
    ("track_script_defined_below", GLOBAL + instance(
        "track_script {", "  chk", "}") + SCRIPT, 11),
    ("script_without_security", SCRIPT + instance(), 1),
]


@pytest.mark.parametrize("case,text,line", REAL_CASES,
                         ids=[c[0] for c in REAL_CASES])
def test_real_rejects_and_replaces_builtin(real, case, text, line):
    """keepalived -t speaks for syntax; the table adds no second finding."""
    found = codes(text)
    assert (line, "KAL001") in found
    assert not [c for _, c in found if c in keepalived.STRUCTURAL]


def test_real_messages_deduplicated(real):
    """keepalived prints brace errors twice; each is reported once."""
    found = check_text("global_defs {\n  router_id a\n}}\n",
                       "keepalived.conf", "keepalived")
    assert len(found) == len({(f.line, f.message) for f in found})


def test_real_interfaces_created_for_config(real):
    """A config on bond0 and a VIP on vlan10 check clean: both exist."""
    text = instance(vips="    10.0.0.11/24 dev vlan10\n").replace(
        "eth0", "bond0")
    assert codes(text) == []


def test_real_loopback_refused(real):
    """'interface lo' is a real error: VRRP cannot run on loopback."""
    found = codes(instance().replace("eth0", "lo"))
    assert "KAL001" in [c for _, c in found]


def test_real_node_script_and_user_are_not_errors(real):
    """The script lives on the node and script_user is a service user.

    keepalived -t alone says "not found/accessible" for the script and
    dies of SIGTERM for a non-root script_user; neither is a config error.
    """
    text = GOOD.replace("/usr/bin/killall -0 haproxy",
                        "/etc/keepalived/no-such-check.sh").replace(
        "script_user root", "script_user nobody")
    assert codes(text) == []


def test_safe_copy_keeps_lines_and_arguments():
    text = ('global_defs {\n  script_user haproxy haproxy\n}\n'
            'vrrp_script c {\n  script "/etc/keepalived/x.sh --fast"\n}\n')
    copy = keepalived_tool.safe_copy(text).splitlines()
    assert len(copy) == 6
    assert copy[1] == "  script_user root"
    assert copy[4] == '  script "/usr/bin/true --fast"'


def test_real_leaves_no_namespace(real):
    codes(GOOD)
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    assert f"cckeepalived-{os.getpid()}-" not in listing


def test_real_timeout_falls_back_and_cleans_up(real, monkeypatch):
    """A keepalived that never answers: reported, namespace still gone."""
    monkeypatch.setattr(keepalived_tool, "KEEPALIVED_TIMEOUT", 0.0001)
    found = codes(GOOD.replace("priority 101", "priority 0"))
    assert (0, "KAL003") in found and (20, "KAL013") in found
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    assert f"cckeepalived-{os.getpid()}-" not in listing


def test_interfaces_found_in_file_order():
    root, _ = keepalived.builtin(
        instance("track_interface {", "  eth1", "}",
                 vips="    10.0.0.11 dev eth2\n"), "k")
    assert keepalived.interfaces(root) == ["eth0", "eth1", "eth2"]


@pytest.mark.parametrize("mode", ["builtin", "real"])
@pytest.mark.parametrize("text", [
    "}}}}\n{{{\n",
    "garbage \" unterminated { ! comment\n",
    "vrrp_instance " + "x" * 200000 + " {\n}\n",
    "vrrp_instance {\n  interface " + "e" * 40 + "\n}\n",
    "vrrp_instance X {\n  priority\n  virtual_router_id\n  state\n}\n",
], ids=["only_braces", "garbage", "long_line", "long_ifname", "no_values"])
def test_bad_input_gives_findings_not_tracebacks(request, mode, text):
    request.getfixturevalue(mode)
    found = check_text(text, "keepalived.conf", "keepalived")
    assert found and all(f.code.startswith(("KAL", "GEN002")) for f in found)


def test_every_code_has_examples():
    for code in keepalived.CODES:
        assert code.bad and code.good and code.bad != code.good


def test_real_removes_script_without_a_script_user(tmp_path):
    """Finding 23 of the technical review says keepalived runs the script
    as root then; with enable_script_security it removes it instead, as
    the keepalived chapter says, unless a keepalived_script user exists.
    Only keepalived -t's parse messages matter here; no address is
    configured and nothing is sent."""
    binary = realtools.require("keepalived", "keepalived")
    script = tmp_path / "check.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    conf = tmp_path / "keepalived.conf"
    conf.write_text("global_defs {\n  enable_script_security\n}\n"
                    f'vrrp_script chk {{\n  script "{script}"\n}}\n')
    result = subprocess.run([binary, "-t", "-l", "-f", str(conf)],
                            capture_output=True, text=True, timeout=30,
                            check=False)
    output = result.stdout + result.stderr
    try:
        pwd.getpwnam("keepalived_script")
    except KeyError:
        assert "vrrp script chk - removing" in output
    else:
        assert "removing" not in output


def test_builtin_runs_no_tool(no_tools):
    """The reader half judges the text alone, even where keepalived -t
    could run: keepalived_tool is what runs it in a namespace."""
    root, findings = keepalived.builtin(GOOD, "keepalived.conf")
    assert findings == []
    assert keepalived.interfaces(root)
