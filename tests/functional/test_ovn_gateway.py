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
"""OVN: a router's gateway fails over between three gateway chassis."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid

import pytest

from harness import faults, ovn, ovnhost, proc, requirements, results, tree

pytestmark = pytest.mark.functional

SCRIPT = "variants/ml2-ovn/usr/local/sbin/ovn-gateway-chassis.sh"
# The script's bridge for the provider network and the interface it adds.
PROVIDER_BRIDGE = "br-provider"
PROVIDER_DEVICE = "eth2"
# Lab-only networks (namespaces only): the provider network, from the
# documentation range TEST-NET-2, and the tunnel network the userspace
# datapath needs (harness.ovnhost).
PROVIDER_NET = "198.51.100.{}"
TUNNEL_DEVICE = "eth3"
TUNNEL_NET = "10.0.1.{}"
EXTERNAL_HOST = "external"
EXTERNAL_ADDRESS = PROVIDER_NET.format(50)
GATEWAY_ADDRESS = PROVIDER_NET.format(10)
# Neutron's base MAC prefix, as on a port it creates.
GATEWAY_MAC = "fa:16:3e:00:00:10"
PING_INTERVAL = 0.1
PING_WAIT = "0.3"
# Each failure is watched for longer than BFD's detection time (three
# missed 1 s intervals by default) so a late flap would show.
WATCH = 4.0
SAMPLE = 0.1
# Answered pings that show the traffic is back after a change.
ANSWERS_AFTER = 5
# Generous on a loaded 2-core machine: BFD detects in about 3 s.
CLAIM_BOUND = 15.0
SETTLE_TIMEOUT = 60.0


def last_octet(node: str) -> str:
    return tree.address(node).rsplit(".", 1)[1]


def tunnel_address(node: str) -> str:
    return TUNNEL_NET.format(last_octet(node))


@pytest.fixture(scope="module")
def gateways(workdir, daemons):
    """OVN central, relays and a gateway chassis on each controller."""
    requirements.require(binaries=("ip", "unshare", "nsenter", "nft",
                                   "ping"))
    requirements.require(root_binaries=(
        ovn.OVN_CTL, "ovsdb-server", "ovn-northd", "ovs-vswitchd",
        "ovn-controller", "ovs-vsctl", "ovsdb-tool"))
    # The userspace datapath makes its internal ports as tap devices.
    if not os.path.exists("/dev/net/tun"):
        requirements.missing_parts("/dev/net/tun (userspace datapath)")
    lab = ovn.OvnLab(workdir, daemons)
    try:
        lab.prepare(
            interfaces={n: {PROVIDER_DEVICE: "",
                            TUNNEL_DEVICE: tunnel_address(n)}
                        for n in tree.CONTROLLERS},
            others={EXTERNAL_HOST: {PROVIDER_DEVICE: EXTERNAL_ADDRESS}})
        lab.start_databases()
        for node in tree.CONTROLLERS:
            lab.start_northd(node)
            lab.start_relay(node)
        lab.chassis = {}
        for node in tree.CONTROLLERS:
            chassis = ovnhost.Chassis(lab.lab, node, TUNNEL_DEVICE,
                                      tunnel_address(node))
            # The tree's tunnels leave from the management address; the
            # lab's from the tunnel network (see harness.ovnhost).
            script = tree.rewrite(tree.node_file(SCRIPT, node), {
                f"ovn-encap-ip={tree.address(node)}":
                f"ovn-encap-ip={tunnel_address(node)}"})
            chassis.start(script, bridges=(PROVIDER_BRIDGE,))
            lab.chassis[node] = chassis
        yield lab
    finally:
        lab.close()


class Router:
    """A router with its gateway on the provider network, as neutron 29
    writes it for a flat external network: a localnet port, the gateway
    router port, and an HA_Chassis_Group named after the router, with
    one HA_Chassis per gateway chassis and priorities counting down
    from the number of chassis (the first the scheduler chose is the
    highest)."""

    def __init__(self, central, node: str, chassis: list[str]):
        self.central = central
        self.node = node
        network, router, port = (str(uuid.uuid4()) for _ in range(3))
        self.switch = f"neutron-{network}"
        self.name = f"neutron-{router}"
        self.port = f"lrp-{port}"
        self.redirect = f"cr-lrp-{port}"
        self.chassis = chassis
        self.names: dict[str, str] = {}
        nb = self.nbctl
        localnet = f"provnet-{network}"
        nb("ls-add", self.switch)
        nb("lsp-add", self.switch, localnet, "--",
           "lsp-set-type", localnet, "localnet", "--",
           "lsp-set-addresses", localnet, "unknown", "--",
           "lsp-set-options", localnet, "network_name=provider")
        nb("lr-add", self.name)
        nb("set", "Logical_Router", self.name,
           f"external_ids:neutron\\:router_id={router}")
        nb("lrp-add", self.name, self.port, GATEWAY_MAC,
           f"{GATEWAY_ADDRESS}/24")
        nb("lsp-add", self.switch, port, "--", "lsp-set-type", port,
           "router", "--", "lsp-set-addresses", port, "router", "--",
           "lsp-set-options", port, f"router-port={self.port}",
           "nat-addresses=router")
        nb("ha-chassis-group-add", self.name)
        nb("set", "HA_Chassis_Group", self.name,
           f"external_ids:neutron\\:router_id={router}",
           'external_ids:neutron\\:availability_zone_hints=""')
        for priority, name in zip(range(len(chassis), 0, -1), chassis,
                                  strict=True):
            nb("ha-chassis-group-add-chassis", self.name, name,
               str(priority))
        group = nb("--bare", "--columns=_uuid", "find", "HA_Chassis_Group",
                   f"name={self.name}").stdout.strip()
        nb("set", "Logical_Router_Port", self.port,
           f"ha_chassis_group={group}")

    def nbctl(self, *args: str):
        return self.central.nbctl(self.node, *args)

    def holder(self) -> str | None:
        """The chassis that holds the gateway port in the southbound."""
        done = self.central.sbctl(self.node, "--bare", "--columns=chassis",
                                  "find", "Port_Binding",
                                  f"logical_port={self.redirect}",
                                  check=False)
        row = done.stdout.strip()
        if done.returncode != 0 or not row:
            return None
        if row not in self.names:
            self.names[row] = self.central.sbctl(
                self.node, "--bare", "--columns=name", "list", "Chassis",
                row).stdout.strip()
        return self.names[row]


def bfd_up(central) -> int:
    """BFD sessions in state up, over every chassis' tunnels."""
    return sum(1 for chassis in central.chassis.values()
               for status in chassis.bfd().values()
               if status.get("state") == "up")


