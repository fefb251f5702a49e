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
"""MariaDB Galera: mariadb-backup and restore, then a lost node replaced.

The commands are the guide's named console blocks (harness.runbook).
The three nodes share one host here, so each has its own option file
and data directory: the lab passes the node's option file to every
MariaDB program first (as --defaults-file) and reads its data directory
for /var/lib/mysql; nothing else in the commands changes.
"""

from __future__ import annotations

import signal
import time

import pytest

from harness import proc, requirements, runbook
from harness.galera import (BINARIES, GALERA_CNF, HOST_BINARIES,
                            START_TIMEOUT, Cluster, Node)

pytestmark = pytest.mark.functional

# About 3 minutes a run (a cluster rebuilt by SST from the backup, a
# node replaced by SST): run once by `tox -e functional-results`.
RUNS = 1

BACKUP_PAGE = "operations/backup.rst"
REPLACE_PAGE = "operations/replacing-a-controller.rst"
BACKUP_DIR = "/var/backups/mariadb/full"
LOST = "controller3"
# Rows written before the backup, so that it copies real data.
PRELOAD_S = 3.0
RESTORE_BOUND = 3 * START_TIMEOUT
GAP_BOUND = 20.0


def _script(node: Node, page: str, name: str) -> str:
    body = runbook.script(page, name)
    for program in ("mariadb-backup", "mariadb"):
        body = body.replace(f"{program} ",
                            f"{program} --defaults-file={node.cnf} ")
    return body.replace("/var/lib/mysql", str(node.dir / "data"))


def _run(node: Node, page: str, name: str) -> str:
    return proc.run(node.argv(["bash", "-c", _script(node, page, name)]),
                    timeout=300).stdout


@pytest.fixture(scope="module")
def galera(workdir, daemons):
    requirements.require(root_binaries=(*BINARIES, "bash"),
                         binaries=HOST_BINARIES)
    cluster = Cluster(workdir, daemons)
    # The scenarios time their own state transfers (the restore, the
    # replaced node); the first joins are only the way to three nodes.
    cluster.start(sst=False)
    return cluster


def _new_node(node: Node) -> None:
    """node's data is gone; a fresh install initialises an empty server.

    Debian's mariadb-server does the same (mariadb-install-db) before
    the guide's 60-galera.cnf is in place.
    """
    proc.run(node.argv(["rm", "-rf", str(node.dir / "data")]), timeout=60)
    proc.run(node.argv(["install", "-d", "-o", "mysql", "-g", "mysql",
                        str(node.dir / "data")]), timeout=10)
    proc.run(node.argv([
        "mariadb-install-db", f"--defaults-file={node.cnf}",
        "--auth-root-authentication-method=normal", "--skip-test-db"]),
        timeout=120)


def _stop(node: Node) -> None:
    node.daemons.kill(f"{node.name}-db", signal.SIGTERM,
                      timeout=START_TIMEOUT)


def test_galera_backup_restore(galera, measurements):
    """Back up controller2 under writes; restore a new cluster from it.

    Rows committed before the backup started must all be in the restored
    cluster, on every node (controller1 from the backup, the others by
    SST from it).
    """
    result = measurements.scenario(
        "galera-backup",
        title="MariaDB Galera: mariadb-backup, then a new cluster",
        description=(
            "mariadb-backup on controller2 while a client inserts a row "
            "every 100 ms through the VIP; the three nodes are then "
            "stopped and their data set aside, controller1 is restored "
            "from the prepared backup and bootstraps a new cluster, and "
            "the two others join it by SST."),
        test="test_galera_backup_restore")
    result.loads(GALERA_CNF)
    writer = galera.writer()
    writer.start()
    try:
        time.sleep(PRELOAD_S)
        before = set(writer.committed)
        donor = galera.nodes["controller2"]
        started = time.monotonic()
        _run(donor, BACKUP_PAGE, "galera-backup")
        backup_s = time.monotonic() - started
        failed_during = len(writer.failed)
        gap = writer.outage(started)
    finally:
        writer.stop()
    size = proc.run(donor.argv(["du", "-sk", BACKUP_DIR]),
                    timeout=30).stdout.split()[0]
    for node in reversed(galera.nodes.values()):
        _stop(node)
    started = time.monotonic()
    first, *others = galera.nodes.values()
    _run(first, BACKUP_PAGE, "galera-restore")
    first.start("--wsrep-new-cluster")
    first.wait_synced("after the restore")
    for node in others:
        _run(node, BACKUP_PAGE, "galera-empty")
        node.start()
        node.wait_synced("after SST from the restored node")
    restore_s = time.monotonic() - started
    missing = max(len(before - galera.rows(n)) for n in galera.nodes)
    result.measure("rows committed before the backup", len(before), "rows",
                   worse="lower")
    result.measure("backup and prepare (mariadb-backup, under writes)",
                   backup_s, "s")
    result.measure("failed writes during the backup", failed_during,
                   "writes", bound=("==", 0))
    result.measure("longest time without a committed row (backup)", gap,
                   "s")
    result.measure("backup size", int(size) / 1024, "MiB")
    result.measure("restore until three nodes Synced", restore_s, "s",
                   bound=("<=", RESTORE_BOUND))
    result.measure("rows missing after the restore (worst node)", missing,
                   "rows", bound=("==", 0))


def test_galera_node_replaced(galera, measurements):
    """controller3's data is lost; it comes back empty and joins by SST.

    A writer goes through the VIP the whole time; every row it saw
    committed must be on the new node.
    """
    result = measurements.scenario(
        "galera-replace", title="MariaDB Galera: replacing a lost node",
        description=(
            "MariaDB on controller3 is killed and its data directory "
            "deleted; the node starts again with an empty one and the "
            "tree's 60-galera.cnf, and joins by SST (mariabackup) while "
            "a client inserts a row every 100 ms through the VIP."),
        test="test_galera_node_replaced")
    result.loads(GALERA_CNF)
    node = galera.nodes[LOST]
    writer = galera.writer()
    writer.start()
    try:
        proc.wait_for(lambda: len(writer.committed) >= 10, timeout=30,
                      what="the writer's first rows")
        lost = time.monotonic()
        node.daemons.kill(f"{LOST}-db", signal.SIGKILL)
        _new_node(node)
        started = time.monotonic()
        node.start()
        node.wait_synced("after SST into an empty node")
        joined = time.monotonic() - started
        check = _run(node, REPLACE_PAGE, "galera-check")
        time.sleep(2)
    finally:
        writer.stop()
    status = dict(line.split("\t", 1) for line in check.splitlines()
                  if "\t" in line)
    missing = set(writer.committed) - galera.rows(LOST)
    result.measure("new node Synced after start (SST)", joined, "s",
                   bound=("<=", START_TIMEOUT))
    result.measure("longest time without a committed row",
                   writer.outage(lost), "s", bound=("<=", GAP_BOUND))
    result.measure("failed writes", len(writer.failed), "writes")
    result.measure("committed rows missing on the new node", len(missing),
                   "rows", bound=("==", 0))
    assert status.get("wsrep_cluster_size") == "3", check
    assert status.get("wsrep_local_state_comment") == "Synced", check
