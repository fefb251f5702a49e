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
"""The corosync checker: corosync -t in a namespace plus a line schema."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import corosync, corosync_tool

SAMPLES = pathlib.Path(__file__).parent / "samples" / "corosync"
GOOD = (SAMPLES / "good_knet_three_nodes.conf").read_text()


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "corosync.conf", "corosync")]


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.fixture
def real(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("corosync", "corosync")
    realtools.require_netns()


CASES = [
    ("missing_colon", edit("token: 3000", "token 3000"), 8, "COR010"),
    ("extra_closing_brace", edit("  token: 3000\n}", "  token: 3000\n}}"),
     9, "COR010"),
    ("unclosed_quorum", GOOD.replace("wait_for_all: 1\n}", "wait_for_all: 1"),
     29, "COR010"),
    ("key_typo", edit("token: 3000", "tokn: 3000"), 8, "COR011"),
    ("version_1", edit("version: 2", "version: 1"), 3, "COR013"),
    ("no_cluster_name", edit("  cluster_name: openstack\n", ""),
     2, "COR014"),
    ("transport_typo", edit("transport: knet", "transport: knett"),
     5, "COR015"),
    ("transport_udpu", edit("transport: knet", "transport: udpu"),
     5, "COR016"),
    ("cipher_typo", edit("aes256", "aes257"), 6, "COR017"),
    ("cipher_without_hash", edit("crypto_hash: sha256", "crypto_hash: none"),
     6, "COR017"),
    ("node_without_name", edit("    name: controller2\n", ""), 17, "COR024"),
    ("duplicate_nodeid", edit("nodeid: 3", "nodeid: 2"), 25, "COR019"),
    ("duplicate_address", edit("10.0.0.14", "10.0.0.13"), 23, "COR019"),
    ("provider_typo", edit("corosync_votequorum", "votequorum"),
     30, "COR020"),
    ("two_node_with_three", edit("wait_for_all: 1", "two_node: 1"),
     31, "COR021"),
    ("expected_votes_2", edit("wait_for_all: 1", "expected_votes: 2"),
     31, "COR022"),
    ("no_quorum_section", GOOD.split("quorum {")[0], 0, "COR023"),
]
OLD_KEYS = [(3, "secauth"), (5, "rrp_mode"), (7, "ringnumber"),
            (8, "bindnetaddr"), (9, "mcastaddr"), (13, "amf"),
            (16, "service"), (20, "aisexec")]


@pytest.mark.parametrize("case,text,line,code", CASES,
                         ids=[c[0] for c in CASES])
def test_builtin_bad(builtin, case, text, line, code):
    assert (line, code) in codes(text)


@pytest.mark.parametrize("case,text,line,code", CASES,
                         ids=[c[0] for c in CASES])
def test_real_bad(real, case, text, line, code):
    """With corosync -t the same problem is found once, at its line."""
    found = codes(text)
    assert (line, code) in found or (line, "COR001") in found
    assert len([f for f in found if f[0] == line]) == 1


@pytest.mark.parametrize("line,key", OLD_KEYS)
def test_corosync2_keys_denied(builtin, line, key):
    """corosync -t accepts these silently; the deny-list names them."""
    text = (SAMPLES / "bad_corosync2_era.conf").read_text()
    found = check_text(text, "corosync.conf", "corosync")
    assert [f.message for f in found if f.line == line
            and f.code == "COR012" and f"'{key}'" in f.message]


def test_good_knet_builtin(builtin):
    assert codes(GOOD) == []


def test_good_knet_real(real):
    """corosync -t accepts it (address on lo, throwaway authkey)."""
    root, _ = corosync.builtin(GOOD, "corosync.conf")
    assert corosync_tool.run_corosync(GOOD, "corosync.conf", root) == []
    assert codes(GOOD) == []


def test_real_duplicate_nodeid_reported_once_at_its_line(real):
    """corosync's 'Nodeid 2 appears twice' has no line; it gets one."""
    found = check_text(edit("nodeid: 3", "nodeid: 2"), "corosync.conf",
                       "corosync")
    assert [(f.line, f.code) for f in found] == [(25, "COR001")]
    assert "appears twice" in found[0].message


