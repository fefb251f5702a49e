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
"""The memcached.conf checker: options from memcached --help."""

from __future__ import annotations

import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import memcached

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"
LISTEN = "-l 10.0.0.12\n"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "memcached.conf", "memcached")]


@pytest.fixture(params=["builtin", "installed"])
def source(request, monkeypatch):
    """Every case runs against the capture and the installed --help."""
    if request.param == "builtin":
        monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    else:
        monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
        realtools.require("memcached", "memcached")


CASES = [
    ("unknown_short", LISTEN + "-q\n", 2, "MEM001"),
    ("getopt_glues_value", LISTEN + "-memory 1024\n", 2, "MEM004"),
    ("unknown_long", LISTEN + "--memory=1024\n", 2, "MEM001"),
    ("unknown_extended", LISTEN + "-o hashpowr=20\n", 2, "MEM001"),
    ("missing_value", LISTEN + "# port\n-p\n", 3, "MEM002"),
    ("unknown_directive", LISTEN + "log /var/log/memcached.log\n",
     2, "MEM003"),
    ("memory_with_unit", LISTEN + "-m 1G\n", 2, "MEM004"),
    ("listen_hostname", "-l controller1\n", 1, "MEM004"),
    ("given_twice", LISTEN + "-m 64\n-m 1024\n", 3, "MEM005"),
    ("udp_on", LISTEN + "-U 11211\n", 2, "MEM101"),
    ("wildcard", "-l 0.0.0.0\n", 1, "MEM102"),
    ("no_listen", "-p 11211\n", 0, "MEM102"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(source, text, line, code):
    assert (line, code) in found(text)


def test_accepts_debian_forms(source):
    text = ("-d\nlogfile /var/log/memcached.log\n-m 64  # MB\n"
            "--port=11211\n-U 0\n-l 127.0.0.1,10.0.0.12\n-c1024\n"
            "-o modern,no_lru_crawler\n-vv\n-u memcache\n")
    assert found(text) == []


def test_guide_file_is_clean(source):
    assert found((EXAMPLES / "controller/etc/memcached.conf").read_text()
                 ) == []


def test_capture_matches_installed_help(monkeypatch):
    realtools.require("memcached", "memcached")
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    installed = dict(memcached.options())
    newer = NEWER_THAN_CAPTURE.get(realtools.version("memcached"), {})
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    captured = memcached.options()
    assert captured["version"] == "memcached 1.6.18"
    for key in ("short", "long"):
        assert installed[key] == captured[key]
    assert sorted(installed["extended"]) == sorted(
        [*captured["extended"], *newer.get("extended", ())])


# What a newer memcached (the lab root's) has beyond the capture, made
# from Debian 12's 1.6.18: the built-in proxy's -o options.
NEWER_THAN_CAPTURE = {
    "1.6.38": {"extended": ("proxy_arg", "proxy_config")},
}


def test_codes_have_examples():
    for code in memcached.CODES:
        assert code.bad and code.good and code.code.startswith("MEM")
