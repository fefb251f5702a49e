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
"""corosync.conf (corosync 3): ``corosync -t`` in a namespace plus a schema.

The built-in check parses the file itself (see _braces) because corosync
-t names a line only for parser errors and accepts unknown and obsolete
keys silently; the schema here gives every finding its line. corosync -t
needs a local address from the nodelist, so it runs in a throwaway
namespace holding the first node's addresses on lo. This module reads the
file (builtin(): pure); corosync_tool runs the tool.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from confcheck.checks import _braces, _merge
from confcheck.findings import Code, CodeBook, Finding

KIND = "corosync"
DESCRIPTION = ("Corosync 3 configuration: corosync -t in a throwaway "
               "namespace and a schema with lines")

RING_KEYS = {f"ring{i}_addr" for i in range(8)}
# Section path -> keys corosync 3 reads there (corosync.conf(5)).
SCHEMA = {
    "": {"totem", "nodelist", "quorum", "logging", "system", "resources",
         "nozzle", "qb"},
    "totem": {
        "version", "cluster_name", "transport", "crypto_cipher",
        "crypto_hash", "crypto_model", "token", "token_coefficient",
        "token_retransmit", "token_warning", "hold",
        "token_retransmits_before_loss_const", "join", "send_join",
        "consensus", "merge", "downcheck", "fail_recv_const",
        "seqno_unchanged_const", "heartbeat_failures_allowed",
        "max_network_delay", "window_size", "max_messages",
        "miss_count_const", "knet_pmtud_interval", "knet_mtu",
        "knet_compression_model", "knet_compression_threshold",
        "knet_compression_level", "link_mode", "ip_version", "netmtu",
        "clear_node_high_bit", "config_version", "nodeid", "keyfile", "key",
        "block_unlisted_ips", "cancel_token_hold_on_retransmit",
        "interface"},
    "totem.interface": {
        "linknumber", "bindnetaddr", "mcastaddr", "mcastport", "ttl",
        "broadcast", "knet_link_priority", "knet_ping_interval",
        "knet_ping_timeout", "knet_ping_precision", "knet_pong_count",
        "knet_transport"},
    "nodelist": {"node"},
    "nodelist.node": RING_KEYS | {"name", "nodeid", "quorum_votes"},
    "quorum": {"provider", "expected_votes", "two_node", "wait_for_all",
               "last_man_standing", "last_man_standing_window",
               "auto_tie_breaker", "auto_tie_breaker_node",
               "allow_downscale", "expected_votes_tracking", "device"},
    # corosync-qdevice(8); heuristics' exec_NAME keys are free, so the
    # heuristics section is not listed.
    "quorum.device": {"model", "timeout", "sync_timeout", "votes", "net",
                      "heuristics"},
    "quorum.device.net": {"tls", "host", "port", "algorithm", "tie_breaker",
                          "connect_timeout", "force_ip_version",
                          "keep_active_partition_tie_breaker"},
    "logging": {"to_logfile", "to_stderr", "to_syslog", "logfile",
                "logfile_priority", "syslog_facility", "syslog_priority",
                "debug", "timestamp", "fileline", "function_name",
                "blackbox", "logger_subsys"},
    "logging.logger_subsys": {"subsys", "debug", "to_logfile", "to_stderr",
                              "to_syslog", "logfile", "logfile_priority",
                              "syslog_facility", "syslog_priority"},
    "system": {"qb_ipc_type", "sched_rr", "priority",
               "move_to_root_cgroup", "allow_knet_handle_fallback",
               "state_dir"},
}
# Corosync 1/2-era keys that corosync 3 ignores or misreads, with what
# replaces them; keyed by section path ("*" = anywhere).
OBSOLETE = {
    "rrp_mode": "knet links: one ringN_addr per link in each node block "
                "(totem link_mode picks passive/active/rr)",
    "secauth": "crypto_cipher and crypto_hash",
    "vsftype": "nothing (removed in corosync 3)",
    "threads": "nothing (removed in corosync 3)",
    "amf": "nothing (the AMF service was removed)",
    "aisexec": "nothing (corosync runs as root; uidgid for IPC users)",
    "service": "nothing: pacemaker is started by its own service, not "
               "loaded by corosync",
    "ringnumber": "linknumber",
}
# Keys only meaningful for multicast/udp rings, wrong with knet.
KNET_UNUSED = {
    "bindnetaddr": "ring0_addr in each nodelist node",
    "mcastaddr": "ring0_addr in each nodelist node (knet is unicast)",
    "mcastport": "knet's default port, or a per-link setting",
    "broadcast": "ring0_addr in each nodelist node (knet is unicast)",
}
TRANSPORTS = ("knet", "udpu", "udp")
CIPHERS = ("none", "aes256", "aes192", "aes128")
HASHES = ("none", "md5", "sha1", "sha256", "sha384", "sha512")
# corosync-qdevice(8): test and 2nodelms exist for developers only.
QDEVICE_ALGORITHMS = ("ffsplit", "lms")
QDEVICE_TLS = ("on", "off", "required")
# votequorum(5): a quorum device is refused with two_node and disabled
# by auto_tie_breaker and last_man_standing.
NO_DEVICE_WITH = ("two_node", "auto_tie_breaker", "last_man_standing")

_GOOD = ("totem {\n  version: 2\n  cluster_name: openstack\n"
         "  transport: knet\n  crypto_cipher: aes256\n"
         "  crypto_hash: sha256\n}\n")
_NODES = "".join(
    f"  node {{\n    ring0_addr: 10.0.0.1{n + 1}\n    name: controller{n}\n"
    f"    nodeid: {n}\n  }}\n" for n in (1, 2, 3))
_QUORUM = "quorum {\n  provider: corosync_votequorum\n}\n"
_DEVICE = ("quorum {\n  provider: corosync_votequorum\n  device {\n"
           "    model: net\n    votes: 1\n    net {\n"
           "      host: 10.0.0.14\n      algorithm: ffsplit\n    }\n"
           "  }\n}\n")

CODES = CodeBook(
    Code("COR001", "error", "corosync -t rejects the configuration",
         bad=_GOOD + "nodelist {\n" + _NODES.replace("nodeid: 3",
                                                     "nodeid: 2")
         + "}\n", good=_GOOD + "nodelist {\n" + _NODES + "}\n",
         why="corosync does not start with a file corosync -t rejects, so the "
             "node never joins the cluster and Pacemaker cannot run there."),
    Code("COR002", "warning", "corosync -t could not be run to a result",
         bad="nodelist {\n  node {\n    ring0_addr: controller1\n"
             "    name: controller1\n    nodeid: 1\n  }\n}\n",
         good="nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
              "    name: controller1\n    nodeid: 1\n  }\n}\n",
         why="Only the built-in rules checked the file; corosync's own parser "
             "may still reject it when the node starts."),
    Code("COR003", "warning", "corosync -t warns about the configuration",
         bad="totem {\n  version: 2\n  transport: udpu\n  interface {\n"
             "    bindnetaddr: 10.0.0.0\n  }\n}\nnodelist {\n" + _NODES
             + "}\n",
         good="totem {\n  version: 2\n  transport: udpu\n}\nnodelist {\n"
              + _NODES + "}\n",
         why="corosync starts, but ignores or reinterprets what the line asks "
             "for, so the cluster does not behave as the file says."),
    Code("COR010", "error", "Line that is no section, key or closing brace",
         bad="totem {\n  version 2\n}\n", good="totem {\n  version: 2\n}\n",
         why="corosync's parser stops at such a line and the daemon does not "
             "start."),
    Code("COR011", "warning", "Key corosync does not read here",
         bad="totem {\n  tokn: 3000\n}\n", good="totem {\n  token: 3000\n}\n",
         why="corosync ignores a key it does not read in that section, so a "
             "misspelt timeout or option silently keeps its default."),
    # corosync 3 reads past these keys (corosync -t passes): a warning.
    Code("COR012", "warning", "Corosync 1/2 key, ignored by corosync 3",
         bad="totem {\n  rrp_mode: passive\n}\n",
         good="totem {\n  link_mode: passive\n}\n",
         why="corosync 3 ignores the key (redundant links and encryption now "
             "come from knet's own keys), so the file promises something the "
             "cluster does not do."),
    Code("COR013", "error", "totem version other than 2",
         bad="totem {\n  version: 1\n}\n", good="totem {\n  version: 2\n}\n",
         why="The only configuration version corosync 3 accepts is 2 "
             "(corosync.conf(5)); with another the daemon does not start."),
    Code("COR014", "warning", "totem without cluster_name",
         bad="totem {\n  version: 2\n}\n",
         good="totem {\n  version: 2\n  cluster_name: openstack\n}\n",
         why="Tools and logs name the cluster by it, and the udp transport "
             "derives its multicast address from it; without it two clusters "
             "on one network are easy to confuse."),
    Code("COR015", "error", "Unknown transport",
         bad="totem {\n  transport: udpp\n}\n",
         good="totem {\n  transport: knet\n}\n",
         why="corosync knows the knet, udp and udpu transports only and does "
             "not start with another."),
    Code("COR016", "warning", "Transport other than knet",
         bad="totem {\n  transport: udpu\n}\n",
         good="totem {\n  transport: knet\n}\n",
         why="In corosync 3, udp and udpu carry a single link without "
             "encryption; knet gives several links and crypto, which a "
             "control plane cluster relies on."),
    Code("COR017", "error", "Bad crypto_cipher or crypto_hash",
         bad="totem {\n  crypto_cipher: aes256\n  crypto_hash: none\n}\n",
         good="totem {\n  crypto_cipher: aes256\n  crypto_hash: sha256\n}\n",
         why="corosync refuses a cipher or hash it does not know, and a "
             "cipher without a hash, so the node does not start."),
    Code("COR018", "error", "Node without ring0_addr or nodeid",
         bad="nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n  }\n}\n",
         good="nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
              "    name: controller1\n    nodeid: 1\n  }\n}\n",
         why="With knet every node needs an address and a node id; corosync "
             "refuses a nodelist entry without them."),
    Code("COR019", "error", "Duplicate nodeid, name or address",
         bad="nodelist {\n" + _NODES.replace("nodeid: 3", "nodeid: 2")
             + "}\n", good="nodelist {\n" + _NODES + "}\n",
         why="Two nodes with one id, name or address are refused by corosync "
             "or confuse the membership, so the cluster does not form."),
    Code("COR020", "error", "quorum provider missing or not votequorum",
         bad="quorum {\n  provider: votequorum\n}\n", good=_QUORUM,
         why="Without votequorum corosync provides no quorum, so a node cut "
             "off from the others may keep running resources the others also "
             "run (split brain)."),
    Code("COR021", "error", "two_node with other than two nodes",
         bad="nodelist {\n" + _NODES + "}\nquorum {\n  provider: "
             "corosync_votequorum\n  two_node: 1\n}\n",
         good="nodelist {\n" + _NODES + "}\n" + _QUORUM,
         why="two_node lets one survivor of a two-node cluster keep quorum "
             "(relying on fencing); with another node count the file does not "
             "describe the cluster's quorum."),
    Code("COR022", "warning", "expected_votes differs from the nodelist",
         bad="nodelist {\n" + _NODES + "}\nquorum {\n  provider: "
             "corosync_votequorum\n  expected_votes: 2\n}\n",
         good="nodelist {\n" + _NODES + "}\n" + _QUORUM,
         why="votequorum counts quorum from expected_votes when it is set, so "
             "a value that disagrees with the nodelist makes the cluster "
             "quorate with too few nodes, or never."),
    Code("COR023", "error", "Missing totem, nodelist or quorum section",
         bad=_GOOD, good=_GOOD + "nodelist {\n" + _NODES + "}\n" + _QUORUM,
         why="corosync needs a totem section, knet needs a nodelist, and "
             "without a quorum section nothing protects the cluster from a "
             "split brain."),
    # corosync 3 runs without it; pacemaker then names the node by its
    # uname, which must match what pcs and the constraints use.
    Code("COR024", "warning", "Node without name",
         bad="nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
             "    nodeid: 1\n  }\n}\n",
         good="nodelist {\n  node {\n    ring0_addr: 10.0.0.12\n"
              "    name: controller1\n    nodeid: 1\n  }\n}\n",
         why="Pacemaker then takes the node's name from its host name, which "
             "must match exactly, or constraints and fencing name a node that "
             "does not exist."),
    Code("COR025", "error",
         "Quorum device with two_node, auto_tie_breaker or "
         "last_man_standing",
         bad=_DEVICE.replace("votequorum\n", "votequorum\n  two_node: 1\n"),
         good=_DEVICE,
         why="votequorum refuses two_node together with a quorum device "
             "and turns the device off with auto_tie_breaker or "
             "last_man_standing: the tie is then broken by that setting, "
             "not by the arbitrator the file names."),
    Code("COR026", "error", "Quorum device corosync-qdevice cannot use",
         bad=_DEVICE.replace("votes: 1", "votes: 2"), good=_DEVICE,
         why="corosync-qdevice stops, or qnetd never gives the vote the "
             "file counts on: the model must be net with a host, the "
             "algorithm ffsplit or lms, tls on, off or required, and "
             "ffsplit gives exactly one vote."),
)
# Findings corosync -t makes itself (it stops at the first); the schema's
# version stands in only when it cannot run.
STRUCTURAL = frozenset({"COR010", "COR015", "COR017", "COR019"})
# corosync -t stops at its first error: the schema's other findings stay,
# but not a second report of the line it named; its warnings on a line
# the schema explains better are dropped.
MERGE = _merge.Policy(STRUCTURAL, unavailable="COR002", first_error="COR001",
                      shadowed="COR003")


def _lex(text: str, errors: list[tuple[int, str]]):
    """Line events; corosync's own parser is line based in the same way."""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            if not re.fullmatch(r"[\w.-]+", name):
                errors.append((number, f"bad section name {name!r}"))
            yield _braces.OPEN, number, name, []
        elif "}" in line:
            if line != "}":
                errors.append((number, "extra characters before or after "
                                       "the closing '}'"))
            yield _braces.CLOSE, number, "", []
        elif ":" in line:
            key, value = line.split(":", 1)
            yield _braces.ITEM, number, key.strip(), [value.strip()]
        else:
            errors.append((number, f"{line[:60]!r} is not 'section {{', "
                                   f"'key: value' or '}}'"))


