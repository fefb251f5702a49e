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
    A relative value is taken from the directory of conf.py.
``confcheck_validate``
    False turns the checks off (to measure their cost); includes work.
``confcheck_download_url``
    Where the published site serves ``_downloads/examples/`` (see
    downloads.py); printed under each listing where there are no links
    (the PDF). Empty: no address is printed.
"""

from __future__ import annotations

import os

from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

import confcheck
from confcheck import lexers
from confcheck.sphinxext import (downloads, emit, include, snippets,
                                 store, tables, toolversions, validate)

# Lexers this project publishes as pygments.lexers entry points.
OWN_LEXERS = (lexers.KeepalivedLexer, lexers.CorosyncLexer,
              lexers.XinetdLexer)


def add_lexers(app: Sphinx) -> None:
    """Register our lexers when the project is not pip-installed.

    Installed (tox, pip install -e), Pygments finds them through the entry
    points and so does doc8; from a bare checkout only Sphinx needs them.
    """
    for lexer in OWN_LEXERS:
        try:
            find_lexer_class_by_name(lexer.name)
        except ClassNotFound:
            app.add_lexer(lexer.name, lexer)


def absolute_examples_dir(app: Sphinx, config) -> None:
    """config-inited: anchor a relative examples dir at conf.py's dir."""
    if config.confcheck_examples_dir:
        config.confcheck_examples_dir = os.path.join(
            app.confdir, config.confcheck_examples_dir)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("confcheck_examples_dir", "", "env",
                         types=frozenset({str}))
    app.add_config_value("confcheck_validate", True, "env",
                         types=frozenset({bool}))
    app.add_config_value("confcheck_download_url", "", "env",
                         types=frozenset({str}))
    app.connect("config-inited", absolute_examples_dir)
    app.connect("build-finished", downloads.build_finished)
    app.add_post_transform(downloads.LinkTreePaths)
    app.add_directive("example-archives", downloads.ExampleArchives)
    add_lexers(app)
    app.add_directive("include-example", include.IncludeExample)
    app.add_directive("service-table", tables.ServiceTable)
    app.add_directive("per-node-lines", tables.PerNodeLines)
    app.add_directive("confcheck-codes", tables.ConfcheckCodes)
    app.add_directive("option-data-versions", tables.OptionDataVersions)
    app.add_directive("db-connection-budget", tables.DbConnectionBudget)
    app.add_directive("memcached-budget", tables.MemcachedBudget)
    app.add_directive("rabbitmq-budget", tables.RabbitBudget)
    app.add_directive("controller-processes", tables.ControllerProcesses)
    app.add_directive("option-data-releases", tables.OptionDataReleases)
    app.add_directive("confcheck-tool-versions", toolversions.ToolVersions)
    app.connect("doctree-read", snippets.lint_doctree)
    app.connect("env-purge-doc", store.purge_doc)
    app.connect("env-merge-info", store.merge_info)
    app.connect("env-updated", emit.emit_all)
    app.connect("env-updated", downloads.forget_tree_files)
    app.connect("env-get-outdated", include.prefetch)
    app.connect("build-finished", lambda app, exc: validate.finish())
    return {"version": confcheck.__version__,
            "env_version": 1,
            "parallel_read_safe": True,
            "parallel_write_safe": True}
