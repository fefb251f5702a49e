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
"""The example tree's consistency with cluster.yaml: the TRE checks."""

from __future__ import annotations

import ast
import dataclasses
import os
import re

from confcheck import net
from confcheck.checks import _braces, haproxy
from confcheck.checks import keepalived as keepalived_conf
from confcheck.cluster import (CLUSTER_FILE, Cluster, ClusterError,
                               load_cluster, match_template)
from confcheck.findings import Code, CodeBook, Finding
from confcheck.layout import tree_files
from confcheck.sources import InputError, read_text

HAPROXY_CFG = "controller/etc/haproxy/haproxy.cfg"
KEEPALIVED_CONF = "controller/etc/keepalived/keepalived.conf"

HAPROXY_STRATEGIES = frozenset({"haproxy", "haproxy-backup"})
# Options that list every controller (one line each; value = host list).
TRANSPORT_URL = re.compile(r"^\s*transport_url\s*=\s*(?P<value>\S.*?)\s*$")
MEMCACHE_OPTION = re.compile(
    r"^\s*(?:memcache_servers|memcached_servers)\s*=\s*(?P<value>\S.*?)\s*$")
GCOMM = re.compile(r"^\s*wsrep[_-]cluster[_-]address\s*=\s*['\"]?"
                   r"gcomm://(?P<value>[^'\"\s]*)")
# Files that are data about the tree rather than part of it.
NOT_INCLUDED = frozenset({CLUSTER_FILE})
HORIZON_SETTINGS = "local_settings.py"

CODES = CodeBook(
    Code("TRE001", "error", "cluster.yaml cannot be read or is malformed",
         bad="hosts:\n  controller1: {role: controller\n",
         good="hosts:\n  controller1: {role: controller, "
              "address: 10.0.0.12}\n", lexer="yaml",
         why="Every tree check and every other node's file is derived from "
             "cluster.yaml, so nothing can be checked against the address "
             "plan."),
    Code("TRE002", "error",
         "A service balanced by HAProxy has no proxy section",
         bad="# cluster.yaml: haproxy: glance_api\nlisten glance\n",
         good="# cluster.yaml: haproxy: glance_api\nlisten glance_api\n",
         lexer="haproxy",
         why="A service the plan balances without a proxy section is "
             "reachable on one node only; its VIP address answers nothing."),
    Code("TRE003", "error",
         "A proxy does not bind the internal VIP at the service's port",
         bad="listen glance_api\n    bind 10.0.0.12:9292\n",
         good="listen glance_api\n    bind 10.0.0.11:9292\n",
         lexer="haproxy",
         why="Clients reach the service at the internal VIP and its port (the "
             "catalog's endpoints), so a proxy bound elsewhere is never "
             "used."),
    Code("TRE004", "error",
         "A proxy's servers are not exactly the controllers",
         bad="listen glance_api\n"
             "    server controller1 10.0.0.12:9292 check\n",
         good="listen glance_api\n"
              "    server controller1 10.0.0.12:9292 check\n"
              "    server controller2 10.0.0.13:9292 check\n"
              "    server controller3 10.0.0.14:9292 check\n",
         lexer="haproxy",
         why="A missing controller gets no requests and a failover has one "
             "node fewer; an extra address sends requests to a host that is "
             "no controller."),
    Code("TRE005", "error",
         "keepalived's virtual addresses differ from the VIPs",
         bad="virtual_ipaddress {\n    10.0.0.10/24 dev eth0\n}\n",
         good="virtual_ipaddress {\n    10.0.0.11/24 dev eth0\n}\n",
         lexer="keepalived",
         why="keepalived would move addresses no client uses, and leave the "
             "VIPs the endpoints name unmanaged."),
    Code("TRE006", "error",
         "A host list does not name exactly the controllers",
         bad="[cache]\nmemcache_servers = 10.0.0.12:11211\n",
         good="[cache]\nmemcache_servers = 10.0.0.12:11211,"
              "10.0.0.13:11211,10.0.0.14:11211\n", lexer="ini",
         why="A client that knows only some controllers loses the service "
             "when those are down; an address that is no controller gets "
             "connections that time out."),
    Code("TRE007", "error",
         "A per_node template does not match exactly one line",
         bad="per_node:\n  controller/etc/nova/nova.conf:\n"
             "    - my_ip = {adress}\n",
         good="per_node:\n  controller/etc/nova/nova.conf:\n"
              "    - my_ip = {address}\n", lexer="yaml",
         why="The other nodes' derived files would keep controller1's value "
             "on a line nobody changed, or change the wrong line."),
    Code("TRE009", "error",
         "A service with one writer has more than one active server",
         bad="listen galera\n"
             "    server controller1 10.0.0.12:3306 check\n"
             "    server controller2 10.0.0.13:3306 check\n",
         good="listen galera\n"
              "    server controller1 10.0.0.12:3306 check\n"
              "    server controller2 10.0.0.13:3306 check backup\n",
         lexer="haproxy",
         why="A one-writer service such as Galera behind HAProxy needs one "
             "active server (the others backup); several active ones spread "
             "writes and OpenStack sees deadlock errors from write "
             "conflicts."),
    Code("TRE008", "warning",
         "A file of the example tree is not included by any page",
         bad="doc/examples/controller/etc/nova/nova.conf  (no page)",
         good=".. include-example:: controller/etc/nova/nova.conf",
         lexer="rst",
         why="A file no page includes is not shown to readers, and goes stale "
             "without anyone noticing."),
)


