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
"""OVN central: NB/SB RAFT clusters and ovn-northd from the tree's files.

OvnLab(workdir, daemons): prepare() boots the three controllers (own
namespaces, each in its view of the lab root) with the node's
/etc/default/ovn-central at its place; start_databases() runs the
package's commands, ``ovn-ctl run_nb_ovsdb $OVN_CTL_OPTS`` and
``run_sb_ovsdb``, on each node (controller1 first: it creates the
clusters), start_northd() ``ovn-ctl start_northd --ovn-manage-ovsdb=no``
as the ovn-northd unit does. role()/leader() read ``cluster/status``,
northd_status() asks ovn-northd, nbctl()/sbctl() run the clients against
the three servers. The data directories (/var/lib/ovn, /run/ovn) are
private to each node's view, so nothing is rewritten.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from harness import netns, proc, tree

OVN_CENTRAL = "variants/ml2-ovn/etc/default/ovn-central"
OVN_SB_RELAY = "variants/ml2-ovn/etc/default/ovn-sb-relay"
RELAY_PORT = 16642
OVN_CTL = "/usr/share/ovn/scripts/ovn-ctl"
DATABASES = {"nb": ("OVN_Northbound", 6641), "sb": ("OVN_Southbound", 6642)}
START_TIMEOUT = 90


class OvnLab:
    """Three controllers running OVN's central services from the tree."""

    def __init__(self, workdir: Path, daemons: proc.Daemons):
        self.workdir = workdir
        self.daemons = daemons
        self.lab = netns.Lab("ovn", daemons)

    def prepare(self, interfaces: dict[str, dict[str, str]] | None = None,
                others: dict[str, dict[str, str]] | None = None) -> None:
        """Boot the controllers; interfaces adds networks to some of them
        ({node: {device: address}}), others adds unbooted nodes."""
        nodes = {n: {"eth0": tree.address(n), **(interfaces or {}).get(n, {})}
                 for n in tree.CONTROLLERS}
        self.lab.setup({**nodes, **(others or {})})
        for node in tree.CONTROLLERS:
            default = self.workdir / f"{node}-ovn-central"
            default.write_text(tree.node_file(OVN_CENTRAL, node))
            relay = self.workdir / f"{node}-ovn-sb-relay"
            relay.write_text(tree.node_file(OVN_SB_RELAY, node))
            # Debian ships no relay file to bind over; the node's private
            # view of the root takes a copy.
            self.lab.boot(node, node, setup=(
                f"mount --bind {shlex.quote(str(default))} "
                "/etc/default/ovn-central\n"
                f"cp {shlex.quote(str(relay))} /etc/default/ovn-sb-relay"))

    def options(self, node: str, default: str = "ovn-central",
                variable: str = "OVN_CTL_OPTS") -> list[str]:
        """OVN_CTL_OPTS as the unit expands it ($OVN_CTL_OPTS, split)."""
        done = self.lab.run_in(node, [
            "bash", "-c", f". /etc/default/{default} && "
            f"printf '%s\\n' ${variable}"], timeout=10)
        return done.stdout.split()

    def start_relay(self, node: str) -> None:
        """The southbound relay as the guide's unit runs it."""
        self.lab.start_in(node, f"sb-relay-{node}", [
            OVN_CTL, "run_sb_relay_ovsdb",
            *self.options(node, "ovn-sb-relay", "OVN_SB_RELAY_OPTS")])

    def relays(self) -> str:
        return ",".join(f"tcp:{tree.address(n)}:{RELAY_PORT}"
                        for n in tree.CONTROLLERS)

    def start_database(self, node: str, db: str) -> None:
        self.lab.start_in(node, f"{db}-{node}",
                          [OVN_CTL, f"run_{db}_ovsdb", *self.options(node)])

    def start_databases(self, nodes=tree.CONTROLLERS) -> float:
        """Start NB and SB on nodes; seconds until all have joined."""
        started = time.monotonic()
        for node in nodes:
            for db in DATABASES:
                self.start_database(node, db)
            if node == nodes[0]:
                proc.wait_for(lambda n=node: self.role(n, "nb") == "leader"
                              and self.role(n, "sb") == "leader",
                              timeout=START_TIMEOUT, interval=0.5,
                              what=f"{node} to create the OVN clusters")
        proc.wait_for(
            lambda: all(self.role(n, db) in ("leader", "follower")
                        for n in nodes for db in DATABASES),
            timeout=START_TIMEOUT, interval=0.5,
            what="every OVN database server to join its cluster")
        return time.monotonic() - started

    def start_northd(self, node: str) -> None:
        self.lab.run_in(node, [OVN_CTL, "start_northd",
                               "--ovn-manage-ovsdb=no", "--no-monitor",
                               *self.options(node)], timeout=60)

    def appctl(self, node: str, target: str, *args: str):
        return self.lab.run_in(node, ["ovn-appctl", "-t", target, *args],
                               check=False, timeout=10)

    def role(self, node: str, db: str) -> str | None:
        """The node's RAFT role for db (leader, follower...), or None."""
        name = DATABASES[db][0]
        done = self.appctl(node, f"/var/run/ovn/ovn{db}_db.ctl",
                           "cluster/status", name)
        for line in done.stdout.splitlines():
            if line.startswith("Role:"):
                return line.split(":", 1)[1].strip()
        return None

    def leader(self, db: str, nodes=tree.CONTROLLERS) -> str | None:
        found = [n for n in nodes if self.role(n, db) == "leader"]
        return found[0] if len(found) == 1 else None

    def northd_status(self, node: str) -> str | None:
        """"active", "standby" or "paused" from ovn-northd, or None."""
        done = self.appctl(node, "ovn-northd", "status")
        if done.returncode != 0:
            return None
        return done.stdout.split(":", 1)[-1].strip() or None

    def remotes(self, db: str) -> str:
        port = DATABASES[db][1]
        return ",".join(f"tcp:{tree.address(n)}:{port}"
                        for n in tree.CONTROLLERS)

    def nbctl(self, node: str, *args: str, check: bool = True):
        return self.lab.run_in(node, [
            "ovn-nbctl", "--timeout=10", f"--db={self.remotes('nb')}",
            *args], check=check, timeout=20)

    def sbctl(self, node: str, *args: str, check: bool = True):
        return self.lab.run_in(node, [
            "ovn-sbctl", "--timeout=10", f"--db={self.remotes('sb')}",
            *args], check=check, timeout=20)

    def close(self) -> None:
        self.daemons.stop_all()
        self.lab.close()
