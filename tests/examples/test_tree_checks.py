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
"""tree.check_tree on a small tree, one broken fact at a time.

The base is the clean test root's tree (two controllers); each case edits
one line of a copy and expects one finding, at the line that is wrong.
"""

import shutil
from pathlib import Path

import pytest

from confcheck import tree
from confcheck.cluster import ClusterError, derive_node_file, load_cluster
from confcheck.layout import tree_files

BASE = Path(__file__).resolve().parents[1] / "roots/test-clean/examples"
HAPROXY = "controller/etc/haproxy/haproxy.cfg"
KEEPALIVED = "controller/etc/keepalived/keepalived.conf"
GALERA = "controller/etc/mysql/mariadb.conf.d/60-galera.cnf"
RABBIT = ("rabbit://openstack:RABBIT_PASS@10.0.0.12:5672,"
          "openstack:RABBIT_PASS@10.0.0.13:5672/")


@pytest.fixture
def examples(tmp_path) -> Path:
    copy = tmp_path / "examples"
    shutil.copytree(BASE, copy)
    return copy


def edit(examples: Path, relpath: str, old: str, new: str) -> None:
    path = examples / relpath
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def found(examples: Path) -> list[tuple[str, int, str]]:
    return [(str(Path(f.path).relative_to(examples)), f.line, f.code)
            for f in tree.check_tree(str(examples))]


def test_clean_tree(examples):
    assert found(examples) == []


@pytest.mark.parametrize("relpath, old, new, expected", [
    (HAPROXY, "listen galera", "listen mysql",
     [("cluster.yaml", 23, "TRE002")]),
    (HAPROXY, "bind 10.0.0.11:5000", "bind 10.0.0.12:5000",
     [(HAPROXY, 19, "TRE003")]),
    (HAPROXY, "controller2 10.0.0.13:5000", "controller2 10.0.0.14:5000",
     [(HAPROXY, 24, "TRE004")]),
    (HAPROXY, "    server controller2 10.0.0.13:5000 check inter 2000 "
              "rise 2 fall 5\n", "",
     [(HAPROXY, 19, "TRE004")]),
    (HAPROXY, "fall 5 backup", "fall 5",
     [(HAPROXY, 35, "TRE009")]),
    (KEEPALIVED, "10.0.0.11/24 dev eth0", "10.0.0.10/24 dev eth0",
     [(KEEPALIVED, 25, "TRE005"), (KEEPALIVED, 26, "TRE005")]),
    (GALERA, "gcomm://10.0.0.12,10.0.0.13", "gcomm://10.0.0.12",
     [(GALERA, 11, "TRE006")]),
    (GALERA, "gcomm://10.0.0.12,10.0.0.13",
     "gcomm://controller1,controller2,controller1",
     [(GALERA, 11, "TRE006")]),
    (GALERA, "wsrep_node_name = controller1", "wsrep_node_name = c1",
     [("cluster.yaml", 13, "TRE007")]),
], ids=["no-proxy", "bind", "stray-server", "missing-server", "two-writers",
        "vip", "gcomm-short", "gcomm-twice", "per-node"])
def test_one_broken_fact(examples, relpath, old, new, expected):
    edit(examples, relpath, old, new)
    assert found(examples) == expected


@pytest.mark.parametrize("text, line", [
    (f"[DEFAULT]\ntransport_url = {RABBIT}\n", 0),
    ("[DEFAULT]\ntransport_url = rabbit://openstack:RABBIT_PASS@"
     "10.0.0.12:5672/\n", 2),
    ("[cache]\nmemcache_servers = 10.0.0.12:11211,10.0.0.13:11211\n", 0),
    ("[keystone_authtoken]\nmemcached_servers = 10.0.0.12:11211,"
     "10.0.0.99:11211\n", 2),
])
def test_host_lists_in_service_files(examples, text, line):
    (examples / "controller/etc/nova").mkdir()
    (examples / "controller/etc/nova/nova.conf").write_text(text)
    expected = [("controller/etc/nova/nova.conf", line, "TRE006")]
    assert found(examples) == (expected if line else [])


