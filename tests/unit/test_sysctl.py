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
"""The sysctl checker: keys against /proc/sys or the fallback list."""

from __future__ import annotations

import os
import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import sysctl

SAMPLES = pathlib.Path(__file__).parent / "samples" / "sysctl"


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "s.conf", "sysctl")]


CASES = [
    ("no_equals", "net.ipv4.ip_nonlocal_bind 1\n", 1, "SYS001"),
    ("no_value", "# c\nnet.ipv4.ip_forward =\n", 2, "SYS001"),
    ("garbage", "\x01\x02 ]]\n", 1, "SYS001"),
    ("typo_key", "net.ipv4.ip_nonlocalbind = 1\n", 1, "SYS002"),
    ("slash_typo_key", "net/ipv4/ip_nonlocalbind = 1\n", 1, "SYS002"),
    ("value_yes", "net.ipv4.ip_nonlocal_bind = yes\n", 1, "SYS003"),
    ("range_one_number", "\nnet.ipv4.ip_local_port_range = 32768\n",
     2, "SYS003"),
    ("set_twice", "net.ipv4.ip_forward = 0\nnet/ipv4/ip_forward = 1\n",
     2, "SYS004"),
]


@pytest.mark.parametrize("case,text,line,code", CASES,
                         ids=[c[0] for c in CASES])
def test_bad(case, text, line, code):
    assert (line, code) in codes(text)


def test_good_ha_file():
    assert codes((SAMPLES / "good_ha.conf").read_text()) == []


def test_optional_unknown_key_is_ignored():
    """'-key = value' asks sysctl to skip a key the kernel lacks."""
    assert codes("-net.nosuch.key = 1\n") == []


def test_message_names_proc_source():
    [finding] = check_text("net.ipv4.ip_forward = on\n", "s.conf", "sysctl")
    expected = (sysctl.SOURCE_PROC if os.path.isfile(
        "/proc/sys/net/ipv4/ip_forward") else sysctl.SOURCE_LIST)
    assert expected in finding.message


def test_fallback_list_when_proc_sys_lacks_keys(monkeypatch, tmp_path):
    """In a container without the key, the committed list answers."""
    monkeypatch.setattr(sysctl, "PROC_SYS", str(tmp_path))
    [finding] = check_text("net.ipv6.ip_nonlocal_bind = on\n", "s.conf",
                           "sysctl")
    assert finding.code == "SYS003"
    assert sysctl.SOURCE_LIST in finding.message
    assert codes("net.ipv6.ip_nonlocal_bind = 1\n") == []
    assert codes("kernel.not_in_the_list = 1\n") == [(1, "SYS002")]


def test_glob_keys():
    """systemd-sysctl accepts globs such as net.ipv4.conf.*.rp_filter."""
    if not os.path.isdir("/proc/sys/net/ipv4/conf"):
        pytest.skip("this kernel has no /proc/sys/net/ipv4/conf")
    assert codes("net.ipv4.conf.*.rp_filter = 2\n") == []


def test_long_line_gives_finding():
    assert codes("x" * 60000 + " = 1\n") == [(1, "SYS002")]


def test_every_code_has_examples():
    for code in sysctl.CODES:
        assert code.bad and code.good and code.bad != code.good
