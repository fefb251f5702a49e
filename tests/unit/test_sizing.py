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
"""The database connection budget on small made-up trees."""

import pytest

from confcheck import sizing
from confcheck.cluster import load_cluster

CLUSTER = """\
vips: {internal: {address: 10.0.0.11}}
hosts:
  controller1: {role: controller, address: 10.0.0.12}
  controller2: {role: controller, address: 10.0.0.13}
services: []
per_node: {}
db_clients:
  controller/etc/nova/nova.conf: {nova-api: 3, nova-conductor: 2}
"""
GALERA = "[mysqld]\nmax_connections = 500\n"
NOVA = ("[database]\nconnection = mysql+pymysql://n:p@10.0.0.11/nova\n"
        "max_pool_size = 5\nmax_overflow = 10\n"
        "[api_database]\nconnection = mysql+pymysql://n:p@10.0.0.11/api\n"
        "max_pool_size = 5\nmax_overflow = 10\n")


def make_tree(root, nova=NOVA, cluster=CLUSTER):
    (root / "cluster.yaml").write_text(cluster)
    for rel, text in ((sizing.GALERA_CNF, GALERA),
                      ("controller/etc/nova/nova.conf", nova)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_cluster(str(root))


def test_budget_multiplies_pools_processes_and_controllers(tmp_path):
    """2 pools x (5 + 10) x 5 processes x 2 controllers."""
    budget = sizing.db_budget(make_tree(tmp_path))
    assert [f.per_process for f in budget.files] == [30]
    assert budget.per_controller == 150
    assert (budget.total, budget.max_connections) == (300, 500)


def test_missing_pool_option_is_an_error_not_a_default(tmp_path):
    """The budget must follow the files, so it never assumes a default."""
    cluster = make_tree(tmp_path, nova=NOVA.replace("max_overflow = 10\n",
                                                    "", 1))
    with pytest.raises(sizing.SizingError, match=r"\[database\] sets no "
                                                 r"max_overflow"):
        sizing.db_budget(cluster)


@pytest.mark.parametrize("clients", ["", "db_clients: []\n",
                                     "db_clients:\n  x.conf: {a: -1}\n"])
def test_bad_db_clients_are_reported(tmp_path, clients):
    cluster = make_tree(tmp_path, cluster=CLUSTER.split("db_clients")[0]
                        + clients)
    with pytest.raises(sizing.SizingError):
        sizing.db_budget(cluster)


MEMCACHED = "-d\n# items\n-m 64\n-l 10.0.0.12\n-c 100\n"
RABBIT_NOVA = NOVA + (
    "[DEFAULT]\ntransport_url = rabbit://n:p@10.0.0.12:5672/\n"
    "[oslo_messaging_rabbit]\nrabbit_transient_quorum_queue = true\n"
    "rpc_conn_pool_size = 4\n"
    "[cache]\nenabled = true\nbackend = oslo_cache.memcache_pool\n"
    "memcache_pool_maxsize = 3\n"
    "[keystone_authtoken]\nmemcached_servers = 10.0.0.12:11211\n")
SERVICES = ("services:\n  - {name: nova-api, process: nova-api (WSGI), "
            "strategy: haproxy}\n")
API_CLUSTER = (CLUSTER.replace("services: []\n", SERVICES)
               .replace("nova-api: 3", "nova-api (WSGI): 3"))


def make_full_tree(root, nova=RABBIT_NOVA, memcached=MEMCACHED):
    cluster = make_tree(root, nova=nova, cluster=API_CLUSTER)
    path = root / sizing.MEMCACHED_CONF
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(memcached)
    return cluster


def test_memcached_budget_counts_cache_and_auth_token_pools(tmp_path):
    """[cache] in all 5 processes, auth_token in the 3 API ones."""
    budget = sizing.memcached_budget(make_full_tree(tmp_path))
    (nova,) = budget.files
    assert [p.describe() for p in nova.pools] == [
        "[cache] memcache_pool_maxsize = 3",
        "[keystone_authtoken] memcache_pool_maxsize = 10 (default)"]
    assert (nova.process_count, nova.api_processes) == (5, 3)
    # 3 x 5 + 10 x 3 per controller; every process reaches every server.
    assert budget.per_controller == 45
    assert budget.per_server == 90
    assert (budget.item_mb, budget.item_mb_total) == (64, 128)
    assert budget.max_connections == 100


def test_memcached_cache_pool_without_size_is_an_error(tmp_path):
    nova = RABBIT_NOVA.replace("memcache_pool_maxsize = 3\n", "")
    with pytest.raises(sizing.SizingError, match=r"\[cache\] sets no "
                                                 r"memcache_pool_maxsize"):
        sizing.memcached_budget(make_full_tree(tmp_path, nova=nova))


@pytest.mark.parametrize("memcached", ["-m 64\n", "-m 64\n-c many\n",
                                       "# -c 100\n-m 64\n"])
def test_memcached_conf_without_numeric_limits_is_an_error(tmp_path,
                                                           memcached):
    with pytest.raises(sizing.SizingError, match="sets no numeric -c"):
        sizing.memcached_budget(make_full_tree(tmp_path,
                                               memcached=memcached))


def test_rabbit_budget_pool_reply_and_listener(tmp_path):
    """(4 + 2) x 5 processes x 2 controllers; one reply queue each."""
    budget = sizing.rabbit_budget(make_full_tree(tmp_path))
    assert budget.per_controller == 30
    assert budget.total == 60
    assert budget.reply_queues == {"quorum": 10}


def test_rabbit_budget_default_pool_and_classic_replies(tmp_path):
    nova = (RABBIT_NOVA.replace("rpc_conn_pool_size = 4\n", "")
            .replace("rabbit_transient_quorum_queue = true\n", ""))
    budget = sizing.rabbit_budget(make_full_tree(tmp_path, nova=nova))
    (nova_file,) = budget.files
    assert nova_file.pools[0].describe() == (
        "[oslo_messaging_rabbit] rpc_conn_pool_size = 30 (default)")
    assert budget.reply_queues == {"classic": 10}
    assert budget.total == (30 + 2) * 5 * 2


def test_rabbit_budget_needs_a_transport_url(tmp_path):
    with pytest.raises(sizing.SizingError, match="transport_url"):
        sizing.rabbit_budget(make_tree(tmp_path))


def test_processes_per_controller(tmp_path):
    assert sizing.processes_per_controller(make_full_tree(tmp_path)) == 5