def test_horizon_cache_location(examples):
    path = examples / "controller/etc/openstack-dashboard/local_settings.py"
    path.parent.mkdir(parents=True)
    path.write_text('CACHES = {\n    "default": {\n'
                    '        "LOCATION": ["10.0.0.12:11211"],\n    },\n}\n')
    assert found(examples) == [(str(path.relative_to(examples)), 3,
                                "TRE006")]


@pytest.mark.parametrize("old, new, line", [
    ("  controller2: {role: controller, address: 10.0.0.13, priority: 100}",
     "  controller2: {role: controller, address: 10.0.0.13", 7),
    ("  controller2: {role: controller, address: 10.0.0.13, priority: 100}",
     "  controller2: {role: controller}", 6),
    ("services:", "servics:", 2),          # the top-level mapping
], ids=["yaml", "host-without-address", "no-services"])
def test_broken_cluster_yaml(examples, old, new, line):
    edit(examples, "cluster.yaml", old, new)
    assert found(examples) == [("cluster.yaml", line, "TRE001")]


def test_per_node_names_a_missing_file(examples):
    edit(examples, "cluster.yaml", "per_node:\n",
         "per_node:\n  controller/etc/nova/nova.conf: ['x = {address}']\n")
    assert found(examples) == [("cluster.yaml", 8, "TRE007")]


def test_not_included(examples):
    rel = sorted(tree_files(str(examples)))
    included = set(rel) - {HAPROXY}
    findings = tree.not_included(str(examples), included)
    assert [(f.line, f.code) for f in findings] == [(0, "TRE008")]
    assert findings[0].path.endswith(HAPROXY)


def test_derive_node_file(examples):
    cluster = load_cluster(str(examples))
    text = derive_node_file(cluster, KEEPALIVED, "controller2")
    assert "    priority 100\n" in text
    assert "    unicast_src_ip 10.0.0.13\n" in text
    assert "router_id controller2" in text
    assert derive_node_file(cluster, KEEPALIVED, "controller1") == (
        examples / KEEPALIVED).read_text()
    with pytest.raises(ClusterError, match="unknown host"):
        derive_node_file(cluster, KEEPALIVED, "controller9")


def test_per_node_must_be_a_list(examples):
    edit(examples, "cluster.yaml", "per_node:\n",
         "per_node:\n  controller/etc/hosts: 'x {name}'\n")
    findings = tree.check_tree(str(examples))
    assert [(f.line, f.code) for f in findings] == [(8, "TRE001")]
    assert "must be a list of line templates" in findings[0].message


def test_only_on_names_the_nodes_that_hold_a_file(examples):
    """A variant's file on some controllers only: its nodes, first the
    one it is written for; every other file keeps its role's nodes."""
    variant = "variants/arbiter/etc/default/garb"
    (examples / variant).parent.mkdir(parents=True)
    (examples / variant).write_text('GALERA_GROUP="openstack"\n')
    edit(examples, "cluster.yaml", "per_node:\n",
         f"only_on:\n  {variant}: [controller2]\nper_node:\n")
    cluster = load_cluster(str(examples))
    assert cluster.file_nodes(variant) == ["controller2"]
    assert cluster.file_nodes(HAPROXY) == ["controller1", "controller2"]
    assert found(examples) == []
    (examples / variant).unlink()
    assert found(examples) == [("cluster.yaml", 8, "TRE007")]


@pytest.mark.parametrize("value", ["[controller9]", "[]", "controller2",
                                   "[pacemaker1]"])
def test_only_on_must_list_hosts_of_the_role(examples, value):
    edit(examples, "cluster.yaml", "per_node:\n",
         f"only_on:\n  {HAPROXY}: {value}\nper_node:\n")
    findings = tree.check_tree(str(examples))
    assert [(f.line, f.code) for f in findings] == [(8, "TRE001")]
    assert "only_on" in findings[0].message
