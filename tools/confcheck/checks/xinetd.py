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
"""xinetd service files (xinetd.d/*): structure and known attributes.

xinetd has no check-only mode (it binds the ports it reads), so the
checker is built in: lines become open/item/close events for the shared
brace-tree builder, and attributes are those of xinetd.conf(5) as shipped
with xinetd 2.3.15.3 (Debian 12).
"""

from __future__ import annotations

import difflib
import re

from confcheck.checks import _braces
from confcheck.checks._lines import meaningful
from confcheck.findings import Code, CodeBook, Finding

KIND = "xinetd"
DESCRIPTION = "xinetd service files: braces, attributes, required settings"

# xinetd.conf(5), xinetd 2.3.15.3.
ATTRIBUTES = frozenset({
    "id", "type", "flags", "socket_type", "protocol", "wait", "user",
    "group", "instances", "nice", "server", "server_args", "only_from",
    "no_access", "access_times", "log_type", "log_on_success",
    "log_on_failure", "rpc_version", "rpc_number", "env", "passenv",
    "port", "redirect", "bind", "interface", "banner", "banner_success",
    "banner_fail", "per_source", "cps", "max_load", "groups", "mdns",
    "umask", "enabled", "disabled", "disable", "libwrap", "deny_time",
    "rlimit_as", "rlimit_cpu", "rlimit_data", "rlimit_files",
    "rlimit_rss", "rlimit_stack"})
BLOCKS = frozenset({"service", "defaults"})
TOP_LEVEL = frozenset({"include", "includedir"})
# Values xinetd accepts for the attributes with a closed set.
CHOICES = {
    "socket_type": {"stream", "dgram", "raw", "seqpacket"},
    "wait": {"yes", "no"},
    "disable": {"yes", "no"},
    "protocol": {"tcp", "udp", "tcp6", "udp6"},
    "type": {"RPC", "INTERNAL", "TCPMUX", "TCPMUXPLUS", "UNLISTED"},
    "flags": {"INTERCEPT", "NORETRY", "IDONLY", "NAMEINARGS", "NODELAY",
              "KEEPALIVE", "NOLIBWRAP", "SENSOR", "IPv4", "IPv6",
              "LABELED", "REUSE"},
}
NUMBERS = {"port": False, "instances": True, "per_source": True,
           "nice": False}   # True: UNLIMITED is also allowed
# Required in every service, and in addition for an UNLISTED one (which
# /etc/services cannot complete).
REQUIRED = ("socket_type", "wait", "user", "server")
REQUIRED_UNLISTED = ("port", "protocol")
ATTRIBUTE = re.compile(r"([A-Za-z_]+)\s*([+-]?=)\s*(.*)\Z")

CODES = CodeBook(
    Code("XIN001", "error", "Unknown attribute",
         bad="service galera-monitor\n{\n  sockettype = stream\n}",
         good="service galera-monitor\n{\n  socket_type = stream\n}",
         lexer="text",
         why="xinetd rejects the attribute and may drop the whole service, so "
             "the health-check port HAProxy probes stays closed."),
    Code("XIN002", "error", "Braces do not match",
         bad="service galera-monitor\n{\n  port = 9200\n",
         good="service galera-monitor\n{\n  port = 9200\n}", lexer="text",
         why="xinetd cannot tell where the service ends and drops it, so the "
             "health-check port HAProxy probes stays closed."),
    Code("XIN003", "error", "Required attribute missing",
         bad="service galera-monitor\n{\n  type = UNLISTED\n"
             "  socket_type = stream\n}",
         good="service galera-monitor\n{\n  type = UNLISTED\n"
              "  port = 9200\n  protocol = tcp\n  socket_type = stream\n"
              "  wait = no\n  user = clustercheck\n"
              "  server = /usr/local/bin/galera-healthcheck.sh\n}",
         lexer="text",
         why="xinetd does not run a service without its required attributes, "
             "so the health-check port HAProxy probes stays closed."),
    Code("XIN004", "error", "Value not accepted by xinetd",
         bad="service galera-monitor\n{\n  wait = false\n}",
         good="service galera-monitor\n{\n  wait = no\n}", lexer="text",
         why="xinetd refuses the value and does not run the service as "
             "written, or at all."),
    Code("XIN005", "warning", "Attribute set twice",
         bad="service galera-monitor\n{\n  port = 9200\n  port = 9201\n}",
         good="service galera-monitor\n{\n  port = 9200\n}", lexer="text",
         why="Only one of the values takes effect, so the other line misleads "
             "whoever edits the file."),
    Code("XIN006", "error", "Not an 'attribute = value' line",
         bad="  port 9200", good="  port = 9200", lexer="text",
         why="xinetd cannot parse the line and does not run the service as "
             "written, or at all."),
    Code("XIN101", "warning", "Service reachable from every network",
         bad="service galera-monitor\n{\n  port = 9200\n}",
         good="service galera-monitor\n{\n  port = 9200\n"
              "  bind = 10.0.0.12\n  only_from = 10.0.0.12 10.0.0.13 "
              "10.0.0.14\n}", lexer="text",
         why="Without only_from anyone who reaches the node can query the "
             "check, which tells the node's database state."),
)


