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
"""The example tree as a whole: cluster.yaml, per-node files, consistency."""

from __future__ import annotations

import dataclasses
import os
import re

import yaml

from confcheck.findings import Code, CodeBook
from confcheck.sources import InputError, read_text

CLUSTER_FILE = "cluster.yaml"
HAPROXY_CFG = "controller/etc/haproxy/haproxy.cfg"
KEEPALIVED_CONF = "controller/etc/keepalived/keepalived.conf"

# Top-level keys of cluster.yaml and the type each must have.
CLUSTER_KEYS = {"vips": dict, "hosts": dict, "services": list,
                "per_node": dict}
HAPROXY_STRATEGIES = frozenset({"haproxy", "haproxy-backup"})
HAPROXY_SECTIONS = frozenset({
    "global", "defaults", "frontend", "backend", "listen", "peers",
    "resolvers", "userlist", "program", "mailers", "http-errors", "ring",
    "cache", "log-forward", "fcgi-app"})
# Options that list every controller (one line each; value = host list).
TRANSPORT_URL = re.compile(r"^\s*transport_url\s*=\s*(?P<value>\S.*?)\s*$")
MEMCACHE_OPTION = re.compile(
    r"^\s*(?:memcache_servers|memcached_servers)\s*=\s*(?P<value>\S.*?)\s*$")
GCOMM = re.compile(r"^\s*wsrep[_-]cluster[_-]address\s*=\s*['\"]?"
                   r"gcomm://(?P<value>[^'\"\s]*)")
# Files that are data about the tree rather than part of it.
NOT_INCLUDED = frozenset({CLUSTER_FILE})

CODES = CodeBook(
    Code("TRE001", "error", "cluster.yaml cannot be read or is malformed",
         bad="hosts:\n  controller1: {role: controller\n",
         good="hosts:\n  controller1: {role: controller, "
              "address: 10.0.0.12}\n", lexer="yaml"),
    Code("TRE002", "error",
         "A service balanced by HAProxy has no proxy section",
         bad="# cluster.yaml: haproxy: glance_api\nlisten glance\n",
         good="# cluster.yaml: haproxy: glance_api\nlisten glance_api\n",
         lexer="haproxy"),
    Code("TRE003", "error",
         "A proxy does not bind the internal VIP at the service's port",
         bad="listen glance_api\n    bind 10.0.0.12:9292\n",
         good="listen glance_api\n    bind 10.0.0.11:9292\n",
         lexer="haproxy"),
    Code("TRE004", "error",
         "A proxy's servers are not exactly the controllers",
         bad="listen glance_api\n"
             "    server controller1 10.0.0.12:9292 check\n",
         good="listen glance_api\n"
              "    server controller1 10.0.0.12:9292 check\n"
              "    server controller2 10.0.0.13:9292 check\n"
              "    server controller3 10.0.0.14:9292 check\n",
         lexer="haproxy"),
    Code("TRE005", "error",
         "keepalived's virtual addresses differ from the VIPs",
         bad="virtual_ipaddress {\n    10.0.0.10/24 dev eth0\n}\n",
         good="virtual_ipaddress {\n    10.0.0.11/24 dev eth0\n}\n",
         lexer="keepalived"),
    Code("TRE006", "error",
         "A host list does not name exactly the controllers",
         bad="[cache]\nmemcache_servers = 10.0.0.12:11211\n",
         good="[cache]\nmemcache_servers = 10.0.0.12:11211,"
              "10.0.0.13:11211,10.0.0.14:11211\n", lexer="ini"),
    Code("TRE007", "error",
         "A per_node template does not match exactly one line",
         bad="per_node:\n  controller/etc/nova/nova.conf:\n"
             "    - my_ip = {adress}\n",
         good="per_node:\n  controller/etc/nova/nova.conf:\n"
              "    - my_ip = {address}\n", lexer="yaml"),
    Code("TRE008", "warning",
         "A file of the example tree is not included by any page",
         bad="doc/examples/controller/etc/nova/nova.conf  (no page)",
         good=".. include-example:: controller/etc/nova/nova.conf",
         lexer="rst"),
)


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
            lines[sub] = key.start_mark.line + 1
            _key_lines(value, sub, lines)
            lines[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _key_lines(value, path + (index,), lines)


def load_cluster(examples_dir: str) -> Cluster:
    """Read and shape-check cluster.yaml; raises ClusterError."""
    path = os.path.join(examples_dir, CLUSTER_FILE)
    try:
        text = read_text(path)
    except InputError as exc:
        raise ClusterError(str(exc)) from None
    try:
        data = yaml.safe_load(text)
        composed = yaml.compose(text)
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
    for name, vip in data["vips"].items():
        if not isinstance(vip, dict) or "address" not in vip:
            raise ClusterError(f"VIP {name!r} needs an 'address'",
                               cluster.line("vips", name))
    return cluster


def role_of(relpath: str) -> str:
    """The role directory a tree path belongs to (controller, pacemaker)."""
    return relpath.replace(os.sep, "/").split("/", 1)[0]


def _fill(cluster: Cluster, template: str, node: str) -> str:
    host = cluster.hosts[node]
    try:
        return template.format_map({"name": node, **host}).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise ClusterError(
            f"per_node template {template!r} cannot be filled in for "
            f"{node}: {exc!r}") from None


def per_node_lines(cluster: Cluster, relpath: str,
                   text: str) -> list[tuple[int, dict[str, str]]]:
    """For each template of relpath: (line number, {node: line on node}).

    Raises ClusterError when a template, filled in for the file's own
    node, does not match exactly one line (blanks at both ends ignored).
    """
    role = role_of(relpath)
    nodes = cluster.nodes(role)
    stripped = [line.strip() for line in text.splitlines()]
    result = []
    for template in cluster.templates(relpath):
        if not nodes:
            raise ClusterError(f"no host has role {role!r}")
        own = _fill(cluster, template, nodes[0])
        matches = [n for n, line in enumerate(stripped, 1) if line == own]
        if len(matches) != 1:
            raise ClusterError(
                f"per_node template {template!r} for {relpath} gives "
                f"{own!r} on {nodes[0]}, which matches {len(matches)} "
                f"lines of the file instead of exactly one")
        result.append((matches[0], {node: _fill(cluster, template, node)
                                    for node in nodes}))
    return result


def derive_node_file(cluster: Cluster, relpath: str, node: str) -> str:
    """The text of relpath (as on the role's first node) as on node."""
    if node not in cluster.hosts:
        raise ClusterError(f"unknown host {node!r}")
    text = read_text(os.path.join(cluster.examples_dir, relpath))
    lines = text.splitlines(keepends=True)
    for number, values in per_node_lines(cluster, relpath, text):
        if node not in values:
            raise ClusterError(
                f"{relpath} is a file of role {role_of(relpath)!r}; "
                f"{node} has role {cluster.hosts[node].get('role')!r}")
        old = lines[number - 1]
        indent = old[:len(old) - len(old.lstrip())]
        ending = old[len(old.rstrip("\r\n")):]
        lines[number - 1] = indent + values[node] + ending
    return "".join(lines)
