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
"""MariaDB Galera: three nodes, HAProxy in front, failures and recovery."""

from __future__ import annotations

import configparser
import itertools
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import haproxy, proc, requirements, tree

pytestmark = pytest.mark.functional

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
SLACK = 3.0
# Galera's evs.suspect_timeout default: a silent node is suspected after it.
SUSPECT_TIMEOUT = 5.0
START_TIMEOUT = 60.0
RECOVERED = re.compile(r"--wsrep_start_position=(\S+:-?\d+)")


class Node:
    """One MariaDB Galera node on loopback, from the derived tree file."""

    def __init__(self, name: str, root: Path, daemons: proc.Daemons):
        self.name = name
        self.dir = root / name
        self.daemons = daemons
        self.address = tree.loopback(tree.address(name))
        self.cnf = self.dir / "my.cnf"

    def write_config(self) -> None:
        self.dir.mkdir(parents=True)
        (self.dir / "data").mkdir()
        rewrite = {**GALERA_SIZES, PROVIDER_OPTIONS:
                   TEST_PROVIDER_OPTIONS.format(address=self.address)}
        self.cnf.write_text(NODE_PATHS.format(dir=self.dir) + tree.rewrite(
            tree.node_file(GALERA_CNF, self.name), rewrite,
            to_loopback=True))
        shutil.chown(self.dir, "mysql", "mysql")
        shutil.chown(self.dir / "data", "mysql", "mysql")

    def start(self, *extra: str) -> None:
        self.daemons.start(f"{self.name}-db", [
            requirements.which("mariadbd"), f"--defaults-file={self.cnf}",
            *extra])

    def sql(self, statement: str, check: bool = True) -> str:
        done = proc.run([
            "mariadb", f"--defaults-file={self.cnf}", "-uroot", "-N", "-B",
            "--connect-timeout=2", "-e", statement], timeout=15, check=check)
        return done.stdout.strip() if done.returncode == 0 else ""

    def status(self) -> dict[str, str]:
        out = self.sql("SHOW GLOBAL STATUS LIKE 'wsrep_%'", check=False)
        return dict(line.split("\t", 1) for line in out.splitlines()
                    if "\t" in line)

    def synced(self) -> bool:
        return self.status().get("wsrep_local_state_comment") == "Synced"

    def wait_synced(self, what: str) -> float:
        return proc.wait_for(self.synced, timeout=START_TIMEOUT,
                             interval=0.2, what=f"{self.name} Synced {what}")

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
        out = proc.run(["galera_recovery", f"--defaults-file={self.cnf}"],
                       timeout=60).stdout
        return RECOVERED.search(out).group(1)


