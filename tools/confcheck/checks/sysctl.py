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
"""sysctl.conf and sysctl.d/*.conf: keys against /proc/sys, integer values."""

from __future__ import annotations

import glob
import os
import re

from confcheck.checks._lines import meaningful
from confcheck.findings import Code, CodeBook, Finding

KIND = "sysctl"
DESCRIPTION = ("Kernel parameters (sysctl.conf, sysctl.d): keys against "
               "/proc/sys, numeric values")

PROC_SYS = "/proc/sys"
# Keys the guide and common HA setups use -> how many integers the value
# holds. Stands in where /proc/sys lacks a key: containers hide parts of
# it, and net.bridge.* only appears once br_netfilter is loaded.
FALLBACK_KEYS = {
    "net.ipv4.ip_nonlocal_bind": 1,
    "net.ipv6.ip_nonlocal_bind": 1,
    "net.ipv4.ip_forward": 1,
    "net.ipv4.tcp_keepalive_time": 1,
    "net.ipv4.tcp_keepalive_intvl": 1,
    "net.ipv4.tcp_keepalive_probes": 1,
    "net.ipv4.tcp_retries2": 1,
    "net.ipv4.ip_local_port_range": 2,
    "net.ipv4.conf.all.rp_filter": 1,
    "net.ipv4.conf.default.rp_filter": 1,
    "net.ipv4.conf.all.arp_ignore": 1,
    "net.ipv4.conf.all.arp_announce": 1,
    "net.ipv4.neigh.default.gc_thresh1": 1,
    "net.ipv4.neigh.default.gc_thresh2": 1,
    "net.ipv4.neigh.default.gc_thresh3": 1,
    "net.ipv6.conf.all.forwarding": 1,
    "net.ipv6.conf.all.disable_ipv6": 1,
    "net.bridge.bridge-nf-call-iptables": 1,
    "net.bridge.bridge-nf-call-ip6tables": 1,
    "net.core.somaxconn": 1,
    "vm.swappiness": 1,
    "fs.file-max": 1,
}
INTEGER = re.compile(r"-?\d+\Z")
SOURCE_PROC = "/proc/sys on this machine"
SOURCE_LIST = "confcheck's list of keys the guide uses (not in /proc/sys here)"

CODES = CodeBook(
    Code("SYS001", "error", "Line that is not key = value",
         bad="net.ipv4.ip_nonlocal_bind 1\n",
         good="net.ipv4.ip_nonlocal_bind = 1\n", lexer="ini",
         why="systemd-sysctl skips a line that is not an assignment, so the "
             "setting is not applied at boot."),
    Code("SYS002", "error", "Unknown kernel parameter",
         bad="net.ipv4.ip_nonlocalbind = 1\n",
         good="net.ipv4.ip_nonlocal_bind = 1\n", lexer="ini",
         why="The kernel has no such parameter: the setting is not applied, "
             "and systemd-sysctl logs an error at every boot."),
    Code("SYS003", "error", "Non-integer value for a numeric parameter",
         bad="net.ipv4.ip_nonlocal_bind = yes\n",
         good="net.ipv4.ip_nonlocal_bind = 1\n", lexer="ini",
         why="The kernel refuses the value, so the parameter keeps the value "
             "it had."),
    Code("SYS004", "warning", "Parameter set twice (the last one wins)",
         bad="net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward = 1\n",
         good="net.ipv4.ip_forward = 1\n", lexer="ini",
         why="Only the last value is applied, so the other line misleads "
             "whoever edits the file."),
    Code("SYS090", "error", "Key that names a path, not a parameter",
         bad="net/../../../etc/hostname = 1\n",
         good="net.ipv4.ip_forward = 1\n", lexer="ini",
         why="A key names a file below /proc/sys; one that leaves it is a "
             "mistake or an attempt to reach another file, and is not "
             "looked up."),
)
# A parameter file holds a few numbers or a short string; reading more
# (a key that globs into /proc/sys/.../something huge) is never needed.
MAX_READ = 4096


def split_line(line: str) -> tuple[str, str, str] | None:
    """('-' or '', key, value) of a 'key = value' line, or None.

    str.partition instead of a regular expression: a lazy group before
    trailing blanks backtracks quadratically on long runs of blanks.
    """
    head, equals, value = line.partition("=")
    head = head.strip()
    optional = "-" if head.startswith("-") else ""
    key = head[1:].lstrip() if optional else head
    if not equals or not key or any(c.isspace() for c in key):
        return None
    return optional, key, value.strip()


def _parts(key: str) -> list[str]:
    # sysctl(8): with a '/' in the key, '/' separates and dots are literal.
    return key.split("/") if "/" in key else key.split(".")


def escapes(key: str) -> bool:
    """True when key is a path out of /proc/sys rather than a name."""
    return any(p in ("", ".", "..") for p in _parts(key))


def _proc_path(key: str) -> str:
    return os.path.join(PROC_SYS, *_parts(key))


def _integers_in(path: str) -> int | None:
    """How many integers the parameter file holds (None: not numeric)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None  # write-only (vm.drop_caches...) or unreadable
    try:
        words = os.read(fd, MAX_READ).decode("ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)
    if words and all(INTEGER.match(w) for w in words):
        return len(words)
    return None


def _in_proc_sys(path: str) -> bool:
    real = os.path.realpath(path)
    return (os.path.commonpath([PROC_SYS, real]) == PROC_SYS
            and os.path.isfile(real))


def lookup(key: str) -> tuple[str, int | None] | None:
    """(source, integer count or None) for key, or None when unknown.

    Only regular files below /proc/sys are looked at, whatever the key
    says (escapes() keys are refused before).
    """
    path = _proc_path(key)
    candidates = glob.glob(path) if any(c in key for c in "*?[") else [path]
    matches = [m for m in candidates if _in_proc_sys(m)]
    if matches:
        return SOURCE_PROC, _integers_in(matches[0])
    dotted = key.replace("/", ".")
    if dotted in FALLBACK_KEYS:
        return SOURCE_LIST, FALLBACK_KEYS[dotted]
    return None


def check(text: str, path: str) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[str, int] = {}
    for number, line in meaningful(text, "#;"):
        match = split_line(line)
        if not match or not match[2]:
            out.append(CODES.finding(path, number, "SYS001",
                                     f"{line[:60]!r} is not 'key = value'"))
            continue
        optional, key, value = match
        if escapes(key):
            out.append(CODES.finding(
                path, number, "SYS090",
                f"{key[:80]!r} is a path, not a parameter name (an empty, "
                f"'.' or '..' part); it was not looked up"))
            continue
        known = lookup(key)
        if known is None:
            if not optional:  # '-key' tells sysctl to ignore a missing key
                out.append(CODES.finding(
                    path, number, "SYS002",
                    f"unknown parameter {key!r}: not in {SOURCE_PROC} nor "
                    f"in confcheck's list of keys the guide uses"))
            continue
        source, count = known
        words = value.split()
        if count is not None and not (
                len(words) == count and all(INTEGER.match(w) for w in words)):
            want = "an integer" if count == 1 else f"{count} integers"
            out.append(CODES.finding(
                path, number, "SYS003",
                f"{key} takes {want}, not {value!r} (per {source})"))
        canonical = key.replace("/", ".")
        if canonical in seen:
            out.append(CODES.finding(
                path, number, "SYS004",
                f"{key} is also set at line {seen[canonical]}; this value "
                f"wins"))
        seen[canonical] = number
    return out
