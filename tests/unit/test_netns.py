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
"""Throwaway namespaces are removed whatever happens inside them."""

from __future__ import annotations

import os
import subprocess

import pytest

import realtools
from confcheck.checks import _netns


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True,
                          text=True, timeout=10, check=True).stdout


def test_deleted_after_an_error_inside():
    realtools.require_netns()
    with pytest.raises(RuntimeError):
        with _netns.namespace("cctest") as name:
            _netns.add_veth(name, "eth0", 0)
            _netns.add_address(name, "10.0.0.12")
            assert name in namespaces()
            raise RuntimeError("boom")
    assert name not in namespaces()


def test_require_fails_instead_of_skipping_when_ci_demands(monkeypatch):
    """HAGUIDE_REQUIRE_DAEMONS=1 turns a missing binary into a failure."""
    monkeypatch.setenv(realtools.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="package no-such-pkg"):
        realtools.require("no-such-binary-confcheck", "no-such-pkg")
    monkeypatch.delenv(realtools.REQUIRE)
    with pytest.raises(pytest.skip.Exception, match="package no-such-pkg"):
        realtools.require("no-such-binary-confcheck", "no-such-pkg")


def test_not_usable_without_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert _netns.usable() is None
