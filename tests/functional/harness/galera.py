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
"""MariaDB Galera: three nodes from 60-galera.cnf, health check, HAProxy.

Cluster(workdir, daemons).start() writes each node's my.cnf from the
tree, bootstraps controller1, joins the others by SST (or, for
scenarios that time something else, from a copy of its data), starts
the health check behind xinetd and HAProxy's galera proxy, and returns
the start-up figures. Node wraps one mariadbd (start, sql, status, wait_synced,
recover); Writer is a client inserting numbered rows through the VIP as
nova.conf's database user. Every MariaDB, xinetd and HAProxy process,
and the mariadb client, runs from the Debian 13 lab root (a
labroot.Host per node in a lab, one on the host's loopback otherwise).
The daemons are stopped by the fixture's proc.Daemons.
"""

from __future__ import annotations

import configparser
import itertools
import re
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import haproxy, labroot, netns, proc, tree

# Binaries Cluster needs (for requirements.require): from the lab root,
# and curl on the host as the health check's client.
BINARIES = (
    "mariadbd", "mariadb", "mariadb-install-db", "mariadb-backup", "socat",
    "galera_recovery", "xinetd", "haproxy")
HOST_BINARIES = ("curl", "unshare", "nsenter")

GALERA_CNF = "controller/etc/mysql/mariadb.conf.d/60-galera.cnf"
HEALTH_SCRIPT = "controller/usr/local/bin/galera-healthcheck.sh"
HEALTH_CNF = "controller/etc/mysql/healthcheck.cnf"
XINETD_SERVICE = "controller/etc/xinetd.d/galera-monitor"
NOVA_CONF = "controller/etc/nova/nova.conf"
PROXY = "galera"
# Paths of one node on a host shared by three; the tree's file sets none
# of them, so prepending them changes no setting the guide makes.
NODE_PATHS = """\
# Functional test: paths of this node on a host shared by three nodes.
[mysqld]
user = mysql
datadir = {dir}/data
socket = {dir}/mysqld.sock
pid-file = {dir}/mysqld.pid
log-error = {dir}/error.log

[client]
socket = {dir}/mysqld.sock

"""
# The rest of the rewrite of 60-galera.cnf: sizes for a test host, and
# Galera's group port pinned to the node's loopback address (its default
# listens on every address, which three nodes on one host cannot share).
GALERA_SIZES = {
    "innodb_buffer_pool_size = 4G": "innodb_buffer_pool_size = 128M",
}
PROVIDER_OPTIONS = "gcache.size=1G;gcache.recover=yes"
TEST_PROVIDER_OPTIONS = ("gcache.size=128M;gcache.recover=yes;"
                         "gmcast.listen_addr=tcp://{address}:4567")
# The guide's bootstrap statements (galera.rst), run on controller1, plus
# the database and user that nova.conf's [database] connection names.
BOOTSTRAP_SQL = """
CREATE USER 'mariabackup'@'localhost' IDENTIFIED BY 'MARIABACKUP_PASS';
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.*
  TO 'mariabackup'@'localhost';
CREATE USER 'clustercheck'@'localhost' IDENTIFIED BY 'CLUSTERCHECK_PASS';
GRANT PROCESS ON *.* TO 'clustercheck'@'localhost';
CREATE DATABASE {db};
CREATE USER '{user}'@'%' IDENTIFIED BY '{password}';
GRANT ALL PRIVILEGES ON {db}.* TO '{user}'@'%';
CREATE TABLE {db}.haguide_writes (id INT PRIMARY KEY, via VARCHAR(32));
"""
# One write every 100 ms through the VIP, each on a new connection as an
# oslo.db pool reconnecting after an error would make.
WRITE_INTERVAL = 0.1
# Between two writes of the probe that runs while the nodes join.
PROBE_INTERVAL = 0.2
SLACK = 3.0
# Galera's evs.suspect_timeout default: a silent node is suspected after it.
SUSPECT_TIMEOUT = 5.0
START_TIMEOUT = 60.0
RECOVERED = re.compile(r"--wsrep_start_position=(\S+:-?\d+)")
# What a seeded joiner (Cluster.start(sst=False)) does not take from the
# bootstrap node's data: Galera's ring buffer (preallocated, rebuilt
# empty) and its saved view, which names the bootstrap node's own UUID.
NOT_SEEDED = frozenset({"galera.cache", "gvwstate.dat"})
# wsrep_sst_mariabackup's line on the joiner after a whole SST (an IST
# ends with "mariabackup IST completed on joiner").
SST_DONE = "mariabackup SST completed on joiner"


