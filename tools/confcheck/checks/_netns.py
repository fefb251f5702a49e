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
"""Throwaway network namespaces for running checkers that need interfaces."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator

from confcheck import external

# Every ip(8) call is quick; a hung one must not hang a docs build.
IP_TIMEOUT = 10.0
# Linux interface names are at most 15 bytes (IFNAMSIZ - 1).
MAX_IFNAME = 15

_serial = itertools.count()


def usable() -> str | None:
    """Path of ip(8) when namespaces can be made here (root, ip present)."""
    if os.geteuid() != 0:
        return None
    return external.available("ip")


def _ip(ip: str, *args: str) -> None:
    proc = external.run([ip, *args], timeout=IP_TIMEOUT, privileged=True)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise external.ExternalToolError(
            f"ip {' '.join(args)}: {reason}")


@contextlib.contextmanager
def namespace(prefix: str) -> Iterator[str]:
    """A new namespace with ``lo`` up, deleted on exit whatever happens.

    The name carries the PID and a counter so parallel builds (sphinx -j)
    never share one. Raises ExternalToolError when it cannot be made.
    """
    ip = usable()
    if ip is None:
        raise external.ExternalToolError("network namespaces need root and ip")
    name = f"{prefix}-{os.getpid()}-{next(_serial)}"
    _ip(ip, "netns", "add", name)
    try:
        _ip(ip, "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        # Deleting also removes every veth whose ends live in it.
        external.run([ip, "netns", "del", name], timeout=IP_TIMEOUT,
                     privileged=True, budgeted=False)


def add_veth(ns: str, name: str, index: int) -> None:
    """Create a veth called name inside ns; its peer stays in ns too."""
    ip = usable()
    peer = f"ccpeer{index}"
    _ip(ip, "-n", ns, "link", "add", name, "type", "veth",
        "peer", "name", peer)
    _ip(ip, "-n", ns, "link", "set", name, "up")


def add_address(ns: str, address: str, dev: str = "lo") -> None:
    """Add a host address (``/32`` or ``/128``) to dev inside ns."""
    ip = usable()
    plen = "128" if ":" in address else "32"
    _ip(ip, "-n", ns, "addr", "add", f"{address}/{plen}", "dev", dev)


def run_in(ns: str, argv: list[str], *, timeout: float):
    """Run argv inside ns via ``ip netns exec`` (see external.run).

    As root: the tools run here (keepalived -t, corosync -t) need it to
    use the namespace's interfaces; what they would read or run besides
    the file is neutralised by each checker's safe copy.
    """
    return external.run(argv, prefix=[usable(), "netns", "exec", ns],
                        timeout=timeout, privileged=True)
