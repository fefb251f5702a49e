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
"""OpenStack service files checked against the real services' option data.

Parsing uses oslo.config's own ``iniparser.BaseParser`` (the parser the
services use), so what it accepts is exactly what a service accepts; the
subclass only records line numbers and turns its errors into findings.
Options come from ``oslo-config-generator`` output committed under
``data/oslo`` (see tools/genoptdata.py); values are checked with
``oslo_config.types``.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import typing

from oslo_config import iniparser

from confcheck.checks import oslo_data
from confcheck.findings import Code, CodeBook, Finding

KIND = "oslo"
DESCRIPTION = ("OpenStack service files (nova.conf, l3_agent.ini, ...) "
               "against oslo-config-generator data of the real services")

CODES = CodeBook(
    Code("OSL001", "error", "line oslo.config cannot parse",
         "[DEFAULT]\ndebug true\n", "[DEFAULT]\ndebug = true\n", "ini",
         why="oslo.config refuses a file it cannot parse, and the service "
             "does not start."),
    Code("OSL002", "error", "option before any section header",
         "debug = true\n[DEFAULT]\n", "[DEFAULT]\ndebug = true\n", "ini",
         why="oslo.config refuses an option before the first section header, "
             "and the service does not start."),
    Code("OSL003", "error", "section the service does not know",
         "[default]\ndebug = true\n", "[DEFAULT]\ndebug = true\n", "ini",
         why="Nothing reads a section the service does not register, so every "
             "option in it keeps its default (names are case-sensitive: "
             "[default] is not [DEFAULT])."),
    Code("OSL004", "error", "option the section does not have",
         "[DEFAULT]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@"
         "controller/nova\n",
         "[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@"
         "controller/nova\n", "ini",
         why="oslo.config ignores an option the section does not register, so "
             "a misspelt or misplaced option silently keeps its default."),
    Code("OSL005", "error", "option removed from the service",
         "[oslo_messaging_rabbit]\nrabbit_hosts = 10.0.0.12,10.0.0.13\n",
         "[DEFAULT]\ntransport_url = rabbit://openstack:RABBIT_PASS@"
         "10.0.0.12:5672,openstack:RABBIT_PASS@10.0.0.13:5672/\n", "ini",
         why="The service no longer reads the option, so what it set is lost "
             "on upgrade; the message says since when and what replaces it."),
    Code("OSL006", "warning", "deprecated option name",
         "[keystone_authtoken]\nmemcache_servers = 10.0.0.12:11211\n",
         "[keystone_authtoken]\nmemcached_servers = 10.0.0.12:11211\n",
         "ini",
         why="The old name still works but will be removed; until then the "
             "service logs a deprecation warning at every start."),
    Code("OSL007", "warning", "option deprecated for removal",
         "[glance]\napi_servers = http://10.0.0.11:9292\n",
         "[glance]\nvalid_interfaces = internal\n", "ini",
         why="A later release removes the option; replacing it before that "
             "upgrade avoids losing the setting."),
    Code("OSL008", "error", "value the option's type rejects",
         "[DEFAULT]\ndebug = maybe\n", "[DEFAULT]\ndebug = false\n", "ini",
         why="oslo.config raises an error when the option is first read, so "
             "the service fails at start or later, at its first use."),
    Code("OSL009", "error", "option set twice in a section",
         "[DEFAULT]\ndebug = true\ndebug = false\n",
         "[DEFAULT]\ndebug = false\n", "ini",
         why="oslo.config keeps the last value, so the other line misleads "
             "whoever edits the file."),
    Code("OSL010", "warning", "option that no longer has an effect",
         "[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n",
         "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n", "ini",
         why="The service still accepts the option, but it changes nothing, "
             "so the behaviour it promises is not there."),
    Code("OSL011", "error", "class path where an entry-point name is due",
         "[catalog]\ndriver = keystone.catalog.backends.sql.Catalog\n",
         "[catalog]\ndriver = sql\n", "ini",
         why="Current releases load drivers by entry-point name; a class path "
             "is not found, and the service fails where it loads the driver."),
    Code("OSL012", "error", "$ reference to no option",
         "[database]\nconnection = mysql+pymysql://nova:pa$word@"
         "controller/nova\n",
         "[database]\nconnection = mysql+pymysql://nova:pa$$word@"
         "controller/nova\n", "ini",
         why="oslo.config expands $name in values: a $ that names no option "
             "fails when the option is read (a literal $ is written $$)."),
    Code("OSL013", "warning", "unbalanced quote kept in the value",
         "[database]\nconnection = \"mysql+pymysql://nova@controller/nova\n",
         "[database]\nconnection = mysql+pymysql://nova@controller/nova\n",
         "ini",
         why="oslo.config keeps an unbalanced quote as part of the value, so "
             "the password or URL the service uses carries a stray quote."),
    Code("OSL014", "warning", "no option data for this file name",
         "# checked as --kind oslo: my-service.conf\n[DEFAULT]\n",
         "# nova.conf\n[DEFAULT]\ndebug = false\n", "ini",
         why="Without option data for the file name, only its syntax is "
             "checked, not its option names or values."),
    Code("OSL015", "warning", "option only another daemon reads",
         "# neutron.conf\n[DEFAULT]\nagent_mode = dvr_snat\n",
         "# l3_agent.ini\n[DEFAULT]\nagent_mode = dvr_snat\n", "ini",
         why="The daemon the file is meant for ignores the option; it takes "
             "effect only in the daemon the message names, if that daemon "
             "reads this file."),
    Code("OSL016", "warning", "default that changes on the upgrade",
         "# confcheck --upgrade-from 2024.1 --to 2026.2 nova.conf\n"
         "[keystone_authtoken]\nwww_authenticate_uri = "
         "http://10.0.0.11:5000\n",
         "# confcheck --upgrade-from 2024.1 --to 2026.2 nova.conf\n"
         "[keystone_authtoken]\nwww_authenticate_uri = "
         "http://10.0.0.11:5000\nservice_token_roles_required = true\n",
         "ini",
         why="A service that relies on the default behaves differently after "
             "the upgrade, although its file did not change."),
)


class Removed(typing.NamedTuple):
    """A curated fact the generator data cannot tell: an option's history.

    ``files`` and ``sections`` are globs ("*" = any); ``option`` is a glob
    too. ``status`` "removed" applies only when the option is not in the
    current data (a stale entry never flags a live option); "inert" and
    "deprecated" apply always and are warnings.
    """

    option: str
    sections: str
    files: str
    status: str
    release: str
    replacement: str
    source: str


OSLO_MESSAGING_9 = ("oslo.messaging 9.0.0",
                    "oslo.messaging releasenotes/notes/"
                    "removal-deprecated-options-6d4c5db90525c52d.yaml")
TRANSPORT_URL = ("[DEFAULT] transport_url = rabbit://openstack:RABBIT_PASS@"
                 "10.0.0.12:5672,openstack:RABBIT_PASS@10.0.0.13:5672,"
                 "openstack:RABBIT_PASS@10.0.0.14:5672/")
AUTHTOKEN_13 = ("keystonemiddleware 13.0.0",
                "keystonemiddleware releasenotes/notes/"
                "remove-AuthTokenPlugin-cd773e3f1caba9ba.yaml")
KEYSTONE_BIND = ("keystone 10.0.0 (Newton)",
                 "bind in the WSGI server (Apache mod_wsgi or uWSGI)",
                 "keystone releasenotes/notes/"
                 "removed-as-of-newton-721c06b5dcb1b34a.yaml")
GLANCE_REGISTRY = ("glance 21.0.0 (Victoria)",
                   "nothing: glance-registry is gone, glance-api talks to "
                   "the database itself",
                   "glance releasenotes/notes/"
                   "cleanout_registry_data-api-9d91368aed83497e.yaml")

# The rabbit_* lines a transport_url replaces.
RABBIT_PARTS = ("rabbit_hosts", "rabbit_host", "rabbit_port",
                "rabbit_userid", "rabbit_password", "rabbit_virtual_host")
# First match wins, so specific entries come before patterns.
REMOVED: tuple[Removed, ...] = (
    *(Removed(name, "*", "*", "removed", OSLO_MESSAGING_9[0],
              TRANSPORT_URL, OSLO_MESSAGING_9[1])
      for name in ("rabbit_hosts", "rabbit_host", "rabbit_port",
                   "rabbit_userid", "rabbit_password",
                   "rabbit_virtual_host")),
    Removed("rabbit_max_retries", "*", "*", "removed", OSLO_MESSAGING_9[0],
            "nothing: reconnection retries forever, paced by "
            "[oslo_messaging_rabbit] rabbit_retry_interval and "
            "rabbit_retry_backoff", OSLO_MESSAGING_9[1]),
    Removed("rabbit_durable_queues", "*", "*", "removed", OSLO_MESSAGING_9[0],
            "[oslo_messaging_rabbit] amqp_durable_queues (ignored with "
            "rabbit_quorum_queue = true)", OSLO_MESSAGING_9[1]),
    Removed("rabbit_ha_queues", "*", "*", "inert", "RabbitMQ 4.0",
            "[oslo_messaging_rabbit] rabbit_quorum_queue = true, "
            "rabbit_transient_quorum_queue = true, use_queue_manager = true, "
            "rabbit_stream_fanout = true (classic queue mirroring is gone "
            "from RabbitMQ 4.0)",
            "rabbitmq-server release v4.0.1; oslo.messaging "
            "doc/source/admin/rabbit.rst"),
    Removed("heartbeat_in_pthread", "*", "*", "removed",
            "oslo.messaging 18.0.0", "nothing: delete the line",
            "oslo.messaging releasenotes/notes/"
            "remove-heartbeat-in-pthread-option-0ffa11bfc07c58e2.yaml"),
    Removed("rabbit_*", "DEFAULT", "*", "removed", "oslo.messaging 16.0.0",
            "the same option in [oslo_messaging_rabbit] (the [DEFAULT] "
            "aliases are gone)",
            "oslo.messaging releasenotes/notes/"
            "rabbitmq-opts-cleanup-e0f97d4cc0855c5a.yaml"),
    Removed("sql_connection", "*", "*", "removed", "oslo.db 15.0.0",
            "[database] connection = mysql+pymysql://USER:PASS@controller/DB",
            "oslo.db releasenotes/notes/"
            "remove-deprecated-opts-1d095911e82fee3b.yaml"),
    Removed("sql_*", "DEFAULT", "*", "removed", "oslo.db 15.0.0",
            "the matching option in [database] (without the sql_ prefix)",
            "oslo.db releasenotes/notes/"
            "remove-deprecated-opts-1d095911e82fee3b.yaml"),
    Removed("notifier_strategy", "*", "*", "removed", "",
            "[oslo_messaging_notifications] driver = messagingv2",
            "oslo.messaging releasenotes/notes/"
            "remove-deprecated-notif-opts-142f8eea540c17ec.yaml"),
    Removed("notification_driver", "DEFAULT", "*", "removed",
            "oslo.messaging 16.0.0",
            "[oslo_messaging_notifications] driver = messagingv2",
            "oslo.messaging releasenotes/notes/"
            "remove-deprecated-notif-opts-142f8eea540c17ec.yaml"),
    Removed("identity_uri", "keystone_authtoken", "*", "removed",
            *AUTHTOKEN_13[:1], "auth_url = http://controller:5000 with "
            "auth_type = password", AUTHTOKEN_13[1]),
    Removed("auth_host", "keystone_authtoken", "*", "removed",
            *AUTHTOKEN_13[:1], "auth_url = http://controller:5000 with "
            "auth_type = password", AUTHTOKEN_13[1]),
    Removed("admin_user", "keystone_authtoken", "*", "removed",
            *AUTHTOKEN_13[:1], "username (with auth_type = password and "
            "user_domain_name)", AUTHTOKEN_13[1]),
    Removed("admin_password", "keystone_authtoken", "*", "removed",
            *AUTHTOKEN_13[:1], "password (with auth_type = password)",
            AUTHTOKEN_13[1]),
    Removed("admin_tenant_name", "keystone_authtoken", "*", "removed",
            *AUTHTOKEN_13[:1], "project_name (with auth_type = password "
            "and project_domain_name)", AUTHTOKEN_13[1]),
    Removed("auth_uri", "keystone_authtoken", "*", "removed", "",
            "www_authenticate_uri = http://controller:5000",
            AUTHTOKEN_13[1]),
    *(Removed(name, "*", "keystone.conf", "removed", *KEYSTONE_BIND)
      for name in ("bind_host", "public_bind_host", "admin_bind_host")),
    *(Removed(name, "*", "glance-api.conf", "removed", *GLANCE_REGISTRY)
      for name in ("registry_host", "registry_port",
                   "registry_client_protocol")),
    Removed("osapi_volume_listen", "*", "manila.conf", "removed", "",
            "osapi_share_listen (osapi_volume_listen is cinder's option)",
            "manila manila/service.py; cinder cinder/service.py"),
    Removed("min_l3_agents_per_router", "*", "neutron.conf", "removed",
            "neutron 10.0.0 (Ocata)",
            "max_l3_agents_per_router (default 3)",
            "neutron releasenotes/notes/"
            "remove-min-l3-agents-per-router-27aef7d91dec0348.yaml"),
    Removed("rpc_backend", "DEFAULT", "*", "removed", "",
            "[DEFAULT] transport_url = rabbit://openstack:RABBIT_PASS@"
            "controller1:5672,openstack:RABBIT_PASS@controller2:5672/ "
            "with your own broker hosts",
            "oslo.messaging oslo_messaging/transport.py"),
    *(Removed(old_name, "DEFAULT", "nova.conf", "removed", "",
              f"[vnc] {new_name}", "nova nova/conf/vnc.py")
      for old_name, new_name in (
          ("vncserver_listen", "server_listen"),
          ("vncserver_proxyclient_address", "server_proxyclient_address"))),
    Removed("scheduler_default_filters", "DEFAULT", "nova.conf", "removed",
            "", "[filter_scheduler] enabled_filters",
            "nova nova/conf/scheduler.py"),
    Removed("use_neutron", "DEFAULT", "nova.conf", "removed", "",
            "nothing: nova-network is gone and nova always uses neutron; "
            "delete the line", "nova nova/conf/network.py"),
    Removed("firewall_driver", "DEFAULT", "nova.conf", "removed", "",
            "nothing: neutron's security groups filter instance traffic; "
            "delete the line", "nova nova/conf/network.py"),
    Removed("idle_timeout", "database", "*", "removed", "",
            "[database] connection_recycle_time",
            "oslo.db oslo_db/options.py"),
    Removed("min_pool_size", "database", "*", "removed", "",
            "nothing: SQLAlchemy's pool has no minimum (max_pool_size caps "
            "it); delete the line", "oslo.db oslo_db/options.py"),
    Removed("url", "neutron", "nova.conf", "removed", "",
            "the service catalog: auth_type = password with auth_url, "
            "username, password and project_name in [neutron] (and "
            "endpoint_override only to bypass the catalog)",
            "nova nova/conf/neutron.py"),
    *(Removed(old_name, "neutron", "nova.conf", "removed", "",
              f"{new_name} with auth_type = password in [neutron]",
              "nova nova/conf/neutron.py")
      for old_name, new_name in (
          ("admin_auth_url", "auth_url"), ("admin_username", "username"),
          ("admin_password", "password"),
          ("admin_tenant_name", "project_name"))),
    Removed("api_servers", "glance", "*", "deprecated", "nova 21.0.0",
            "the service catalog: [glance] valid_interfaces = internal",
            "nova nova/conf/glance.py"),
)
# Removed.status -> (code, verb, word before the release).
STATUS_WORDS = {
    "removed": ("OSL005", "was removed", "in"),
    "inert": ("OSL010", "has no effect", "since"),
    "deprecated": ("OSL007", "is deprecated", "since"),
}
# Sections that whole releases removed: (section, file glob, release,
# replacement, source).
REMOVED_SECTIONS = (
    ("eventlet_server", "keystone.conf", "keystone 25.0.0",
     "bind in the WSGI server (Apache mod_wsgi or uWSGI)",
     "keystone releasenotes/notes/eventlet-cleanup-f35fc5f83c16ea1c.yaml"),
    ("eventlet_server_ssl", "keystone.conf", KEYSTONE_BIND[0],
     "terminate TLS in the WSGI server or HAProxy", KEYSTONE_BIND[2]),
)

# Sections a service creates from a list option: (file, section and
# option holding the names, groups whose options such a section takes).
BACKEND_SECTIONS = {
    # cinder-volume registers backend_host (listed under [backend]) in
    # each backend's section itself.
    "cinder.conf": ("DEFAULT", "enabled_backends",
                    ("backend_defaults", "backend")),
    "manila.conf": ("DEFAULT", "enabled_share_backends", ("DEFAULT",)),
    "glance-api.conf": ("DEFAULT", "enabled_backends", ("glance_store",)),
}
# Sections a service reads without any option naming them: glance's
# reserved file stores for staging and tasks with multiple stores.
FIXED_SECTIONS = {
    "glance-api.conf": {"os_glance_staging_store": ("glance_store",),
                        "os_glance_tasks_store": ("glance_store",)},
}
# Files a service reads together with another: neutron's agents load
# neutron.conf too, so $state_path in l3_agent.ini resolves there.
READ_WITH = {name: "neutron.conf" for name in (
    "l3_agent.ini", "dhcp_agent.ini", "metadata_agent.ini", "ml2_conf.ini",
    "openvswitch_agent.ini", "ovn_agent.ini",
    "neutron_ovn_metadata_agent.ini")}
# Every daemon and plugin that reads a file, besides the file's own option
# data: (data file, daemon, same). same=True: the file's own daemon reads
# those options too (neutron-server loads ml2_conf.ini and the VPNaaS
# service plugin; the L3 agent loads the VPN agent extension), so they are
# fine here. same=False: only that daemon reads them, which works only if
# it is given this file; OSL015 names it.
NEUTRON_AGENTS = (
    ("l3_agent.ini", "neutron-l3-agent"),
    ("dhcp_agent.ini", "neutron-dhcp-agent"),
    ("metadata_agent.ini", "neutron-metadata-agent"),
    ("openvswitch_agent.ini", "neutron-openvswitch-agent"),
    ("ovn_agent.ini", "neutron-ovn-agent"),
    ("neutron_ovn_metadata_agent.ini", "neutron-ovn-metadata-agent"),
    ("vpn_agent.ini", "neutron-l3-agent with the vpnaas extension"),
)
SERVER_PLUGINS = (("ml2_conf.ini", "neutron-server"),
                  ("neutron_vpnaas.conf", "neutron-server"))
# Agents read neutron.conf as well: its options are theirs too where the
# agent registers them, which the data cannot tell; the groups below are
# the ones every agent registers. AGENT marks that relation in readers.
AGENT = "agent"
AGENT_COMMON_GROUPS = frozenset({
    "DEFAULT", "agent", "ovs", "oslo_concurrency", "oslo_messaging_rabbit",
    "oslo_messaging_notifications", "privsep", "profiler"})
READERS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "neutron.conf": (*((f, d, True) for f, d in SERVER_PLUGINS),
                     *((f, d, False) for f, d in NEUTRON_AGENTS)),
    "ml2_conf.ini": (("neutron.conf", "neutron-server", True),
                     ("neutron_vpnaas.conf", "neutron-server", True),
                     ("openvswitch_agent.ini", "neutron-openvswitch-agent",
                      False),
                     ("ovn_agent.ini", "neutron-ovn-agent", False)),
    "l3_agent.ini": (("vpn_agent.ini", "neutron-l3-agent", True),),
    "vpn_agent.ini": (("l3_agent.ini", "neutron-l3-agent", True),),
    "glance-api.conf": (("glance-image-import.conf",
                         "glance-api (image import plugins)", True),),
    "glance-image-import.conf": (("glance-api.conf", "glance-api", True),),
}
# What genoptdata.py writes for a default computed on its own machine.
MACHINE = "<machine-specific>"
# keystone loads its drivers by entry-point name; a class path (the
# pre-Mitaka form) fails at start-up.
CLASS_PATH = re.compile(r"^[a-z_][\w]*(\.[a-z_]\w*)+\.[A-Z]\w*$")
CLASS_PATH_FILES = ("keystone.conf",)
# Secrets and addresses are written as placeholders (NOVA_DBPASS); they are
# replaced by a neutral word before a rejected value is judged again.
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# oslo.config's template syntax ($opt, ${opt}, $group.opt; $$ escapes).
REFERENCE = re.compile(
    r"\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})",
    re.IGNORECASE)
NEAR_MISS_CUTOFF = 0.8
# Words whose swap turns a setting into its opposite: never a "did you
# mean" for each other.
ANTONYMS = frozenset(frozenset(p) for p in (
    ("min", "max"), ("enable", "disable"), ("enabled", "disabled"),
    ("allow", "deny"), ("start", "end"), ("upper", "lower"),
    ("before", "after"), ("input", "output"), ("ingress", "egress")))
# Near-miss hints cost ~0.4 ms each (difflib over a group's names); a file
# of thousands of unknown keys is not a config file, so hints stop here.
MAX_HINTS = 100


class Entry(typing.NamedTuple):
    group: str | None
    key: str
    value: str
    line: int
    quoted: bool


class Parser(iniparser.BaseParser):
    """oslo.config's parser, keeping line numbers and going on after errors."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, int]] = []
        self.entries: list[Entry] = []
        self.errors: list[tuple[int, str, str]] = []
        self.group: str | None = None
        self.broken_section = False
        self.key_line = 0
        self.raw = ""

    def _split_key_value(self, line: str) -> tuple[str, list[str]]:
        self.key_line = self.lineno
        self.raw = line
        return super()._split_key_value(line)

    def new_section(self, section: str) -> None:
        # oslo.config lower-cases every group name except DEFAULT.
        self.group = section if section == "DEFAULT" else section.lower()
        self.broken_section = False
        self.sections.append((section, self.lineno))

    def assignment(self, key: str, value: list[str]) -> None:
        if self.broken_section:
            return
        # Split where BaseParser does: at the first of '=' and ':'.
        cut = min(i for i in (self.raw.find("="), self.raw.find(":"),
                              len(self.raw)) if i >= 0)
        raw_value = self.raw[cut + 1:].strip()
        # An empty value ("key =") has no quote to leave open.
        quoted = raw_value[:1] in ("\"", "'") and not (
            len(raw_value) > 1 and raw_value[-1] == raw_value[0])
        self.entries.append(Entry(self.group, key, "\n".join(value),
                                  self.key_line, quoted))

    def _error(self, message: str, line: str, code: str = "OSL001") -> None:
        self.errors.append((self.lineno, code, f"{message}: {line.strip()!r}"))

    def error_invalid_assignment(self, line: str):
        self._error("no '=' or ':' in this line", line)
        # No key: an indented line after this one is then reported too,
        # instead of being glued to a value that does not exist.
        return None, []

    def error_empty_key(self, line: str) -> None:
        if self.errors and self.errors[-1][0] == self.lineno:
            return  # already reported as an invalid assignment
        self._error("option name missing", line)

    def error_unexpected_continuation(self, line: str) -> None:
        self._error("indented line continues no option (oslo.config "
                    "treats leading whitespace as a continuation)", line)

    def error_no_section_end_bracket(self, line: str) -> str:
        self._error("section header without closing ']'", line)
        self.broken_section = True
        return ""

    def error_no_section_name(self, line: str) -> str:
        self._error("empty section name", line)
        self.broken_section = True
        return ""