def _value(node: _braces.Node | None) -> str | None:
    return node.args[0] if node is not None and node.args else None


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.out: list[Finding] = []

    def add(self, line: int, code: str, message: str) -> None:
        self.out.append(CODES.finding(self.path, line, code, message))

    def keys(self, node: _braces.Node, where: str, knet: bool) -> None:
        for child in node.items():
            name = child.name
            if name in OBSOLETE:
                self.add(child.line, "COR012",
                         f"'{name}' dates from corosync 1/2 and has no "
                         f"place in a corosync 3 file; use {OBSOLETE[name]}")
                continue
            if knet and name in KNET_UNUSED:
                self.add(child.line, "COR012",
                         f"'{name}' has no effect with transport knet; use "
                         f"{KNET_UNUSED[name]}")
                continue
            allowed = SCHEMA.get(where)
            if allowed is not None and name not in allowed:
                close = difflib.get_close_matches(name[:40], allowed, 1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.add(child.line, "COR011",
                         f"corosync does not read '{name}' in "
                         f"{where or 'the top level'}{hint}")
            if child.children is not None:
                self.keys(child, f"{where}.{name}".strip("."), knet)

    def totem(self, totem: _braces.Node) -> bool:
        """Check totem; True when the transport is knet."""
        version = totem.first("version")
        if _value(version) != "2":
            self.add(version.line if version else totem.line, "COR013",
                     f"totem version must be 2, not {_value(version)!r}")
        if totem.first("cluster_name") is None:
            self.add(totem.line, "COR014",
                     "totem has no cluster_name (pcs and the logs use it)")
        transport = totem.first("transport")
        kind = _value(transport) or "knet"
        if kind not in TRANSPORTS:
            self.add(transport.line, "COR015",
                     f"transport {kind!r}: use one of "
                     f"{', '.join(TRANSPORTS)}")
        elif kind != "knet":
            self.add(transport.line, "COR016",
                     f"transport {kind}: knet (the corosync 3 default) "
                     f"gives encryption and several links")
        cipher, hashing = totem.first("crypto_cipher"), totem.first(
            "crypto_hash")
        for node, allowed in ((cipher, CIPHERS), (hashing, HASHES)):
            if node is not None and _value(node) not in allowed:
                self.add(node.line, "COR017",
                         f"{node.name} {_value(node)!r}: use one of "
                         f"{', '.join(allowed)}")
        values = [_value(n) or "none" for n in (cipher, hashing)]
        if (values[0] == "none") != (values[1] == "none"):
            line = (cipher or hashing).line
            self.add(line, "COR017",
                     f"crypto_cipher {values[0]} with crypto_hash "
                     f"{values[1]}: set both (e.g. aes256 and sha256) or "
                     f"both none")
        return kind == "knet"

    def nodes(self, nodelist: _braces.Node) -> list[_braces.Node]:
        nodes = nodelist.items("node")
        seen: dict[tuple[str, str], int] = {}
        for node in nodes:
            for key in ("ring0_addr", "name", "nodeid"):
                item = node.first(key)
                if item is None and key == "name":
                    self.add(node.line, "COR024",
                             "node block has no 'name'; pacemaker then "
                             "uses the node's host name (uname -n), "
                             "which pcs commands and constraints must "
                             "match")
                    continue
                if item is None:
                    self.add(node.line, "COR018",
                             f"node block has no '{key}'")
                    continue
                value = _value(item)
                if key == "nodeid" and not (value or "").isdecimal():
                    self.add(item.line, "COR018",
                             f"nodeid {value!r} is not a positive number")
                label = "address" if key == "ring0_addr" else key
                if (label, value) in seen:
                    self.add(item.line, "COR019",
                             f"{key} {value} is also used at line "
                             f"{seen[label, value]}")
                seen.setdefault((label, value), item.line)
        return nodes

    def quorum(self, quorum: _braces.Node, nodes: list[_braces.Node]
               ) -> None:
        provider = quorum.first("provider")
        if _value(provider) != "corosync_votequorum":
            self.add(provider.line if provider else quorum.line, "COR020",
                     f"quorum provider must be corosync_votequorum, not "
                     f"{_value(provider)!r}")
        two_node = quorum.first("two_node")
        if _value(two_node) == "1" and nodes and len(nodes) != 2:
            self.add(two_node.line, "COR021",
                     f"two_node: 1 with {len(nodes)} nodes; it is only for "
                     f"two-node clusters")
        device = quorum.first("device")
        if device is not None and device.children is not None:
            self.device(quorum, device)
        expected = quorum.first("expected_votes")
        # isdecimal, not isdigit: '²' is a digit int() refuses.
        votes = sum(int(_value(n.first("quorum_votes")) or 1)
                    if (_value(n.first("quorum_votes")) or "1").isdecimal()
                    else 1 for n in nodes)
        if expected is not None and nodes and _value(expected) != str(
                votes):
            self.add(expected.line, "COR022",
                     f"expected_votes {_value(expected)} but the nodelist "
                     f"gives {votes}; drop expected_votes and let "
                     f"votequorum count the nodelist")

    def device(self, quorum: _braces.Node, device: _braces.Node) -> None:
        """quorum.device as corosync-qdevice(8) and votequorum(5) take it."""
        for name in NO_DEVICE_WITH:
            setting = quorum.first(name)
            if _value(setting) not in (None, "0"):
                verb = "refuses" if name == "two_node" else "then disables"
                self.add(setting.line, "COR025",
                         f"{name} with a quorum device: votequorum {verb} "
                         f"the device; remove {name}")
        model = device.first("model")
        if _value(model) != "net":
            self.add(model.line if model else device.line, "COR026",
                     f"quorum device model {_value(model)!r}: net is the "
                     "only model corosync-qdevice has")
            return
        net = device.first("net")
        host = net.first("host") if net is not None and net.children else None
        if not _value(host):
            self.add(net.line if net is not None else device.line, "COR026",
                     "quorum.device.net has no host: corosync-qdevice needs "
                     "the address of corosync-qnetd")
        if net is None or net.children is None:
            return
        algorithm = net.first("algorithm")
        name = _value(algorithm) or "ffsplit"
        if name not in QDEVICE_ALGORITHMS:
            self.add(algorithm.line, "COR026",
                     f"algorithm {name!r}: use ffsplit or lms (the others "
                     "are for corosync developers)")
        tls = net.first("tls")
        if tls is not None and _value(tls) not in QDEVICE_TLS:
            self.add(tls.line, "COR026",
                     f"tls {_value(tls)!r}: must be on, off or required")
        votes = device.first("votes")
        if name == "ffsplit" and votes is not None and _value(votes) != "1":
            self.add(votes.line, "COR026",
                     f"votes {_value(votes)!r} with ffsplit: the algorithm "
                     "needs exactly 1")


def builtin(text: str, path: str) -> tuple[_braces.Node, list[Finding]]:
    lex_errors: list[tuple[int, str]] = []
    root, brace_errors = _braces.build(_lex(text, lex_errors))
    checker = _Checker(path)
    for line, message in lex_errors:
        checker.add(line, "COR010", message)
    for err in brace_errors:
        checker.add(err.line, "COR010", err.message)
    totem = root.first("totem")
    knet = checker.totem(totem) if totem is not None else True
    checker.keys(root, "", knet)
    nodelist = root.first("nodelist")
    nodes = checker.nodes(nodelist) if nodelist is not None else []
    quorum = root.first("quorum")
    if quorum is not None:
        checker.quorum(quorum, nodes)
    for name, node in (("totem", totem), ("nodelist", nodelist),
                       ("quorum", quorum)):
        if node is None:
            checker.add(0, "COR023", f"no {name} section")
    return root, checker.out


def local_addresses(root: _braces.Node) -> list[str]:
    """The first node's ring addresses, when they are IP addresses."""
    nodelist = root.first("nodelist")
    nodes = nodelist.items("node") if nodelist is not None else []
    found = []
    for item in nodes[0].items() if nodes else ():
        if item.name in RING_KEYS and item.args:
            try:
                found.append(str(ipaddress.ip_address(item.args[0])))
            except ValueError:
                return []  # a host name: resolving it needs the node
    return found


def check(text: str, path: str) -> list[Finding]:
    # Imported here: the tool half uses this module's data and parser.
    from confcheck.checks import corosync_tool

    root, findings = builtin(text, path)
    return _merge.merge(findings,
                        corosync_tool.run_corosync(text, path, root), MERGE)