def test_real_leaves_no_namespace(real):
    codes(GOOD)
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    assert f"cccorosync-{os.getpid()}-" not in listing


def test_host_names_skip_the_real_run():
    """ring0_addr host names would need DNS in the namespace."""
    root, _ = corosync.builtin(edit("ring0_addr: 10.0.0.12",
                                    "ring0_addr: controller1"), "c")
    assert corosync.local_addresses(root) == []


@pytest.mark.parametrize("mode", ["builtin", "real"])
@pytest.mark.parametrize("text", [
    "}}}\n{{{\n",
    "totem {\n  version: 2\n  \x01garbage\n",
    "totem {\n  cluster_name: " + "x" * 200000 + "\n}\n",
    "nodelist {\n  node {\n    nodeid: x\n  }\n}\n",
    "quorum {\n  expected_votes: many\n}\n",
], ids=["only_braces", "garbage", "long_line", "bad_nodeid", "bad_votes"])
def test_bad_input_gives_findings_not_tracebacks(request, mode, text):
    request.getfixturevalue(mode)
    found = check_text(text, "corosync.conf", "corosync")
    assert found and all(f.code.startswith(("COR", "GEN002")) for f in found)


def test_every_code_has_examples():
    for code in corosync.CODES:
        assert code.bad and code.good and code.bad != code.good


def test_builtin_runs_no_tool(no_tools):
    """The reader half judges the text alone, even where corosync -t
    could run: corosync_tool is what runs it in a namespace."""
    root, findings = corosync.builtin(GOOD, "corosync.conf")
    assert findings == []
    assert corosync.local_addresses(root)


STRETCH = (pathlib.Path(__file__).parents[2] / "doc" / "examples" /
           "variants" / "stretch" / "etc" / "corosync" / "corosync.conf"
           ).read_text()


def stretch(old: str, new: str) -> str:
    assert old in STRETCH
    return STRETCH.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1)
                if fragment in line)


DEVICE_CASES = [
    ("two_node", "provider: corosync_votequorum\n",
     "provider: corosync_votequorum\n    two_node: 1\n", "two_node",
     "COR025"),
    ("auto_tie_breaker", "provider: corosync_votequorum\n",
     "provider: corosync_votequorum\n    auto_tie_breaker: 1\n",
     "auto_tie_breaker", "COR025"),
    ("last_man_standing", "provider: corosync_votequorum\n",
     "provider: corosync_votequorum\n    last_man_standing: 1\n",
     "last_man_standing", "COR025"),
    ("model_disk", "model: net", "model: disk", "model:", "COR026"),
    ("no_host", "            host: 10.0.0.14\n", "", "net {", "COR026"),
    ("algorithm_2nodelms", "algorithm: ffsplit", "algorithm: 2nodelms",
     "algorithm:", "COR026"),
    ("tls_yes", "tls: required", "tls: yes", "tls:", "COR026"),
    ("ffsplit_two_votes", "votes: 1", "votes: 2", "votes:", "COR026"),
    ("net_key_typo", "algorithm: ffsplit", "algoritm: ffsplit", "algoritm",
     "COR011"),
]


@pytest.mark.parametrize("old,new,where,code", [c[1:] for c in DEVICE_CASES],
                         ids=[c[0] for c in DEVICE_CASES])
def test_quorum_device_bad(builtin, old, new, where, code):
    text = stretch(old, new)
    assert (line_of(text, where), code) in codes(text)


def test_quorum_device_good(builtin):
    """The stretch variant's file, and lms with any number of votes."""
    assert codes(STRETCH) == []
    lms = stretch("algorithm: ffsplit", "algorithm: lms")
    assert codes(lms.replace("votes: 1", "votes: 3")) == []


def test_quorum_device_real(real):
    """corosync -t accepts the file (it does not read the device)."""
    assert codes(STRETCH) == []
