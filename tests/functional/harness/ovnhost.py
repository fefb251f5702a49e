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
"""OVN chassis: Open vSwitch and ovn-controller on a lab node.

Chassis(lab, node, tunnel_device, tunnel_address) runs, inside a booted
node of a netns.Lab, what the openvswitch-switch and ovn-host packages run:
ovsdb-server on /etc/openvswitch/conf.db, ovs-vswitchd and
ovn-controller, each in the foreground so the test holds its PID.

The lab's kernel has no openvswitch or geneve module, so ovs-vswitchd
runs its userspace datapath (datapath_type=netdev, which the
integration bridge gets from ovn-bridge-datapath-type). That datapath
encapsulates and routes tunnel packets itself: the tunnel endpoint's
address must sit on an OVS bridge (br-phy) whose port is the node's
tunnel interface, not on the interface. The lab gives the tunnels an
interface and network of their own, so that breaking a chassis' Open
vSwitch does not cut its node's management address, which the OVN
databases on the same controller use.
"""

from __future__ import annotations

from harness import netns, proc

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
CONF_DB = "/etc/openvswitch/conf.db"
DB_SOCK = "/run/openvswitch/db.sock"
# The bridge holding the tunnel endpoint's address (userspace datapath).
UNDERLAY_BRIDGE = "br-phy"
START_TIMEOUT = 30


class Chassis:
    """Open vSwitch with the userspace datapath and ovn-controller."""

    def __init__(self, lab: netns.Lab, node: str, tunnel_device: str,
                 tunnel_address: str, prefix_length: int = 24):
        self.lab = lab
        self.node = node
        self.tunnel_device = tunnel_device
        self.tunnel_address = tunnel_address
        self.prefix_length = prefix_length

    def name(self, daemon: str) -> str:
        return f"{daemon}-{self.node}"

    def vsctl(self, *args: str, check: bool = True):
        return self.lab.run_in(self.node, [
            "ovs-vsctl", "--timeout=10", f"--db=unix:{DB_SOCK}", *args],
            check=check, timeout=20)

    def appctl(self, target: str, *args: str):
        return self.lab.run_in(self.node, [
            "ovs-appctl", "-t", target, *args], check=False, timeout=10)

    def sh(self, script: str):
        return self.lab.run_in(self.node, ["sh", "-ec", script], timeout=30)

    def start_ovsdb(self) -> None:
        """ovsdb-server on a new conf.db, as openvswitch-switch does."""
        self.sh(f"mkdir -p /run/openvswitch /etc/openvswitch /run/ovn\n"
                f"rm -f {CONF_DB}\n"
                f"ovsdb-tool create {CONF_DB} {SCHEMA}")
        self.lab.start_in(self.node, self.name("ovsdb-server"), [
            "ovsdb-server", CONF_DB, f"--remote=punix:{DB_SOCK}",
            "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
            "--pidfile=/run/openvswitch/ovsdb-server.pid"])
        proc.wait_for(lambda: self.vsctl("--no-wait", "init",
                                         check=False).returncode == 0,
                      timeout=START_TIMEOUT, interval=0.2,
                      what=f"ovsdb-server of {self.node}")

    def start_vswitchd(self) -> None:
        self.lab.start_in(self.node, self.name("ovs-vswitchd"), [
            "ovs-vswitchd", f"unix:{DB_SOCK}", "-vconsole:info",
            "--pidfile=/run/openvswitch/ovs-vswitchd.pid"])
        proc.wait_for(lambda: self.appctl("ovs-vswitchd",
                                          "version").returncode == 0,
                      timeout=START_TIMEOUT, interval=0.2,
                      what=f"ovs-vswitchd of {self.node}")

    def userspace_bridges(self, *bridges: str) -> None:
        """Create bridges on the userspace datapath, and br-phy.

        Called before the tree's script, whose ``--may-exist add-br``
        then keeps them as they are. br-phy takes the tunnel interface
        and the tunnel address, which the interface gives up.
        """
        dev, address = self.tunnel_device, self.tunnel_address
        for bridge in (*bridges, UNDERLAY_BRIDGE):
            self.vsctl("--may-exist", "add-br", bridge, "--", "set",
                       "Bridge", bridge, "datapath_type=netdev")
        self.vsctl("--may-exist", "add-port", UNDERLAY_BRIDGE, dev)
        self.vsctl("set", "Open_vSwitch", ".",
                   "external_ids:ovn-bridge-datapath-type=netdev")
        self.sh(f"ip addr flush dev {dev}\n"
                f"ip addr add {address}/{self.prefix_length} "
                f"dev {UNDERLAY_BRIDGE}\n"
                f"ip link set {UNDERLAY_BRIDGE} up")

    def run_script(self, text: str) -> None:
        """Run a shell script (the tree's, derived for this node)."""
        self.lab.run_in(self.node, ["sh", "-ec", text], timeout=60)

    def start_controller(self) -> None:
        """ovn-controller in the foreground, as ovn-ctl would run it."""
        self.lab.start_in(self.node, self.name("ovn-controller"), [
            "ovn-controller", f"unix:{DB_SOCK}", "-vconsole:info",
            "--pidfile=/run/ovn/ovn-controller.pid"])

    def start(self, script: str, bridges: tuple[str, ...] = ()) -> None:
        """Start Open vSwitch, set the lab's datapath, run script, then
        start ovn-controller."""
        self.start_ovsdb()
        self.start_vswitchd()
        self.userspace_bridges(*bridges)
        self.run_script(script)
        self.start_controller()

    def restart(self) -> None:
        """Start ovs-vswitchd and ovn-controller again (conf.db kept)."""
        self.start_vswitchd()
        # vswitchd recreates br-phy's internal port without its address.
        self.sh(f"ip addr replace {self.tunnel_address}/{self.prefix_length}"
                f" dev {UNDERLAY_BRIDGE}\n"
                f"ip link set {UNDERLAY_BRIDGE} up")
        self.start_controller()

    def kill(self, *daemons: str) -> None:
        """SIGKILL daemons of this chassis (ovn-controller, ovs-vswitchd)."""
        for daemon in daemons:
            self.lab.kill(self.name(daemon))

    def bfd(self) -> dict[str, dict[str, str]]:
        """BFD sessions by tunnel interface: {iface: bfd_status}."""
        done = self.vsctl("--format=csv", "--data=bare", "--no-headings",
                          "--columns=name,bfd_status", "list", "Interface",
                          check=False)
        found: dict[str, dict[str, str]] = {}
        if done.returncode != 0:
            return found
        for line in done.stdout.splitlines():
            name, _, status = line.partition(",")
            pairs = dict(p.split("=", 1) for p in
                         status.strip('"').split() if "=" in p)
            if pairs:
                found[name] = pairs
        return found

    def bfd_show(self) -> str:
        return self.appctl("ovs-vswitchd", "bfd/show").stdout
