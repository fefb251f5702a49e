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
"""The real example tree: every file clean, consistent, and shown.

These run the checkers with the real tools where installed (haproxy -c,
keepalived -t, pcs ...), as the docs build does.
"""

import configparser
import re
from pathlib import Path

import pytest

import confcheck
from confcheck import sizing, tree
from confcheck.cluster import derive_node_file, load_cluster, per_node_lines
from confcheck.layout import role_of, tree_files, variant_of
from confcheck.checks import haproxy

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "doc" / "examples"
SOURCE = REPO / "doc" / "source"
# Directives whose argument is a file of the tree.
TREE_DIRECTIVE = re.compile(
    r"^\s*\.\.\s+(include-example|per-node-lines)::\s*(\S+)\s*$", re.M)
FILES = [rel for rel in tree_files(str(EXAMPLES))
         if rel not in tree.NOT_INCLUDED]


def tree_references() -> list[tuple[str, int, str]]:
    """(page, line, target) of every tree file a page names."""
    found = []
    for page in sorted(SOURCE.rglob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for m in TREE_DIRECTIVE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((str(page.relative_to(REPO)), line, m[2]))
    return found


@pytest.mark.parametrize("relpath", FILES)
def test_file_checks_clean(relpath):
    findings = confcheck.check_file(str(EXAMPLES / relpath))
    assert [f.format() for f in findings] == []


def test_tree_consistent_with_cluster_yaml():
    findings = tree.check_tree(str(EXAMPLES))
    assert [f.format() for f in findings] == []


def test_every_reference_names_a_file():
    missing = [f"{page}:{line}: {target}"
               for page, line, target in tree_references()
               if not (EXAMPLES / target).is_file()]
    assert missing == []


def test_every_file_is_included():
    included = {target for _page, _line, target in tree_references()}
    assert [rel for rel in FILES if rel not in included] == []


@pytest.mark.parametrize("relpath", sorted(
    load_cluster(str(EXAMPLES)).data["per_node"]))
def test_other_nodes_differ_only_in_the_declared_lines(relpath):
    """derive_node_file puts each node's value on the template lines and
    touches no other line (a value may equal controller1's)."""
    cluster = load_cluster(str(EXAMPLES))
    text = (EXAMPLES / relpath).read_text(encoding="utf-8")
    declared = per_node_lines(cluster, relpath, text)
    for node in cluster.nodes(role_of(relpath))[1:]:
        derived = derive_node_file(cluster, relpath, node).splitlines()
        changed = {n for n, (a, b) in enumerate(
            zip(text.splitlines(), derived, strict=True), 1) if a != b}
        assert changed <= {number for number, _values in declared}
        for number, values in declared:
            assert derived[number - 1].strip() == values[node]


def test_every_router_and_network_gets_its_agents():
    """Finding 3: neutron quietly runs a router or a network on fewer
    agents than these options ask for when fewer nodes run the agents, so
    the tree must have that many network nodes, and at least two."""
    cluster = load_cluster(str(EXAMPLES))
    server = configparser.ConfigParser(interpolation=None)
    server.read(EXAMPLES / "controller/etc/neutron/neutron.conf")
    network_nodes = cluster.nodes("network")
    assert len(network_nodes) >= 2
    for option in ("max_l3_agents_per_router", "dhcp_agents_per_network"):
        assert server.getint("DEFAULT", option) <= len(network_nodes), option


def test_forwarded_proto_is_deleted_before_it_is_set():
    """Finding 17: every HTTP proxy that passes X-Forwarded-For deletes
    the client's X-Forwarded-Proto before any rule sets it, so a client
    of the plain internal bind cannot claim HTTPS."""
    text = (EXAMPLES / "controller/etc/haproxy/haproxy.cfg").read_text()
    wrong = []
    for section in haproxy.parse(text)[0]:
        words = [[w.lower() for w in s.words] for s in section.stmts]
        if ["option", "forwardfor"] not in words:
            continue
        rules = [w[1:3] for w in words if w[:1] == ["http-request"]
                 and w[2:3] == ["x-forwarded-proto"]]
        if not rules or rules[0][0] != "del-header":
            wrong.append(section.name)
    assert wrong == []


def test_database_pools_fit_max_connections():
    """Finding 20: every pool of every controller at its ceiling fits
    the writer's max_connections, computed from the files themselves."""
    budget = sizing.db_budget(load_cluster(str(EXAMPLES)))
    assert budget.total <= budget.max_connections


def test_memcached_pools_fit_each_servers_connection_limit():
    """Every pool of every controller at its ceiling fits memcached's -c."""
    budget = sizing.memcached_budget(load_cluster(str(EXAMPLES)))
    assert budget.files
    assert budget.per_server <= budget.max_connections


def test_rabbitmq_budget_reads_every_messaging_file():
    """Each db_clients file with a transport_url enters the AMQP budget."""
    budget = sizing.rabbit_budget(load_cluster(str(EXAMPLES)))
    assert {f.relpath for f in budget.files} >= {
        "controller/etc/nova/nova.conf", "controller/etc/neutron/neutron.conf"}
    assert budget.total > 0


def test_every_file_with_database_pools_is_budgeted():
    """A service added to the tree must enter the connection budget."""
    cluster = load_cluster(str(EXAMPLES))
    budgeted = set(cluster.data[sizing.CLIENTS_KEY])
    pooled = set()
    for rel in FILES:
        if role_of(rel) != "controller" or variant_of(rel) \
                or not rel.endswith((".conf", ".ini")):
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string((EXAMPLES / rel).read_text(encoding="utf-8"))
        except configparser.Error:
            continue  # not an INI file (memcached.conf, hosts ...)
        if sizing.pool_sections(parser):
            pooled.add(rel)
    assert pooled == budgeted


def ini_value(relpath: str, section: str, option: str) -> str | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string((EXAMPLES / relpath).read_text(encoding="utf-8"))
    return parser.get(section, option, fallback=None)


@pytest.mark.parametrize("relpath,section,option,wanted", [
    # Finding 2: masakari-hostmonitor would report hosts before their
    # fence; the controllers' Pacemaker alert reports them instead.
    ("compute/etc/masakarimonitors/masakarimonitors.conf", "host",
     "disable_ipmi_check", None),
    ("compute/etc/masakarimonitors/masakarimonitors.conf", "host",
     "restrict_to_remotes", None),
    # Finding 9: one applier thread stalls writers through flow control.
    ("controller/etc/mysql/mariadb.conf.d/60-galera.cnf", "galera",
     "wsrep_slave_threads", "4"),
    # Finding 12: a returning memcached server must not serve old entries.
    ("controller/etc/keystone/keystone.conf", "cache",
     "memcache_pool_flush_on_reconnect", "true"),
    # Finding 13: a flow must survive the death of its worker.
    ("controller/etc/octavia/octavia.conf", "task_flow",
     "jobboard_enabled", "true"),
    # Finding 16: service user tokens are required for nova-compute too.
    ("compute/etc/nova/nova.conf", "service_user",
     "send_service_user_token", "true"),
    # Finding 29: only manila-share carries the shared host name.
    ("controller/etc/manila/manila.conf", "DEFAULT", "host", None),
    ("controller/etc/manila/manila-share.conf", "DEFAULT", "host",
     "manila"),
], ids=lambda v: v if isinstance(v, str) and "/" in v else None)
def test_tree_keeps_what_the_review_asked_for(relpath, section, option,
                                              wanted):
    """Regression guards for settings that technical-review findings
    changed; the chapters explain each."""
    assert ini_value(relpath, section, option) == wanted
