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
"""RabbitMQ: three nodes from the tree's files in network namespaces.

RabbitLab(workdir, daemons[, conf=, env= a variant's rabbitmq.conf and
rabbitmq-env.conf]): prepare()
creates the namespaces (three controllers and a client) and each node's
/etc/rabbitmq, cookie and plugins; start_cluster() starts the servers
and applies the guide's user setup; ctl/leader/running_nodes ask a node;
client() runs amqpclient.py in the client namespace. close() stops and
deletes all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from harness import labroot, netns, proc, tree

RABBITMQ_CONF = "controller/etc/rabbitmq/rabbitmq.conf"
RABBITMQ_ENV = "controller/etc/rabbitmq/rabbitmq-env.conf"
HOSTS = "controller/etc/hosts"
NOVA_CONF = "controller/etc/nova/nova.conf"
CLIENT = Path(__file__).parent / "amqpclient.py"
# The server and CLI scripts themselves: /usr/sbin's wrappers switch to
# user rabbitmq, whose HOME would hold a different Erlang cookie.
BIN = "/usr/lib/rabbitmq/bin"
QUEUE = "haguide-quorum"
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

    def __init__(self, workdir: Path, daemons: proc.Daemons, *,
                 conf: str = RABBITMQ_CONF, env: str = RABBITMQ_ENV,
                 tag: str = "rb"):
        self.workdir = workdir
        self.daemons = daemons
        self.conf = conf
        self.env_file = env
        self.lab = netns.Lab(tag, daemons)
        self.env = {"HOME": "/var/lib/rabbitmq",
                    "PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
                    "RABBITMQ_PLUGINS_DIR": plugins_dir()}
        self.url = transport_url()
        # rabbit://user:pass@host:port,user:pass@host:port/ is no single
        # RFC 3986 authority, so it is split by hand at the commas.
        members = urllib.parse.urlsplit(self.url).netloc.split(",")
        userinfo = members[0].rsplit("@", 1)[0]
        self.user, self.password = userinfo.split(":", 1)
        self.hosts = [m.rsplit("@", 1)[1].rsplit(":", 1)[0]
                      for m in members]
        # More shell lines run at each node's boot (a lab sharing these
        # nodes with other daemons), formatted like NODE_SETUP.
        self.node_setup = ""

    def boot(self, node: str) -> None:
        nodedir = self.workdir / node
        self.lab.boot(node, node, (NODE_SETUP + self.node_setup).format(
            workdir=self.workdir, nodedir=nodedir))

    def prepare(self, public: bool = False) -> None:
        """Create and boot the nodes; public adds the public network."""
        nodes = {n: {"eth0": tree.address(n)} for n in tree.CONTROLLERS}
        if public:
            for node in tree.CONTROLLERS:
                nodes[node]["eth1"] = tree.cluster()["hosts"][node][
                    "public_address"]
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        (self.workdir / "hosts").write_text(tree.example(HOSTS))
        for node in tree.CONTROLLERS:
            etc = self.workdir / node / "etc"
            etc.mkdir(parents=True)
            (etc / "rabbitmq.conf").write_text(
                tree.node_file(self.conf, node))
            (etc / "rabbitmq-env.conf").write_text(
                tree.node_file(self.env_file, node))
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

    def start_cluster(self) -> float:
        """Start the three servers together; seconds until they form.

        With classic_config, a RabbitMQ 4.0 node with an empty database
        keeps retrying peer discovery while the other nodes are down
        instead of booting alone, so the guide starts all three at once
        and they form one cluster.
        """
        started = time.monotonic()
        for node in tree.CONTROLLERS:
            self.start_server(node)
        for node in tree.CONTROLLERS:
            self.wait_running(node)
        expected = [f"rabbit@{n}" for n in tree.CONTROLLERS]
        proc.wait_for(lambda: self.running_nodes("controller1") == expected,
                      timeout=60, interval=1, what="three running nodes")
        formed = time.monotonic() - started
        for args in GUIDE_SETUP:
            self.ctl("controller1", *args)
        return formed

    def close(self) -> None:
        """Stop every daemon of the module, then delete the namespaces."""
        self.daemons.stop_all()
        self.lab.close()

    def _popen(self, node, argv):
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

    def leader(self, node: str, queue: str = QUEUE) -> str | None:
        """The queue's leader as node sees it; None during an election."""
        done = self.lab.run_in(node, [
            "env", *(f"{k}={v}" for k, v in self.env.items()),
            f"{BIN}/rabbitmq-queues", "quorum_status", queue, "--formatter",
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


def plugins_dir() -> str:
    """The plugins directory inside the lab root.

    Debian's /usr/sbin wrappers export it; the scripts of BIN, called
    directly, fail with plugins_dir_does_not_exist without it.
    """
    found = sorted((labroot.require() / "usr/lib/rabbitmq/lib").glob(
        "rabbitmq_server-*/plugins"))
    assert found, "the lab root has no RabbitMQ plugins directory"
    return "/" + str(found[-1].relative_to(labroot.require()))


def transport_url() -> str:
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