def detection_time(chassis: ovnhost.Chassis) -> float:
    """Seconds BFD waits before declaring a peer down (mult x interval)."""
    text = chassis.bfd_show()
    mult = re.search(r"^\s*Detect Multiplier: (\d+)", text, re.M)
    rx = re.search(r"^\s*RX Interval: Approx (\d+)ms", text, re.M)
    assert mult and rx, text
    return int(mult[1]) * int(rx[1]) / 1000


class Watch:
    """Holders of the gateway port sampled over time, and the figures of
    each move of the port."""

    def __init__(self, router: Router, result: results.Scenario):
        self.router = router
        self.result = result
        self.samples: list[tuple[float, str | None]] = []
        self.load: results.Load | None = None
        self.timeline: results.Timeline | None = None

    def until(self, wanted, since: float, what: str) -> float:
        """Sample until wanted(holder); seconds from since to that."""
        def check() -> bool:
            holder = self.router.holder()
            self.samples.append((time.monotonic(), holder))
            return wanted(holder)
        proc.wait_for(check, timeout=CLAIM_BOUND * 2, interval=SAMPLE,
                      what=what)
        return self.samples[-1][0] - since

    def hold(self, seconds: float) -> set[str | None]:
        """Sample for seconds; the holders seen."""
        end = time.monotonic() + seconds
        seen: set[str | None] = set()
        for _ in range(int(seconds / SAMPLE) + 1):
            holder = self.router.holder()
            self.samples.append((time.monotonic(), holder))
            seen.add(holder)
            if time.monotonic() >= end:
                break
            time.sleep(SAMPLE)
        return seen

    def moved(self, since: float, to: str) -> tuple[float, set[str | None]]:
        """Wait until to holds the port, then watch it for a while.

        Returns the seconds from since until to held it, and every
        holder sampled in the WATCH seconds after.
        """
        took = self.until(lambda h: h == to, since,
                          f"{to} to hold the gateway port")
        self.timeline.event(f"{to} holds the port", since + took)
        return took, self.hold(WATCH)

    def failover(self, since: float, to: str, cause: str) -> None:
        """Record the takeover by to after a failure at since."""
        took, seen = self.moved(since, to)
        self.result.measure(f"next chassis holds the port after {cause}",
                            took, "s", bound=("<=", CLAIM_BOUND))
        self.result.measure(
            f"longest time without an answered ping, {cause}",
            outage(self.load, since, since + took), "s",
            bound=("<=", CLAIM_BOUND))
        self.result.measure(f"chassis holding the port after {cause}",
                            len(seen), "chassis", bound=("==", 1))

    def failback(self, since: float, to: str, cause: str) -> None:
        """Record the return of the port to to (preemption)."""
        took, seen = self.moved(since, to)
        assert seen == {to}, seen
        self.result.measure(f"port back on the higher-priority chassis "
                            f"after {cause}", took, "s",
                            bound=("<=", CLAIM_BOUND * 2))
        self.result.measure(
            f"longest time without an answered ping, port moving back "
            f"after {cause}", outage(self.load, since, since + took), "s")


