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
"""The validation cache and the inline-configuration heuristics."""

import pytest

import confcheck
from confcheck.sphinxext import snippets, validate

HAPROXY = "global\n    daemon\n\nlisten x\n    balanse roundrobin\n"


@pytest.fixture
def counted(monkeypatch):
    """Count the calls that reach the checkers."""
    calls = []
    real = confcheck.check_text

    def check_text(text, path, kind):
        calls.append(path)
        return real(text, path, kind)

    monkeypatch.setattr(confcheck, "check_text", check_text)
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    return calls


def test_second_check_comes_from_the_cache(tmp_path, counted):
    first = validate.check(HAPROXY, "a/haproxy.cfg", "haproxy", tmp_path)
    again = validate.check(HAPROXY, "b/haproxy.cfg", "haproxy", tmp_path)
    assert counted == ["a/haproxy.cfg"]
    assert first and [f.path for f in again] == ["b/haproxy.cfg"] * len(
        first)
    assert [(f.line, f.code) for f in again] == [(f.line, f.code)
                                                 for f in first]


def test_other_content_is_checked(tmp_path, counted):
    validate.check(HAPROXY, "x", "haproxy", tmp_path)
    validate.check(HAPROXY.replace("balanse", "balance"), "x", "haproxy",
                   tmp_path)
    assert len(counted) == 2


def test_damaged_cache_entry_is_recomputed(tmp_path, counted):
    validate.check(HAPROXY, "x", "haproxy", tmp_path)
    for entry in (tmp_path / validate.CACHE_DIR).iterdir():
        entry.write_text("{not json")
    assert validate.check(HAPROXY, "x", "haproxy", tmp_path)
    assert len(counted) == 2


def test_no_cache_dir_means_no_cache(counted):
    validate.check(HAPROXY, "x", "haproxy", None)
    validate.check(HAPROXY, "x", "haproxy", None)
    assert len(counted) == 2


@pytest.mark.parametrize("text", [
    "[DEFAULT]\ndebug = true\n",
    "listen galera\n    bind 10.0.0.11:3306\n",
    "    server controller1 10.0.0.12:3306 check\n",
    "vrrp_instance VI_1 {\n}\n",
    "totem {\n    version: 2\n}\n",
    "# pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11\n",
    "primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11\n",
])
def test_config_is_recognised(text):
    assert snippets.looks_like_config(text)


@pytest.mark.parametrize("text", [
    "Active: active (running) since Mon 2026-01-05\n",
    "| id | name | status |\n",
    "ERROR 2013 (HY000): Lost connection to server\n",
    "wsrep_cluster_size 3\n",
])
def test_output_is_not_config(text):
    assert snippets.looks_like_config(text) is None
