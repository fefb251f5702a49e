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
"""/etc/hosts: addresses, host names, names that point two ways."""

from __future__ import annotations

import ipaddress
import re

from confcheck.checks._lines import strip_comment
from confcheck.findings import Code, CodeBook, Finding

KIND = "hosts"
DESCRIPTION = "/etc/hosts: IP addresses, valid host names, conflicting names"

# RFC 1123 labels: letters, digits, inner hyphens, at most 63 characters.
LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
MAX_NAME = 253
# Names that belong on loopback addresses.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain",
                            "localhost4", "localhost4.localdomain4",
                            "localhost6", "localhost6.localdomain6",
                            "ip6-localhost", "ip6-loopback"})

CODES = CodeBook(
    Code("HOS001", "error", "First field is not an IP address",
         bad="10.0.0.300  controller1\n", good="10.0.0.12  controller1\n",
         why="The resolver skips a line that does not start with an address, "
             "so its names do not resolve from this file."),
    Code("HOS002", "error", "Address without any name",
         bad="10.0.0.12\n", good="10.0.0.12  controller1\n",
         why="An address without a name maps nothing: the line was most "
             "likely cut short."),
    Code("HOS003", "error", "Invalid host name",
         bad="10.0.0.12  controller_1\n", good="10.0.0.12  controller1\n",
         why="Host names are letters, digits and hyphens (RFC 1123); other "
             "characters are refused by some resolvers and tools, so the node "
             "is reachable by some services and not others."),
    Code("HOS004", "error", "Name mapped to two different addresses",
         bad="10.0.0.12  controller1\n10.0.0.13  controller1\n",
         good="10.0.0.12  controller1\n10.0.0.13  controller2\n",
         why="The resolver returns the first match only, so the second "
             "address is never used although the file suggests otherwise."),
    Code("HOS005", "warning", "Node name on a loopback address",
         bad="127.0.1.1  controller1\n10.0.0.12  controller1\n",
         good="127.0.0.1  localhost\n10.0.0.12  controller1\n",
         why="A service that resolves its own node name then binds to or "
             "announces a loopback address, which its peers cannot reach "
             "(corosync, RabbitMQ and Galera among them)."),
)


def _valid(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return len(name) <= MAX_NAME and all(LABEL.match(x) for x in labels)


def check(text: str, path: str) -> list[Finding]:
    out: list[Finding] = []
    # (name, address family) -> (address, line): localhost on both
    # 127.0.0.1 and ::1 is normal, the same family twice is a conflict.
    names: dict[tuple[str, int], tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        fields = strip_comment(raw, anywhere=True).split()
        if not fields:
            continue
        try:
            address = ipaddress.ip_address(fields[0])
        except ValueError:
            out.append(CODES.finding(path, number, "HOS001",
                                     f"{fields[0][:60]!r} is not an IP "
                                     f"address"))
            continue
        if len(fields) == 1:
            out.append(CODES.finding(path, number, "HOS002",
                                     f"{address} has no host name"))
        for name in fields[1:]:
            if not _valid(name):
                out.append(CODES.finding(path, number, "HOS003",
                                         f"{name[:60]!r} is not a valid "
                                         f"host name (RFC 1123)"))
                continue
            key = (name.lower(), address.version)
            earlier = names.get(key)
            if earlier and earlier[0] != str(address):
                out.append(CODES.finding(
                    path, number, "HOS004",
                    f"{name} is {earlier[0]} at line {earlier[1]} and "
                    f"{address} here; resolvers use the first"))
            names.setdefault(key, (str(address), number))
            if address.is_loopback and name.lower() not in LOOPBACK_NAMES:
                out.append(CODES.finding(
                    path, number, "HOS005",
                    f"{name} on loopback {address}: cluster software "
                    f"(corosync, RabbitMQ, Galera) then binds or announces "
                    f"the loopback address; map it to the node's own "
                    f"address"))
    return out
