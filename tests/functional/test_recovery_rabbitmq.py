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
"""RabbitMQ: definitions exported and imported, then a lost node replaced.

The commands are the guide's named console blocks (harness.runbook),
run in the nodes with the harness's RabbitMQ environment.
"""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import time

import pytest

from harness import proc, rabbitmq, requirements, runbook, tree

pytestmark = pytest.mark.functional

# About 4 minutes a run (a second cluster and a replaced node): run once
# by `tox -e functional-results`.
RUNS = 1

BACKUP_PAGE = "operations/backup.rst"
RABBITMQ_PAGE = "stateful/rabbitmq.rst"
DEFINITIONS = "/var/backups/rabbitmq-definitions.json"
QUEUE = rabbitmq.QUEUE
LOST = "controller3"
# Definitions beyond the guide's user, so that each kind is checked.
EXTRA = (
    ("add_vhost", "haguide-check"),
    ("set_permissions", "-p", "haguide-check", "openstack", ".*", ".*",
     ".*"),
    ("set_policy", "-p", "haguide-check", "haguide-ttl", ".*",
     '{"message-ttl": 60000}', "--apply-to", "queues"),
)
PUBLISH_INTERVAL = 0.1
FORM_BOUND = 120.0
JOIN_BOUND = 120.0
GAP_BOUND = 15.0


def _sh(rabbit, node: str, script: str, timeout: float = 120):
    return rabbit.lab.run_in(node, [
        "env", *(f"{k}={v}" for k, v in rabbit.env.items()),
        "bash", "-c", script], timeout=timeout)


def _definitions(path) -> set[tuple]:
    """Users, virtual hosts, permissions and policies of an export."""
    data = json.loads(path.read_text())
    return ({("user", u["name"]) for u in data.get("users", [])} |
            {("vhost", v["name"]) for v in data.get("vhosts", [])} |
            {("permission", p["user"], p["vhost"])
             for p in data.get("permissions", [])} |
            {("policy", p["vhost"], p["name"])
             for p in data.get("policies", [])})


def _export(rabbit, node: str, name: str):
    path = rabbit.workdir / name
    rabbit.ctl(node, "export_definitions", str(path))
    return path


@pytest.fixture(scope="module")
def rabbit(workdir, daemons):
    requirements.require(binaries=("ip", "unshare", "nsenter"),
                         modules=("pika",))
    requirements.require(root_binaries=(f"{rabbitmq.BIN}/rabbitmq-server",
                                        "bash"))
    lab = rabbitmq.RabbitLab(workdir, daemons)
    try:
        lab.prepare()
        lab.start_cluster()
        yield lab
    finally:
        lab.close()


def test_rabbitmq_definitions_restore(rabbit, measurements):
    """Export definitions; rebuild the cluster empty; import them."""
    result = measurements.scenario(
        "rabbitmq-backup",
        title="RabbitMQ: definitions into a new cluster",
        description=(
            "The guide's user plus a virtual host, permissions and a "
            "policy; rabbitmqctl export_definitions on controller1; the "
            "three nodes are stopped, their databases deleted, a new "
            "cluster forms and import_definitions restores them."),
        test="test_rabbitmq_definitions_restore")
    result.loads(rabbitmq.RABBITMQ_CONF, rabbitmq.RABBITMQ_ENV)
    for args in EXTRA:
        rabbit.ctl("controller1", *args)
    started = time.monotonic()
    _sh(rabbit, "controller1", runbook.script(BACKUP_PAGE, "rabbitmq-backup"))
    backup_s = time.monotonic() - started
    shared = rabbit.workdir / "definitions.json"
    rabbit.lab.run_in("controller1", ["cp", DEFINITIONS, str(shared)],
                      timeout=10)
    wanted = _definitions(shared)
    for node in tree.CONTROLLERS:
        rabbit.lab.kill(f"{node}-rabbit", signal.SIGTERM)
        rabbit.lab.run_in(node, ["rm", "-rf", "/var/lib/rabbitmq/mnesia"],
                          timeout=30)
    started = time.monotonic()
    for node in tree.CONTROLLERS:
        rabbit.start_server(node)
    for node in tree.CONTROLLERS:
        rabbit.wait_running(node)
    proc.wait_for(lambda: len(rabbit.running_nodes("controller1")) == 3,
                  timeout=FORM_BOUND, interval=1, what="a new cluster")
    formed = time.monotonic() - started
    rabbit.lab.run_in("controller1", ["cp", str(shared), DEFINITIONS],
                      timeout=10)
    started = time.monotonic()
    _sh(rabbit, "controller1",
        runbook.script(BACKUP_PAGE, "rabbitmq-restore"))
    restore_s = time.monotonic() - started
    restored = _definitions(_export(rabbit, "controller2", "after.json"))
    result.measure("definitions exported", len(wanted), "items",
                   worse="lower")
    result.measure("export (rabbitmqctl export_definitions)", backup_s, "s")
    result.measure("export size", shared.stat().st_size / 1024, "KiB")
    result.measure("new empty cluster formed", formed, "s",
                   bound=("<=", FORM_BOUND))
    result.measure("import (rabbitmqctl import_definitions)", restore_s,
                   "s")
    result.measure("definitions missing after the import",
                   len(wanted - restored), "items", bound=("==", 0))
    result.measure("definitions the export did not hold",
                   len(restored - wanted), "items", bound=("==", 0))


