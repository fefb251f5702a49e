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


def check(text, path, kind, cache_root):
    """One build's check: the next call is another build."""
    try:
        return validate.findings(confcheck.Source(text, path, kind),
                                 cache_root)
    finally:
        validate.finish()


def test_second_check_comes_from_the_cache(tmp_path, counted):
    first = check(HAPROXY, "a/haproxy.cfg", "haproxy", tmp_path)
    again = check(HAPROXY, "a/haproxy.cfg", "haproxy", tmp_path)
    assert counted == ["a/haproxy.cfg"]
    assert first and again == first


def test_one_build_checks_a_source_once(tmp_path, counted):
    """Pages that include the same file wait for one check."""
    source = confcheck.Source(HAPROXY, "a/haproxy.cfg", "haproxy")
    validate.prefetch([source], str(tmp_path), wait=False)
    try:
        first = validate.findings(source, str(tmp_path))
        again = validate.findings(source, str(tmp_path))
    finally:
        validate.finish()
    assert counted == ["a/haproxy.cfg"]
    assert first and again == first


def test_another_name_is_checked_again(tmp_path, counted):
    """The same text under another file name is not the same verdict:
    an option of nova.conf is unknown in keystone.conf."""
    text = "[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n"
    assert check(text, "etc/nova/nova.conf", "oslo", tmp_path) == []
    found = check(text, "etc/keystone/keystone.conf", "oslo", tmp_path)
    assert [(f.path, f.line, f.code) for f in found] == [
        ("etc/keystone/keystone.conf", 2, "OSL004")]
    assert len(counted) == 2


def test_other_content_is_checked(tmp_path, counted):
    check(HAPROXY, "x", "haproxy", tmp_path)
    check(HAPROXY.replace("balanse", "balance"), "x", "haproxy", tmp_path)
    assert len(counted) == 2


def test_damaged_cache_entry_is_recomputed(tmp_path, counted):
    check(HAPROXY, "x", "haproxy", tmp_path)
    for entry in (tmp_path / validate.CACHE_DIR).iterdir():
        entry.write_text("{not json")
    assert check(HAPROXY, "x", "haproxy", tmp_path)
    assert len(counted) == 2


def test_no_cache_dir_means_no_cache(counted):
    check(HAPROXY, "x", "haproxy", None)
    check(HAPROXY, "x", "haproxy", None)
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