class Node:
    """One MariaDB Galera node from the derived tree file.

    On loopback by default; with lab, in the node's network namespace
    with the tree's own addresses (its files, sockets and logs stay in
    the scratch directory, which the host reaches directly).
    """

    def __init__(self, name: str, root: Path, daemons: proc.Daemons,
                 lab: netns.Lab | None = None, cnf: str = GALERA_CNF,
                 substitutions: dict[str, str] | None = None):
        self.name = name
        # The example file to run (a variant's) and the node's rewrites
        # of its paths, templates of {dir} (the node's directory) and {name}.
        self.source = cnf
        self.substitutions = substitutions or {}
        self.dir = root / name
        self.daemons = daemons
        self.lab = lab
        self.address = (tree.address(name) if lab else
                        tree.loopback(tree.address(name)))
        self.cnf = self.dir / "my.cnf"
        # galera-healthcheck.sh's drain switch for this node.
        self.drain_file = self.dir / "drained"
        # The lab root's view the node's programs run in (Cluster.start):
        # the node's own in its namespace, or the loopback lab's.
        self.host: labroot.Host | None = None

    def argv(self, argv: list[str]) -> list[str]:
        """argv run from the lab root, where this node's network is."""
        return self.host.argv(argv)

    def write_config(self) -> None:
        self.dir.mkdir(parents=True)
        (self.dir / "data").mkdir()
        rewrite = {**GALERA_SIZES, PROVIDER_OPTIONS:
                   TEST_PROVIDER_OPTIONS.format(address=self.address),
                   **{old: new.format(dir=self.dir, name=self.name)
                      for old, new in self.substitutions.items()}}
        self.cnf.write_text(NODE_PATHS.format(dir=self.dir) + tree.rewrite(
            tree.node_file(self.source, self.name), rewrite,
            to_loopback=self.lab is None))
        labroot.chown(self.dir, "mysql")
        labroot.chown(self.dir / "data", "mysql")

    def start(self, *extra: str) -> None:
        self.daemons.start(f"{self.name}-db", self.argv([
            "mariadbd", f"--defaults-file={self.cnf}", *extra]))

    def sql(self, statement: str, check: bool = True) -> str:
        done = proc.run(self.argv([
            "mariadb", f"--defaults-file={self.cnf}", "-uroot", "-N", "-B",
            "--connect-timeout=2", "-e", statement]), timeout=15,
            check=check)
        return done.stdout.strip() if done.returncode == 0 else ""

    def status(self) -> dict[str, str]:
        out = self.sql("SHOW GLOBAL STATUS LIKE 'wsrep_%'", check=False)
        return dict(line.split("\t", 1) for line in out.splitlines()
                    if "\t" in line)

    def synced(self) -> bool:
        return self.status().get("wsrep_local_state_comment") == "Synced"

    def wait_synced(self, what: str) -> float:
        """Wait for Synced; on failure say whether mariadbd still runs.

        The error log's last lines go into the failure, since the module's
        work directory (and the log) is removed after the module.
        """
        name = f"{self.name}-db"

        def synced_or_gone() -> bool:
            return self.synced() or (name in self.daemons.procs and
                                     not self.daemons.running(name))

        try:
            took = proc.wait_for(synced_or_gone, timeout=START_TIMEOUT,
                                 interval=0.2,
                                 what=f"{self.name} Synced {what}")
        except proc.WaitTimeout as exc:
            raise proc.WaitTimeout(f"{exc}; error.log ends:\n"
                                   f"{self.log()[-3000:]}") from None
        if not self.synced():
            raise proc.WaitTimeout(
                f"{self.name}: mariadbd exited before Synced {what}; "
                f"error.log ends:\n{self.log()[-3000:]}")
        return took

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def grastate(self) -> dict[str, str]:
        text = (self.dir / "data" / "grastate.dat").read_text()
        pairs = (line.split(":", 1) for line in text.splitlines()
                 if ":" in line and not line.startswith("#"))
        return {key.strip(): value.strip() for key, value in pairs}

    def recover(self) -> str:
        """The guide's galera_recovery: the position from InnoDB's log."""
        out = proc.run(self.argv([
            "galera_recovery", f"--defaults-file={self.cnf}"]),
            timeout=60).stdout
        return RECOVERED.search(out).group(1)