def check(text: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    root, errors = _braces.build(_events(text, path, findings))
    findings.extend(CODES.finding(path, e.line, "XIN002", e.message)
                    for e in errors)
    for node in root.items():
        if node.children is None:
            if node.name not in TOP_LEVEL:
                findings.append(CODES.finding(
                    path, node.line, "XIN002", f"{node.name} is outside a "
                    "'service NAME { ... }' block"))
            continue
        findings.extend(_block(path, node))
    return findings


def _events(text: str, path: str, findings: list[Finding]):
    """open/item/close events; a block header waits for its '{' line."""
    header: tuple[int, str, list[str]] | None = None
    for number, line in meaningful(text):
        if header and line != "{" and not line.startswith("{"):
            findings.append(CODES.finding(
                path, header[0], "XIN002", f"'{header[1]}' is not "
                "followed by '{'"))
            header = None
        words = line.split()
        if words[0] in BLOCKS:
            opening = words[-1] == "{"
            header = (number, words[0], [w for w in words[1:] if w != "{"])
            if opening:
                yield _braces.OPEN, *header
                header = None
            continue
        if line.startswith("{"):
            if header is None:
                findings.append(CODES.finding(
                    path, number, "XIN002", "'{' without 'service NAME' "
                    "before it"))
                header = (number, "service", ["?"])
            yield _braces.OPEN, *header
            header = None
            line = line[1:].strip()
            if not line:
                continue
        if line == "}":
            yield _braces.CLOSE, number, "}", []
            continue
        if words[0] in TOP_LEVEL:
            yield _braces.ITEM, number, words[0], words[1:]
            continue
        match = ATTRIBUTE.match(line)
        if not match:
            findings.append(CODES.finding(
                path, number, "XIN006", f"{line!r} is not 'attribute = "
                "value' (or +=, -=)"))
            continue
        yield _braces.ITEM, number, match.group(1), [match.group(2),
                                                     match.group(3)]
    if header:
        findings.append(CODES.finding(path, header[0], "XIN002",
                                      f"'{header[1]}' is not followed by "
                                      "'{'"))


def _block(path: str, block: _braces.Node) -> list[Finding]:
    found = []
    values: dict[str, str] = {}
    seen: dict[str, int] = {}
    for item in block.items():
        if item.children is not None:
            found.append(CODES.finding(path, item.line, "XIN002",
                                       "blocks cannot be nested"))
            continue
        if item.name in TOP_LEVEL or len(item.args) != 2:
            found.append(CODES.finding(
                path, item.line, "XIN006", f"{item.name} belongs at the top "
                "level, outside every block"))
            continue
        name, (op, value) = item.name, item.args
        if name not in ATTRIBUTES:
            close = difflib.get_close_matches(name, ATTRIBUTES, 1, 0.75)
            hint = f"; did you mean {close[0]}?" if close else ""
            found.append(CODES.finding(path, item.line, "XIN001",
                                       f"{name}: not an xinetd "
                                       f"attribute{hint}"))
            continue
        if op == "=" and name in seen:
            found.append(CODES.finding(
                path, item.line, "XIN005", f"{name} is already set on line "
                f"{seen[name]}"))
        seen[name] = item.line
        values[name] = value
        problem = _bad_value(name, value)
        if problem:
            found.append(CODES.finding(path, item.line, "XIN004",
                                       f"{name} = {value}: {problem}"))
    if block.name == "service":
        found.extend(_service(path, block, values))
    return found


def _bad_value(name: str, value: str) -> str | None:
    if name in CHOICES:
        bad = [w for w in value.split() if w not in CHOICES[name]]
        if bad or not value:
            return f"expected {' or '.join(sorted(CHOICES[name]))}"
    if name in NUMBERS and not (
            re.fullmatch(r"-?\d+", value)
            or (NUMBERS[name] and value == "UNLIMITED")):
        return "expected a number" + (
            " or UNLIMITED" if NUMBERS[name] else "")
    return None


def _service(path: str, block: _braces.Node,
             values: dict[str, str]) -> list[Finding]:
    name = " ".join(block.args) or "?"
    types = values.get("type", "").split()
    required = [] if "INTERNAL" in types else list(REQUIRED)
    if "UNLISTED" in types:
        required += REQUIRED_UNLISTED
    found = [CODES.finding(path, block.line, "XIN003",
                           f"service {name} has no {attr}")
             for attr in required if attr not in values]
    if not ({"bind", "interface", "only_from"} & values.keys()) and (
            values.get("disable") != "yes"):
        found.append(CODES.finding(
            path, block.line, "XIN101", f"service {name} has neither bind "
            "nor only_from: any host on any network can connect"))
    return found