class Writer(threading.Thread):
    """Inserts numbered rows through the VIP as nova.conf's DB user."""

    def __init__(self, url: str, ids: Iterator[int]):
        super().__init__(daemon=True)
        parsed = urllib.parse.urlsplit(tree.loopback(url))
        self.argv = [
            "mariadb", "--defaults-file=/dev/null", "-h", parsed.hostname,
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
    """Three nodes, the health check behind xinetd, HAProxy in front."""

    def __init__(self, workdir: Path, daemons: proc.Daemons):
        self.root = workdir / "galera"
        self.daemons = daemons
        self.nodes = {n: Node(n, self.root, daemons)
                      for n in tree.CONTROLLERS}
        self.sock = workdir / "admin.sock"
        self.url = _database_url()
        # Row ids shared by every writer, so no two inserts collide.
        self.ids = itertools.count(1)

    def writer(self) -> Writer:
        return Writer(self.url, self.ids)

    def start(self) -> dict[str, float]:
        first, *others = self.nodes.values()
        for node in self.nodes.values():
            node.write_config()
        proc.run(["mariadb-install-db", f"--defaults-file={first.cnf}",
                  "--auth-root-authentication-method=normal",
                  "--skip-test-db"], timeout=120)
        started = time.monotonic()
        first.start("--wsrep-new-cluster")
        figures = {"bootstrap": first.wait_synced("after bootstrap")}
        parsed = urllib.parse.urlsplit(self.url)
        first.sql(BOOTSTRAP_SQL.format(
            db=parsed.path.strip("/"), user=parsed.username,
            password=parsed.password))
        for node in others:
            node.start()
            figures[node.name] = node.wait_synced("after SST")
        figures["cluster"] = time.monotonic() - started
        self._start_health_checks()
        self._start_haproxy()
        return figures

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
                "/etc/mysql/healthcheck.cnf": str(cnf),
                "user           = clustercheck":
                    "user           = nobody"}, to_loopback=True))
            self.daemons.start(f"{node.name}-xinetd", [
                requirements.which("xinetd"), "-dontfork", "-f", str(conf),
                "-pidfile", str(node.dir / "xinetd.pid"),
                "-filelog", str(node.dir / "xinetd.log")])

    def _start_haproxy(self) -> None:
        cfg = haproxy.config((PROXY,), {
            "/run/haproxy/admin.sock": str(self.sock)}, to_loopback=True)
        path = self.root / "haproxy.cfg"
        path.write_text(cfg)
        haproxy.check_config(path)
        self.params = haproxy.check_params(cfg, PROXY)
        self.daemons.start("haproxy", haproxy.argv(
            path, self.root / "haproxy.pid"))
        proc.wait_for(lambda: all(self.server_is(n, "UP")
                                  for n in self.nodes),
                      timeout=20, what="all Galera servers UP in HAProxy")

    def server_is(self, node: str, status: str) -> bool:
        return haproxy.status_is(self.sock, PROXY, node, status)

    def health(self, node: str) -> int:
        address = self.nodes[node].address
        done = proc.run(["curl", "-s", "-o", "/dev/null", "-w",
                         "%{http_code}", "-m", "8", f"http://{address}:9200/"],
                        timeout=15, check=False)
        return int(done.stdout or 0)

    def via_vip(self) -> str | None:
        """The node that a new connection through the VIP reaches."""
        return self.writer().query("SELECT @@wsrep_node_name")

    def rows(self, node: str) -> set[int]:
        database = urllib.parse.urlsplit(self.url).path.strip("/")
        out = self.nodes[node].sql(f"SELECT id FROM {database}.haguide_writes")
        return {int(x) for x in out.split()}