def handles(basename: str) -> bool:
    """True for the file names that have option data (nova.conf, ...)."""
    return any(oslo_data.has_data(basename, series)
               for series in oslo_data.releases())


def check(text: str, path: str, release: str | None = None
          ) -> list[Finding]:
    """Findings for one file against one series' data (default: the one
    oslo_data.select_release chose, else the newest)."""
    if release is None and oslo_data.upgrading_from() is not None:
        return upgrade(text, path, oslo_data.upgrading_from(),
                       oslo_data.current_release())
    release = release or oslo_data.current_release()
    parser = Parser()
    # Lines as a service reading the file sees them (universal newlines,
    # unlike str.splitlines, which also splits at form feeds).
    parser.parse(io.StringIO(text, newline=None))
    findings = [CODES.finding(path, line, code, message)
                for line, code, message in parser.errors]
    name = os.path.basename(path)
    if not oslo_data.has_data(name, release):
        files = oslo_data.release_info(release)["files"]
        findings.append(CODES.finding(
            path, 0, "OSL014", f"no option data for {name!r} in "
            f"{release}; only syntax was checked (files with data: "
            f"{', '.join(sorted(files))})"))
        return sorted(findings)
    findings += FileCheck(path, name, parser, release).run()
    return sorted(findings)


def upgrade(text: str, path: str, old: str, new: str) -> list[Finding]:
    """What a file written for series old must change to run with new.

    The findings the new series' data give and the old one's do not
    (options removed or renamed, new deprecations), and the defaults that
    change under the sections the file has, for options it leaves unset.
    """
    before = {(f.line, f.code) for f in check(text, path, old)}
    found = [f for f in check(text, path, new)
             if (f.line, f.code) not in before]
    name = os.path.basename(path)
    if not (oslo_data.has_data(name, old) and
            oslo_data.has_data(name, new)):
        return found
    parser = Parser()
    parser.parse(io.StringIO(text, newline=None))
    was, now = oslo_data.schema(name, old), oslo_data.schema(name, new)
    set_here = {(e.group, e.key) for e in parser.entries}
    headers: dict[str, int] = {}
    for section, line in parser.sections:
        headers.setdefault(section if section == "DEFAULT"
                           else section.lower(), line)
    for group, line in sorted(headers.items(), key=lambda item: item[1]):
        for key, record in sorted(now.groups.get(group, {}).items()):
            before_record = was.record(group, key)
            if before_record is None or (group, key) in set_here:
                continue
            old_default = before_record.get("default")
            new_default = record.get("default")
            if old_default != new_default and MACHINE not in (
                    old_default, new_default):
                found.append(CODES.finding(
                    path, line, "OSL016",
                    f"[{group}] {key}: from {old} to {new} the default "
                    f"{change(old_default, new_default)}; set it here to "
                    f"keep the old behaviour"))
    return sorted(found)


