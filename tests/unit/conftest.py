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
"""Fixtures shared by the checker tests."""

import pytest

from confcheck import external
from confcheck.checks import _netns


@pytest.fixture
def builtin(monkeypatch):
    """Only the built-in checks, as on a docs builder without the tools."""
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")


@pytest.fixture
def no_tools(monkeypatch):
    """Fail the test if a real tool runs: for the checkers' reader halves,
    which judge the text alone."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a tool ran: {args[:1]}")

    monkeypatch.setattr(external, "run", refuse)
    monkeypatch.setattr(_netns, "run_in", refuse)
