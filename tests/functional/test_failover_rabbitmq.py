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
"""RabbitMQ: three clustered nodes, a quorum queue leader dies."""

from __future__ import annotations

import json
import signal
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from harness import netns, proc, requirements, tree

pytestmark = pytest.mark.functional

RABBITMQ_CONF = "controller/etc/rabbitmq/rabbitmq.conf"
RABBITMQ_ENV = "controller/etc/rabbitmq/rabbitmq-env.conf"
HOSTS = "controller/etc/hosts"
NOVA_CONF = "controller/etc/nova/nova.conf"
CLIENT = Path(__file__).parent / "harness" / "amqpclient.py"
# The server and CLI scripts themselves: /usr/sbin's wrappers switch to
# user rabbitmq, whose HOME would hold a different Erlang cookie.
BIN = "/usr/lib/rabbitmq/bin"
QUEUE = "haguide-quorum"
MESSAGES = 200
PUBLISH_INTERVAL = 0.02
# Each node's /etc/hosts (the tree's), /etc/rabbitmq (the tree's two files
# for this node), /var/lib/rabbitmq (database and the shared cookie) and
# /var/log/rabbitmq, all private to the node's mount namespace.
NODE_SETUP = """\
mount -t tmpfs -o mode=755 tmpfs /run
mount --bind {workdir}/hosts /etc/hosts
for d in etc lib log; do mkdir -p {nodedir}/$d; done
mount --bind {nodedir}/etc /etc/rabbitmq
mount --bind {nodedir}/lib /var/lib/rabbitmq
mount --bind {nodedir}/log /var/log/rabbitmq
"""
COOKIE = "HAGUIDEFUNCTIONALTESTCOOKIE"
START_TIMEOUT = 90
# The guide's commands (rabbitmq.rst), run on controller1.
GUIDE_SETUP = (
    ("add_user", "openstack", "RABBIT_PASS"),
    ("set_permissions", "openstack", ".*", ".*", ".*"),
    ("delete_user", "guest"),
)