class JoinProbe(threading.Thread):
    """Inserts a row on one node's socket every PROBE_INTERVAL s.

    Outcomes are (time the answer came, ok); a write stalled by a state
    transfer shows as a late answer. Bounded by stop() and a deadline.
    """

    def __init__(self, node: Node, database: str):
        super().__init__(daemon=True)
        self.node = node
        self.database = database
        self.stopping = threading.Event()
        self.started = time.monotonic()
        self.outcomes: list[tuple[float, bool]] = []
        self.events: list[tuple[float, str]] = []

    def event(self, label: str) -> None:
        self.events.append((time.monotonic(), label))

    def run(self) -> None:
        table = f"{self.database}.haguide_join_probe"
        self._try(f"CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY "
                  "KEY, at DOUBLE)")
        deadline = time.monotonic() + 4 * START_TIMEOUT
        while not self.stopping.is_set() and time.monotonic() < deadline:
            self._try(f"INSERT INTO {table} (at) VALUES "
                      f"({time.monotonic()})")
            self.stopping.wait(PROBE_INTERVAL)

    def _try(self, statement: str) -> None:
        try:
            ok = self.node.sql(f"{statement}; SELECT 1", check=False) == "1"
        except subprocess.TimeoutExpired:
            ok = False
        self.outcomes.append((time.monotonic(), ok))

    def stop(self) -> None:
        self.stopping.set()
        self.join(20)


class Writer(threading.Thread):
    """Inserts numbered rows through the VIP as nova.conf's DB user."""

    def __init__(self, url: str, ids: Iterator[int], prefix: list[str], *,
                 loopback: bool):
        super().__init__(daemon=True)
        # prefix runs the lab root's client where the writer belongs: in
        # the client namespace of a lab, where the tree's addresses are
        # real, or on the host, where they map to loopback.
        parsed = urllib.parse.urlsplit(tree.loopback(url) if loopback
                                       else url)
        self.argv = [
            *prefix, "mariadb", "--defaults-file=/dev/null", "-h",
            parsed.hostname,
            "-P", str(parsed.port or 3306), "-u", parsed.username,
            f"-p{parsed.password}", "--connect-timeout=2", "-N", "-B",
            parsed.path.strip("/")]
        self.stopping = threading.Event()
        self.committed: list[int] = []
        self.failed: list[tuple[float, int]] = []
        self.successes: list[tuple[float, str]] = []
        self.ids = ids

    def query(self, statement: str) -> str | None:
        """Run statements through the VIP; their output, None on error."""
        try:
            done = subprocess.run(self.argv, input=statement,
                                  capture_output=True, text=True,
                                  timeout=10, check=False)
        except subprocess.TimeoutExpired:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    def write(self) -> bool:
        row = next(self.ids)
        started = time.monotonic()
        via = self.query(f"INSERT INTO haguide_writes VALUES ({row}, "
                         "@@wsrep_node_name); SELECT @@wsrep_node_name;")
        if via is None:
            self.failed.append((started, row))
            return False
        self.committed.append(row)
        self.successes.append((started, via))
        return True

    def run(self) -> None:
        deadline = time.monotonic() + 180
        while not self.stopping.is_set() and time.monotonic() < deadline:
            self.write()
            self.stopping.wait(WRITE_INTERVAL)

    def stop(self) -> None:
        self.stopping.set()
        self.join(15)

    def outage(self, since: float) -> float:
        """Longest gap between successful writes after since."""
        times = [t for t, _ in self.successes if t >= since - 1]
        return max((times[i + 1] - times[i] for i in range(len(times) - 1)),
                   default=0.0)

    def writer_node(self, since: float) -> set[str]:
        return {via for t, via in self.successes if t >= since}


