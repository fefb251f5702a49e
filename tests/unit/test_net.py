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
"""The one host:port reader, and the checkers that read addresses."""

import pytest

from confcheck import check_text, net

SPLITS = [
    # (spec, bare_ipv6, host, port)
    ("10.0.0.11:9292", False, "10.0.0.11", "9292"),
    ("10.0.0.11", False, "10.0.0.11", ""),
    ("[fd00::11]:9292", False, "fd00::11", "9292"),
    ("[fd00::11]", False, "fd00::11", ""),
    (":::80", False, "::", "80"),
    ("*:80", False, "*", "80"),
    (":80", False, "", "80"),
    ("controller1:11211", False, "controller1", "11211"),
    ("fd00::11", True, "fd00::11", ""),
    ("fd00::11", False, "fd00:", "11"),
    ("[fd00::11]:11211", True, "fd00::11", "11211"),
    ("10.0.0.12:11211", True, "10.0.0.12", "11211"),
    ("", False, "", ""),
    ("[", False, "", ""),
]


@pytest.mark.parametrize("spec,bare,host,port", SPLITS,
                         ids=[f"{s!r}-{b}" for s, b, *_ in SPLITS])
def test_split_host_port(spec, bare, host, port):
    assert net.split_host_port(spec, bare_ipv6=bare) == (host, port)


@pytest.mark.parametrize("host,expected", [
    ("10.0.0.11", True), ("fd00::11", True), ("[fd00::11]", False),
    ("controller1", False), ("10.0.0.300", False), ("", False),
    ("٣.٣.٣.٣", False)])
def test_is_ip(host, expected):
    assert net.is_ip(host) is expected


def memcached_codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "memcached.conf", "memcached")]


@pytest.mark.parametrize("listen", [
    "10.0.0.12", "10.0.0.12:11211", "[fd00::12]:11211", "fd00::12",
    "notls:10.0.0.12:11211", "127.0.0.1,[::1]:11211"])
def test_memcached_reads_listen_addresses_as_memcached_does(
        monkeypatch, listen):
    """memcached's -l takes an optional notls: prefix, then v4:port,
    [v6]:port or a bare IPv6 address."""
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    assert memcached_codes(f"-l {listen}\n") == []


@pytest.mark.parametrize("listen,code", [
    ("controller1:11211", "MEM004"), ("[controller1]:11211", "MEM004"),
    ("0.0.0.0:11211", "MEM102"), ("[::]:11211", "MEM102")])
def test_memcached_listen_problems(monkeypatch, listen, code):
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    assert memcached_codes(f"-l {listen}\n") == [(1, code)]
