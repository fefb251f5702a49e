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
"""keystone, placement and RPC on three controllers: one killed or cut off.

keystone.conf and placement.conf run unchanged, under uWSGI, behind the
tree's HAProxy, with the tree's memcached on every controller; the
tree's RabbitMQ cluster runs beside them with an RPC server per
controller configured by nova.conf (harness/rpc.py). Two parts are
stand-ins until the lab runs Galera and keepalived in node namespaces:
one MariaDB server on controller1 takes the galera proxy's place (with an
HTTP stand-in for its port 9200 check), and the VIP is a static address
of controller1, which therefore is never the node that fails.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import pytest

from harness import (faults, haproxy, keystone, labroot, memcached, netns,
                     openstack, placement, proc, rabbitmq, requirements, rpc,
                     tree)

pytestmark = pytest.mark.functional

HOSTS = "controller/etc/hosts"
PROXIES = ("keystone_api", "placement_api", "galera")
BACKEND = Path(haproxy.__file__).with_name("httpbackend.py")
CLIENT = Path(__file__).parent / "harness" / "apiclient.py"
# The guide's database set-up for the two services (identity.rst,
# compute.rst), with the passwords of the tree's connection URLs.
DATABASES = (("keystone", "KEYSTONE_DBPASS"),
             ("placement", "PLACEMENT_DBPASS"))
DB_SQL = ("CREATE DATABASE {db}; "
          "GRANT ALL PRIVILEGES ON {db}.* TO '{db}'@'%' "
          "IDENTIFIED BY '{password}';")
# The load: three clients, issuing tokens, listing placement's resource
# providers and making RPC calls, each every 0.2 s after its previous
# answer. Longer than nova.conf's heartbeat timeout (60 s) after the
# fault.
LOAD_SECONDS = 80.0
LOAD_INTERVAL = 0.2
FAULT_AFTER = 10.0
VICTIM = "controller2"
KINDS = ("token", "placement", "rpc")
LABELS = {"token": "token issues through the VIP",
          "placement": "placement requests through the VIP",
          "rpc": "RPC calls (brokers of transport_url)"}
RPC_TOPIC = "haguide-api"
RPC_TIMEOUT = 10.0
# Erlang's net_ticktime, which the tree's rabbitmq.conf keeps: the other
# nodes declare a silent node down 0.75 to 1.25 times it after the cut.
# Until then a quorum queue led by the silent node takes no message and
# its RPC server stays a consumer, so calls fail at their timeout.
NET_TICKTIME = 60.0
RPC_OUTAGE = 1.25 * NET_TICKTIME + RPC_TIMEOUT + 5.0
# One lost call per RPC_TIMEOUT for the whole outage, at most.
RPC_LOST = int(RPC_OUTAGE // RPC_TIMEOUT)
# The cut link's RPC loop runs until the outage is surely over.
RPC_CUT_SECONDS = FAULT_AFTER + RPC_OUTAGE + 10.0


class Identity:
    """The APIs' side of the lab, in the RabbitMQ lab's namespaces.

    The VIP is a static address of controller1, which also runs HAProxy
    (the tree's global, defaults, keystone_api, placement_api and galera
    sections) and the database: one MariaDB server standing in for the
    Galera cluster, with an HTTP stand-in answering the galera proxy's
    port 9200 check.
    """

    def __init__(self, workdir: Path, daemons: proc.Daemons, venv: Path,
                 lab: netns.Lab):
        self.workdir = workdir
        self.daemons = daemons
        self.venv = venv
        self.lab = lab
        self.sock = workdir / "haproxy.sock"
        self.nodes: dict[str, openstack.Node] = {}
        self.roots: dict[str, labroot.Host] = {}

    def start(self) -> dict[str, float]:
        proc.run(["ip", "-n", self.lab.ns("controller1"), "addr", "add",
                  f"{tree.vip()}/{netns.PREFIX_LENGTH}", "dev", "eth0"])
        for node in (*tree.CONTROLLERS, "client"):
            source = "controller1" if node == "client" else node
            self.nodes[node] = openstack.Node(
                self.lab, node, self.workdir / "os" / node, self.venv,
                {**keystone.files(source), **placement.files(source),
                 "hosts": tree.example(HOSTS)},
                writable=keystone.KEY_DIRS)
            for sub in ("log/keystone", "log/placement"):
                (self.workdir / "os" / node / sub).mkdir(parents=True,
                                                         exist_ok=True)
        # The infrastructure daemons run from the lab root, each node's
        # in a view of the root inside the node's network namespace.
        for node in tree.CONTROLLERS:
            self.roots[node] = labroot.Host(
                self.workdir, self.daemons, f"{node}-root",
                netns=self.lab.ns(node))
            self.roots[node].start()
            self.daemons.start(f"{node}-memcached", self.roots[node].argv(
                memcached.argv(node, self.workdir, to_loopback=False)))
        self._database()
        self._haproxy()
        figures = {}
        started = time.monotonic()
        first = self.nodes["controller1"]
        keystone.bootstrap(first, "http://controller:5000/v3/")
        figures["keystone-manage (db_sync, keys, bootstrap)"] = (
            time.monotonic() - started)
        for node in tree.CONTROLLERS[1:]:
            keystone.copy_keys(first, self.nodes[node])
        figures["keystone on three nodes UP in HAProxy"] = self._serve(
            keystone, "keystone_api")
        self.client("service", *placement.SERVICE_USER)
        placement.db_sync(first)
        figures["placement on three nodes UP in HAProxy"] = self._serve(
            placement, "placement_api")
        return figures

    def _serve(self, component, proxy: str) -> float:
        """Start component on every controller; seconds until all UP."""
        started = time.monotonic()
        for node in tree.CONTROLLERS:
            component.start(self.nodes[node], self.daemons)
        self.wait_up(proxy, tree.CONTROLLERS, timeout=180)
        return time.monotonic() - started

    def _database(self) -> None:
        db = self.workdir / "db"
        db.mkdir()
        cnf = db / "my.cnf"
        cnf.write_text(
            "[mariadbd]\n"
            f"datadir = {db}/data\nsocket = {db}/mysqld.sock\n"
            f"pid-file = {db}/mysqld.pid\n"
            f"bind-address = {tree.address('controller1')}\nport = 3306\n"
            "user = root\nskip-log-bin\n")
        root = self.roots["controller1"]
        proc.run(root.argv(["mariadb-install-db", f"--defaults-file={cnf}",
                            "--auth-root-authentication-method=normal",
                            "--skip-test-db"]), timeout=180)
        self.daemons.start("controller1-mariadb", root.argv(
            ["mariadbd", f"--defaults-file={cnf}"]))
        socket = db / "mysqld.sock"
        proc.wait_for(lambda: socket.exists(), timeout=60,
                      what="MariaDB to listen")
        for name, password in DATABASES:
            proc.run(root.argv(["mariadb", f"--socket={socket}", "-e",
                                DB_SQL.format(db=name, password=password)]))
        self.daemons.start("controller1-dbcheck", self.lab.exec_argv(
            "controller1", [sys.executable, str(BACKEND),
                            tree.address("controller1"), "9200",
                            "galera-check"]))

    def _haproxy(self) -> None:
        cfg = haproxy.config(PROXIES, {
            "/run/haproxy/admin.sock": str(self.sock)}, to_loopback=False)
        path = self.workdir / "haproxy.cfg"
        path.write_text(cfg)
        root = self.roots["controller1"]
        haproxy.check_config(path, tuple(root.argv([])))
        self.params = haproxy.check_params(cfg, "keystone_api")
        self.daemons.start("haproxy", root.argv(
            haproxy.argv(path, self.workdir / "haproxy.pid")))
        self.wait_up("galera", ("controller1",), timeout=30)

    def wait_up(self, proxy: str, nodes, timeout: float) -> float:
        return proc.wait_for(
            lambda: all(haproxy.status_is(self.sock, proxy, n, "UP")
                        for n in nodes),
            timeout=timeout, interval=0.5, what=f"{proxy} servers UP")

    def client(self, action: str, *args: str) -> str:
        argv = [str(self.venv / "bin" / "python"), str(CLIENT), action,
                f"http://{tree.vip()}:{keystone.PORT}", *args]
        return self.nodes["client"].run(argv, timeout=120,
                                        env=openstack.environ()).stdout

    def wait_status(self, proxy: str, node: str, status: str,
                    timeout: float = 60) -> float:
        return proc.wait_for(
            lambda: haproxy.status_is(self.sock, proxy, node, status),
            timeout=timeout, interval=0.2, what=f"{node} {status}")

    def start_load(self, name: str, kind: str, out: Path) -> None:
        self.nodes["client"].start(self.daemons, name, [
            str(self.venv / "bin" / "python"), str(CLIENT), "load", kind,
            f"http://{tree.vip()}:{keystone.PORT}",
            f"http://{tree.vip()}:{placement.PORT}", str(out),
            str(LOAD_SECONDS), str(LOAD_INTERVAL)],
            env=openstack.environ())



@pytest.fixture(scope="module")
def identity(workdir, daemons):
    requirements.require(
        binaries=("ip", "unshare", "nsenter", "mount", "nft"),
        root_binaries=("haproxy", "memcached", "mariadbd",
                       "mariadb-install-db", "mariadb",
                       f"{rabbitmq.BIN}/rabbitmq-server"))
    venv = openstack.venv()
    # The tree's RabbitMQ cluster makes the controllers' namespaces; the
    # APIs, their memcached, HAProxy and the RPC servers join them.
    rabbit = rabbitmq.RabbitLab(workdir, daemons)
    try:
        rabbit.prepare()
        rabbit.start_cluster()
        lab = Identity(workdir, daemons, venv, rabbit.lab)
        lab.figures = lab.start()
        lab.rpc = rpc.Rpc(rabbit.lab, daemons, workdir / "rpc", venv)
        for node in tree.CONTROLLERS:
            lab.rpc.wait_ready(lab.rpc.start_server(node, RPC_TOPIC))
        yield lab
    finally:
        rabbit.close()


def test_logs_go_to_the_files_the_tree_names(identity):
    """log_file in keystone.conf and placement.conf names the log file.

    Under uWSGI oslo.log has no program name to name the file after; the
    tree's log_file gives each service one known file in its log_dir.
    """
    for node in tree.CONTROLLERS:
        for service in ("keystone", "placement"):
            logdir = identity.nodes[node].root / "log" / service
            names = sorted(path.name for path in logdir.iterdir())
            assert names == [f"{service}.log"], (node, names)


def _analyse(outcomes: list[dict], fault: float, ended: float) -> dict:
    """Per kind: failures, longest gap after the fault, recovery time.

    The recovery time is None when no request succeeded after the last
    failure (the kind had not recovered when the load ended).
    """
    figures = {}
    for kind in KINDS:
        mine = [o for o in outcomes if o["kind"] == kind]
        failed = [o for o in mine if not o["ok"] and o["end"] >= fault]
        ok_ends = sorted(o["end"] for o in mine if o["ok"])
        # Each kind's load may end at its own time (the RPC loop of the
        # cut link runs longer).
        last = max((o["end"] for o in mine), default=ended)
        marks = [fault, *(t for t in ok_ends if t >= fault), last]
        gap = max(b - a for a, b in itertools.pairwise(marks))
        recovered = 0.0
        if failed:
            last = max(o["end"] for o in failed)
            after = [t for t in ok_ends if t > last]
            recovered = after[0] - fault if after else None
        figures[kind] = {"requests": len(mine), "failed": len(failed),
                         "gap": gap, "recovered": recovered}
    return figures


def _run_load(identity, measurements, key, title, description, test,
              fault, heal, event, rpc_seconds=LOAD_SECONDS):
    result = measurements.scenario(key, title=title,
                                   description=description, test=test)
    result.loads(keystone.KEYSTONE_CONF, placement.PLACEMENT_CONF,
                 haproxy.HAPROXY_CFG, memcached.MEMCACHED_CONF, HOSTS)
    outs = {kind: identity.workdir / f"{key}-{kind}.jsonl" for kind in KINDS}
    for kind, out in outs.items():
        if kind == "rpc":
            identity.rpc.start_calls(
                f"{key}-{kind}", RPC_TOPIC, out, seconds=rpc_seconds,
                interval=LOAD_INTERVAL, timeout=RPC_TIMEOUT)
        else:
            identity.start_load(f"{key}-{kind}", kind, out)
    started = time.time()
    time.sleep(FAULT_AFTER)
    fault_at = time.time()
    fault()
    identity.wait_status("keystone_api", VICTIM, "DOWN")
    down_after = time.time() - fault_at
    for kind in KINDS:
        identity.daemons.procs[f"{key}-{kind}"].wait(
            max(LOAD_SECONDS, rpc_seconds) + 60)
    outcomes = [dict(o, kind=kind) for kind, out in outs.items()
                for o in openstack.json_lines(out)]
    heal()
    ended = max(o["end"] for o in outcomes)
    figures = _analyse(outcomes, fault_at, ended)
    for kind in KINDS:
        timeline = result.timeline(LABELS[kind])
        timeline.start(started)
        for outcome in outcomes:
            if outcome["kind"] == kind:
                timeline.record(outcome["ok"], outcome["end"])
        timeline.event(event, fault_at)
        timeline.event("HAProxy marks it DOWN", fault_at + down_after)
    return result, figures, down_after


def test_controller_link_cut(identity, measurements):
    """controller2's traffic is dropped (no RST) under API load."""
    with faults.Faults(identity.lab) as lab_faults:
        result, figures, down_after = _run_load(
            identity, measurements, "openstack-api-cut",
            "keystone and placement: a controller's link cut",
            "Three keystone and three placement nodes under uWSGI behind "
            "the tree's HAProxy, RabbitMQ and an RPC server on each "
            "controller; clients issue tokens and list resource providers "
            "through the VIP and make RPC calls (nova.conf), each every "
            "0.2 s, while every frame to and from controller2 is dropped.",
            "test_controller_link_cut",
            lambda: lab_faults.cut(VICTIM), lab_faults.heal,
            f"{VICTIM} cut off", rpc_seconds=RPC_CUT_SECONDS)
    # A silent node: HAProxy's connect timeout and retries, and its
    # health checks timing out (fall x inter plus the check timeout),
    # decide what API clients see. RPC waits for RabbitMQ: until the
    # other nodes declare controller2 down (NET_TICKTIME), a quorum queue
    # it leads (the topic's, a reply queue) takes no message and its RPC
    # server stays a consumer. A client whose own broker was controller2
    # gives up on it sooner, after two heartbeat_timeout_threshold
    # intervals (py-amqp; 20 s with the tree's 10).
    _record(result, figures, down_after, failed=5, gap=40.0,
            recovered=40.0, down=35.0, rpc=(RPC_LOST, RPC_OUTAGE))
    identity.wait_up("keystone_api", (VICTIM,), timeout=60)
    identity.wait_up("placement_api", (VICTIM,), timeout=60)