def change(old: str | None, new: str | None) -> str:
    """How a default changes, in a few words (lists: the items)."""
    if old and new and "," in old + new:
        was, now = old.split(","), new.split(",")
        dropped = [i for i in was if i not in now]
        added = [i for i in now if i not in was]
        if len(dropped) + len(added) <= 6:
            parts = ([f"drops {', '.join(dropped)}"] if dropped else []) + (
                [f"adds {', '.join(added)}"] if added else [])
            return " and ".join(parts) or "changes its order"
    return (f"changes from {'(none)' if old is None else repr(old)} to "
            f"{'(none)' if new is None else repr(new)}")


class FileCheck:
    """The checks on one parsed file against its service's schema."""

    def __init__(self, path: str, name: str, parser: Parser,
                 release: str) -> None:
        self.path = path
        self.name = name
        self.release = release
        self.schema = oslo_data.schema(name, release)
        self.auth = oslo_data.auth_schema(release)
        # (schema, daemon, same or AGENT) of every other reader of the file.
        self.readers: list[tuple[oslo_data.Schema, str, bool | str]] = [
            (oslo_data.schema(data, release), daemon, same)
            for data, daemon, same in READERS.get(name, ())
            if oslo_data.has_data(data, release)]
        if name in READ_WITH and not any(
                data == READ_WITH[name] for data, _d, _s in
                READERS.get(name, ())):
            self.readers.append((oslo_data.schema(READ_WITH[name], release),
                                 "neutron-server", AGENT))
        self.parser = parser
        self.findings: list[Finding] = []
        self.hints = 0
        # (group, key) -> last value, for $references and backend lists.
        self.values = {(e.group, e.key): e.value for e in parser.entries}
        self.section_groups = self._section_groups()

    def report(self, line: int, code: str, message: str) -> None:
        self.findings.append(CODES.finding(self.path, line, code, message))

    def _names_in(self, group: str, key: str) -> list[str]:
        """Section names listed in an option ("a, b" or "a:type, b:type")."""
        value = self.values.get((group, key), "")
        return [part.split(":", 1)[0].strip().lower()
                for part in value.split(",") if part.strip()]

    def _section_groups(self) -> dict[str, tuple[str, ...]]:
        """Each section of the file -> the schema groups it takes."""
        groups: dict[str, tuple[str, ...]] = dict(
            FIXED_SECTIONS.get(self.name, {}))
        rule = BACKEND_SECTIONS.get(self.name)
        if rule:
            for section in self._names_in(rule[0], rule[1]):
                groups[section] = rule[2]
        for group, owner in self.schema.dynamic.items():
            for owner_group in ("DEFAULT", group):
                for section in self._names_in(owner_group, owner):
                    groups.setdefault(section, (group,))
        for group in self.schema.groups:
            groups[group] = (group,)
        return groups

    def _auth_groups(self) -> set[str]:
        """Sections that take keystoneauth plugin options.

        A section the service reads that sets auth_type, and any section
        an auth_section option names (keystoneauth loads it instead).
        """
        auth: set[str] = set()
        for (group, key), value in self.values.items():
            if key == "auth_type" and value in oslo_data.AUTH_PLUGINS and \
                    group in self.section_groups:
                auth.add(group)
            if key == "auth_section":
                auth.add(value.strip().lower())
        return auth

    def run(self) -> list[Finding]:
        self._check_sections()
        auth_groups = self._auth_groups()
        seen: dict[tuple[str, str], int] = {}
        for entry in self.parser.entries:
            if entry.group is None:
                self.report(entry.line, "OSL002",
                            f"option {entry.key!r} before any section "
                            f"header; oslo.config refuses the file")
                continue
            if entry.group not in self.section_groups and \
                    entry.group not in auth_groups and not any(
                        entry.group in schema.groups
                        for schema, _daemon, _same in self.readers):
                continue  # the unknown section is reported once
            record = self._check_key(entry, auth_groups)
            if record is None:
                continue
            if entry.quoted:
                self.report(entry.line, "OSL013",
                            f"{entry.key}: the value starts with a quote "
                            f"that is never closed; oslo.config keeps it "
                            f"as part of the value")
            first = seen.setdefault((entry.group, entry.key), entry.line)
            if first != entry.line and not record.get("multi"):
                self.report(entry.line, "OSL009",
                            f"{entry.key} is already set in "
                            f"[{entry.group}] on line {first}; only the "
                            f"last value takes effect")
            self._check_value(entry, record)
        return self.findings

    def _check_sections(self) -> None:
        auth_groups = self._auth_groups()
        for section, line in self.parser.sections:
            group = section if section == "DEFAULT" else section.lower()
            if group in self.section_groups or group in auth_groups or \
                    any(group in schema.groups
                        for schema, _daemon, _same in self.readers):
                continue
            message = f"unknown section [{section}] for {self.name}"
            for old, files, release, replacement, source in \
                    REMOVED_SECTIONS:
                if old == group and fnmatch(self.name, files):
                    message = (f"section [{section}] was removed in "
                               f"{release}; {replacement} ({source})")
                    break
            else:
                gone = oslo_data.past_group(self.name, group, self.release)
                if gone is not None:
                    message = (f"section [{section}] was removed "
                               f"{self._removed_in(*gone)}; its options "
                               f"are gone too")
                else:
                    message += self._section_hint(section)
            self.report(line, "OSL003", message)

    def _section_hint(self, section: str) -> str:
        if section.upper() == "DEFAULT":
            return ("; oslo.config only lower-cases other names: "
                    "write [DEFAULT]")
        close = difflib.get_close_matches(section.lower(),
                                          self.schema.groups, 1,
                                          NEAR_MISS_CUTOFF)
        return f"; did you mean [{close[0]}]?" if close else ""

    def _lookup(self, group: str, key: str,
                auth_groups: set[str]) -> dict | None:
        for schema_group in self.section_groups.get(group, ()):
            record = self.schema.groups[schema_group].get(key)
            if record is not None:
                return record
        if group in auth_groups:
            for auth_group in (oslo_data.AUTH_COMMON, *self._plugins(group)):
                record = self.auth.groups[auth_group].get(key)
                if record is not None:
                    return record
        return None

    def _plugins(self, group: str) -> tuple[str, ...]:
        plugin = self.values.get((group, "auth_type"))
        if plugin in oslo_data.AUTH_PLUGINS:
            return (plugin,)
        return oslo_data.AUTH_PLUGINS

    def _check_key(self, entry: Entry, auth_groups: set[str]) -> dict | None:
        """The option's record, after reporting name problems (or None)."""
        group, key = entry.group, entry.key
        record = self._lookup(group, key, auth_groups)
        removed = self._removed(group, key, record is not None)
        if removed is not None:
            self._report_removed(entry, removed)
            return None if record is None else record
        if record is not None:
            if record.get("deprecated_for_removal"):
                reason = record.get("deprecated_reason") or "no reason given"
                self.report(entry.line, "OSL007",
                            f"[{group}] {key} is deprecated for removal"
                            f"{since(record)}: {one_line(reason)}")
            return record
        alias = self._alias(group, key, auth_groups)
        if alias is not None:
            new_group, new_key, record = alias
            self.report(entry.line, "OSL006",
                        f"[{group}] {key} is a deprecated name; use "
                        f"[{new_group}] {new_key}")
            return record
        record = self._other_reader(entry)
        if record is not None:
            return record
        if self._history(entry):
            return None
        self.hints += 1
        hint = self._key_hint(group, key) if self.hints <= MAX_HINTS else ""
        self.report(entry.line, "OSL004",
                    f"unknown option {key!r} in [{group}] for {self.name}"
                    f"{hint}")
        return None

    def _other_reader(self, entry: Entry) -> dict | None:
        """The record another reader of this file has, after OSL015."""
        for schema, daemon, same in self.readers:
            record = schema.record(entry.group, entry.key)
            if record is None:
                continue
            if same == AGENT and entry.group not in AGENT_COMMON_GROUPS:
                self.report(entry.line, "OSL015",
                            f"[{entry.group}] {entry.key} is a neutron.conf "
                            f"option of neutron-server; the agent reading "
                            f"{self.name} ignores it")
            elif not same:
                self.report(entry.line, "OSL015",
                            f"[{entry.group}] {entry.key} is read only by "
                            f"{daemon} (an option of {schema.name}); it "
                            f"works here only if {daemon} is started with "
                            f"{self.name}, and the other daemons reading "
                            f"it ignore the line")
            return record
        return None

    def _history(self, entry: Entry) -> bool:
        """Report an option other series have; True when reported."""
        gone = oslo_data.past(self.name, entry.group, entry.key,
                              self.release)
        if gone is not None:
            if gone.replacement is not None:
                use = (f"use [{gone.replacement[0]}] "
                       f"{gone.replacement[1]} instead")
            elif gone.record.get("deprecated_reason"):
                use = (f"it was deprecated{since(gone.record)}: "
                       f"{one_line(gone.record['deprecated_reason'])}")
            else:
                use = "the option data name no replacement; delete it"
            self.report(entry.line, "OSL005",
                        f"[{entry.group}] {entry.key} was removed "
                        f"{self._removed_in(gone.last, gone.gone)}; {use}")
            return True
        added = oslo_data.future(self.name, entry.group, entry.key,
                                 self.release)
        if added is not None:
            record = oslo_data.schema(self.name, added).record(
                entry.group, entry.key)
            older = [f"[{g}] {n}" for g, n in record.get(
                "deprecated_opts", ()) if self.schema.record(g, n)]
            called = (f"; {self.release} calls it {older[0]}" if older
                      else f"; check with --release {added} if the node "
                           f"runs that")
            self.report(entry.line, "OSL004",
                        f"[{entry.group}] {entry.key} does not exist in "
                        f"{self.release}: it was added in {added}{called}")
            return True
        return False

    def _removed_in(self, last: str, gone: str) -> str:
        """"in 2024.1 (nova 29.0.0) (last in 2023.2)"; when series
        between the two have no data, each is named as possible."""
        unknown = oslo_data.missing_between(last, gone)
        if not unknown:
            return f"in {gone}{self._package(gone)} (last in {last})"
        return (f"in {' or '.join([*unknown, gone])} (no option data for "
                f"{', '.join(unknown)}) (last in {last})")

    def _package(self, series: str) -> str:
        """" (nova 31.0.0)" for the package writing this file, if known."""
        info = oslo_data.release_info(series)
        package = info.get("files", {}).get(self.name, {}).get("package")
        version = info.get("packages", {}).get(package, {}).get("version")
        return f" ({package} {version})" if version else ""

    def _alias(self, group: str, key: str, auth_groups: set[str]
               ) -> tuple[str, str, dict] | None:
        """(section to use, new name, record) when key is an old name."""
        found = self.schema.aliases.get((group, key))
        if found is not None:
            return (*found, self.schema.groups[found[0]][found[1]])
        # A backend or keystoneauth section takes the option under its own
        # name, so the replacement lives in the same section.
        candidates = [(self.schema, g) for g in
                      self.section_groups.get(group, ())]
        if group in auth_groups:
            candidates += [(self.auth, g) for g in
                           (oslo_data.AUTH_COMMON, *self._plugins(group))]
        for schema, schema_group in candidates:
            found = schema.aliases.get((schema_group, key))
            if found is not None:
                new_group = group if found[0] == schema_group else found[0]
                return (new_group, found[1],
                        schema.groups[found[0]][found[1]])
        return None

    def _removed(self, group: str, key: str, known: bool) -> Removed | None:
        for item in REMOVED:
            if fnmatch(key, item.option) and fnmatch(group, item.sections) \
                    and fnmatch(self.name, item.files):
                if item.status == "removed" and known:
                    return None
                return item
        return None

    def _report_removed(self, entry: Entry, item: Removed) -> None:
        code, verb, joint = STATUS_WORDS[item.status]
        what = f"{verb} {joint} {item.release}" if item.release else verb
        replacement = item.replacement
        if replacement == TRANSPORT_URL:
            replacement = self._transport_url(entry)
        self.report(entry.line, code,
                    f"[{entry.group}] {entry.key} {what}; use "
                    f"{replacement} ({item.source})")

    def _transport_url(self, entry: Entry) -> str:
        """transport_url built from the file's own rabbit_* lines, once.

        The first of those lines gets the whole URL; the others point to it.
        """
        lines = [e for e in self.parser.entries if e.key in RABBIT_PARTS]
        if lines and lines[0].line != entry.line:
            return f"the transport_url given on line {lines[0].line}"
        found = {e.key: e.value.strip() for e in lines}
        hosts = found.get("rabbit_hosts") or found.get("rabbit_host")
        if not hosts:
            return TRANSPORT_URL
        port = found.get("rabbit_port", "5672")
        user = found.get("rabbit_userid", "openstack")
        password = found.get("rabbit_password", "RABBIT_PASS")
        vhost = found.get("rabbit_virtual_host", "/").lstrip("/")
        parts = [h.strip() for h in hosts.split(",") if h.strip()]
        return "[DEFAULT] transport_url = rabbit://" + ",".join(
            f"{user}:{password}@{h if ':' in h else f'{h}:{port}'}"
            for h in parts) + f"/{vhost}"

    def _key_hint(self, group: str, key: str) -> str:
        names = set()
        for schema_group in self.section_groups.get(group, ()):
            names.update(self.schema.groups[schema_group])
        close = [n for n in difflib.get_close_matches(
            key, names, 3, NEAR_MISS_CUTOFF) if not opposite(key, n)][:1]
        elsewhere = [g for g in self.schema.where.get(key, ()) if g != group]
        if elsewhere:
            where = ", ".join(f"[{g}]" for g in elsewhere[:4])
            if close:
                # [cache] memcached_servers: the typo of this section's
                # memcache_servers is likelier than a misplaced line.
                return (f"; did you mean {close[0]!r}? ({where} has "
                        f"{key!r})")
            return f"; it belongs in {where}"
        lowered = {n.lower(): n for n in names}
        if key.lower() in lowered:
            return (f"; option names are case-sensitive: did you mean "
                    f"{lowered[key.lower()]!r}?")
        if close:
            return f"; did you mean {close[0]!r}?"
        other = [n for n in self.schema.where if n.lower() == key.lower()]
        if other:
            where = ", ".join(f"[{g}]" for g in self.schema.where[other[0]])
            return (f"; option names are case-sensitive: {other[0]!r} "
                    f"belongs in {where}")
        if key in self.auth.where:
            return ("; keystoneauth options need auth_type = password "
                    "in this section")
        return ""

    def _check_value(self, entry: Entry, record: dict) -> None:
        value = self._substitute(entry)
        if value is None:
            return
        if self.name in CLASS_PATH_FILES and entry.key == "driver" and \
                CLASS_PATH.match(value):
            self.report(entry.line, "OSL011",
                        f"[{entry.group}] driver = {value} is a class path; "
                        f"keystone loads drivers by entry-point name "
                        f"(e.g. 'sql')")
            return
        checker = oslo_data.make_type(record)
        if checker is None:
            return
        problem = type_error(checker, value)
        if problem and PLACEHOLDER.search(value):
            problem = type_error(checker, PLACEHOLDER.sub("placeholder",
                                                          value))
        if problem:
            hint = (" (indented lines continue the value)"
                    if "\n" in value else "")
            self.report(entry.line, "OSL008",
                        f"[{entry.group}] {entry.key} = "
                        f"{one_line(value)!r}: {problem}{hint}")

    def _known_anywhere(self, name: str) -> bool:
        """An option of this file or of a file the service also reads."""
        if name in self.schema.where:
            return True
        other = READ_WITH.get(self.name)
        return other is not None and name in oslo_data.schema(other).where

    def _substitute(self, entry: Entry) -> str | None:
        """The value with $references replaced (None: cannot be known)."""
        unknown = False
        missing: list[str] = []

        def replace(match: re.Match) -> str:
            nonlocal unknown
            if match.group(1):
                return "$"
            ref = match.group(2) or match.group(3)
            group, key = entry.group, ref
            if "." in ref:
                group, key = ref.split(".", 1)
                group = group if group == "DEFAULT" else group.lower()
            for where in ((group, key), ("DEFAULT", key), ("DEFAULT", ref)):
                if where in self.values:
                    return self.values[where]
            if self._known_anywhere(key) or self._known_anywhere(ref):
                unknown = True  # a default we do not keep
            else:
                missing.append(ref)
            return match.group(0)

        value = REFERENCE.sub(replace, entry.value.replace("\\$", "$$"))
        if missing:
            self.report(entry.line, "OSL012",
                        f"[{entry.group}] {entry.key}: ${missing[0]} names "
                        f"no option, so the service fails to read it; "
                        f"write $$ for a literal $")
            return None
        return None if unknown else value


def opposite(name: str, other: str) -> bool:
    """True when other differs from name by an antonym (min_pool_size is
    not a typo of max_pool_size)."""
    words, others = name.split("_"), other.split("_")
    if len(words) != len(others):
        return False
    pairs = [(a, b) for a, b in zip(words, others, strict=True) if a != b]
    return len(pairs) == 1 and frozenset(pairs[0]) in ANTONYMS


def type_error(checker, value: str) -> str | None:
    try:
        checker(value)
    except ValueError as exc:
        return str(exc) or "invalid value"
    return None


def since(record: dict) -> str:
    return (f" since {record['deprecated_since']}"
            if record.get("deprecated_since") else "")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fnmatch(name: str, pattern: str) -> bool:
    return pattern == "*" or name == pattern or (
        "*" in pattern and re.fullmatch(
            re.escape(pattern).replace(r"\*", ".*"), name) is not None)