# -- whole-tree consistency -------------------------------------------------

@dataclasses.dataclass
class Proxy:
    """One section of haproxy.cfg, as far as the tree checks need it."""

    kind: str
    name: str
    line: int
    binds: list = dataclasses.field(default_factory=list)
    servers: list = dataclasses.field(default_factory=list)
    default_backend: str | None = None


def _host_port(spec: str) -> tuple[str, str]:
    # Without haproxy's ipv4@, unix@ ... address family prefixes.
    return net.split_host_port(spec.split("@", 1)[-1])


def parse_haproxy(text: str) -> dict[tuple[str, str], Proxy]:
    """(kind, name) -> Proxy for the proxy sections of haproxy.cfg.

    Read with the haproxy checker's parser (haproxy -c there is the judge
    of syntax); here only section headers, bind, server and
    default_backend lines matter.
    """
    proxies: dict[tuple[str, str], Proxy] = {}
    for section in haproxy.parse(text)[0]:
        current = Proxy(section.kind, section.name, section.line)
        proxies.setdefault((section.kind, section.name), current)
        for stmt in section.stmts:
            words, number = stmt.words, stmt.line
            if len(words) < 2:
                continue
            if words[0] == "bind":
                for spec in words[1].split(","):
                    current.binds.append((*_host_port(spec), number))
            elif words[0] == "server" and len(words) > 2:
                host, port = _host_port(words[2])
                current.servers.append(
                    (words[1], host, port, "backup" in words[3:], number))
            elif words[0] == "default_backend":
                current.default_backend = words[1]
    return proxies


def _hosts_problem(entries: list[str], cluster: Cluster) -> str | None:
    """Why a host list is not exactly the controllers, or None."""
    wanted = {}
    for node in cluster.nodes("controller"):
        wanted[cluster.hosts[node]["address"]] = node
        wanted[node] = node
    named = [wanted.get(_host_port(e.strip())[0]
                        if ":" in e else e.strip()) for e in entries]
    unknown = [e.strip()
               for e, n in zip(entries, named, strict=True) if n is None]
    missing = [n for n in cluster.nodes("controller") if n not in named]
    twice = sorted({n for n in named if n and named.count(n) > 1})
    reasons = ([f"not a controller: {', '.join(unknown)}"] * bool(unknown)
               + [f"missing {', '.join(missing)}"] * bool(missing)
               + [f"listed twice: {', '.join(twice)}"] * bool(twice))
    return "; ".join(reasons) or None


def _first_stray(servers: list, cluster: Cluster) -> int | None:
    """Line of the first server that is no controller or a repeat."""
    left = {cluster.hosts[n]["address"] for n in cluster.nodes("controller")}
    for _name, host, _port, _backup, line in servers:
        if host not in left:
            return line
        left.discard(host)
    return None


