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
"""Sphinx adapter for confcheck: include, validate and tabulate examples.

Config values:

``confcheck_examples_dir``
    The example tree (doc/examples); include paths are relative to it.
``confcheck_validate``
    False turns the checks off (to measure their cost); includes work.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

import confcheck
from confcheck.sphinxext import emit, include, store


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("confcheck_examples_dir", "", "env",
                         types=frozenset({str}))
    app.add_config_value("confcheck_validate", True, "env",
                         types=frozenset({bool}))
    app.add_directive("include-example", include.IncludeExample)
    app.connect("env-purge-doc", store.purge_doc)
    app.connect("env-merge-info", store.merge_info)
    app.connect("env-updated", emit.emit_all)
    return {"version": confcheck.__version__,
            "env_version": 1,
            "parallel_read_safe": True,
            "parallel_write_safe": True}
