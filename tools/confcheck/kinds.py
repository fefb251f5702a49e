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
"""Which checker handles which file: the kind table and name inference."""

from __future__ import annotations

import fnmatch
import importlib
import os
from types import ModuleType

# kind -> checker module (imported on first use: the oslo.config data is
# only loaded when an OpenStack file is actually checked).
KINDS: dict[str, str] = {
    "haproxy": "confcheck.checks.haproxy",
    "keepalived": "confcheck.checks.keepalived",
    "corosync": "confcheck.checks.corosync",
    "mysql": "confcheck.checks.mysql",
    "pcs": "confcheck.checks.pcs",
    "crm": "confcheck.checks.crm",
    "rabbitmq": "confcheck.checks.rabbitmq",
    "rabbitmq-env": "confcheck.checks.rabbitmq_env",
    "garb": "confcheck.checks.garb",
    "sysctl": "confcheck.checks.sysctl",
    "memcached": "confcheck.checks.memcached",
    "hosts": "confcheck.checks.hosts",
    "xinetd": "confcheck.checks.xinetd",
    "shell": "confcheck.checks.shell",
    "python": "confcheck.checks.python",
    "yaml": "confcheck.checks.yaml_file",
    "oslo": "confcheck.checks.oslo_conf",
}

# Kinds whose check runs a real tool on the file (haproxy -c, keepalived
# -t, corosync -t, pcs or crm with crm_verify, the shell's -n): seconds
# where the built-in checks take milliseconds, so runs of many files
# start them first. memcached's tool is asked once per process, not per
# file.
TOOL_KINDS = frozenset({"haproxy", "keepalived", "corosync", "pcs", "crm",
                        "shell"})

# (glob on the base name, glob on the parent directory name or None, kind);
# first match wins, so exact names come before patterns.
NAME_RULES: tuple[tuple[str, str | None, str], ...] = (
    ("haproxy.cfg", None, "haproxy"),
    ("keepalived.conf", None, "keepalived"),
    ("corosync.conf", None, "corosync"),
    ("rabbitmq.conf", None, "rabbitmq"),
    ("rabbitmq-env.conf", None, "rabbitmq-env"),
    ("memcached.conf", None, "memcached"),
    ("sysctl.conf", None, "sysctl"),
    ("*.conf", "sysctl.d", "sysctl"),
    ("hosts", None, "hosts"),
    ("*", "xinetd.d", "xinetd"),
    # /etc/default/<daemon>: shell variables an init script sources;
    # garbd's has a checker of its own.
    ("garb", "default", "garb"),
    ("*", "default", "shell"),
    ("*.cnf", None, "mysql"),
    ("*.pcs", None, "pcs"),
    ("*.crm", None, "crm"),
    ("*.sh", None, "shell"),
    ("*.py", None, "python"),
    ("*.yaml", None, "yaml"),
    ("*.yml", None, "yaml"),
)


class UnknownKind(Exception):
    """No checker handles this file; str(exc) names the known kinds."""


def checker(kind: str) -> ModuleType:
    """The checker module for kind."""
    try:
        return importlib.import_module(KINDS[kind])
    except KeyError:
        raise UnknownKind(
            f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}"
        ) from None


def infer_kind(path: str) -> str | None:
    """The kind of path judged by its name, or None when unknown."""
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    for pattern, parent_pattern, kind in NAME_RULES:
        if fnmatch.fnmatchcase(name, pattern) and (
                parent_pattern is None
                or fnmatch.fnmatchcase(parent, parent_pattern)):
            return kind
    if checker("oslo").handles(name):
        return "oslo"
    return None


def resolve_kind(path: str, kind: str | None = None) -> str:
    """The kind to check path as: kind if given, else inferred."""
    if kind is not None:
        checker(kind)
        return kind
    found = infer_kind(path)
    if found is None:
        raise UnknownKind(
            f"{path}: unknown kind (cannot tell from the file name); use "
            f"--kind with one of: {', '.join(sorted(KINDS))}")
    return found
