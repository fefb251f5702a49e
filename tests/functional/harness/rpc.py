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
"""oslo.messaging on the lab's RabbitMQ cluster, configured by the tree.

RPC servers, call loops and WSGI applications (harness/rpcagent.py) run
from the OpenStack venv in the controllers' and the client's namespaces,
each reading the tree's nova.conf or cinder.conf at its own path, plus
the per-application directories the guide adds for the WSGI APIs.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

from harness import netns, openstack, proc, tree

AGENT = Path(__file__).with_name("rpcagent.py")
HOSTS = "controller/etc/hosts"
# The files a node's OpenStack processes read, at their /etc paths; the
# controller's files are derived per node with cluster.yaml.
NODE_FILES = {
    "nova/nova.conf": "controller/etc/nova/nova.conf",
    "nova/nova-api-os-compute.conf.d/nova.conf":
        "controller/etc/nova/nova-api-os-compute.conf.d/nova.conf",
    "nova/nova-api-metadata.conf.d/nova.conf":
        "controller/etc/nova/nova-api-metadata.conf.d/nova.conf",
    "neutron/neutron.conf": "controller/etc/neutron/neutron.conf",
    "neutron/neutron-api.conf.d/neutron.conf":
        "controller/etc/neutron/neutron-api.conf.d/neutron.conf",
    "cinder/cinder.conf": "controller/etc/cinder/cinder.conf",
    "cinder/cinder-api.conf.d/cinder.conf":
        "controller/etc/cinder/cinder-api.conf.d/cinder.conf",
    "manila/manila.conf": "controller/etc/manila/manila.conf",
    "manila/manila-api.conf.d/manila.conf":
        "controller/etc/manila/manila-api.conf.d/manila.conf",
    "masakari/masakari.conf": "controller/etc/masakari/masakari.conf",
    "masakari/masakari-api.conf.d/masakari.conf":
        "controller/etc/masakari/masakari-api.conf.d/masakari.conf",
}
# Directories the files name (log_dir, state_path, lock_path), created in
# the node's own /var.
NODE_DIRS = ("log/nova", "log/neutron", "log/cinder", "log/manila",
             "log/masakari", "lib/nova/tmp", "lib/neutron/tmp",
             "lib/cinder/tmp", "lib/manila/tmp", "lib/masakari/tmp")
# A process announces a started RPC server on its log.
READY = "ready"
START_TIMEOUT = 60
# The client of an HTTP request to a WSGI application gives up after this.
HTTP_TIMEOUT = 30


class Rpc:
    """OpenStack RPC processes on the controllers and the lab's client."""

    def __init__(self, lab: netns.Lab, daemons: proc.Daemons, root: Path,
                 venv: Path):
        self.lab = lab
        self.daemons = daemons
        self.venv = venv
        self.nodes: dict[str, openstack.Node] = {}
        for node in (*tree.CONTROLLERS, "client"):
            source = "controller1" if node == "client" else node
            files = {path: tree.node_file(example, source)
                     for path, example in NODE_FILES.items()}
            files["hosts"] = tree.example(HOSTS)
            self.nodes[node] = openstack.Node(lab, node, root / node, venv,
                                              files)
            for sub in NODE_DIRS:
                (root / node / sub).mkdir(parents=True, exist_ok=True)

    def python(self, *args: str) -> list[str]:
        return [str(self.venv / "bin" / "python"), str(AGENT), *args]

    def start_server(self, node: str, topic: str, *, project="nova",
                     prog="nova-conductor") -> str:
        """An RPC server on node for topic; returns its daemon name."""
        name = f"{node}-rpc-{topic}"
        self.nodes[node].start(self.daemons, name, self.python(
            "server", project, prog, topic), env=openstack.environ())
        return name

    def wait_ready(self, name: str) -> float:
        return proc.wait_for(
            lambda: self._ready(name), timeout=START_TIMEOUT, interval=0.2,
            what=f"{name} to serve")

    def _ready(self, name: str) -> bool:
        if not self.daemons.running(name):
            raise AssertionError(f"{name} exited: "
                                 f"{self.daemons.log(name)[-2000:]}")
        return READY in self.daemons.log(name).splitlines()

    def start_calls(self, name: str, topic: str, out: Path, *,
                    seconds: float, interval: float, timeout: float,
                    node: str = "client", conf: str | None = None) -> None:
        """A call loop (as nova-api would call) writing outcomes to out.

        conf, a file in the node's view, is read alone instead of
        nova-api's files, its brokers in the order written (rpcagent).
        """
        prog, extra = ("-", [conf]) if conf else ("nova-api-os-compute", [])
        self.nodes[node].start(self.daemons, name, self.python(
            "calls", "nova", prog, topic, str(out), str(seconds),
            str(interval), str(timeout), *extra), env=openstack.environ())

    def start_wsgi(self, node: str, name: str, port: int, *, project: str,
                   prog: str, topic: str, timeout: float,
                   pyargv: str | None = None) -> None:
        """rpcagent's WSGI application under uWSGI on node's address."""
        argv = [str(self.venv / "bin" / "uwsgi"),
                "--http-socket", f"{tree.address(node)}:{port}",
                "--pythonpath", str(AGENT.parent),
                "--module", "rpcagent:application",
                "--master", "--processes", "1", "--enable-threads",
                "--die-on-term", "--need-app"]
        if pyargv:
            argv += ["--pyargv", pyargv]
        self.nodes[node].start(self.daemons, name, argv,
                               env=openstack.environ(
                                   HAGUIDE_PROJECT=project,
                                   HAGUIDE_PROG=prog, HAGUIDE_TOPIC=topic,
                                   HAGUIDE_TIMEOUT=str(timeout)))

    def get(self, url: str) -> dict | None:
        """GET url from the client namespace; its JSON, None on failure."""
        try:
            done = proc.run(self.lab.exec_argv("client", [
                "curl", "-sf", "-m", str(HTTP_TIMEOUT), url]),
                timeout=HTTP_TIMEOUT + 10, check=False)
        except subprocess.TimeoutExpired:
            return None
        if done.returncode != 0:
            return None
        return json.loads(done.stdout)


def longest_gap(results: list[dict], start: float, end: float) -> float:
    """Longest time in [start, end] without a call that succeeded."""
    marks = [start, *sorted(r["end"] for r in results if r["ok"]), end]
    marks = [m for m in marks if start <= m <= end]
    return max(b - a for a, b in itertools.pairwise(marks))


def queue_types(rabbit, node: str) -> dict[str, str]:
    """{queue name: type} as node lists them."""
    done = rabbit.ctl(node, "list_queues", "name", "type", "--formatter",
                      "json")
    return {q["name"]: q["type"] for q in json.loads(done.stdout)}
