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
"""Instance HA: masakari hears of a compute node only once it is fenced."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from harness import faults, netns, proc, requirements, tree
from harness.pacemaker import BINARIES, HOST_BINARIES, PacemakerLab

pytestmark = pytest.mark.functional

RUNS = 3
REMOTE_PCS = "pacemaker/compute-remote.pcs"
ALERT_PCS = "pacemaker/masakari-alert.pcs"
AGENT = "controller/usr/local/bin/masakari-fence-notify.py"
AGENT_CONFIG = "controller/etc/default/masakari-fence-notify"
# compute2's address, next to compute1's in cluster.yaml. Both are full
# cluster members here (see the test's docstring).
COMPUTE2_ADDRESS = "10.0.0.32"
BMCS = {"compute1": "192.0.2.31", "compute2": "192.0.2.32"}
# The stand-in keystone and masakari-api, in the client namespace.
API_PORTS = ("5000", "15868")
# How long the test watches after the cut. compute2's fence keeps
# failing all along; no notification may arrive for it.
WATCH = 45.0
# Cut to compute1's power-off: corosync's token timeout and consensus,
# the scheduler, then fence_ipmilan's status/off calls, with room for a
# loaded host.
FENCED = 30.0
# Power-off to notification: fence_ipmilan's "on" and status calls of
# the reboot, the alert, a token and one POST.
NOTIFIED = 20.0


def _copy(source: Path, target: Path, mode: int) -> None:
    shutil.copyfile(source, target)
    target.chmod(mode)


@pytest.fixture(scope="module")
def cluster(workdir, daemons):
    requirements.require(
        root_binaries=(*BINARIES, "fence_ipmilan", "stonith_admin",
                       "python3"),
        binaries=(*HOST_BINARIES, *faults.BINARIES))
    lab = PacemakerLab(workdir, daemons, members={
        "compute1": tree.address("compute1"), "compute2": COMPUTE2_ADDRESS})
    bmc = workdir / "bmc"
    bmc.mkdir()
    # fence_ipmilan runs its ipmitool directly: the copy needs a shebang,
    # the lab root's Python.
    ipmitool = bmc / "ipmitool"
    ipmitool.write_text("#!/usr/bin/python3\n" + (
        Path(__file__).parent / "harness" / "bmc.py").read_text())
    ipmitool.chmod(0o755)
    for address in BMCS.values():
        (bmc / f"{address}.reachable").touch()
    _copy(tree.example_path(AGENT), workdir / "masakari-fence-notify.py",
          0o755)
    api = f"http://{netns.CLIENT_ADDRESS}"
    (workdir / "masakari-fence-notify").write_text(
        tree.example(AGENT_CONFIG)
        .replace("http://controller:5000", f"{api}:5000")
        .replace("http://controller:15868", f"{api}:15868"))
    # The agent and its settings where the tree's files say, in each
    # controller's own view of the lab root.
    for node in tree.CONTROLLERS:
        lab.setup[node] = (
            "install -m 0755 {workdir}/masakari-fence-notify.py "
            "/usr/local/bin/masakari-fence-notify.py\n"
            "install -m 0640 -g haclient {workdir}/masakari-fence-notify "
            "/etc/default/masakari-fence-notify\n")
    records = workdir / "notifications.jsonl"
    try:
        lab.prepare()
        daemons.start("masakari-api", lab.lab.exec_argv("client", [
            sys.executable, str(Path(__file__).parent / "harness" /
                                "masakari_api.py"),
            netns.CLIENT_ADDRESS, str(records), *API_PORTS]))
        proc.wait_for(lambda: Path(f"{records}.ready").exists(), timeout=15,
                      what="the stand-in masakari-api to listen")
        lab.start_cluster()
        lab.bmc = bmc
        lab.records = records
        yield lab
    finally:
        lab.close()


def _fence_device_commands() -> list[list[str]]:
    """compute-remote.pcs's stonith create, for each compute node.

    Rewritten only to name the node and its BMC, and to give
    fence_ipmilan the stand-in BMC as its ipmitool.
    """
    from confcheck.checks._commands import read_commands
    commands = []
    for command in read_commands(tree.example(REMOTE_PCS)):
        words = list(command.words[1:])
        if words[:2] != ["stonith", "create"]:
            continue
        for node, address in BMCS.items():
            rewritten = [w.replace("compute1", node).replace(
                BMCS["compute1"], address) for w in words]
            at = rewritten.index("op")
            commands.append([*rewritten[:at], "ipmitool_path=%s",
                             *rewritten[at:]])
    assert len(commands) == len(BMCS), "no stonith create in the tree"
    return commands


def _notifications(records: Path) -> list[dict]:
    if not records.exists():
        return []
    return [json.loads(line) for line in
            records.read_text().splitlines() if line.strip()]


def _bmc_calls(bmc: Path, address: str) -> list[tuple[float, str, bool]]:
    path = bmc / f"{address}.calls"
    if not path.exists():
        return []
    calls = []
    for line in path.read_text().splitlines():
        at, action, outcome = line.split()
        calls.append((float(at), action, outcome == "answered"))
    return calls


def _node_state(cluster, node: str) -> dict[str, str]:
    """compute node's attributes in crm_mon's XML (online, unclean...)."""
    import xml.etree.ElementTree as ElementTree
    done = cluster.lab.run_in("controller1", [
        "crm_mon", "--one-shot", "--output-as=xml"], check=False,
        timeout=30)
    if done.returncode != 0:
        return {}
    for element in ElementTree.fromstring(done.stdout).iter("node"):
        if element.get("name") == node:
            return dict(element.attrib)
    return {}


def test_masakari_notified_only_after_a_successful_fence(cluster,
                                                         measurements):
    """A cut-off compute node is reported once it is off, and only then.

    Two compute nodes lose every link at the same moment, their
    processes still running: the dangerous case, where a node that
    looks dead still runs its guests. compute1's BMC answers, compute2's
    is unreachable (the cut took it too). What runs is the tree's: the
    fence devices of compute-remote.pcs through the real fence_ipmilan,
    the alert of masakari-alert.pcs, and the alert agent with its
    settings file (pointed at the stand-in API).

    What stands in: the lab root has no pacemaker-remoted, so the
    compute nodes join as full cluster members (the cluster then notices
    the loss through corosync instead of the remote connection's
    monitor; fencing, its result and the alert are the same); the BMC is
    harness/bmc.py, given to fence_ipmilan as its ipmitool, and the test
    plays the power supply: when fence_ipmilan asks for power-off it
    kills every process of compute1; keystone and masakari-api are
    harness/masakari_api.py, which records each notification with its
    arrival time.
    """
    result = measurements.scenario(
        "masakari-fencing",
        title="Instance HA: evacuation only after a successful fence",
        description=(
            "Three controllers and two compute nodes in one Pacemaker "
            "cluster, fence_ipmilan devices from compute-remote.pcs and "
            "the alert of masakari-alert.pcs; both compute nodes are cut "
            "off at once with their processes running. compute1's "
            "(stand-in) BMC answers, compute2's does not; a stand-in "
            "masakari-api records the notifications."),
        test="test_masakari_notified_only_after_a_successful_fence")
    result.loads(REMOTE_PCS, ALERT_PCS, AGENT, AGENT_CONFIG)
    ipmitool = str(cluster.bmc / "ipmitool")
    for words in _fence_device_commands():
        cluster.pcs("controller1", *[w % ipmitool if w.startswith(
            "ipmitool_path=") else w for w in words])
    from confcheck.checks._commands import read_commands
    for command in read_commands(tree.example(ALERT_PCS)):
        cluster.pcs("controller1", *command.words[1:])
    proc.wait_for(lambda: all(cluster.locate("controller1", f"fence-{n}")
                              for n in BMCS),
                  timeout=60, interval=1, what="both fence devices started")

    timeline = result.timeline("calls to the BMCs (answered, unreachable)")
    powered_off = None
    with faults.Faults(cluster.lab) as injector:
        # The cut takes compute2's BMC along: only compute1's answers.
        (cluster.bmc / f"{BMCS['compute2']}.reachable").unlink()
        cut = time.time()
        timeline.start(cut - 1.0)
        for node in BMCS:
            for dev in injector.devices(node):
                injector.link_down(node, dev)
        timeline.event("cut", cut)
        request = cluster.bmc / f"{BMCS['compute1']}.off-requested"
        while time.time() < cut + WATCH:
            if powered_off is None and request.exists():
                # The power supply: every process of compute1 dies.
                injector.crash(["compute1"])
                (cluster.bmc / f"{BMCS['compute1']}.power").write_text(
                    "off\n")
                powered_off = time.time()
            time.sleep(0.1)
        compute2 = _node_state(cluster, "compute2")

    notes = _notifications(cluster.records)
    for address in BMCS.values():
        for at, _, answered in _bmc_calls(cluster.bmc, address):
            timeline.record(answered, at)
    if powered_off is not None:
        timeline.event("compute1 powered off", powered_off)
    for note in notes:
        timeline.event(f"notification for {note['hostname']}", note["at"])

    assert powered_off is not None, "compute1 was never powered off"
    result.measure("cut to compute1 powered off (BMC answers)",
                   powered_off - cut, "s", bound=("<=", FENCED))
    first = [n for n in notes if n["hostname"] == "compute1"]
    assert first, "no notification for compute1"
    result.measure("compute1 powered off to its notification",
                   first[0]["at"] - powered_off, "s",
                   bound=("<=", NOTIFIED))
    assert first[0]["at"] > powered_off
    assert first[0]["payload"]["host_status"] == "NORMAL"
    result.measure(f"notifications for compute1 in {WATCH:g} s",
                   len(first), "notifications", bound=("==", 1))
    result.measure(
        f"notifications for compute2 (BMC unreachable) in {WATCH:g} s",
        len([n for n in notes if n["hostname"] == "compute2"]),
        "notifications", bound=("==", 0))
    failed = [c for c in _bmc_calls(cluster.bmc, BMCS["compute2"])
              if c[0] > cut and not c[2]]
    result.measure("failed BMC calls for compute2 while watched",
                   len(failed), "calls", bound=(">=", 1), worse="lower")
    # What the old configuration would have read: crm_mon shows the
    # unfenced node offline (and unclean), which masakari-hostmonitor
    # reported as a failed host with host_status NORMAL.
    assert compute2.get("online") == "false", compute2
    assert compute2.get("unclean") == "true", compute2
    result.measure("compute2 offline in crm_mon while not fenced", 1,
                   "yes (1) / no (0)", bound=("==", 1))
