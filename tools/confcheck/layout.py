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
"""Where each file of the example tree lives: its role, node path, variant."""

from __future__ import annotations

import os

# variants/<name>/... holds alternative files for nodes of one role.
VARIANTS_DIR = "variants"
VARIANT_ROLE = "controller"


def _split(relpath: str) -> tuple[str, str, str | None]:
    parts = relpath.replace(os.sep, "/").split("/")
    if parts[0] == VARIANTS_DIR and len(parts) > 2:
        return VARIANT_ROLE, "/" + "/".join(parts[2:]), parts[1]
    return parts[0], "/" + "/".join(parts[1:]), None


def role_of(relpath: str) -> str:
    """The role whose nodes hold a tree file (controller, pacemaker)."""
    return _split(relpath)[0]


def path_on_node(relpath: str) -> str:
    """Where a tree file lives on its node: /etc/haproxy/haproxy.cfg."""
    return _split(relpath)[1]


def variant_of(relpath: str) -> str | None:
    """The variant name of variants/<name>/... files, else None."""
    return _split(relpath)[2]


def tree_files(examples_dir: str) -> list[str]:
    """Every file of the tree, relative, sorted (cluster.yaml included).

    A symbolic link whose target is outside the tree is left out: the
    tree checks read every file, and must not read one elsewhere.
    """
    found = []
    root = os.path.realpath(examples_dir)
    for top, dirs, files in os.walk(examples_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            path = os.path.join(top, name)
            if name.startswith(".") or os.path.commonpath(
                    [root, os.path.realpath(path)]) != root:
                continue
            rel = os.path.relpath(path, examples_dir)
            found.append(rel.replace(os.sep, "/"))
    return sorted(found)
