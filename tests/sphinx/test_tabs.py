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
"""sphinx-tabs parses tab content twice outside HTML: report once."""

import pytest


def assert_each_once(lines: list[str]) -> None:
    assert len(lines) == 2, lines
    assert any("index.rst:15:" in line
               and line.endswith("[confcheck.inline-config]")
               for line in lines)
    assert any("haproxy.cfg:12:" in line and "balanse" in line
               for line in lines)


@pytest.mark.sphinx("html", testroot="tabs", srcdir="tabs-html")
def test_html(app, confcheck_warnings):
    app.build()
    assert_each_once(confcheck_warnings(app.warning))


@pytest.mark.sphinx("latex", testroot="tabs", srcdir="tabs-latex")
def test_latex_parses_twice_reports_once(app, confcheck_warnings):
    app.build()
    assert_each_once(confcheck_warnings(app.warning))


@pytest.mark.sphinx("html", testroot="tabs", srcdir="tabs-rebuild")
def test_rebuild_reads_nothing_and_reports_again(app, build_again,
                                                 confcheck_warnings):
    """The incremental trap: nothing is re-read, all is reported."""
    app.build()
    again, read = build_again()
    assert read == []
    assert_each_once(confcheck_warnings(again.warning))
    assert confcheck_warnings(again.warning) == confcheck_warnings(
        app.warning)
