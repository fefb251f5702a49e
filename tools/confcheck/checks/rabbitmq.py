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
"""rabbitmq.conf (sysctl-like format): keys from RabbitMQ's own schema.

Keys and datatypes come from the cuttlefish schema files of the installed
rabbitmq-server, or from tools/confcheck/data/rabbitmq-schema.json
(captured by tools/capture_rabbitmq_schema.py) when it is absent.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re

from confcheck import external, net
from confcheck.checks import _cuttlefish
from confcheck.checks._lines import meaningful, strip_comment
from confcheck.findings import Code, CodeBook, Finding

KIND = "rabbitmq"
DESCRIPTION = ("rabbitmq.conf: keys and simple values against RabbitMQ's "
               "cuttlefish schema")

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data",
                    "rabbitmq-schema.json")

# Keys (and their sub-keys) that tune a feature RabbitMQ 4.x removed, with
# why. Not cluster_partition_handling: it protects every Mnesia cluster up
# to 4.2, and 4.3 still accepts it (4.3.0 release notes).
REMOVED = {
    key: "classic queue mirroring, which this key tunes, is gone since "
         "RabbitMQ 4.0 (4.0.1 release notes); the key has no effect there"
    for key in ("mirroring_sync_batch_size", "mirroring_sync_max_throughput")
}
# No "$" or "{" inside ${...}: a run of "${" must not make every
# match attempt scan to the end of the line.
PLACEHOLDER = re.compile(r"<[A-Za-z_][^<>]*>|\$\{[^${}]*\}")
FLAG = frozenset({"on", "off", "true", "false"})

CODES = CodeBook(
    Code("RMQ001", "error", "Unknown key",
         bad="cluster_formation.peer_discovery_backnd = classic_config",
         good="cluster_formation.peer_discovery_backend = classic_config",
         lexer="ini",
         why="RabbitMQ refuses an unknown key in rabbitmq.conf and the node "
             "does not start."),
    Code("RMQ002", "error", "Not a 'key = value' line",
         bad="listeners.tcp.default 5672",
         good="listeners.tcp.default = 5672", lexer="ini",
         why="RabbitMQ refuses a line that is not key = value and the node "
             "does not start."),
    Code("RMQ003", "error", "Value does not fit the key's datatype",
         bad="cluster_partition_handling = pause-minority",
         good="cluster_partition_handling = pause_minority", lexer="ini",
         why="RabbitMQ refuses a value of the wrong type for its key and the "
             "node does not start."),
    Code("RMQ004", "warning", "Key set twice",
         bad="listeners.tcp.default = 5672\nlisteners.tcp.default = 5673",
         good="listeners.tcp.default = 5672", lexer="ini",
         why="Only one of the values takes effect, so the other line misleads "
             "whoever edits the file."),
    Code("RMQ005", "error", "Unexpanded placeholder",
         bad="listeners.tcp.default = <node_ip>:5672",
         good="listeners.tcp.default = 10.0.0.12:5672", lexer="ini",
         why="RabbitMQ reads the placeholder literally, so the node refuses "
             "it or listens where nothing connects."),
    Code("RMQ101", "warning", "Key without effect in RabbitMQ 4.x",
         bad="mirroring_sync_batch_size = 4096",
         good="# RabbitMQ 4.x: quorum queues replicate, nothing mirrors",
         lexer="ini",
         why="RabbitMQ 4.0 removed classic queue mirroring, so the key gives "
             "no redundancy; quorum queues do."),
    Code("RMQ102", "warning", "guest may log in from other hosts",
         bad="loopback_users.guest = false",
         good="loopback_users.guest = true", lexer="ini",
         why="guest/guest is a well-known account, which RabbitMQ limits to "
             "localhost by default for that reason."),
)


@functools.cache
def _schema(installed: bool) -> tuple[str, dict[str, list[str]]]:
    found = _cuttlefish.installed() if installed else None
    if found:
        return found[0], _cuttlefish.read(found[1])
    with open(DATA, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["version"], data["mappings"]


def schema() -> tuple[str, dict[str, list[str]]]:
    """(version, key pattern -> datatype alternatives) to check against."""
    return _schema(external.available("rabbitmq-server") is not None)


@functools.cache
def _patterns(version: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(key, _cuttlefish.pattern(key))
            for key in schema()[1] if "$" in key]


def lookup(key: str) -> str | None:
    """The schema mapping a key falls under, if any."""
    version, mappings = schema()
    if key in mappings:
        return key
    return next((name for name, rx in _patterns(version) if rx.match(key)),
                None)


def check(text: str, path: str) -> list[Finding]:
    version, mappings = schema()
    findings = []
    seen: dict[str, int] = {}

    def add(line: int, code: str, message: str) -> None:
        findings.append(CODES.finding(path, line, code, message))

    for number, line in meaningful(text):
        key, eq, value = (p.strip() for p in line.partition("="))
        if not eq or not key or " " in key:
            add(number, "RMQ002", f"{line!r} is not 'key = value'")
            continue
        value = strip_comment(value)
        if key in seen:
            add(number, "RMQ004", f"{key} is already set on line "
                f"{seen[key]}; the last one wins")
        seen[key] = number
        if PLACEHOLDER.search(value):
            add(number, "RMQ005", f"{key} = {value}: unexpanded placeholder")
        root = key.split(".")[0]
        if root in REMOVED:
            # Checked before the schema: a 4.x schema may not know the key.
            add(number, "RMQ101", f"{key}: {REMOVED[root]}")
            continue
        mapping = lookup(key)
        if mapping is None:
            close = difflib.get_close_matches(key, mappings, 1, 0.8)
            hint = f"; did you mean {close[0]}?" if close else ""
            add(number, "RMQ001", f"{key}: not a key of the RabbitMQ "
                f"{version} schema{hint}")
            continue
        problem = _bad_value(value, mappings[mapping])
        if problem:
            add(number, "RMQ003", f"{key} = {value}: {problem}")
        if (key == "loopback_users" and value == "none") or (
                key == "loopback_users.guest" and value == "false"):
            add(number, "RMQ102", "the default guest/guest account can "
                "then log in over the network; create a dedicated user "
                "for OpenStack and delete guest")
    return findings


def _bad_value(value: str, alternatives: list[str]) -> str | None:
    """Why value fits none of the datatypes (None if it fits or unsure)."""
    checks = {"integer": lambda v: re.fullmatch(r"-?\d+", v),
              "float": lambda v: re.fullmatch(r"-?\d+(\.\d+)?", v),
              "flag": lambda v: v in FLAG,
              "ip": _is_ip_port}
    literals = [a[1:] for a in alternatives if a.startswith("=")]
    kinds = [a for a in alternatives if not a.startswith("=")]
    if any(k not in checks for k in kinds):
        return None  # a string, atom, duration... takes almost anything
    if value in literals or any(checks[k](value) for k in kinds):
        return None
    wanted = [f"an {k}" if k[0] in "aeiou" else f"a {k}"
              for k in kinds] + literals
    return f"expected {' or '.join(wanted)}"


def _is_ip_port(value: str) -> bool:
    host, port = net.split_host_port(value)
    return port.isdigit() and net.is_ip(host)
