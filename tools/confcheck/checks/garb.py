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
"""/etc/default/garb: the Galera Arbitrator's settings for garb-systemd.

Debian's garb.service runs garb-systemd, which sources this file with
bash, refuses to start without GALERA_NODES and GALERA_GROUP, turns the
node list into ``-a gcomm://...`` and puts the other values in single
quotes on a command line that it evaluates. There is no tool that
checks the file short of starting garbd, so the assignments are read
here as rabbitmq-env.conf's are (shlex follows the shell's quoting, the
lines a backslash continues are joined); a value with an expansion
($, backquote) is not judged, since only the shell knows it.
"""

from __future__ import annotations

import re
import shlex

from confcheck import net
from confcheck.checks.rabbitmq_env import ASSIGNMENT, logical_lines
from confcheck.findings import Code, CodeBook, Finding

KIND = "garb"
DESCRIPTION = "/etc/default/garb: garbd's node list, group and options"

# What garb-systemd passes to garbd.
REQUIRED = ("GALERA_NODES", "GALERA_GROUP")
QUOTED = ("GALERA_GROUP", "GALERA_OPTIONS", "LOG_FILE", "WORK_DIR")
KNOWN = frozenset({*REQUIRED, *QUOTED})
# garb-systemd sets GALERA_PORT's default and never reads it again.
UNUSED = {"GALERA_PORT": "garb-systemd never passes it to garbd; give "
                         "the port in GALERA_NODES (address:4567)"}
# garb-systemd stops with success, and no garbd, if a line starts so.
REMOVE_MARKER = "# REMOVE"
# Options that let a minority act as the primary component: an
# arbitrator exists to prevent exactly that.
QUORUM_OFF = ("pc.ignore_sb", "pc.ignore_quorum")
HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
                      r"(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?\Z")
EXPANSION = re.compile(r"[$`]")

CODES = CodeBook(
    Code("GRB001", "error", "Not a shell assignment",
         bad="GALERA_GROUP = openstack\n",
         good="GALERA_GROUP=openstack\n", lexer="bash",
         why="garb-systemd sources the file with bash: a line that is not "
             "an assignment runs as a command or fails, and the setting "
             "does not apply."),
    Code("GRB002", "error", "Shell quoting error",
         bad='GALERA_NODES="10.0.0.12:4567\n',
         good='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n',
         lexer="bash",
         why="bash cannot read the file, so garb-systemd fails before "
             "garbd starts."),
    Code("GRB003", "error", "Unquoted value with blanks runs a command",
         bad="GALERA_NODES=10.0.0.12:4567 10.0.0.13:4567\n",
         good='GALERA_NODES="10.0.0.12:4567 10.0.0.13:4567"\n',
         lexer="bash",
         why="In a shell, NAME=a b runs b as a command with NAME set to a: "
             "the list is cut short and a command runs at every start."),
    Code("GRB004", "error", "GALERA_NODES or GALERA_GROUP not set",
         bad='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n',
         good='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n'
              'GALERA_GROUP="openstack"\n', lexer="bash",
         why="garb-systemd refuses to start garbd without both, so the "
             "cluster has no arbitrator."),
    Code("GRB005", "error", "Single quote in a value garb-systemd quotes",
         bad="GALERA_OPTIONS=\"gmcast.segment='2'\"\n",
         good='GALERA_OPTIONS="gmcast.segment=2"\n', lexer="bash",
         why="garb-systemd wraps the value in single quotes and evaluates "
             "the command line: a quote in it ends the quoting, cuts the "
             "value and can run what follows."),
    Code("GRB006", "error", "Bad address in GALERA_NODES",
         bad='GALERA_NODES="10.0.0.12:99999,10.0.0.13:4567"\n',
         good='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n',
         lexer="bash",
         why="garbd cannot connect to that member, and with a single good "
             "address left it has one way into the cluster."),
    Code("GRB007", "warning", "GALERA_NODES names a single node",
         bad='GALERA_NODES="10.0.0.12:4567"\n',
         good='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n',
         lexer="bash",
         why="garbd joins through the nodes it is given: when that one is "
             "down (the site lost), a restarted garbd cannot join."),
    Code("GRB008", "error", "Line starting with '# REMOVE'",
         bad="# REMOVE this line when configured\n",
         good="# Configured for the stretch variant.\n", lexer="bash",
         why="garb-systemd takes such a line as 'not configured yet' and "
             "exits with success without starting garbd."),
    Code("GRB009", "warning", "Variable garb-systemd does not pass on",
         bad='GALERA_PORT="4567"\n',
         good='GALERA_NODES="10.0.0.12:4567,10.0.0.13:4567"\n',
         lexer="bash",
         why="garb-systemd reads GALERA_NODES, GALERA_GROUP, "
             "GALERA_OPTIONS, LOG_FILE and WORK_DIR only: anything else "
             "silently does not apply."),
    Code("GRB010", "error", "GALERA_OPTIONS item without '='",
         bad='GALERA_OPTIONS="gmcast.segment 2"\n',
         good='GALERA_OPTIONS="gmcast.segment=2"\n', lexer="bash",
         why="Galera's provider options are key=value pairs separated by "
             "';': garbd refuses an item without a value and does not "
             "start."),
    Code("GRB011", "error", "Quorum turned off on the arbitrator",
         bad='GALERA_OPTIONS="pc.ignore_sb=true"\n',
         good='GALERA_OPTIONS="gmcast.segment=2"\n', lexer="bash",
         why="pc.ignore_sb and pc.ignore_quorum let a minority act as the "
             "primary component: the arbitrator exists to stop that, and "
             "with them a split leaves two writable halves."),
)


