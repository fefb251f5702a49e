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
"""Failures injected into a lab: kills, cut links, partitions, heal.

Every network fault is an nftables rule in the lab's bridge namespace
(the bridge family's forward hook, between the nodes' ports), so the
nodes keep their interfaces up, their processes running and their
addresses, and a dropped frame gets no answer at all: no RST, no ICMP,
as when a switch port or a cable fails silently. Nothing is changed
outside the namespaces the lab created. Process faults signal PIDs the
lab started, never a name.
"""

from __future__ import annotations

import signal

from harness import netns, proc

# The nftables table the faults own in the bridge namespace.
TABLE = "haguide_faults"
BINARIES = ("nft", "ip")


class Faults:
    """Kill, cut, partition and heal the nodes of one netns.Lab.

    Use it as a context manager: leaving it heals every network fault,
    also when the test fails (deleting the lab's namespaces would drop
    the rules too, but a module may go on with the next test).
    """

    def __init__(self, lab: netns.Lab):
        self.lab = lab
        self.rules: list[str] = []

    def __enter__(self) -> Faults:
        return self

    def __exit__(self, *exc_info) -> None:
        self.heal()

    # Network faults.

    def ports(self, node: str) -> list[str]:
        """node's ports on the lab's bridges, one per interface."""
        return [self.lab.port(node, dev) for dev in self.devices(node)]

    def _apply(self, rules: list[str]) -> None:
        script = [f"table bridge {TABLE} {{",
                  "  chain forward {",
                  "    type filter hook forward priority 0; policy accept;",
                  *(f"    {rule}" for rule in [*self.rules, *rules]),
                  "  }", "}"]
        # Replace the table whole: "delete" of a table that does not
        # exist fails, so it is declared first (an empty add is a no-op).
        text = (f"table bridge {TABLE}\ndelete table bridge {TABLE}\n" +
                "\n".join(script) + "\n")
        proc.run(["ip", "netns", "exec", self.lab.bridge, "nft", "-f", "-"],
                 stdin=text, timeout=10)
        self.rules.extend(rules)

    def cut(self, node: str, dev: str | None = None) -> None:
        """Drop every frame to and from node: a dead link, no RST.

        With dev, only that interface's link is dead (a tunnel network,
        say); the node's other networks keep working.
        """
        ports = _set([self.lab.port(node, dev)] if dev else self.ports(node))
        self._apply([f"iifname {ports} drop", f"oifname {ports} drop"])

    def partition(self, node: str, others: list[str]) -> None:
        """Isolate node from others, both directions.

        Everyone else (the client namespace, say) still reaches both
        sides, the worst case for split brain: each side can be asked.
        """
        mine = _set(self.ports(node))
        theirs = _set([p for other in others for p in self.ports(other)])
        self._apply([f"iifname {mine} oifname {theirs} drop",
                     f"iifname {theirs} oifname {mine} drop"])

    def heal(self) -> None:
        """Remove every network fault of this lab."""
        if not self.rules:
            return
        proc.run(["ip", "netns", "exec", self.lab.bridge, "nft", "delete",
                  "table", "bridge", TABLE], timeout=10, check=False)
        self.rules.clear()

    def link_down(self, node: str, dev: str = "eth0") -> None:
        """Unplug node's cable: its side sees the carrier go."""
        self.lab.set_link(node, False, dev)

    def link_up(self, node: str, dev: str = "eth0") -> None:
        self.lab.set_link(node, True, dev)

    # Process faults.

    def kill(self, name: str) -> None:
        """SIGKILL one daemon started in a node (Lab.start_in)."""
        self.lab.kill(name, signal.SIGKILL, with_children=True)

    def devices(self, node: str) -> list[str]:
        """node's interfaces on the lab's bridges (eth0, eth1...)."""
        out = proc.run(["ip", "-n", self.lab.ns(node), "-o", "link", "show",
                        "type", "veth"], timeout=10).stdout
        return [line.split(":")[1].strip().split("@")[0]
                for line in out.splitlines() if ":" in line]

    def kill_node(self, node: str) -> None:
        """Power a node off: every process SIGKILLed, every link down.

        Its network namespace outlives it (the lab owns it), so the links
        go down too: a dead host answers nothing, not even ARP for an
        address that was configured on it.
        """
        for dev in self.devices(node):
            self.link_down(node, dev)
        self.crash([node])

    def revive_node(self, node: str) -> None:
        """Power it on again: links up, only the addresses it boots with.

        Addresses added while it ran (a VIP) are secondary ones on the
        interface; a rebooted host does not have them.
        """
        for dev in self.devices(node):
            proc.run(["ip", "-n", self.lab.ns(node), "addr", "flush", "dev",
                      dev, "secondary"], timeout=10)
            self.link_up(node, dev)

    def crash(self, nodes: list[str]) -> None:
        """SIGKILL several nodes at once, as a power loss would.

        Each node's PID 1 wrapper (unshare --kill-child) gets the signal
        before any is reaped, so no node outlives the others by more than
        the loop; its death kills every process in the node's namespace.
        """
        daemons = self.lab.daemons
        # The kernel kills a PID namespace's every process before its
        # PID 1 is gone, so that PID's end is the node's end.
        inits = [self.lab.init_pid(node) for node in nodes]
        for node in nodes:
            daemons.send(f"{node}-init", signal.SIGKILL)
        for node, pid in zip(nodes, inits, strict=True):
            daemons.kill(f"{node}-init")
            if pid is not None:
                proc.wait_for(lambda p=pid: not proc.pid_alive(p),
                              timeout=15, what=f"every process of {node} "
                              "to exit")


def _set(ports: list[str]) -> str:
    """An nftables anonymous set of interface names."""
    return "{ " + ", ".join(f'"{p}"' for p in ports) + " }"
