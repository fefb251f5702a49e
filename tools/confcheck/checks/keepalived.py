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
"""keepalived.conf: ``keepalived -t`` in a throwaway namespace, plus lints.

The built-in check parses the brace blocks itself (see _braces) because
keepalived-config, the only Python parser, accepts unknown keywords and
stray braces. keepalived -t is the source of truth for syntax when it can
run (root and ip(8): it needs the configured interfaces to exist); the
keyword tables stand in otherwise. Lints it cannot know always run. This
module reads the file (builtin(): pure); keepalived_tool runs the tool.
"""

from __future__ import annotations

import re

from confcheck import net
from confcheck.checks import _braces, _merge
from confcheck.findings import Code, CodeBook, Finding

KIND = "keepalived"
DESCRIPTION = ("keepalived VRRP configuration: keepalived -t in a throwaway "
               "namespace, structure and VRRP lints")

# Blocks whose items are values (addresses, names), not keywords.
LISTS = frozenset({
    "virtual_ipaddress", "virtual_ipaddress_excluded", "unicast_peer",
    "track_script", "track_interface", "track_file", "track_process",
    "track_bfd", "virtual_routes", "virtual_rules", "group",
    "static_ipaddress", "static_routes", "static_rules",
    "notification_email"})
# Blocks left to keepalived -t (load balancing is outside the guide).
OPAQUE = frozenset({"virtual_server", "virtual_server_group",
                    "vrrp_track_process", "track_process", "bfd_instance",
                    "garp_group", "vrrp_track_file", "net_namespace"})
KEYWORDS = {
    "": {"global_defs", "vrrp_script", "vrrp_instance", "vrrp_sync_group",
         "virtual_server", "virtual_server_group", "static_ipaddress",
         "static_routes", "static_rules", "include", "vrrp_track_file",
         "track_file", "vrrp_track_process", "track_process",
         "bfd_instance", "garp_group", "net_namespace",
         "linkbeat_use_polling", "instance", "use_pid_dir"},
    "global_defs": {
        "router_id", "enable_script_security", "script_user",
        "notification_email", "notification_email_from", "smtp_server",
        "smtp_connect_timeout", "smtp_helo_name", "smtp_alert",
        "max_auto_priority", "default_interface", "dynamic_interfaces",
        "process_names", "process_name", "umask", "startup_script",
        "startup_script_timeout", "shutdown_script",
        "shutdown_script_timeout", "no_email_faults", "enable_traps",
        "enable_dbus", "child_wait_time", "script_timeout",
        "random_seed", "reload_check_config", "reload_time_file",
        "instance", "use_pid_dir", "linkbeat_use_polling"},
    "vrrp_script": {"script", "interval", "timeout", "weight", "rise",
                    "fall", "user", "init_fail"},
    "vrrp_instance": {
        "state", "interface", "virtual_router_id", "priority",
        "advert_int", "nopreempt", "preempt", "preempt_delay",
        "virtual_ipaddress", "virtual_ipaddress_excluded",
        "virtual_routes", "virtual_rules", "unicast_src_ip",
        "unicast_peer", "unicast_fault_no_peer", "unicast_ttl",
        "authentication", "track_script", "track_interface", "track_file",
        "track_process", "track_bfd", "track_src_ip", "notify_master",
        "notify_backup", "notify_fault", "notify_stop", "notify",
        "notify_deleted", "notify_master_rx_lower_pri", "smtp_alert",
        "dont_track_primary", "use_vmac", "vmac_xmit_base", "native_ipv6",
        "accept", "no_accept", "garp_master_delay", "garp_master_repeat",
        "garp_master_refresh", "garp_master_refresh_repeat",
        "garp_lower_prio_delay", "garp_lower_prio_repeat",
        "lower_prio_no_advert", "higher_prio_send_advert", "debug",
        "mcast_src_ip", "version", "strict_mode", "skip_check_adv_addr",
        "check_unicast_src", "kernel_rx_buf_size", "linkbeat_use_polling",
        "lvs_sync_daemon_interface", "old_unicast_checksum",
        "down_timer_adverts", "garp_extra_if"},
    "authentication": {"auth_type", "auth_pass"},
    "vrrp_sync_group": {"group", "notify_master", "notify_backup",
                        "notify_fault", "notify_stop", "notify",
                        "smtp_alert", "track_script", "track_interface",
                        "track_file", "track_process", "track_bfd",
                        "global_tracking", "sync_group_tracking_weight"},
}
# global_defs keyword families accepted by prefix.
GLOBAL_PREFIXES = ("vrrp_", "lvs_", "smtp_", "snmp_", "enable_snmp",
                   "notify_fifo", "nftables", "checker_", "bfd_",
                   "notification_")
