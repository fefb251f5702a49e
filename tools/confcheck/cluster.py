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
"""cluster.yaml: the address plan, and each node's copy of a tree file."""

from __future__ import annotations

import dataclasses
import functools
import os
import string

import yaml

from confcheck import layout
from confcheck.sources import InputError, read_text

CLUSTER_FILE = "cluster.yaml"
# Top-level keys of cluster.yaml and the type each must have.
CLUSTER_KEYS = {"vips": dict, "hosts": dict, "services": list,
                "per_node": dict}
# libyaml when PyYAML has it: reading the guide's cluster.yaml took 2 ms
# instead of about 100 ms with the pure-Python loader (measured here).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ClusterError(Exception):
    """cluster.yaml is unusable; ``line`` says where (0 = whole file)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclasses.dataclass(frozen=True)
class Cluster:
    """cluster.yaml, read: the data plus the line of every key."""

    examples_dir: str
    data: dict
    lines: dict

    @property
    def path(self) -> str:
        return os.path.join(self.examples_dir, CLUSTER_FILE)

    @property
    def hosts(self) -> dict:
        return self.data["hosts"]

    def line(self, *keys) -> int:
        """Line of the deepest known key on the path keys (1-based)."""
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys, 0)

    def nodes(self, role: str) -> list[str]:
        """Host names of role, in the order cluster.yaml lists them."""
        return [name for name, host in self.hosts.items()
                if host.get("role") == role]

    def file_nodes(self, relpath: str) -> list[str]:
        """The nodes that hold a tree file, the one it is written for first.

        Every node of the file's role, unless only_on names some of them
        (a variant's file that only some controllers hold).
        """
        only = (self.data.get("only_on") or {}).get(relpath)
        return list(only) if only else self.nodes(layout.role_of(relpath))

    def first_node(self, role: str) -> str | None:
        """The node a file of role is written for (controller1 ...)."""
        nodes = self.nodes(role)
        return nodes[0] if nodes else None

    def templates(self, relpath: str) -> list[str]:
        return list(self.data["per_node"].get(relpath) or [])


def _key_lines(node: yaml.Node, path: tuple, lines: dict) -> None:
    # PyYAML's safe_load drops positions; the composed node tree keeps
    # them, so every error can name the line of the key at fault.
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            _key_lines(value, sub, lines)
            lines[sub] = key.start_mark.line + 1  # the key, not its value
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _key_lines(value, path + (index,), lines)


def load_cluster(examples_dir: str) -> Cluster:
    """Read and shape-check cluster.yaml; raises ClusterError."""
    path = os.path.join(examples_dir, CLUSTER_FILE)
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is None:
        return _load_cluster(examples_dir, 0, 0)
    return _load_cluster(examples_dir, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _load_cluster(examples_dir: str, mtime_ns: int, size: int) -> Cluster:
    # Every include reads cluster.yaml for its caption; the stat in the
    # key makes the memo safe across edits.
    path = os.path.join(examples_dir, CLUSTER_FILE)
    try:
        text = read_text(path)
    except InputError as exc:
        raise ClusterError(str(exc)) from None
    try:
        composed = yaml.compose(text, Loader=YAML_LOADER)
        data = (YAML_LOADER(text).construct_document(composed)
                if composed is not None else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc)
        raise ClusterError(f"not valid YAML: {reason}", line) from None
    lines: dict = {}
    if composed is not None:
        _key_lines(composed, (), lines)
    cluster = Cluster(os.path.abspath(examples_dir),
                      data if isinstance(data, dict) else {}, lines)
    if not isinstance(data, dict):
        raise ClusterError("expected a mapping at the top level", 1)
    for key, kind in CLUSTER_KEYS.items():
        if not isinstance(data.get(key), kind):
            raise ClusterError(
                f"'{key}' must be a {kind.__name__}", cluster.line(key))
    for name, host in data["hosts"].items():
        if not isinstance(host, dict) or not {"role", "address"} <= set(host):
            raise ClusterError(
                f"host {name!r} needs 'role' and 'address'",
                cluster.line("hosts", name))
    for index, service in enumerate(data["services"]):
        if not isinstance(service, dict) or "name" not in service:
            raise ClusterError("every service needs a 'name'",
                               cluster.line("services", index))
    for relpath, templates in data["per_node"].items():
        if not isinstance(templates, list | None) or not all(
                isinstance(t, str) for t in templates or []):
            raise ClusterError(
                f"per_node {relpath!r} must be a list of line templates",
                cluster.line("per_node", relpath))
    only_on = data.get("only_on") or {}
    if not isinstance(only_on, dict):
        raise ClusterError("'only_on' must be a dict", cluster.line(
            "only_on"))
    for relpath, names in only_on.items():
        role = layout.role_of(str(relpath))
        if not isinstance(names, list) or not names or not all(
                name in cluster.nodes(role) for name in names):
            raise ClusterError(
                f"only_on {relpath!r} must list hosts of role {role!r}",
                cluster.line("only_on", relpath))
    for name, vip in data["vips"].items():
        if not isinstance(vip, dict) or "address" not in vip:
            raise ClusterError(f"VIP {name!r} needs an 'address'",
                               cluster.line("vips", name))
    return cluster


def _fill(cluster: Cluster, template: str, node: str) -> str:
    host = cluster.hosts[node]
    try:
        # Plain names only: str.format would also evaluate {a.b}, {a[0]}.
        fields = [f for _, f, _, _ in string.Formatter().parse(template)
                  if f is not None]
        if any(not f.isidentifier() for f in fields):
            raise ValueError("only {name} fields of a host are allowed")
        return template.format_map({"name": node, **host}).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise ClusterError(
            f"per_node template {template!r} cannot be filled in for "
            f"{node}: {exc!r}") from None


def match_template(cluster: Cluster, relpath: str, text: str,
                   template: str) -> tuple[int, dict[str, str]]:
    """(line number, {node: line on node}) of one per_node template.

    Raises ClusterError when the template, filled in for the file's own
    node, does not match exactly one line (blanks at both ends ignored).
    """
    role = layout.role_of(relpath)
    nodes = cluster.nodes(role)
    if not nodes:
        raise ClusterError(f"per_node {relpath}: no host has role {role!r}")
    own = _fill(cluster, template, nodes[0])
    matches = [n for n, line in enumerate(text.splitlines(), 1)
               if line.strip() == own]
    if len(matches) != 1:
        raise ClusterError(
            f"per_node template {template!r} gives {own!r} on {nodes[0]}, "
            f"which matches {len(matches)} lines of {relpath} instead of "
            f"exactly one")
    return matches[0], {node: _fill(cluster, template, node)
                        for node in nodes}


def per_node_lines(cluster: Cluster, relpath: str,
                   text: str) -> list[tuple[int, dict[str, str]]]:
    """match_template for every template of relpath, in order."""
    return [match_template(cluster, relpath, text, template)
            for template in cluster.templates(relpath)]


def derive_node_file(cluster: Cluster, relpath: str, node: str) -> str:
    """The text of relpath (as on the role's first node) as on node."""
    if node not in cluster.hosts:
        raise ClusterError(f"unknown host {node!r}")
    text = read_text(os.path.join(cluster.examples_dir, relpath))
    lines = text.splitlines(keepends=True)
    for number, values in per_node_lines(cluster, relpath, text):
        if node not in values:
            raise ClusterError(
                f"{relpath} is a file of role {layout.role_of(relpath)!r}; "
                f"{node} has role {cluster.hosts[node].get('role')!r}")
        old = lines[number - 1]
        indent = old[:len(old) - len(old.lstrip())]
        ending = old[len(old.rstrip("\r\n")):]
        lines[number - 1] = indent + values[node] + ending
    return "".join(lines)