def _url_hosts(url: str) -> list[str]:
    body = url.split("://", 1)[-1].split("?", 1)[0]
    hosts = body.rpartition("/")[0] if "/" in body else body
    return [entry.rpartition("@")[2] for entry in hosts.split(",")]


def _memcache_hosts(value: str) -> list[str]:
    entries = re.split(r"[,;]", value)
    return [e.strip().removeprefix("inet:").removeprefix("inet6:")
            for e in entries if e.strip()]


def _line_lists(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, what, host entries) of every option that lists the nodes."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if m := TRANSPORT_URL.match(line):
            found.append((number, "transport_url", _url_hosts(m["value"])))
        elif m := MEMCACHE_OPTION.match(line):
            found.append((number, line.split("=", 1)[0].strip(),
                          _memcache_hosts(m["value"])))
        elif m := GCOMM.match(line):
            found.append((number, "wsrep_cluster_address",
                          [e for e in m["value"].split(",") if e]))
    return found


def _horizon_lists(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, what, hosts) of CACHES LOCATION in Horizon's settings."""
    try:
        module = ast.parse(text)
    except SyntaxError:
        return []  # the python checker reports it at its line
    found = []
    for node in ast.walk(module):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if (isinstance(key, ast.Constant) and key.value == "LOCATION"
                    and value is not None):
                try:
                    location = ast.literal_eval(value)
                except ValueError:
                    continue
                if isinstance(location, str):
                    location = _memcache_hosts(location)
                elif not isinstance(location, (list, tuple)):
                    location = [location]
                found.append((value.lineno, "CACHES LOCATION",
                              [str(e) for e in location]))
    return found


