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
"""Fixtures of the extension's tests: warning lines and rebuilds.

Helpers are fixtures, not an imported module, so the tests run the same
under pytest's prepend and importlib import modes.
"""

import re

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def builtin_checks_only(monkeypatch):
    """The extension is under test, not haproxy or pcs: the built-in
    checks are fast and give the same findings on every machine."""
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")


def _lines(warning_stream) -> list[str]:
    return ANSI.sub("", warning_stream.getvalue()).splitlines()


@pytest.fixture
def confcheck_warnings():
    """f(stream): the [confcheck.*] warning lines, ANSI colours removed."""
    return lambda stream: [line for line in _lines(stream)
                           if "[confcheck." in line]


@pytest.fixture
def other_warnings():
    """f(stream): the warning lines that do not come from confcheck."""
    return lambda stream: [line for line in _lines(stream)
                           if "WARNING" in line and "[confcheck." not in line]


@pytest.fixture
def build_again(make_app, app_params):
    """f(): build once more on the same source and build directories;
    returns (app, docnames read)."""
    def build():
        app = make_app(*app_params.args, **app_params.kwargs)
        read = []
        app.connect("env-before-read-docs",
                    lambda _app, _env, docnames: read.extend(docnames))
        app.build()
        return app, read
    return build