SCRIPT_KEYS = frozenset({"notify_master", "notify_backup", "notify_fault",
                         "notify_stop", "notify", "notify_deleted",
                         "notify_master_rx_lower_pri"})
STATES = ("MASTER", "BACKUP")
# advert_int above this slows failover past what the guide promises.
ADVERT_SLOW = 5.0
# keepalived refuses advert_int above this (seconds).
MAX_ADVERT = 255
IFNAME = re.compile(r"[A-Za-z0-9_.:@-]{1,15}\Z")
_TOKEN = re.compile(r'"[^"]*"?|[{}]|[^\s{}"]+')

_INSTANCE = ("vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n"
             "  virtual_router_id 51\n  priority 100\n")
_VIPS = "  virtual_ipaddress {\n    10.0.0.11\n  }\n}\n"

CODES = CodeBook(
    Code("KAL001", "error", "keepalived -t rejects the configuration",
         bad=_INSTANCE + "  preempt_delay 2000\n" + _VIPS,
         good=_INSTANCE + "  preempt_delay 30\n" + _VIPS,
         why="keepalived logs what it cannot read and runs without it, so "
             "part of the failover set-up silently is not there."),
    Code("KAL002", "warning", "keepalived -t warns about the configuration",
         bad=_INSTANCE.replace("BACKUP", "MASTER") + "  nopreempt\n"
             + _VIPS, good=_INSTANCE + "  nopreempt\n" + _VIPS,
         why="keepalived runs, but not as the line says."),
    Code("KAL003", "warning", "keepalived -t could not be run to a result",
         bad="include /etc/keepalived/missing.conf\n",
         good="global_defs {\n  router_id controller1\n}\n",
         why="Only the built-in checks ran; keepalived's own parser may still "
             "reject the file on the node."),
    Code("KAL090", "warning",
         "include not followed: the included file is not checked",
         bad="include /etc/keepalived/conf.d/*.conf\n" + _INSTANCE + _VIPS,
         good=_INSTANCE + _VIPS,
         why="keepalived -t runs as root and echoes lines of an included "
             "file, so following includes could show any file of the "
             "machine; check the included files on their own."),
    Code("KAL010", "error", "Unbalanced braces",
         bad="global_defs {\n  router_id controller1\n}}\n",
         good="global_defs {\n  router_id controller1\n}\n",
         why="keepalived reads blocks by their braces; one too many or too "
             "few moves every following keyword into another block."),
    Code("KAL011", "error", "Unknown keyword in this block",
         bad=_INSTANCE + "  advert_intt 1\n" + _VIPS,
         good=_INSTANCE + "  advert_int 1\n" + _VIPS,
         why="keepalived skips a keyword it does not know in a block, so a "
             "misspelt setting keeps its default."),
    Code("KAL012", "error", "virtual_router_id outside 1-255",
         bad=_INSTANCE.replace("51", "300") + _VIPS,
         good=_INSTANCE + _VIPS,
         why="VRRP router ids are 1 to 255 (RFC 5798); keepalived does not "
             "run an instance with another."),
    Code("KAL013", "error", "priority outside 1-255",
         bad=_INSTANCE.replace("100", "0") + _VIPS,
         good=_INSTANCE + _VIPS,
         why="keepalived accepts priorities 1 to 255 only (RFC 5798) and does "
             "not run the instance otherwise."),
    Code("KAL014", "warning", "priority 255 on a floating address",
         bad=_INSTANCE.replace("100", "255") + _VIPS,
         good=_INSTANCE.replace("100", "101") + _VIPS,
         why="RFC 5798 reserves priority 255 for the router that owns the "
             "address: such a node takes the VIP back at once when it "
             "returns, moving it a second time."),
    Code("KAL015", "error", "vrrp_instance without interface or router id",
         bad="vrrp_instance VI_1 {\n  priority 100\n" + _VIPS,
         good=_INSTANCE + _VIPS,
         why="keepalived cannot run a VRRP instance without an interface and "
             "a router id, so the instance's VIP never comes up."),
    Code("KAL016", "error", "state MASTER together with nopreempt",
         bad=_INSTANCE.replace("BACKUP", "MASTER") + "  nopreempt\n"
         + _VIPS,
         good=_INSTANCE + "  nopreempt\n" + _VIPS,
         why="nopreempt works only when the instance starts as BACKUP "
             "(keepalived's manual); with state MASTER the node takes the VIP "
             "back when it returns."),
    Code("KAL017", "error", "Scripts without enable_script_security",
         bad=_INSTANCE + "  notify_master /etc/keepalived/master.sh\n"
             + _VIPS,
         good="global_defs {\n  enable_script_security\n  script_user root"
              "\n}\n" + _INSTANCE
              + "  notify_master /etc/keepalived/master.sh\n" + _VIPS,
         why="Without enable_script_security keepalived runs, as root, "
             "scripts that other users may be able to change; with it, it "
             "refuses such scripts."),
    Code("KAL018", "warning", "Scripts without script_user",
         bad="global_defs {\n  enable_script_security\n}\n" + _INSTANCE
             + "  notify_master /etc/keepalived/master.sh\n" + _VIPS,
         good="global_defs {\n  enable_script_security\n  script_user root"
              "\n}\n" + _INSTANCE
              + "  notify_master /etc/keepalived/master.sh\n" + _VIPS,
         why="Without script_user keepalived runs the scripts as the "
             "keepalived_script user or, when that user does not exist, as "
             "root."),
    Code("KAL019", "error", "track_script names no vrrp_script",
         bad=_INSTANCE + "  track_script {\n    chk_haproxy\n  }\n" + _VIPS,
         good="global_defs {\n  enable_script_security\n  script_user root"
              "\n}\nvrrp_script chk_haproxy {\n  script \"/usr/bin/killall "
              "-0 haproxy\"\n}\n" + _INSTANCE
              + "  track_script {\n    chk_haproxy\n  }\n" + _VIPS,
         why="keepalived ignores a track_script whose vrrp_script does not "
             "exist, so the health check it names never moves the VIP."),
    Code("KAL020", "warning", "advert_int out of the sane range",
         bad=_INSTANCE + "  advert_int 0.5\n" + _VIPS,
         good=_INSTANCE + "  advert_int 1\n" + _VIPS,
         why="A backup takes over after about three advert intervals: too "
             "short an interval makes a loaded node lose the VIP for nothing, "
             "too long a one lengthens every failover."),
    Code("KAL021", "error", "vrrp_version other than 2 or 3",
         bad="global_defs {\n  vrrp_version 4\n}\n",
         good="global_defs {\n  vrrp_version 2\n}\n",
         why="keepalived knows VRRP versions 2 and 3 only and refuses "
             "another."),
    Code("KAL022", "error", "Two instances share a router id on one link",
         bad=_INSTANCE + _VIPS + _INSTANCE.replace("VI_1", "VI_2") + _VIPS,
         good=_INSTANCE + _VIPS + _INSTANCE.replace("VI_1", "VI_2")
         .replace("51", "52") + _VIPS,
         why="Two VRRP instances with one router id on one link share a "
             "virtual MAC address and read each other's adverts, so their "
             "VIPs flap."),
    Code("KAL023", "error", "Bad value (state, address, number)",
         bad=_INSTANCE.replace("BACKUP", "SLAVE") + _VIPS,
         good=_INSTANCE + _VIPS,
         why="keepalived refuses or skips the value, so the instance runs "
             "with a default or not at all."),
    Code("KAL024", "error", "vrrp_instance without virtual_ipaddress",
         bad=_INSTANCE + "}\n", good=_INSTANCE + _VIPS,
         why="An instance without virtual_ipaddress elects a master but moves "
             "no address, so clients have nothing to fail over to."),
)
# Codes that stand in for keepalived -t when it cannot run.
STRUCTURAL = frozenset({"KAL010", "KAL011", "KAL012", "KAL013", "KAL015",
                        "KAL016", "KAL017", "KAL018", "KAL019", "KAL021",
                        "KAL023"})