def test_controller_killed(identity, measurements):
    """Every process of controller2 is killed under API load."""
    result, figures, down_after = _run_load(
        identity, measurements, "openstack-api-kill",
        "keystone and placement: a controller killed",
        "Three keystone and three placement nodes under uWSGI behind "
        "the tree's HAProxy, RabbitMQ and an RPC server on each "
        "controller; clients issue tokens and list resource providers "
        "through the VIP and make RPC calls (nova.conf), each every "
        "0.2 s, while every process of controller2 (keystone, placement, "
        "memcached, RabbitMQ, the RPC server) is killed.",
        "test_controller_killed",
        lambda: openstack.kill_node(identity.lab, VICTIM), lambda: None,
        f"{VICTIM} killed")
    # Refused connections: HAProxy retries on another server at once, so
    # an API client loses at most the request in flight. An RPC call in
    # flight at the killed server, or whose queue's leader was there, is
    # lost after its 10 s timeout (three in one run on RabbitMQ 4.0).
    _record(result, figures, down_after, failed=5, gap=25.0,
            recovered=25.0, down=20.0)
    for what, seconds in identity.figures.items():
        result.measure(f"set-up: {what}", seconds, "s")


def _record(result, figures, down_after, *, failed: int, gap: float,
            recovered: float, down: float,
            rpc: tuple[int, float] | None = None) -> None:
    """Record every kind's figures and bound them.

    rpc, when given, is (failed calls, seconds) that bound the RPC
    calls' failures, longest gap and recovery instead of failed, gap and
    recovered.
    """
    limits = {kind: (failed, gap, recovered) for kind in KINDS}
    if rpc:
        limits["rpc"] = (rpc[0], rpc[1], rpc[1])
    for kind, label in (("token", "token issues"),
                        ("placement", "placement requests"),
                        ("rpc", "RPC calls")):
        result.measure(f"{label} that failed", figures[kind]["failed"],
                       f"of {figures[kind]['requests']}",
                       bound=("<=", limits[kind][0]))
        result.measure(f"longest time without a successful {label[:-1]}",
                       figures[kind]["gap"], "s",
                       bound=("<=", limits[kind][1]))
    late = [k for k in KINDS if figures[k]["recovered"] is None]
    assert not late, f"no success after the last failure: {late}"
    if rpc:
        result.measure("time until RPC calls succeed again",
                       figures["rpc"]["recovered"], "s",
                       bound=("<=", rpc[1]))
    apis = [k for k in KINDS if not (rpc and k == "rpc")]
    what = ("time until every client succeeds again" if not rpc
            else "time until every API client succeeds again")
    result.measure(what, max(figures[k]["recovered"] for k in apis), "s",
                   bound=("<=", recovered))
    result.measure("HAProxy marked the node DOWN after", down_after, "s",
                   bound=("<=", down))