def _database_url() -> str:
    """nova.conf's [database] connection, without the driver name."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(tree.example(NOVA_CONF))
    url = parser.get("database", "connection", fallback="")
    if not url.startswith("mysql"):
        pytest.fail(f"nova.conf [database] connection is {url!r}",
                    pytrace=False)
    return re.sub(r"^mysql\+\w+", "mysql", url)


@pytest.fixture(scope="module")
def galera(workdir, daemons, measurements):
    requirements.require(binaries=(
        "mariadbd", "mariadb", "mariadb-install-db", "mariabackup", "socat",
        "galera_recovery", "xinetd", "haproxy", "curl"))
    cluster = Cluster(workdir, daemons)
    figures = cluster.start()
    result = _scenario(measurements)
    result.measure("bootstrap node Synced after", figures["bootstrap"], "s")
    for name in tree.CONTROLLERS[1:]:
        result.measure(f"{name} joined by SST (mariabackup) after",
                       figures[name], "s", bound=("<=", START_TIMEOUT))
    return cluster


def _scenario(measurements):
    return measurements.scenario(
        "galera", title="MariaDB Galera: node failure, full restart",
        description=(
            "Three MariaDB nodes from 60-galera.cnf on loopback, the health "
            "check (galera-healthcheck.sh behind xinetd) and HAProxy's "
            "galera proxy; writes as nova.conf's database user through "
            "the VIP while nodes are desynced, killed and restarted."),
        test="test_galera")


def test_galera_health_check_and_backup(galera, measurements):
    """A desynced node answers 503; HAProxy moves writes to the backup.

    wsrep_desync=ON puts controller1 in Donor/Desynced (state 2), which
    galera-healthcheck.sh must report as 503 while the others stay 200.
    HAProxy marks controller1 DOWN after fall checks and sends the
    traffic to the first backup; when the node is Synced again it comes
    back UP after rise checks and takes the writes back.
    """
    result = _scenario(measurements)
    params = galera.params
    inter = params["inter"] / 1000
    assert [galera.health(n) for n in tree.CONTROLLERS] == [200, 200, 200]
    assert galera.via_vip() == "controller1"
    first = galera.nodes["controller1"]
    started = time.monotonic()
    first.sql("SET GLOBAL wsrep_desync = ON")
    try:
        assert galera.health("controller1") == 503
        assert galera.health("controller2") == 200
        proc.wait_for(lambda: galera.server_is("controller1", "DOWN"),
                      timeout=params["fall"] * inter + 3 * SLACK,
                      what="desynced controller1 DOWN in HAProxy")
        down = time.monotonic() - started
        assert galera.via_vip() == "controller2"
    finally:
        first.sql("SET GLOBAL wsrep_desync = OFF")
    started = time.monotonic()
    proc.wait_for(lambda: galera.server_is("controller1", "UP"),
                  timeout=params["rise"] * inter + 3 * SLACK,
                  what="controller1 UP again")
    up = time.monotonic() - started
    assert galera.health("controller1") == 200
    assert galera.via_vip() == "controller1"
    result.measure("desynced node marked DOWN after", down, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("resynced node marked UP after", up, "s",
                   bound=("<=", params["rise"] * inter + SLACK))


def test_galera_writer_killed(galera, daemons, measurements):
    """SIGKILL the node that takes the writes, then rejoin it by IST.

    The cluster drops to two members, HAProxy marks the node DOWN and the
    writes go to the first backup; no committed row is lost. The node is
    restarted the way Debian's unit does it (galera_recovery reads the
    position from the InnoDB log, the server starts at that position),
    so the gcache covers the gap and the node rejoins with IST. When it
    is UP again, on-marked-up shutdown-backup-sessions returns the
    writes to it.
    """
    result = _scenario(measurements)
    params = galera.params
    inter = params["inter"] / 1000
    victim, survivor = galera.nodes["controller1"], galera.nodes[
        "controller2"]
    writer = galera.writer()
    writer.start()
    try:
        time.sleep(1)
        killed = time.monotonic()
        daemons.kill("controller1-db")
        proc.wait_for(
            lambda: survivor.status().get("wsrep_cluster_size") == "2",
            timeout=SUSPECT_TIMEOUT + 4 * SLACK, interval=0.2,
            what="cluster size 2")
        shrunk = time.monotonic() - killed
        proc.wait_for(lambda: galera.server_is("controller1", "DOWN"),
                      timeout=params["fall"] * inter + 3 * SLACK,
                      what="killed controller1 DOWN in HAProxy")
        down = time.monotonic() - killed
        proc.wait_for(lambda: "controller2" in writer.writer_node(
            killed + down), timeout=10, what="writes on controller2")
        restarted = time.monotonic()
        logged = len(victim.log())
        position = victim.recover()
        victim.start(f"--wsrep-start-position={position}")
        victim.wait_synced("after restart")
        rejoined = time.monotonic() - restarted
        proc.wait_for(lambda: galera.server_is("controller1", "UP"),
                      timeout=params["rise"] * inter + 3 * SLACK,
                      what="controller1 UP after rejoin")
        back = time.monotonic()
        proc.wait_for(lambda: writer.writer_node(back) == {"controller1"},
                      timeout=10, what="writes back on controller1")
    finally:
        writer.stop()
    log = victim.log()[logged:]
    assert "IST received" in log and "Proceeding with SST" not in log, (
        "controller1 did not rejoin by IST")
    result.measure("cluster size 3 -> 2 after", shrunk, "s",
                   bound=("<=", SUSPECT_TIMEOUT + 2 * SLACK))
    result.measure("killed writer marked DOWN after", down, "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("longest gap between successful writes",
                   writer.outage(killed), "s",
                   bound=("<=", params["fall"] * inter + SLACK))
    result.measure("writes failed during the failover", len(writer.failed),
                   "writes")
    result.measure("killed node rejoined (galera_recovery + IST) after",
                   rejoined, "s", bound=("<=", 20.0))
    committed = set(writer.committed)
    for node in tree.CONTROLLERS:
        missing = committed - galera.rows(node)
        assert not missing, f"{node} lost committed rows {sorted(missing)}"
    result.measure("committed rows lost", 0, f"of {len(committed)}",
                   bound=("==", 0))


def test_galera_plain_restart_after_crash(galera, daemons, measurements):
    """Without the recovered position, a crashed node needs a full SST.

    The counterpart of test_galera_writer_killed: controller3 is
    SIGKILLed, misses a few writes and is started plainly. Its
    grastate.dat says seqno -1, so the cluster cannot know what it lacks
    and sends the whole data directory (mariabackup SST) instead of the
    missing write sets. This is why the guide relies on galera_recovery.
    """
    result = _scenario(measurements)
    node = galera.nodes["controller3"]
    writer = galera.writer()
    daemons.kill("controller3-db")
    for _ in range(5):
        assert writer.write()
    assert node.grastate()["seqno"] == "-1"
    logged = len(node.log())
    started = time.monotonic()
    node.start()
    node.wait_synced("after a plain restart")
    rejoined = time.monotonic() - started
    new = node.log()[logged:]
    assert "Proceeding with SST" in new, "expected a full SST"
    assert set(writer.committed) <= galera.rows("controller3")
    result.measure("crashed node restarted without its position: "
                   "rejoined (full SST) after", rejoined, "s",
                   bound=("<=", START_TIMEOUT))


def test_galera_full_cluster_stop(galera, daemons, measurements):
    """Power loss of the whole cluster, recovered by the guide's procedure.

    controller3 dies first and misses some writes; then controller1 and
    controller2 die together. Every grastate.dat then says seqno -1 and
    safe_to_bootstrap 0, so the procedure of galera.rst applies:
    recover each position with galera_recovery, pick the highest, set
    safe_to_bootstrap on it only, bootstrap it, start the others. The
    node that missed writes must not be chosen, and no row is lost.
    """
    result = _scenario(measurements)
    nodes = galera.nodes
    writer = galera.writer()
    for _ in range(10):
        assert writer.write()
    daemons.kill("controller3-db")
    proc.wait_for(lambda: nodes["controller1"].status().get(
        "wsrep_cluster_size") == "2", timeout=SUSPECT_TIMEOUT + 4 * SLACK,
        interval=0.2, what="cluster size 2 after controller3 died")
    for _ in range(10):
        assert writer.write()
    for name in ("controller1", "controller2"):
        daemons.send(f"{name}-db", signal.SIGKILL)
    for name in tree.CONTROLLERS:
        daemons.kill(f"{name}-db")
    started = time.monotonic()
    states = {n: node.grastate() for n, node in nodes.items()}
    assert {s["seqno"] for s in states.values()} == {"-1"}
    assert {s["safe_to_bootstrap"] for s in states.values()} == {"0"}
    positions = {n: node.recover() for n, node in nodes.items()}
    seqno = {n: int(p.rsplit(":", 1)[1]) for n, p in positions.items()}
    chosen = max(tree.CONTROLLERS, key=lambda n: seqno[n])
    assert seqno["controller3"] < seqno[chosen]
    grastate = nodes[chosen].dir / "data" / "grastate.dat"
    grastate.write_text(grastate.read_text().replace(
        "safe_to_bootstrap: 0", "safe_to_bootstrap: 1"))
    nodes[chosen].start("--wsrep-new-cluster",
                        f"--wsrep-start-position={positions[chosen]}")
    nodes[chosen].wait_synced("after bootstrap")
    transfers = []
    for name in tree.CONTROLLERS:
        if name != chosen:
            logged = len(nodes[name].log())
            nodes[name].start(f"--wsrep-start-position={positions[name]}")
            nodes[name].wait_synced("after the full restart")
            new = nodes[name].log()[logged:]
            transfers.append("IST" if "IST received" in new and
                             "Proceeding with SST" not in new else "SST")
    recovered = time.monotonic() - started
    assert nodes[chosen].status().get("wsrep_cluster_size") == "3"
    committed = set(writer.committed)
    for name in tree.CONTROLLERS:
        missing = committed - galera.rows(name)
        assert not missing, f"{name} lost committed rows {sorted(missing)}"
    result.measure("full stop: bootstrap node chosen by highest seqno",
                   f"{chosen} ({seqno[chosen]}; controller3: "
                   f"{seqno['controller3']})", "")
    result.measure("full stop: state transfer to the other nodes",
                   " and ".join(transfers), "")
    result.measure("full stop: cluster of 3 Synced again after", recovered,
                   "s", bound=("<=", 3 * START_TIMEOUT))
    result.measure("full stop: committed rows lost", 0,
                   f"of {len(committed)}", bound=("==", 0))
