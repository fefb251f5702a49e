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
"""MariaDB/Galera option files (*.cnf): names from the real mariadbd.

The option names come from tools/confcheck/data/mariadb-options.json,
captured from ``mariadbd --verbose --help`` by
tools/capture_mariadb_options.py. The parser is hand-written because
configparser loses line numbers, rejects ``!include`` and bare flags and
does not know MariaDB's ``loose-``/``skip-`` prefixes.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import os
import re

from confcheck.checks._lines import meaningful, strip_comment
from confcheck.findings import Code, CodeBook, Finding

KIND = "mysql"
DESCRIPTION = ("MariaDB/Galera option files: names from mariadbd "
               "--verbose --help, Galera lints")

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data",
                    "mariadb-options.json")

# Groups and which captured option list checks them. The server reads the
# groups `mariadbd --help` names (mysqld server mariadb mariadbd
# client-server galera and their -10.11 forms); clients read [client] and
# their own; mysqld_safe passes unknown options on to the server.
SERVER_GROUPS = frozenset({"mysqld", "server", "mariadb", "mariadbd",
                           "galera"})
CLIENT_GROUPS = frozenset({"client", "mysql", "mariadb-client",
                           "client-mariadb"})
SAFE_GROUPS = frozenset({"mysqld_safe", "safe_mysqld", "mariadbd-safe",
                         "mariadb-safe"})
# Groups of other programs: read, but their options are not captured.
OTHER_GROUPS = frozenset({
    "mysqldump", "mariadb-dump", "mysqladmin", "mariadb-admin",
    "mysqlcheck", "mariadb-check", "mariabackup", "mariadb-backup",
    "xtrabackup", "mysqld_multi", "mysqlimport", "mariadb-import",
    "mysqlshow", "mariadb-show", "myisamchk", "mysql_upgrade",
    "mariadb-upgrade", "embedded", "mysqlhotcopy", "mariadb-hotcopy",
    "mysqlbinlog", "mariadb-binlog", "mysql_install_db",
    "mariadb-install-db", "mysqlslap", "mariadb-slap"})
VERSIONED = re.compile(r"^(mysqld|mariadb|mariadbd|server|client|mysql)"
                       r"-(\d+\.\d+)$")

PREFIXES = ("skip_", "enable_", "disable_", "maximum_")
TRUE = frozenset({"on", "1", "true", "yes"})
WILDCARDS = frozenset({"0.0.0.0", "*", "::"})
PROVIDER_DIRS = ("/usr/lib/galera/", "/usr/lib64/galera/")
# No "$" or "{" inside ${...}: a run of "${" must not make every
# match attempt scan to the end of the line.
PLACEHOLDER = re.compile(r"<[A-Za-z_][^<>]*>|\$\{[^${}]*\}")
# Names 10.11 does not know, with the name it uses.
HINTS = {"wsrep_applier_threads":
         "MariaDB 10.11 still calls it wsrep_slave_threads"}
# Old names that 10.11 accepts but that do nothing useful any more.
OLD_NAMES = {
    "wsrep_causal_reads": "deprecated: use wsrep_sync_wait = 1",
    "innodb_locks_unsafe_for_binlog":
        "removed; mariadbd ignores it (it only logs a warning)",
}

CODES = CodeBook(
    Code("MYS001", "error", "Unknown option",
         bad="[mysqld]\ninnodb_buffer_pool_sise = 1G",
         good="[mysqld]\ninnodb_buffer_pool_size = 1G", lexer="ini",
         why="mariadbd refuses an unknown option in a group it reads and does "
             "not start."),
    Code("MYS002", "error", "Option before any [group]",
         bad="port = 3306\n[mysqld]", good="[mysqld]\nport = 3306",
         lexer="ini",
         why="MariaDB refuses an option file with an option before the first "
             "group, and every program that reads the file fails."),
    Code("MYS003", "error", "Malformed line",
         bad="[mysqld\n!inclde /etc/mysql/conf.d/",
         good="[mysqld]\n!includedir /etc/mysql/conf.d/", lexer="ini",
         why="MariaDB refuses an option file with a line it cannot read, and "
             "every program that reads the file fails."),
    Code("MYS004", "warning", "No MariaDB program of this version reads "
         "the group",
         bad="[mysqld-10.4]\nwsrep_on = ON",
         good="[mariadb-10.11]\nwsrep_on = ON", lexer="ini",
         why="A group named after a version is read only by that version, so "
             "its settings silently do not apply."),
    Code("MYS005", "error", "Option needs a value",
         bad="[mysqld]\nmax_connections",
         good="[mysqld]\nmax_connections = 4096", lexer="ini",
         why="mariadbd refuses an option that needs a value when the value is "
             "missing, and does not start."),
    Code("MYS006", "warning", "Abbreviated option name",
         bad="[mysqld]\ninnodb_file_per = 1",
         good="[mysqld]\ninnodb_file_per_table = 1", lexer="ini",
         why="MariaDB accepts an unambiguous prefix of an option name, but a "
             "new option can make the prefix ambiguous and the server then "
             "refuses to start after an upgrade."),
    Code("MYS007", "warning", "Option set twice in one group",
         bad="[mysqld]\nport = 3306\nport = 3307",
         good="[mysqld]\nport = 3306", lexer="ini",
         why="Only the last value takes effect, so the other line misleads "
             "whoever edits the file."),
    Code("MYS008", "warning", "Unknown loose- option (silently ignored)",
         bad="[mysqld]\nloose-innodb_buffer_pool_sise = 1G",
         good="[mysqld]\ninnodb_buffer_pool_size = 1G", lexer="ini",
         why="mariadbd skips an unknown loose- option with a warning only, so "
             "the setting silently has no effect."),
    Code("MYS009", "warning", "Option of a plugin the file does not load",
         bad="[server]\nprovider_lz4 = force_plus_permanent",
         good="[server]\nplugin_load_add = provider_lz4\n"
              "provider_lz4 = force_plus_permanent", lexer="ini",
         why="A plugin's options exist only once the plugin is loaded; "
             "without it mariadbd refuses the option, or ignores it with "
             "loose-."),
    Code("MYS101", "error", "Galera needs binlog_format = ROW",
         bad="[galera]\nwsrep_on = ON\nbinlog_format = MIXED",
         good="[galera]\nwsrep_on = ON\nbinlog_format = ROW", lexer="ini",
         why="Galera replicates row-based write sets; MariaDB's Galera "
             "documentation requires binlog_format ROW, and other formats can "
             "make the nodes diverge."),
    Code("MYS102", "error", "Galera needs innodb_autoinc_lock_mode = 2",
         bad="[galera]\nwsrep_on = ON\ninnodb_autoinc_lock_mode = 1",
         good="[galera]\nwsrep_on = ON\ninnodb_autoinc_lock_mode = 2",
         lexer="ini",
         why="Galera requires innodb_autoinc_lock_mode 2 (MariaDB's Galera "
             "documentation): the other modes take a table lock that "
             "replicated inserts can deadlock on."),
    Code("MYS103", "error", "Galera replicates InnoDB tables only",
         bad="[galera]\nwsrep_on = ON\ndefault_storage_engine = MyISAM",
         good="[galera]\nwsrep_on = ON\ndefault_storage_engine = InnoDB",
         lexer="ini",
         why="Galera replicates InnoDB tables only: rows written to another "
             "engine stay on the node that wrote them, and the nodes "
             "diverge."),
    Code("MYS104", "error", "Galera settings incomplete",
         bad="[galera]\nwsrep_on = ON\nwsrep_cluster_name = openstack",
         good="[galera]\nwsrep_on = ON\n"
              "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
              "wsrep_cluster_address = "
              "gcomm://10.0.0.12,10.0.0.13,10.0.0.14", lexer="ini",
         why="With part of the wsrep settings missing the node starts as a "
             "standalone server or fails, instead of joining the cluster."),
    Code("MYS105", "error", "wsrep_provider outside the galera directory",
         bad="[galera]\nwsrep_provider = /usr/lib/libgalera_smm.so",
         good="[galera]\nwsrep_provider = /usr/lib/galera/libgalera_smm.so",
         lexer="ini",
         why="Debian installs the provider under /usr/lib/galera/; a path "
             "with no library makes the node fail to start replication, so it "
             "does not join the cluster."),
    Code("MYS106", "warning", "Server listens on every address",
         bad="[mysqld]\nbind-address = 0.0.0.0",
         good="[mysqld]\nbind-address = 10.0.0.12", lexer="ini",
         why="The database then accepts connections on every network of the "
             "node, not only the management network HAProxy uses."),
    Code("MYS107", "warning", "rsync SST blocks the donor",
         bad="[galera]\nwsrep_sst_method = rsync",
         good="[galera]\nwsrep_sst_method = mariabackup", lexer="ini",
         why="An rsync state transfer keeps the donor node read-only for the "
             "whole copy; mariabackup blocks it only briefly."),
    Code("MYS108", "warning", "Old option name that no longer works",
         bad="[galera]\nwsrep_causal_reads = ON",
         good="[galera]\nwsrep_sync_wait = 1", lexer="ini",
         why="Current MariaDB refuses or ignores the old name, so the setting "
             "no longer applies; the message names what replaced it."),
    Code("MYS109", "warning", "Query cache settings on a Galera node",
         bad="[galera]\nwsrep_on = ON\nquery_cache_size = 64M\n"
             "query_cache_type = 1",
         good="[galera]\nwsrep_on = ON\nquery_cache_type = OFF",
         lexer="ini",
         why="The query cache takes a global lock on every write, MariaDB "
             "turns it off by default, and Galera long did not support it: on "
             "a cluster node it only adds contention."),
    Code("MYS110", "error", "Unexpanded placeholder",
         bad="[galera]\nwsrep_node_address = <node_ip>",
         good="[galera]\nwsrep_node_address = 10.0.0.12", lexer="ini",
         why="The server reads the placeholder literally, so it cannot bind "
             "or reach its peers."),
    Code("MYS111", "warning", "Empty gcomm:// cluster address",
         bad="[galera]\nwsrep_cluster_address = gcomm://",
         good="[galera]\nwsrep_cluster_address = "
              "gcomm://10.0.0.12,10.0.0.13,10.0.0.14", lexer="ini",
         why="An empty gcomm:// starts a new cluster: a node restarted with "
             "it bootstraps a second cluster instead of joining, and the data "
             "splits."),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    group: str
    name: str      # normalised: lower case, '_' for '-'
    raw: str       # as written
    value: str | None
    line: int


@functools.cache
def options() -> dict:
    with open(DATA, encoding="utf-8") as fh:
        return json.load(fh)


def normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def check(text: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    settings = _parse(text, path, findings)
    loaded = _loaded_plugins(settings)
    seen: dict[tuple[str, str], int] = {}
    for s in settings:
        findings.extend(_check_name(s, path, loaded))
        key = (s.group, s.name)
        if key in seen:
            findings.append(CODES.finding(
                path, s.line, "MYS007", f"{s.raw} is already set in "
                f"[{s.group}] on line {seen[key]}; the last one wins"))
        seen[key] = s.line
        if s.value is not None and PLACEHOLDER.search(s.value):
            findings.append(CODES.finding(
                path, s.line, "MYS110", f"{s.raw} = {s.value}: "
                "unexpanded placeholder; mariadbd would take it literally"))
    findings.extend(_galera(path, [s for s in settings
                                   if _readers(s.group) == "server"]))
    return findings


def _parse(text: str, path: str, findings: list[Finding]) -> list[Setting]:
    settings = []
    group = None
    for number, line in meaningful(text, "#;"):
        if line.startswith("["):
            match = re.fullmatch(r"\[\s*([^\]\s]+)\s*\]\s*(?:[#;].*)?", line)
            if not match:
                findings.append(CODES.finding(
                    path, number, "MYS003", f"malformed group header "
                    f"{line!r}; write [name]"))
                continue
            group = match.group(1).lower()
            problem = _group_problem(group)
            if problem:
                findings.append(CODES.finding(path, number, "MYS004",
                                              problem))
            continue
        if line.startswith("!"):
            directive, _, target = line.partition(" ")
            if directive not in ("!include", "!includedir") or not (
                    target.strip()):
                findings.append(CODES.finding(
                    path, number, "MYS003", f"{line!r}: only '!include "
                    "FILE' and '!includedir DIR' are directives"))
            continue
        name, eq, value = line.partition("=")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name.strip()):
            findings.append(CODES.finding(
                path, number, "MYS003", f"{line!r} is not 'name' or "
                "'name = value'"))
            continue
        if group is None:
            findings.append(CODES.finding(
                path, number, "MYS002", f"{name.strip()} comes before any "
                "[group]; MariaDB ignores the file from here"))
            continue
        settings.append(Setting(group, normalise(name), name.strip(),
                                _value(value) if eq else None, number))
    return settings


def _value(value: str) -> str:
    """The value without quotes or a trailing comment."""
    value = value.strip()
    if value[:1] in ("'", '"') and value[0] in value[1:]:
        return value[1:value.index(value[0], 1)]
    return strip_comment(value).strip()


def _readers(group: str) -> str | None:
    """Which captured list checks a group ("server", "client", ...)."""
    match = VERSIONED.match(group)
    if match and match.group(2) == options()["series"]:
        group = match.group(1)
    if group in SERVER_GROUPS:
        return "server"
    if group in CLIENT_GROUPS:
        return "client"
    if group == "client-server":
        return "client-server"
    if group in SAFE_GROUPS:
        return "mysqld_safe"
    if group == "sst":
        return "sst"
    return None


def _group_problem(group: str) -> str | None:
    if _readers(group) or group in OTHER_GROUPS:
        return None
    series = options()["series"]
    match = VERSIONED.match(group)
    if match:
        return (f"[{group}] is read only by MariaDB {match.group(2)}; "
                f"{series} ignores it")
    return (f"no MariaDB {series} program reads [{group}] (server groups: "
            f"{', '.join(sorted(SERVER_GROUPS))}, [mariadb-{series}])")


def _known(readers: str) -> dict[str, str]:
    data = options()
    if readers == "client-server":
        return {n: k for n, k in data["server"].items()
                if n in data["client"]}
    if readers == "mysqld_safe":
        return {**data["server"], **dict.fromkeys(data["mysqld_safe"], "o")}
    if readers == "sst":
        return dict.fromkeys(data["sst"], "o")
    return data[readers]


def _loaded_plugins(settings: list[Setting]) -> set[str]:
    """Plugin libraries the file loads (plugin_load[_add] = [name=]lib)."""
    loaded = set()
    for s in settings:
        if s.name.removeprefix("loose_") in ("plugin_load",
                                             "plugin_load_add"):
            for item in re.split(r"[;,]", s.value or ""):
                library = item.rpartition("=")[2].strip()
                loaded.add(library.removesuffix(".so"))
    return loaded


def _plugin_of(name: str) -> str | None:
    """The plugin library whose loading adds option name, if any."""
    return next((lib for lib, names in options()["plugins"].items()
                 if name in names), None)


def _check_name(s: Setting, path: str, loaded: set[str]) -> list[Finding]:
    readers = _readers(s.group)
    if readers is None:
        return []
    known = _known(readers)
    name, loose = s.name, s.name.startswith("loose_")
    if loose:
        name = name.removeprefix("loose_")
    base = name if name in known else next(
        (name[len(p):] for p in PREFIXES
         if name.startswith(p) and name[len(p):] in known), None)
    found = []
    if base is None and name in OLD_NAMES:
        base = name  # hidden from --help, still accepted by mariadbd
    if base is None and readers != "client" and \
            name in options().get("removed", ()):
        # mariadbd itself only warns: "'x' was removed. It does nothing
        # now and exists only for compatibility with old my.cnf files."
        return [CODES.finding(
            path, s.line, "MYS108", f"{s.raw}: mariadbd "
            f"{options()['series']} says it was removed and does nothing "
            f"now (it starts with a warning); delete the line")]
    plugin = _plugin_of(base or name) if readers != "client" else None
    if plugin:
        if loose or plugin in loaded:
            return []
        return [CODES.finding(
            path, s.line, "MYS009", f"{s.raw} belongs to the plugin "
            f"{plugin}, which this file does not load; mariadbd refuses "
            f"to start unless another file has plugin_load_add = "
            f"{plugin} (or write loose-{s.raw})")]
    if base is None:
        matches = [k for k in known if k.startswith(name)]
        if len(matches) == 1 and not loose:
            return [CODES.finding(
                path, s.line, "MYS006", f"{s.raw} abbreviates "
                f"{matches[0]}; mariadbd accepts unique prefixes but "
                "calls them error-prone: write the full name")]
        code = "MYS008" if loose else "MYS001"
        return [CODES.finding(path, s.line, code,
                              _unknown(s, name, known, readers))]
    if base == name and s.value is None and known.get(base) == "r":
        found.append(CODES.finding(
            path, s.line, "MYS005", f"{s.raw} needs a value "
            f"({s.raw} = ...); mariadbd refuses to start without one"))
    if base in OLD_NAMES:
        found.append(CODES.finding(path, s.line, "MYS108",
                                   f"{s.raw}: {OLD_NAMES[base]}"))
    return found


def _unknown(s: Setting, name: str, known: dict[str, str],
             readers: str) -> str:
    series = options()["series"]
    who = {"server": "mariadbd", "client": "the mariadb client",
           "client-server": "both mariadbd and the client",
           "mysqld_safe": "mysqld_safe or mariadbd",
           "sst": "the SST scripts"}[readers]
    message = f"{s.raw}: unknown to {who} {series} in [{s.group}]"
    if name in HINTS:
        return f"{message}; {HINTS[name]}"
    close = difflib.get_close_matches(name, known, 1, 0.8)
    if close:
        message += f"; did you mean {close[0]}?"
    if s.name.startswith("loose_"):
        message += " (loose- makes mariadbd skip it silently)"
    return message


def _galera(path: str, server: list[Setting]) -> list[Finding]:
    """Galera's required settings, judged over all server groups."""
    last = {s.name.removeprefix("loose_"): s for s in server}
    wsrep_on = last.get("wsrep_on")
    enabled = wsrep_on is not None and (wsrep_on.value is None or (
        wsrep_on.value.lower() in TRUE))
    in_galera = [s for s in server
                 if s.group == "galera" and s.name.startswith("wsrep_")]
    findings = []

    def add(setting: Setting | None, code: str, message: str) -> None:
        line = setting.line if setting else (
            wsrep_on.line if wsrep_on else in_galera[0].line)
        findings.append(CODES.finding(path, line, code, message))

    for s in server:
        value = (s.value or "").lower()
        if s.name == "bind_address" and value in WILDCARDS:
            add(s, "MYS106", f"bind-address = {s.value} also takes the "
                "VIP's port 3306 on this node, so HAProxy cannot bind it; "
                "use the node's own address")
        if s.name == "wsrep_sst_method" and value == "rsync":
            add(s, "MYS107", "rsync SST locks the donor for the whole "
                "copy; use mariabackup (package mariadb-backup)")
        if s.name == "wsrep_provider" and value != "none" and not (
                s.value or "").startswith(PROVIDER_DIRS):
            add(s, "MYS105", f"{s.value}: galera-4 installs "
                "libgalera_smm.so under /usr/lib/galera/ (Debian, "
                "Ubuntu) or /usr/lib64/galera/ (RPM)")
        if s.name == "wsrep_cluster_address" and value.rstrip(
                "/") == "gcomm:":
            add(s, "MYS111", "an empty gcomm:// starts a new cluster on "
                "every restart; list every node and bootstrap once with "
                "galera_new_cluster")
    if not (enabled or in_galera):
        return findings
    if not enabled:
        add(wsrep_on, "MYS104", "wsrep_* settings without wsrep_on = ON: "
            "MariaDB 10.4 and later do not replicate")
    for name in ("wsrep_provider", "wsrep_cluster_address"):
        if name not in last:
            add(None, "MYS104", f"Galera is on but {name} is not set")
    for name, want, code in (("binlog_format", "row", "MYS101"),
                             ("innodb_autoinc_lock_mode", "2", "MYS102")):
        have = last.get(name)
        if have is None or (have.value or "").lower() != want:
            add(have, code, f"Galera needs {name} = {want.upper()}"
                + (f", not {have.value}" if have else " (not set)"))
    engine = last.get("default_storage_engine")
    if engine and (engine.value or "").lower() != "innodb":
        add(engine, "MYS103", f"default_storage_engine = {engine.value}: "
            "Galera replicates InnoDB tables only")
    for s in server:
        if s.name in ("query_cache_size", "query_cache_type") and (
                (s.value or "").lower() not in ("0", "off")):
            add(s, "MYS109", f"{s.raw} = {s.value}: the query cache is "
                "off by default and every replicated write invalidates "
                "it; drop the old query_cache_* tuning")
    return findings
