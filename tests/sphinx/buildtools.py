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
"""Helpers for the extension's tests: warning lines and rebuilds."""

import re

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def confcheck_warnings(warning_stream) -> list[str]:
    """The [confcheck.*] warning lines, ANSI colours removed."""
    text = ANSI.sub("", warning_stream.getvalue())
    return [line for line in text.splitlines() if "[confcheck." in line]


def other_warnings(warning_stream) -> list[str]:
    """Warning lines that do not come from confcheck."""
    text = ANSI.sub("", warning_stream.getvalue())
    return [line for line in text.splitlines()
            if "WARNING" in line and "[confcheck." not in line]


def build_again(make_app, app_params, **kwargs):
    """A second build on the same source and build directories."""
    args, params = app_params.args, {**app_params.kwargs, **kwargs}
    app = make_app(*args, **params)
    read = []
    app.connect("env-before-read-docs",
                lambda _app, _env, docnames: read.extend(docnames))
    app.build()
    return app, read
