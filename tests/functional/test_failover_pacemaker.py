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
"""Pacemaker: the tree's command files on a scratch CIB, then simulated."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from harness import labroot, proc, requirements, tree

pytestmark = pytest.mark.functional

# The guide's order: fencing first, then the load balancer resources.
FILES = {
    "pcs": ("pacemaker/fencing.pcs", "pacemaker/vip-haproxy.pcs"),
    "crm": ("pacemaker/fencing.crm", "pacemaker/vip-haproxy.crm"),
}
# Without systemd on the test host, pcs and crmsh cannot read the
# metadata of systemd:haproxy and refuse it unless forced; forcing is the
# only change to the commands.
NO_SYSTEMD = re.compile(r"systemd:\S+.*(metadata|meta-data)|use --force",
                        re.I | re.S)
LOCATED = re.compile(r"is running on: (\S+)")


@pytest.fixture(scope="module")
def host(workdir, daemons):
    """The lab root's view that pcs, crmsh and the CIB tools run in."""
    view = labroot.Host(workdir, daemons)
    view.start()
    return view


def _pcs_replay(host: labroot.Host, cib: Path, relpath: str) -> None:
    """Run every pcs command of relpath against the CIB file."""
    from confcheck.checks._commands import read_commands
    for command in read_commands(tree.example(relpath)):
        assert command.error is None, command.error
        assert command.words[0] == "pcs", command.words
        argv = ["pcs", "-f", str(cib), *command.words[1:]]
        done = proc.run(host.argv(argv), timeout=60, check=False)
        if done.returncode != 0 and NO_SYSTEMD.search(done.stderr):
            done = proc.run(host.argv([*argv, "--force"]), timeout=60,
                            check=False)
        assert done.returncode == 0, (
            f"{relpath}:{command.line}: {done.stderr.strip()}")


def _crm_load(host: labroot.Host, cib: Path, relpath: str) -> None:
    """Load relpath with crmsh (-F: see NO_SYSTEMD) into the CIB file."""
    env = {**os.environ, "CIB_file": str(cib)}
    # The root sees the scratch directory, not the repository.
    copy = cib.parent / Path(relpath).name
    copy.write_text(tree.example(relpath))
    proc.run(host.argv(["crm", "-F", "configure", "load", "update",
                        str(copy)]), timeout=60, env=env)


def locate(host: labroot.Host, cib: Path, resource: str) -> list[str]:
    """Nodes the CIB's status section has resource running on."""
    done = proc.run(host.argv(["crm_resource", "--locate", "-r", resource]),
                    env={**os.environ, "CIB_file": str(cib)}, timeout=30)
    return sorted(LOCATED.findall(done.stdout))


@pytest.mark.parametrize("tool", sorted(FILES))
def test_pacemaker_files_simulated(tool, workdir, host, measurements):
    """fencing + vip-haproxy on a scratch CIB: valid, placed, failed over.

    The command files are applied in the guide's order to an empty CIB
    (pcs -f, or crm with CIB_file), crm_verify must accept the result
    with stonith-enabled=true and the fence_ipmilan devices: no IPMI
    exists here, but verification and simulation need only the
    configuration. crm_simulate then starts three nodes with quorum:
    HAProxy's clone runs on all of them and each VIP on one; failing the
    VIP's node must fence it and move the VIP to a node with HAProxy;
    when the node returns, the VIPs must stay where they are
    (resource-stickiness).
    """
    requirements.require(root_binaries=(
        tool, "cibadmin", "crm_verify", "crm_simulate", "crm_resource"))
    cib = workdir / f"{tool}-cib.xml"
    cib.write_text(proc.run(host.argv(["cibadmin", "--empty"])).stdout)
    started = time.monotonic()
    for relpath in FILES[tool]:
        (_pcs_replay if tool == "pcs" else _crm_load)(host, cib, relpath)
    applied = time.monotonic() - started
    verify = proc.run(host.argv(["crm_verify", "-V", "-x", str(cib)]),
                      check=False)
    assert verify.returncode == 0, verify.stderr
    nodes = [f"--node-up={n}" for n in tree.CONTROLLERS]
    running, failed = workdir / f"{tool}-up.xml", workdir / f"{tool}-f.xml"
    proc.run(host.argv(["crm_simulate", "-x", str(cib), *nodes, "--quorum",
                        "true", "-S", "-O", str(running)]))
    assert locate(host, running, "lb-haproxy-clone") == list(tree.CONTROLLERS)
    owner = locate(host, running, "vip")
    assert len(owner) == 1
    transition = proc.run(host.argv([
        "crm_simulate", "-x", str(running), f"--node-fail={owner[0]}",
        "--quorum", "true", "-S", "-O", str(failed)])).stdout
    assert re.search(rf"Fence \(\w+\) {owner[0]}\b", transition), transition
    new_owner = locate(host, failed, "vip")
    assert len(new_owner) == 1 and new_owner != owner
    assert new_owner[0] in locate(host, failed, "lb-haproxy-clone")
    # The fenced node returns: HAProxy starts on it again, and the VIPs'
    # resource-stickiness keeps both VIPs where they run (no failback).
    back = workdir / f"{tool}-back.xml"
    proc.run(host.argv(["crm_simulate", "-x", str(failed),
                        f"--node-up={owner[0]}", "--quorum", "true", "-S",
                        "-O", str(back)]))
    assert owner[0] in locate(host, back, "lb-haproxy-clone")
    assert locate(host, back, "vip") == new_owner, "the VIP moved back"
    assert locate(host, back, "vip-public") == locate(
        host, failed, "vip-public")
    result = measurements.scenario(
        "pacemaker-simulated",
        title="Pacemaker: command files verified and simulated",
        description=(
            "fencing and vip-haproxy (.pcs and .crm) applied to a scratch "
            "CIB, checked with crm_verify, placed and failed over with "
            "crm_simulate."),
        test="test_pacemaker_files_simulated")
    result.without_timeline(
        "crm_simulate computes each transition at once from a CIB file: "
        "no cluster runs and no time passes, so there is nothing to chart "
        "over time. The scenarios with a running cluster (the VIP owner "
        "fails, the VIP's node is partitioned) have charts.")
    result.measure(f"{tool}: files applied to the CIB in", applied, "s")
    result.measure(f"{tool}: crm_verify exit status", verify.returncode, "",
                   bound=("==", 0))
    result.measure(f"{tool}: nodes running the HAProxy clone",
                   len(locate(host, running, "lb-haproxy-clone")), "of 3",
                   bound=("==", 3))
    result.measure(f"{tool}: VIP after {owner[0]} fails",
                   f"fenced, moved to {new_owner[0]}", "")
    result.measure(f"{tool}: VIP after {owner[0]} returns",
                   f"stays on {locate(host, back, 'vip')[0]}", "")