class RabbitLab:
    """Three RabbitMQ nodes in namespaces, formed by classic_config."""

    def __init__(self, workdir: Path, daemons: proc.Daemons):
        self.workdir = workdir
        self.daemons = daemons
        self.lab = netns.Lab("rb", daemons)
        self.env = {"HOME": "/var/lib/rabbitmq",
                    "PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin"}
        self.url = _transport_url()
        # rabbit://user:pass@host:port,user:pass@host:port/ is no single
        # RFC 3986 authority, so it is split by hand at the commas.
        members = urllib.parse.urlsplit(self.url).netloc.split(",")
        userinfo = members[0].rsplit("@", 1)[0]
        self.user, self.password = userinfo.split(":", 1)
        self.hosts = [m.rsplit("@", 1)[1].rsplit(":", 1)[0]
                      for m in members]

    def boot(self, node: str) -> None:
        nodedir = self.workdir / node
        self.lab.boot(node, node, NODE_SETUP.format(
            workdir=self.workdir, nodedir=nodedir))

    def prepare(self) -> None:
        nodes = {n: {"eth0": tree.address(n)} for n in tree.CONTROLLERS}
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        (self.workdir / "hosts").write_text(tree.example(HOSTS))
        for node in tree.CONTROLLERS:
            etc = self.workdir / node / "etc"
            etc.mkdir(parents=True)
            (etc / "rabbitmq.conf").write_text(
                tree.node_file(RABBITMQ_CONF, node))
            (etc / "rabbitmq-env.conf").write_text(
                tree.node_file(RABBITMQ_ENV, node))
            lib = self.workdir / node / "lib"
            lib.mkdir()
            cookie = lib / ".erlang.cookie"
            cookie.write_text(COOKIE)
            cookie.chmod(0o400)
            self.boot(node)
        # The guide enables the plugins offline on every node first.
        enablers = [proc_in for proc_in in (
            self._popen(node, ["rabbitmq-plugins", "enable", "--offline",
                               "rabbitmq_management", "rabbitmq_prometheus"])
            for node in tree.CONTROLLERS)]
        for enabler in enablers:
            assert enabler.wait(60) == 0

    def _popen(self, node, argv):
        import subprocess
        return subprocess.Popen(
            self.lab.enter_argv(node, ["env", *(f"{k}={v}" for k, v in
                                               self.env.items()), *argv]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_server(self, node: str) -> None:
        self.lab.start_in(node, f"{node}-rabbit", [
            "env", *(f"{k}={v}" for k, v in self.env.items()),
            f"{BIN}/rabbitmq-server"])

    def ctl(self, node: str, *args: str, timeout: float = 60,
            check: bool = True):
        return self.lab.run_in(node, [
            "env", *(f"{k}={v}" for k, v in self.env.items()),
            f"{BIN}/rabbitmqctl", *args], timeout=timeout, check=check)

    def wait_running(self, node: str) -> None:
        pidfile = f"/var/lib/rabbitmq/mnesia/rabbit@{node}.pid"
        self.ctl(node, "wait", pidfile, "--timeout", str(START_TIMEOUT),
                 timeout=START_TIMEOUT + 10)

    def running_nodes(self, node: str) -> list[str]:
        done = self.ctl(node, "cluster_status", "--formatter", "json",
                        check=False)
        if done.returncode != 0:
            return []
        return sorted(json.loads(done.stdout).get("running_nodes", []))

    def leader(self, node: str) -> str | None:
        """The queue's leader as node sees it; None during an election."""
        done = self.lab.run_in(node, [
            "env", *(f"{k}={v}" for k, v in self.env.items()),
            f"{BIN}/rabbitmq-queues", "quorum_status", QUEUE, "--formatter",
            "json"], timeout=60, check=False)
        if done.returncode != 0:
            return None
        for member in json.loads(done.stdout):
            if member.get("Raft State") == "leader":
                return member["Node Name"].split("@", 1)[1]
        return None

    def client(self, name: str, action: str, **args) -> None:
        self.daemons.start(name, self.lab.exec_argv("client", [
            sys.executable, str(CLIENT), action, json.dumps(args)]))

    def client_result(self, name: str, timeout: float = 60) -> dict:
        self.daemons.procs[name].wait(timeout)
        lines = self.daemons.log(name).strip().splitlines()
        assert self.daemons.procs[name].returncode == 0, lines[-5:]
        return json.loads(lines[-1])

    def credentials(self) -> dict:
        return {"user": self.user, "password": self.password}


def _transport_url() -> str:
    for line in tree.example(NOVA_CONF).splitlines():
        if line.replace(" ", "").startswith("transport_url="):
            return line.split("=", 1)[1].strip()
    pytest.fail("nova.conf has no transport_url", pytrace=False)


def kombu_url(url: str) -> str:
    """transport_url's host list as kombu's ';'-separated failover URLs.

    oslo.messaging does the same: one kombu URL per host of the list.
    """
    scheme_less = url.split("//", 1)[1]
    hosts, _, vhost = scheme_less.partition("/")
    return ";".join(f"amqp://{member}/{vhost}"
                    for member in hosts.split(","))


@pytest.fixture(scope="module")
def rabbit(workdir, daemons, measurements):
    requirements.require(binaries=("ip", "unshare", "nsenter"),
                         modules=("pika", "kombu"))
    requirements.require(binaries=(f"{BIN}/rabbitmq-server",))
    lab = RabbitLab(workdir, daemons)
    try:
        lab.prepare()
        started = time.monotonic()
        # The guide starts controller1 first; the others then find it
        # through classic_config and join it.
        lab.start_server("controller1")
        lab.wait_running("controller1")
        for node in tree.CONTROLLERS[1:]:
            lab.start_server(node)
        for node in tree.CONTROLLERS[1:]:
            lab.wait_running(node)
        expected = [f"rabbit@{n}" for n in tree.CONTROLLERS]
        proc.wait_for(lambda: lab.running_nodes("controller1") == expected,
                      timeout=60, interval=1, what="three running nodes")
        formed = time.monotonic() - started
        for args in GUIDE_SETUP:
            lab.ctl("controller1", *args)
        lab.formed = formed
        yield lab
    finally:
        daemons.stop_all()
        lab.lab.close()


def test_rabbitmq_quorum_leader_killed(rabbit, daemons, measurements):
    """The leader's node dies while a client publishes with confirms.

    The publisher declares a quorum queue through controller1 (so its
    leader starts there) and publishes 200 persistent messages with
    publisher confirms. The leader's node is killed outright (its whole
    PID namespace): a new leader is elected among the two others, the
    publisher reconnects to the next broker and continues, and a consumer
    on a surviving node reads every confirmed message. A kombu client
    given the URL list from nova.conf's transport_url, with the dead node
    first, connects to the next one.
    """
    result = measurements.scenario(
        "rabbitmq", title="RabbitMQ: quorum queue leader killed",
        description=(
            "Three nodes from rabbitmq.conf and rabbitmq-env.conf in "
            "network namespaces, clustered by classic_config; a client "
            "publishes 200 messages with confirms to a quorum queue while "
            "the leader's node is killed; a consumer and a kombu client "
            "built from transport_url use the surviving nodes."),
        test="test_rabbitmq_quorum_leader_killed")
    result.measure("three-node cluster formed after", rabbit.formed, "s")
    rabbit.client("publisher", "publish", hosts=rabbit.hosts, queue=QUEUE,
                  count=MESSAGES, interval=PUBLISH_INTERVAL,
                  **rabbit.credentials())
    proc.wait_for(lambda: rabbit.ctl("controller2", "list_queues", "name",
                                     check=False).stdout.count(QUEUE),
                  timeout=30, interval=0.5, what=f"queue {QUEUE} declared")
    proc.wait_for(lambda: rabbit.leader("controller2"), timeout=30,
                  interval=0.5, what=f"a leader for {QUEUE}")
    old = rabbit.leader("controller2")
    time.sleep(1)
    killed = time.monotonic()
    daemons.kill(f"{old}-init", signal.SIGKILL)
    survivors = [n for n in tree.CONTROLLERS if n != old]
    proc.wait_for(lambda: rabbit.leader(survivors[0]) in survivors,
                  timeout=30, interval=0.2, what="a new quorum queue leader")
    elected = time.monotonic() - killed
    published = rabbit.client_result("publisher", timeout=90)
    dead = tree.CONTROLLERS.index(old)
    rotated = ",".join(rabbit.url.split("//", 1)[1].rstrip("/").split(",")[
        dead:] + rabbit.url.split("//", 1)[1].rstrip("/").split(",")[:dead])
    rabbit.client("kombu", "failover", url=kombu_url(
        f"rabbit://{rotated}/"))
    failover = rabbit.client_result("kombu", timeout=60)
    survivor_hosts = [tree.address(n) for n in survivors]
    rabbit.client("consumer", "consume", hosts=survivor_hosts, queue=QUEUE,
                  limit=2 * MESSAGES, **rabbit.credentials())
    consumed = rabbit.client_result("consumer", timeout=60)
    lost = set(published["confirmed"]) - set(consumed["read"])
    result.measure("new quorum queue leader elected after", elected, "s",
                   bound=("<=", 10.0))
    result.measure("messages confirmed", len(published["confirmed"]),
                   f"of {MESSAGES}", bound=(">=", MESSAGES * 0.9))
    result.measure("publishes that failed during the kill (unconfirmed)",
                   len(published["failed"]), "messages")
    result.measure("publisher reconnects", len(published["reconnects"]),
                   "", bound=("<=", 5))
    result.measure("confirmed messages lost", len(lost), "",
                   bound=("==", 0))
    assert failover["host"].split(":")[0] in survivor_hosts, failover
    result.measure("kombu (transport_url, dead node first) connected after",
                   failover["seconds"], "s", bound=("<=", 5.0))