# KAL003 (at any line): keepalived -t did not run to a result.
MERGE = _merge.Policy(STRUCTURAL, unavailable="KAL003")


def _events(text: str):
    """Brace events from keepalived's word syntax ('#' and '!' comment)."""
    for number, raw in enumerate(text.splitlines(), 1):
        words = []
        for tok in _TOKEN.findall(raw):
            if tok[0] in "#!":
                break
            words.append(tok)
        current: list[str] = []
        for tok in words + [None]:
            if tok in ("{", "}", None):
                if current and tok == "{":
                    yield _braces.OPEN, number, current[0], current[1:]
                elif current:
                    yield _braces.ITEM, number, current[0], current[1:]
                elif tok == "{":
                    yield _braces.OPEN, number, "", []
                if tok == "}":
                    yield _braces.CLOSE, number, "", []
                current = []
            else:
                current.append(tok)


def _unquote(word: str) -> str:
    return word.strip('"')


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _byte(node: _braces.Node) -> int | None:
    """The node's value if it is a whole number from 1 to 255."""
    value = _number(node.args[0]) if len(node.args) == 1 else None
    if value is None or value != int(value) or not 1 <= value <= 255:
        return None
    return int(value)


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.out: list[Finding] = []

    def add(self, line: int, code: str, message: str) -> None:
        self.out.append(CODES.finding(self.path, line, code, message))

    def keywords(self, node: _braces.Node, block: str) -> None:
        for child in node.items():
            if block in LISTS or block in OPAQUE:
                continue
            allowed = KEYWORDS.get(block)
            if allowed is not None and child.name not in allowed and not (
                    block == "global_defs"
                    and child.name.startswith(GLOBAL_PREFIXES)):
                where = f"in {block}" if block else "at the top level"
                self.add(child.line, "KAL011",
                         f"unknown keyword '{child.name}' {where}")
            if child.children is not None:
                self.keywords(child, child.name)

    def instance(self, node: _braces.Node) -> None:
        name = node.args[0] if node.args else "?"
        for key in ("interface", "virtual_router_id"):
            if node.first(key) is None:
                self.add(node.line, "KAL015",
                         f"vrrp_instance {name} has no '{key}'")
        vips = node.first("virtual_ipaddress")
        if vips is None or not vips.items():
            self.add(node.line, "KAL024",
                     f"vrrp_instance {name} has no virtual_ipaddress: "
                     f"there is nothing to fail over")
        vrid = node.first("virtual_router_id")
        if vrid is not None and _byte(vrid) is None:
            self.add(vrid.line, "KAL012",
                     f"virtual_router_id {' '.join(vrid.args)!r} must be "
                     f"a whole number from 1 to 255")
        prio = node.first("priority")
        if prio is not None:
            value = _byte(prio)
            if value is None:
                self.add(prio.line, "KAL013",
                         f"priority {' '.join(prio.args)!r} must be a whole "
                         f"number from 1 to 255")
            elif value == 255:
                self.add(prio.line, "KAL014",
                         "priority 255 is reserved for the router that owns "
                         "the address; a floating VIP wants 1-254")
        state = node.first("state")
        if state is not None and (not state.args
                                  or state.args[0] not in STATES):
            self.add(state.line, "KAL023",
                     f"state must be MASTER or BACKUP, not "
                     f"{' '.join(state.args)!r}")
        nopreempt = node.first("nopreempt")
        if nopreempt is not None and state is not None and \
                state.args[:1] == ["MASTER"]:
            self.add(nopreempt.line, "KAL016",
                     f"nopreempt needs 'state BACKUP' (line {state.line} "
                     f"says MASTER; keepalived clears nopreempt)")
        advert = node.first("advert_int")
        if advert is not None:
            self.advert(advert)
        for block in ("virtual_ipaddress", "unicast_peer"):
            for item in (node.first(block) or _braces.Node("", [], 0)
                         ).items():
                self.address(item, block)
        src = node.first("unicast_src_ip")
        if src is not None:
            self.address(_braces.Node(" ".join(src.args), [], src.line),
                         "unicast_src_ip")

    def advert(self, advert: _braces.Node) -> None:
        value = _number(advert.args[0]) if advert.args else None
        if value is None or not 0 < value <= MAX_ADVERT:
            self.add(advert.line, "KAL023",
                     f"advert_int {' '.join(advert.args)!r} is not a "
                     f"number of seconds from 0.01 to {MAX_ADVERT}")
        elif value < 1 or value > ADVERT_SLOW:
            self.add(advert.line, "KAL020",
                     f"advert_int {advert.args[0]}: below 1 s needs VRRP "
                     f"version 3 and loads the link; above {ADVERT_SLOW:g} s "
                     f"delays failover (3 x advert_int)")

    def address(self, item: _braces.Node, block: str) -> None:
        if not net.is_ip(item.name.split("/")[0]):
            self.add(item.line, "KAL023",
                     f"{block}: {item.name!r} is not an IP address")

    def scripts(self, root: _braces.Node) -> None:
        # keepalived resolves track_script while reading, so a script
        # defined below its first use is "not found".
        defined = {n.args[0]: n.line for n in root.items("vrrp_script")
                   if n.args}
        users = [n for n in _braces.walk(root)
                 if n.name == "vrrp_script" or n.name in SCRIPT_KEYS]
        glob = [n for n in root.items("global_defs")]
        keys = {c.name for g in glob for c in g.items()}
        if users and "enable_script_security" not in keys:
            self.add(users[0].line, "KAL017",
                     "scripts are configured but global_defs lacks "
                     "enable_script_security; keepalived -t fails with "
                     "a SECURITY VIOLATION")
        elif users and "script_user" not in keys:
            self.add(glob[0].line, "KAL018",
                     "scripts run as 'keepalived_script', which usually "
                     "does not exist; set script_user (e.g. root)")
        for node in _braces.walk(root):
            if node.name == "track_script":
                for item in node.items():
                    if item.name not in defined:
                        self.add(item.line, "KAL019",
                                 f"track_script {item.name!r}: no "
                                 f"vrrp_script of that name")
                    elif defined[item.name] > item.line:
                        self.add(item.line, "KAL019",
                                 f"track_script {item.name!r}: vrrp_script "
                                 f"is defined later (line "
                                 f"{defined[item.name]}); keepalived only "
                                 f"finds scripts defined above their use")
            # vrrp_version in global_defs, version in an instance.
            if node.name == "vrrp_version" or (
                    node.name == "version" and node.children is None):
                if node.args[:1] not in (["2"], ["3"]):
                    self.add(node.line, "KAL021",
                             f"vrrp_version {' '.join(node.args)!r}: "
                             f"use 2 or 3")

    def shared_vrids(self, root: _braces.Node) -> None:
        seen: dict[tuple[str, str], int] = {}
        for node in root.items("vrrp_instance"):
            iface, vrid = node.first("interface"), node.first(
                "virtual_router_id")
            if iface is None or vrid is None or not iface.args \
                    or not vrid.args:
                continue
            key = (iface.args[0], vrid.args[0])
            if key in seen:
                self.add(vrid.line, "KAL022",
                         f"virtual_router_id {key[1]} on {key[0]} is also "
                         f"used at line {seen[key]}; each VRRP router on a "
                         f"link needs its own id")
            seen.setdefault(key, vrid.line)


