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

from confcheck import sizing, tree

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
    return tree.load_cluster(str(root))


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