def _members(rabbit, node: str) -> list[str]:
    done = rabbit.lab.run_in(node, [
        "env", *(f"{k}={v}" for k, v in rabbit.env.items()),
        f"{rabbitmq.BIN}/rabbitmq-queues", "quorum_status", QUEUE,
        "--formatter", "json"], timeout=60, check=False)
    if done.returncode != 0:
        return []
    return sorted(m["Node Name"] for m in json.loads(done.stdout))


def test_rabbitmq_node_replaced(rabbit, measurements):
    """controller3 is lost; a new one joins and gets its replicas back.

    A publisher with confirms goes through the two survivors the whole
    time; every confirmed message must be consumed afterwards.
    """
    result = measurements.scenario(
        "rabbitmq-replace", title="RabbitMQ: replacing a lost node",
        description=(
            "RabbitMQ on controller3 is killed and its database deleted; "
            "controller1 forgets the node, a new controller3 with an "
            "empty database joins by peer discovery and rabbitmq-queues "
            "grow gives it a "
            "replica of the quorum queue, while a client publishes "
            "with confirms every 100 ms through the two other nodes."),
        test="test_rabbitmq_node_replaced")
    result.loads(rabbitmq.RABBITMQ_CONF, rabbitmq.RABBITMQ_ENV)
    survivors = [tree.address(n) for n in tree.CONTROLLERS if n != LOST]
    rabbit.client("declare", "publish", hosts=survivors[:1], queue=QUEUE,
                  count=1, interval=0, **rabbit.credentials())
    rabbit.client_result("declare")
    assert len(_members(rabbit, "controller1")) == 3
    stop = rabbit.workdir / "stop-replace"
    started = time.monotonic()
    rabbit.client("replace-publisher", "publish_for", hosts=survivors,
                  queue=QUEUE, first=1, seconds=JOIN_BOUND * 3,
                  interval=PUBLISH_INTERVAL, stop_file=str(stop),
                  **rabbit.credentials())
    time.sleep(3)
    lost = time.monotonic()
    # The whole node dies (its PID namespace), and with it its database
    # (kept on the host, under the node's directory): a new machine.
    rabbit.daemons.kill(f"{LOST}-init", signal.SIGKILL)
    proc.wait_for(lambda: not rabbit.daemons.running(f"{LOST}-rabbit"),
                  timeout=30, what="controller3's RabbitMQ gone")
    shutil.rmtree(rabbit.workdir / LOST / "lib" / "mnesia")
    replacing = time.monotonic()
    _sh(rabbit, "controller1", runbook.script(RABBITMQ_PAGE,
                                              "rabbitmq-forget"))
    rabbit.boot(LOST)
    rabbit.start_server(LOST)
    rabbit.wait_running(LOST)
    # A node with an empty database runs peer discovery (classic_config
    # lists the three nodes) and joins the survivors by itself once
    # they no longer list it.
    everyone = [f"rabbit@{n}" for n in tree.CONTROLLERS]
    proc.wait_for(lambda: rabbit.running_nodes("controller1") == everyone,
                  timeout=JOIN_BOUND, interval=1,
                  what="the new controller3 in the cluster")
    _sh(rabbit, LOST, runbook.script(RABBITMQ_PAGE, "rabbitmq-grow"))
    proc.wait_for(lambda: len(_members(rabbit, "controller1")) == 3,
                  timeout=JOIN_BOUND, interval=1,
                  what="three members of the quorum queue")
    replaced = time.monotonic() - replacing
    time.sleep(2)
    stop.touch()
    outcome = rabbit.client_result("replace-publisher", timeout=60)
    rabbit.client("replace-consumer", "consume", hosts=survivors,
                  queue=QUEUE, limit=100000, **rabbit.credentials())
    read = rabbit.client_result("replace-consumer", timeout=120)["read"]
    confirmed = [n for n, _ in outcome["confirmed"]]
    since = lost - started
    times = [since] + [t for _, t in outcome["confirmed"] if t >= since]
    gap = max(b - a for a, b in itertools.pairwise(times))
    timeline = result.timeline("confirmed publishes through the survivors")
    timeline.start(started)
    for _n, at in outcome["confirmed"]:
        timeline.record(True, started + at)
    for _n, at in outcome["failed"]:
        timeline.record(False, started + at)
    timeline.event("controller3 lost", lost)
    timeline.event("controller3 replaced", replacing + replaced)
    result.measure("node replaced (forget, join, grow)", replaced, "s",
                   bound=("<=", JOIN_BOUND))
    result.measure("longest time without a confirmed publish",
                   gap, "s", bound=("<=", GAP_BOUND))
    result.measure("failed publishes", len(outcome["failed"]), "messages")
    result.measure("confirmed messages lost", len(set(confirmed) -
                                                  set(read)),
                   "messages", bound=("==", 0))
    assert rabbit.running_nodes(LOST) == everyone