def _address_problem(entry: str) -> str | None:
    """Why entry is not host[:port] as gcomm:// takes it, or None."""
    bracketed = entry.startswith("[")
    if bracketed and "]" not in entry:
        return "an IPv6 address needs its closing ']'"
    if not bracketed and entry.count(":") > 1:
        return "an IPv6 address must be written in brackets"
    host, port = net.split_host_port(entry)
    after = entry.partition("]")[2] if bracketed else entry
    if bracketed:
        if after and not after.startswith(":"):
            return f"unexpected {after!r} after the address"
        if ":" not in host or not net.is_ip(host):
            return f"{host!r} is not an IPv6 address"
    elif not host:
        return "no address"
    elif host.replace(".", "").isdigit():
        if not net.is_ip(host):
            return f"{host!r} is not an IPv4 address"
    elif not HOSTNAME.match(host):
        return f"{host!r} is not a host name or address"
    if ":" in after and not (port.isdigit() and 0 < int(port) < 65536):
        return f"port {port!r} is not a number from 1 to 65535"
    return None


def check(text: str, path: str) -> list[Finding]:
    findings = []
    values: dict[str, tuple[int, str]] = {}

    def add(line: int, code: str, message: str) -> None:
        findings.append(CODES.finding(path, line, code, message))

    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(REMOVE_MARKER):
            add(number, "GRB008", "garb-systemd sees '# REMOVE' and exits "
                "without starting garbd; delete the line")
    for number, line in logical_lines(text):
        match = ASSIGNMENT.match(line)
        if not match:
            add(number, "GRB001", f"{line[:60]!r} is not NAME=value (no "
                "blanks around '='): bash would run it as a command")
            continue
        name, value = match.groups()
        try:
            words = shlex.split(value, comments=True)
        except ValueError as exc:
            add(number, "GRB002", f"{name}: {exc}")
            continue
        if len(words) > 1:
            add(number, "GRB003", f"{name}: the value has unquoted blanks, "
                f"so bash runs {words[1][:40]!r} as a command; quote it")
        if name in UNUSED:
            add(number, "GRB009", f"{name}: {UNUSED[name]}")
        elif name not in KNOWN:
            add(number, "GRB009", f"{name}: garb-systemd passes only "
                f"{', '.join(sorted(KNOWN))} to garbd")
        values[name] = (number, words[0] if words else "")
    for name in REQUIRED:
        if not values.get(name, (0, ""))[1]:
            add(values.get(name, (0, ""))[0], "GRB004",
                f"{name} is not set: garb-systemd refuses to start garbd")
    for name in QUOTED:
        number, value = values.get(name, (0, ""))
        if "'" in value:
            add(number, "GRB005", f"{name}: garb-systemd puts the value in "
                "single quotes and evaluates the command; a quote in it "
                "breaks that")
    _nodes(values.get("GALERA_NODES"), add)
    _options(values.get("GALERA_OPTIONS"), add)
    return sorted(findings)


def _nodes(found, add) -> None:
    if not found or not found[1] or EXPANSION.search(found[1]):
        return
    number, value = found
    # garb-systemd turns blanks into commas.
    entries = [e for e in re.split(r"[ ,]+", value) if e]
    for entry in entries:
        problem = _address_problem(entry)
        if problem:
            add(number, "GRB006", f"GALERA_NODES {entry[:60]!r}: {problem}")
    if len(entries) == 1:
        add(number, "GRB007", "GALERA_NODES names one node; list every "
            "data node so that garbd can join through any of them")


def _options(found, add) -> None:
    if not found or not found[1] or EXPANSION.search(found[1]):
        return
    number, value = found
    for item in (i.strip() for i in value.split(";")):
        if not item:
            continue
        key, equals, setting = item.partition("=")
        if not equals:
            add(number, "GRB010", f"GALERA_OPTIONS {item[:60]!r}: an "
                "option is key=value")
        elif key.strip() in QUORUM_OFF and setting.strip().lower() in (
                "1", "yes", "true", "on"):
            add(number, "GRB011", f"GALERA_OPTIONS {key.strip()}: lets a "
                "minority keep writing; remove it from the arbitrator")