class Cluster:
    """Three nodes, the health check behind xinetd, HAProxy in front.

    With lab (a netns.Lab not yet set up), every node runs in its own
    network namespace with the tree's addresses, HAProxy runs on
    HAPROXY_NODE holding the VIP, as keepalived would place it, and the
    writers run in a client namespace: partitions and cut links then
    apply to the database traffic (see harness.faults).
    """

    HAPROXY_NODE = "controller3"

    def __init__(self, workdir: Path, daemons: proc.Daemons,
                 lab: netns.Lab | None = None, cnf: str = GALERA_CNF,
                 substitutions: dict[str, str] | None = None,
                 names: tuple[str, ...] = tree.CONTROLLERS):
        # names: the controllers that run a database (all three, or the
        # two data sites of the stretch variant, whose third is garbd).
        self.root = workdir / "galera"
        self.workdir = workdir
        self.daemons = daemons
        self.lab = lab
        self.nodes = {n: Node(n, self.root, daemons, lab, cnf, substitutions)
                      for n in names}
        self.sock = workdir / "admin.sock"
        self.url = database_url()
        # Row ids shared by every writer, so no two inserts collide.
        self.ids = itertools.count(1)

    def writer(self) -> Writer:
        return Writer(self.url, self.ids, self.client.argv([]),
                      loopback=self.lab is None)

    def _start_views(self) -> None:
        """The lab root's views: one per node and the client's in a lab,
        one shared on loopback."""
        if self.lab is None:
            self.client = labroot.Host(self.workdir, self.daemons,
                                       "galera-root")
            self.client.start()
            for node in self.nodes.values():
                node.host = self.client
            return
        for name in (*self.nodes, "client"):
            view = labroot.Host(self.workdir, self.daemons, f"{name}-root",
                                netns=self.lab.ns(name))
            view.start()
            if name in self.nodes:
                self.nodes[name].host = view
            else:
                self.client = view

    def _setup_lab(self) -> None:
        nodes = {n: {"eth0": tree.address(n)} for n in tree.CONTROLLERS}
        nodes["client"] = {"eth0": netns.CLIENT_ADDRESS}
        self.lab.setup(nodes)
        proc.run(["ip", "-n", self.lab.ns(self.HAPROXY_NODE), "addr", "add",
                  f"{tree.vip()}/{netns.PREFIX_LENGTH}", "dev", "eth0"],
                 timeout=10)

    def start(self, *, setup_lab: bool = True, proxy: bool = True,
              health: bool = True, sst: bool = True) -> dict[str, float]:
        """Start the cluster; the start-up figures.

        setup_lab=False joins a lab whose nodes exist already (another
        component made them); proxy=False leaves HAProxy (and the VIP)
        to the caller; health=False starts no health check (a scenario
        that talks to the nodes directly). sst=False, for scenarios that
        measure something else than the first joins, seeds the joiners
        instead (_join_seeded): no figure per joiner and no join_probe,
        about 15 s less per joiner.
        """
        if self.lab is not None and setup_lab:
            self._setup_lab()
        self._start_views()
        first, *others = self.nodes.values()
        for node in self.nodes.values():
            node.write_config()
        proc.run(first.argv([
            "mariadb-install-db", f"--defaults-file={first.cnf}",
            "--auth-root-authentication-method=normal", "--skip-test-db"]),
            timeout=120)
        started = time.monotonic()
        first.start("--wsrep-new-cluster")
        figures = {"bootstrap": first.wait_synced("after bootstrap")}
        parsed = urllib.parse.urlsplit(self.url)
        first.sql(BOOTSTRAP_SQL.format(
            db=parsed.path.strip("/"), user=parsed.username,
            password=parsed.password))
        if sst:
            figures.update(self._join_by_sst(first, others, parsed))
        else:
            self.join_probe = None
            self._join_seeded(first, others)
        figures["cluster"] = time.monotonic() - started
        if health:
            self._start_health_checks()
        if proxy:
            self._start_haproxy()
        return figures

    def _join_by_sst(self, first: Node, others: list[Node],
                     parsed: urllib.parse.SplitResult) -> dict[str, float]:
        """Start the joiners one after the other, each joining by SST."""
        figures = {}
        # Writes on the first node while the others join: whether the
        # state transfers stall them (the donor blocks its commits).
        self.join_probe = JoinProbe(first, parsed.path.strip("/"))
        self.join_probe.start()
        try:
            for node in others:
                self.join_probe.event(f"{node.name} starts")
                node.start()
                figures[node.name] = node.wait_synced("after SST")
                self.join_probe.event(f"{node.name} Synced")
        finally:
            self.join_probe.stop()
        return figures

    def _join_seeded(self, first: Node, others: list[Node]) -> None:
        """Join the others from a cold copy of first's data directory.

        first stops cleanly (its grastate.dat then holds the last seqno
        and allows the bootstrap), each joiner gets a copy of its data,
        first bootstraps again and the joiners, already at the group's
        state but for the view changes since the copy, join by an IST of
        those: the cluster SST would give, without the SST script's
        fixed 10 s sleep on the donor and the backup, per joiner.
        """
        self.daemons.kill(f"{first.name}-db", signal.SIGTERM,
                          timeout=START_TIMEOUT)
        data = first.dir / "data"
        seed = [str(p) for p in sorted(data.iterdir())
                if p.name not in NOT_SEEDED]
        for node in others:
            # cp -a keeps the mysql owner and modes of every file.
            proc.run(first.argv(["cp", "-a", *seed, str(node.dir / "data")]),
                     timeout=60)
        first.start("--wsrep-new-cluster")
        first.wait_synced("after the restart that seeded the others")
        # One at a time: two joining a one-node group at once spend
        # seconds settling the membership (EVS) before either joins.
        for node in others:
            node.start()
            node.wait_synced("from a copy of the bootstrap node's data")
            if SST_DONE in node.log():
                raise AssertionError(
                    f"{node.name} was seeded but took a whole SST "
                    "anyway (error.log)")

    def _start_health_checks(self) -> None:
        script = self.root / "galera-healthcheck.sh"
        script.write_text(tree.example(HEALTH_SCRIPT))
        script.chmod(0o755)
        for node in self.nodes.values():
            cnf = node.dir / "healthcheck.cnf"
            cnf.write_text(tree.rewrite(tree.example(HEALTH_CNF), {
                "[client]": f"[client]\nsocket = {node.dir}/mysqld.sock"}))
            cnf.chmod(0o644)
            conf = node.dir / "xinetd.conf"
            # xinetd.d files are included from xinetd.conf, which sets the
            # defaults; the service itself is the tree's, rewritten. The
            # account clustercheck does not exist on a test host: nobody
            # is as unprivileged.
            conf.write_text("defaults\n{\n    instances = 50\n}\n\n" +
                            tree.rewrite(tree.node_file(
                                XINETD_SERVICE, node.name), {
                "/usr/local/bin/galera-healthcheck.sh": str(script),
                # The drain file, per node: the nodes share /var/tmp.
                "/etc/mysql/healthcheck.cnf": f"{cnf} {node.drain_file}",
                "user           = clustercheck":
                    "user           = nobody"},
                to_loopback=self.lab is None))
            self.daemons.start(f"{node.name}-xinetd", node.argv([
                "xinetd", "-dontfork", "-f", str(conf),
                "-pidfile", str(node.dir / "xinetd.pid"),
                "-filelog", str(node.dir / "xinetd.log")]))

    def _start_haproxy(self) -> None:
        cfg = haproxy.config((PROXY,), {
            "/run/haproxy/admin.sock": str(self.sock)},
            to_loopback=self.lab is None)
        path = self.root / "haproxy.cfg"
        path.write_text(cfg)
        # On HAPROXY_NODE in a lab, on the host's loopback otherwise.
        view = self.nodes[self.HAPROXY_NODE].host
        haproxy.check_config(path, tuple(view.argv([])))
        self.params = haproxy.check_params(cfg, PROXY)
        self.daemons.start("haproxy", view.argv(haproxy.argv(
            path, self.root / "haproxy.pid")))
        proc.wait_for(lambda: all(self.server_is(n, "UP")
                                  for n in self.nodes),
                      timeout=20, what="all Galera servers UP in HAProxy")

    def server_is(self, node: str, status: str) -> bool:
        return haproxy.status_is(self.sock, PROXY, node, status)

    def health(self, node: str) -> int:
        address = self.nodes[node].address
        argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m",
                "8", f"http://{address}:9200/"]
        if self.lab is not None:
            # Asked as HAProxy asks it: xinetd answers only the controllers.
            argv = self.lab.exec_argv(self.HAPROXY_NODE, argv)
        done = proc.run(argv, timeout=15, check=False)
        return int(done.stdout or 0)

    def via_vip(self) -> str | None:
        """The node that a new connection through the VIP reaches."""
        return self.writer().query("SELECT @@wsrep_node_name")

    def rows(self, node: str) -> set[int]:
        database = urllib.parse.urlsplit(self.url).path.strip("/")
        out = self.nodes[node].sql(f"SELECT id FROM {database}.haguide_writes")
        return {int(x) for x in out.split()}


def database_url() -> str:
    """nova.conf's [database] connection, without the driver name."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(tree.example(NOVA_CONF))
    url = parser.get("database", "connection", fallback="")
    if not url.startswith("mysql"):
        pytest.fail(f"nova.conf [database] connection is {url!r}",
                    pytrace=False)
    return re.sub(r"^mysql\+\w+", "mysql", url)