class TreeCheck:
    """The checks of one tree against its cluster.yaml."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.findings: list[Finding] = []

    def report(self, relpath: str, line: int, code: str, message: str):
        path = os.path.join(self.cluster.examples_dir, relpath)
        self.findings.append(CODES.finding(path, line, code, message))

    def read(self, relpath: str) -> str | None:
        try:
            return read_text(os.path.join(self.cluster.examples_dir,
                                          relpath))
        except InputError:
            return None  # the file's own check reports unreadable input

    def haproxy(self) -> None:
        balanced = [(i, s) for i, s in enumerate(self.cluster.data[
            "services"]) if s.get("strategy") in HAPROXY_STRATEGIES]
        text = self.read(HAPROXY_CFG) if balanced else None
        proxies = parse_haproxy(text) if text is not None else {}
        for index, service in balanced:
            self.haproxy_service(index, service, proxies, text is not None)

    def haproxy_service(self, index, service, proxies, have_cfg) -> None:
        cluster, name = self.cluster, service.get("haproxy")
        where = cluster.line("services", index)
        if not have_cfg or not name:
            self.report(CLUSTER_FILE, where, "TRE002", (
                f"service {service['name']!r} has strategy "
                f"{service['strategy']!r} but "
                + (f"the tree has no {HAPROXY_CFG}" if not have_cfg
                   else "no 'haproxy' key naming its proxy section")))
            return
        front = back = proxies.get(("listen", name))
        if front is None:
            front = proxies.get(("frontend", name))
            back = proxies.get(("backend", front.default_backend if front
                                and front.default_backend else name))
            if front is None and back is not None:
                front = next((p for p in proxies.values()
                              if p.default_backend == name), None)
        if front is None or back is None:
            self.report(CLUSTER_FILE, where, "TRE002", (
                f"service {service['name']!r}: {HAPROXY_CFG} has no "
                f"'listen {name}' (nor a frontend and backend {name})"))
            return
        vip = cluster.data["vips"].get("internal", {}).get("address")
        port = str(service.get("port", ""))
        if port and not any(h == vip and p == port
                            for h, p, _ in front.binds):
            self.report(HAPROXY_CFG, front.line, "TRE003", (
                f"'{front.kind} {name}' does not bind the internal VIP "
                f"at {vip}:{port} (service {service['name']!r} in "
                f"{CLUSTER_FILE})"))
        problem = _hosts_problem([s[1] for s in back.servers], cluster)
        if problem:
            line = _first_stray(back.servers, cluster) or back.line
            self.report(HAPROXY_CFG, line, "TRE004", (
                f"servers of '{back.kind} {back.name}' are not one per "
                f"controller at its address: {problem}"))
        active = [s for s in back.servers if not s[3]]
        if service["strategy"] == "haproxy-backup" and len(active) > 1:
            self.report(HAPROXY_CFG, active[1][4], "TRE009", (
                f"service {service['name']!r} has strategy haproxy-backup "
                f"(one writer) but '{back.kind} {back.name}' has "
                f"{len(active)} servers without 'backup'"))

    def keepalived(self) -> None:
        text = self.read(KEEPALIVED_CONF)
        if text is None:
            return  # VRRP may be left to Pacemaker; nothing to compare
        vips = {v["address"]: n for n, v in self.cluster.data["vips"].items()}
        blocks = [n for n in _braces.walk(keepalived_conf.parse(text)[0])
                  if n.name == "virtual_ipaddress" and n.children is not None]
        first = blocks[0].line if blocks else 0
        seen = set()
        for item in (i for block in blocks for i in block.items()):
            address = item.name.split("/", 1)[0]
            seen.add(address)
            if address not in vips:
                self.report(KEEPALIVED_CONF, item.line, "TRE005", (
                    f"virtual address {address} is not a VIP of "
                    f"{CLUSTER_FILE} ({', '.join(sorted(vips))})"))
        for address in sorted(set(vips) - seen):
            self.report(KEEPALIVED_CONF, first, "TRE005", (
                f"VIP {address} ({vips[address]}) of {CLUSTER_FILE} is in "
                f"no virtual_ipaddress block"))

    def host_lists(self, relpaths: list[str]) -> None:
        for relpath in relpaths:
            if relpath == CLUSTER_FILE:
                continue
            text = self.read(relpath)
            if text is None:
                continue
            lists = (_horizon_lists(text)
                     if relpath.endswith(HORIZON_SETTINGS)
                     else _line_lists(text))
            for line, what, hosts in lists:
                problem = _hosts_problem(hosts, self.cluster)
                if problem:
                    self.report(relpath, line, "TRE006", (
                        f"{what} must name exactly the controllers: "
                        f"{problem}"))

    def only_on(self, relpaths: list[str]) -> None:
        for relpath in self.cluster.data.get("only_on") or {}:
            if relpath not in relpaths:
                self.report(CLUSTER_FILE, self.cluster.line(
                    "only_on", relpath), "TRE007", f"only_on names "
                    f"{relpath!r}, which is not a file of the tree")

    def per_node(self, relpaths: list[str]) -> None:
        cluster = self.cluster
        for relpath, templates in cluster.data["per_node"].items():
            if relpath not in relpaths:
                self.report(CLUSTER_FILE, cluster.line("per_node", relpath),
                            "TRE007", f"per_node names {relpath!r}, which "
                                      f"is not a file of the tree")
                continue
            text = self.read(relpath) or ""
            for index, template in enumerate(templates or []):
                try:
                    match_template(cluster, relpath, text, template)
                except ClusterError as exc:
                    self.report(CLUSTER_FILE, cluster.line(
                        "per_node", relpath, index), "TRE007", str(exc))


def check_tree(examples_dir: str) -> list[Finding]:
    """Consistency of the tree with cluster.yaml (not the files' syntax)."""
    try:
        cluster = load_cluster(examples_dir)
    except ClusterError as exc:
        path = os.path.join(examples_dir, CLUSTER_FILE)
        return [CODES.finding(path, exc.line, "TRE001", str(exc))]
    relpaths = tree_files(examples_dir)
    check = TreeCheck(cluster)
    check.haproxy()
    check.keepalived()
    check.host_lists(relpaths)
    check.per_node(relpaths)
    check.only_on(relpaths)
    return sorted(check.findings)


def not_included(examples_dir: str, included: set[str]) -> list[Finding]:
    """TRE008 for every tree file (but cluster.yaml) no page includes."""
    return [CODES.finding(os.path.join(examples_dir, rel), 0, "TRE008",
                          f"no page includes this file; show it with "
                          f"'.. include-example:: {rel}' or remove it")
            for rel in tree_files(examples_dir)
            if rel not in included and rel not in NOT_INCLUDED]