def pinger(central, timeline) -> results.Load:
    """Pings the router's gateway address from the external host."""
    argv = central.lab.exec_argv(EXTERNAL_HOST, [
        "ping", "-c", "1", "-W", PING_WAIT, "-q", GATEWAY_ADDRESS])

    def ping() -> None:
        proc.run(argv, timeout=10)

    return results.Load(ping, timeline, interval=PING_INTERVAL,
                        errors=(AssertionError, subprocess.TimeoutExpired),
                        limit=240)


def outage(load: results.Load, since: float, settled: float) -> float:
    """Longest time without an answered ping from since until now.

    Waits first (bounded) for a few answers after settled, the moment
    the port reached its new chassis, so the gap has closed.
    """
    proc.wait_for(lambda: sum(1 for t, _ in load.ok if t > settled)
                  >= ANSWERS_AFTER, timeout=CLAIM_BOUND * 2,
                  what="pings answered again")
    return load.longest_gap(since)


def test_gateway_chassis_failover(gateways, measurements):
    """Fail the active gateway chassis three ways; the next one takes over.

    The three controllers run a gateway chassis each, set up by the
    tree's ovn-gateway-chassis.sh; a router's gateway port gets an
    HA_Chassis_Group over them (controller1 highest), and a host on the
    provider network pings the gateway address. The port must settle on
    controller1 with BFD up between every pair of chassis. Then, on the
    active chassis: ovn-controller alone is killed (the port must stay:
    BFD and the flows live in ovs-vswitchd); ovs-vswitchd and
    ovn-controller are killed (controller2 must claim the port, alone);
    both are started again (the port moves back: OVN preempts); the
    tunnel link is cut, with the chassis' processes and database
    connection alive (controller2 must claim the port and the isolated
    chassis must let it go); the link is healed.
    """
    central = gateways
    result = measurements.scenario(
        "ovn-gateway", title="OVN: the active gateway chassis fails",
        description=(
            "A gateway chassis (ovs-vswitchd on the userspace datapath, "
            "ovn-controller) on each controller from "
            "ovn-gateway-chassis.sh; a router whose gateway port has an "
            "HA_Chassis_Group over the three, controller1 highest, as "
            "neutron writes it; a host on the provider network pings the "
            "gateway address every 0.1 s while the active chassis loses "
            "ovn-controller, then ovs-vswitchd and ovn-controller, then "
            "its tunnel link."),
        test="test_gateway_chassis_failover")
    result.loads(ovn.OVN_CENTRAL, ovn.OVN_SB_RELAY, SCRIPT)
    first, second = tree.CONTROLLERS[0], tree.CONTROLLERS[1]
    active = central.chassis[first]
    written = time.monotonic()
    router = Router(central, tree.CONTROLLERS[-1], list(tree.CONTROLLERS))
    watch = Watch(router, result)
    # Until the BFD sessions are up, a chassis may claim the port for a
    # moment; it settles on the highest priority once they are.
    pairs = len(tree.CONTROLLERS) * (len(tree.CONTROLLERS) - 1)
    proc.wait_for(lambda: bfd_up(central) == pairs, timeout=SETTLE_TIMEOUT,
                  interval=0.2, what="BFD up between every pair of chassis")
    settled = watch.until(lambda h: h == first, written,
                          f"{first} to hold the gateway port")
    result.measure("gateway port held by the highest-priority chassis, "
                   "after the router was written", settled, "s")
    result.measure("BFD sessions up between the chassis",
                   bfd_up(central), "sessions", bound=("==", pairs),
                   worse="lower")
    result.measure("BFD detection time (multiplier x interval)",
                   detection_time(active), "s")

    timeline = result.timeline(f"ping {GATEWAY_ADDRESS} from the "
                               "provider network", bucket_s=0.5)
    load = pinger(central, timeline)
    watch.load, watch.timeline = load, timeline
    with load, faults.Faults(central.lab) as fault:
        proc.wait_for(lambda: len(load.ok) >= 10, timeout=30,
                      what="pings answered before the faults")

        # ovn-controller alone: the data path keeps running without it.
        killed = timeline.event(f"ovn-controller of {first} killed")
        active.kill("ovn-controller")
        kept = watch.hold(WATCH)
        active.start_controller()
        timeline.event(f"ovn-controller of {first} started")
        result.measure("chassis holding the port while ovn-controller "
                       "was dead, other than the active one",
                       len(kept - {first}), "chassis", bound=("==", 0))
        result.measure("longest time without an answered ping, "
                       "ovn-controller dead", outage(load, killed, killed),
                       "s")
        proc.wait_for(lambda: bfd_up(central) == pairs, timeout=30,
                      what="BFD up again")

        # ovs-vswitchd and ovn-controller: the chassis is gone.
        killed = timeline.event(f"ovs-vswitchd and ovn-controller of "
                                f"{first} killed")
        active.kill("ovn-controller", "ovs-vswitchd")
        watch.failover(killed, second,
                       "ovs-vswitchd and ovn-controller are killed")
        # Back: OVN gives the port to the highest priority again.
        restarted = timeline.event(f"{first} started again")
        active.restart()
        watch.failback(restarted, first, "its restart")
        proc.wait_for(lambda: bfd_up(central) == pairs, timeout=30,
                      what="BFD up again")

        # The tunnel link: ovn-controller and its database connection
        # stay up, so the isolated chassis must give the port up itself.
        cut = timeline.event(f"tunnel link of {first} cut")
        fault.cut(first, TUNNEL_DEVICE)
        watch.failover(cut, second, "the tunnel link is cut")
        healed = timeline.event(f"tunnel link of {first} healed")
        fault.heal()
        watch.failback(healed, first, "the link is healed")
    result.measure("pings answered", len(load.ok), "pings", worse="lower")