def parse(text: str) -> tuple[_braces.Node, list[_braces.BraceError]]:
    """The block tree of keepalived.conf and its brace errors."""
    return _braces.build(_events(text))


def builtin(text: str, path: str) -> tuple[_braces.Node, list[Finding]]:
    root, errors = parse(text)
    checker = _Checker(path)
    for err in errors:
        checker.add(err.line, "KAL010", err.message)
    checker.keywords(root, "")
    for node in root.items("vrrp_instance"):
        checker.instance(node)
    checker.scripts(root)
    checker.shared_vrids(root)
    for node in _braces.walk(root):
        if node.name == "include":
            checker.add(node.line, "KAL090", _INCLUDE_NOT_FOLLOWED)
    return root, checker.out


def interfaces(root: _braces.Node) -> list[str]:
    """Interface names the configuration refers to, in file order."""
    names: list[str] = []
    for node in _braces.walk(root):
        found = []
        if node.name in ("interface", "lvs_sync_daemon_interface",
                         "default_interface") and node.args:
            found.append(node.args[0])
        if "dev" in node.args[:-1]:
            found.append(node.args[node.args.index("dev") + 1])
        parent_items = node.items() if node.name == "track_interface" else ()
        found.extend(i.name for i in parent_items)
        names.extend(n for n in found
                     if IFNAME.match(n) and n != "lo" and n not in names)
    return names


# keepalived -t runs as root (as another user it judges scripts
# differently) and echoes every line of an included file it does not
# understand, so an include would disclose any file on this machine: the
# copy never includes anything. A keyword made by a parameter ($NAME,
# ~SEQ) could spell include too, so such lines are dropped as well.
INCLUDE = re.compile(r"\binclude\b|^\s*(?:\$\{?\w+\}?(?![\w}]|\s*=)|~)")
_INCLUDE_NOT_FOLLOWED = (
    "include is not followed: the included files live on the node, and "
    "reading them here could show any file of this machine; check them "
    "on their own")


def check(text: str, path: str) -> list[Finding]:
    # Imported here: the tool half uses this module's data and parser.
    from confcheck.checks import keepalived_tool

    root, findings = builtin(text, path)
    return _merge.merge(findings,
                        keepalived_tool.run_keepalived(text, path, root),
                        MERGE)
