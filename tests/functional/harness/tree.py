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
"""The example tree as the tests see it, and its one mechanical rewrite.

Every daemon runs from a file of doc/examples, derived for controller2
and controller3 with the per_node templates of cluster.yaml, and then
passed through rewrite(): literal substitutions listed as data by each
scenario (addresses, data directories, pid files, ports where several
nodes share loopback) plus, for loopback scenarios, 10.0.0.N -> 127.0.0.N.
Nothing else changes, so what runs is what the guide shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "doc" / "examples"
CONTROLLERS = ("controller1", "controller2", "controller3")
# The guide's management network, mapped onto loopback outside namespaces.
MANAGEMENT = re.compile(r"\b10\.0\.0\.(\d{1,3})\b")


def cluster() -> dict:
    """cluster.yaml's data, through the same reader the docs build uses."""
    # Imported late so that collecting the tests needs only the stdlib.
    from confcheck.cluster import load_cluster
    return load_cluster(str(EXAMPLES)).data


def example_path(relpath: str) -> Path:
    """Path of an example file; a missing one fails the test."""
    path = EXAMPLES / relpath
    if not path.is_file():
        pytest.fail(f"doc/examples/{relpath} is missing from the example "
                    "tree", pytrace=False)
    return path


def example(relpath: str) -> str:
    return example_path(relpath).read_text()


def node_file(relpath: str, node: str) -> str:
    """The example file as it is on node (controller1's file derived)."""
    from confcheck.cluster import derive_node_file, load_cluster
    example_path(relpath)
    return derive_node_file(load_cluster(str(EXAMPLES)), relpath, node)


def address(node: str) -> str:
    return cluster()["hosts"][node]["address"]


def vip() -> str:
    return cluster()["vips"]["internal"]["address"]


def loopback(value: str) -> str:
    """10.0.0.N -> 127.0.0.N (the address rule outside namespaces)."""
    return MANAGEMENT.sub(r"127.0.0.\1", value)


def rewrite(text: str, substitutions: dict[str, str] | None = None, *,
            to_loopback: bool = False) -> str:
    """The one mechanical transformation; fails if a literal is absent.

    A substitution that matches nothing means the example changed under
    the test, which must then be looked at rather than silently run.
    """
    for old, new in (substitutions or {}).items():
        if old not in text:
            pytest.fail(f"rewrite: {old!r} not found in the example file",
                        pytrace=False)
        text = text.replace(old, new)
    return loopback(text) if to_loopback else text


def sections(text: str, keywords: tuple[str, ...]) -> dict[str, str]:
    """Top-level sections of an haproxy-style file, keyed 'kind name'.

    haproxy.cfg has no parser in the standard library; its grammar for
    this purpose is one rule: a section starts at a non-indented line
    whose first word is a section keyword and runs to the next one.
    """
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        words = line.split()
        if line[:1].strip() and words and words[0] in keywords:
            current = found.setdefault(" ".join(words[:2]), [])
        if current is not None:
            current.append(line)
    return {key: "\n".join(lines) + "\n" for key, lines in found.items()}
