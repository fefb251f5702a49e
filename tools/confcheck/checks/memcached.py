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
"""memcached.conf in Debian's format: one command-line option a line.

Debian's start-memcached and systemd-memcached-wrapper read the file:
``#`` starts a comment anywhere, a line starting with ``-`` is passed to
memcached, any other line is a directive (only ``logfile`` exists). The
options are those of the installed ``memcached --help``, or of the capture
in tools/confcheck/data/memcached-options.json (written by
tools/capture_memcached_options.py) when memcached is absent.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex

from confcheck import external, net
from confcheck.checks._lines import meaningful, strip_comment
from confcheck.findings import Code, CodeBook, Finding

KIND = "memcached"
DESCRIPTION = ("Debian memcached.conf: options from memcached --help, "
               "listen address and UDP")

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data",
                    "memcached-options.json")

# Directives the Debian wrappers handle themselves.
DIRECTIVES = frozenset({"logfile"})
# --help lines: "-p, --port=<num>", "-W  --disable-watch", "-D <char>",
# "-vv"; extended options: "   - name:".
HELP_OPTION = re.compile(
    r"^-(?P<short>\w+)(?:,?\s+--(?P<long>[\w-]+)(?P<arg>=<)?|"
    r"\s+(?P<sarg><))?")
HELP_EXTENDED = re.compile(r"^\s+- (\w+):")
NUMERIC = frozenset({"port", "udp-port", "memory-limit", "conn-limit",
                     "threads", "listen-backlog"})
WILDCARDS = frozenset({"0.0.0.0", "::", "*"})
# Options that take a value although --help shows no "=<...>" for them.
UNMARKED_VALUE = frozenset({"o"})

CODES = CodeBook(
    Code("MEM001", "error", "Unknown memcached option",
         bad="-q", good="-m 1024", lexer="text",
         why="memcached refuses an option it does not know and does not "
             "start."),
    Code("MEM002", "error", "Option value missing or not expected",
         bad="-p", good="-p 11211", lexer="text",
         why="memcached refuses an option whose value is missing, or takes "
             "the next option as the value."),
    Code("MEM003", "error", "Unknown directive (only logfile exists)",
         bad="log /var/log/memcached.log",
         good="logfile /var/log/memcached.log", lexer="text",
         why="Debian's start script knows only logfile besides memcached's "
             "own options; another word reaches memcached's command line, "
             "which refuses it."),
    Code("MEM004", "error", "Value is not a number",
         bad="-m 1G", good="-m 1024", lexer="text",
         why="memcached refuses a value it cannot read as a number and does "
             "not start."),
    Code("MEM005", "warning", "Option given twice",
         bad="-m 64\n-m 1024", good="-m 1024", lexer="text",
         why="Only the last value takes effect, so the other line misleads "
             "whoever edits the file."),
    Code("MEM101", "warning", "UDP enabled",
         bad="-U 11211", good="-U 0", lexer="text",
         why="memcached over UDP has been used for traffic amplification "
             "attacks (CVE-2018-1000115); since 1.5.6 it is off by default."),
    Code("MEM102", "warning", "Listens on every address",
         bad="-l 0.0.0.0", good="-l 10.0.0.12", lexer="text",
         why="memcached has no authentication by default, so listening on "
             "every address exposes the token cache to every network the node "
             "is on."),
)


def parse_help(text: str) -> dict:
    """Options of ``memcached --help``: short/long names, value needs."""
    short: dict[str, str] = {}
    longs: dict[str, str] = {}
    extended = []
    for line in text.splitlines():
        match = HELP_OPTION.match(line)
        if match:
            letter = match.group("short")
            takes = "r" if (match.group("arg") or match.group("sarg")
                            or letter in UNMARKED_VALUE) else "n"
            short[letter] = takes
            if match.group("long"):
                longs[match.group("long")] = letter
            continue
        match = HELP_EXTENDED.match(line)
        if match:
            extended.append(match.group(1))
    return {"short": short, "long": longs, "extended": sorted(extended)}


@functools.cache
def _options(binary: str | None) -> dict:
    if binary:
        try:
            proc = external.run([binary, "--help"], timeout=10)
        except external.ExternalToolError:
            proc = None
        if proc is not None and proc.returncode == 0:
            return parse_help(proc.stdout)
    with open(DATA, encoding="utf-8") as fh:
        return json.load(fh)


def options() -> dict:
    return _options(external.available("memcached"))


def check(text: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    given: dict[str, tuple[int, str | None]] = {}

    def add(line: int, code: str, message: str) -> None:
        findings.append(CODES.finding(path, line, code, message))

    for number, line in meaningful(text):
        line = strip_comment(line, anywhere=True, escapable=True).strip()
        if not line:
            continue
        if not line.startswith("-"):
            directive = line.split()[0]
            if directive not in DIRECTIVES:
                add(number, "MEM003", f"{directive}: the Debian wrappers "
                    "only know the 'logfile' directive; options start "
                    "with '-'")
            continue
        try:
            words = shlex.split(line)
        except ValueError as exc:
            add(number, "MEM002", f"cannot split {line!r}: {exc}")
            continue
        for name, value, problem in _options_of(words):
            if problem:
                add(number, problem[0], problem[1])
                continue
            if name in given and name not in ("v", "o"):
                add(number, "MEM005", f"-{name} is already given on line "
                    f"{given[name][0]}; memcached takes the last one")
            given[name] = (number, value)
            findings.extend(_value_findings(path, number, name, value))
    if "l" not in given and "s" not in given:
        add(0, "MEM102", "no -l: memcached listens on every address "
            "(INADDR_ANY); give the node's management address")
    return findings


def _options_of(words: list[str]):
    """(short name, value, problem) per option in one line's words."""
    data = options()
    short, longs = data["short"], data["long"]
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            letter = longs.get(name)
            if letter is None:
                yield None, None, ("MEM001", f"--{name}: not an option of "
                                   "this memcached")
                continue
            inline = value if eq else None
        elif word.startswith("-") and len(word) > 1:
            letter = next((s for s in sorted(short, key=len, reverse=True)
                           if word[1:].startswith(s)), None)
            if letter is None:
                yield None, None, ("MEM001", f"{word}: not an option of "
                                   "this memcached")
                continue
            rest = word[1 + len(letter):]
            inline = rest or None
            if rest and short[letter] == "n":
                yield None, None, ("MEM001", f"{word}: -{letter} takes no "
                                   "value; one option per word")
                continue
        else:
            yield None, None, ("MEM002", f"{word!r} is not an option "
                               "(no option before it takes a value)")
            continue
        if short[letter] == "r" and inline is None:
            if i >= len(words):
                yield None, None, ("MEM002", f"-{letter} needs a value")
                continue
            inline = words[i]
            i += 1
        yield letter, inline, None


def _value_findings(path: str, line: int, letter: str,
                    value: str | None) -> list[Finding]:
    data = options()
    name = next((n for n, s in data["long"].items() if s == letter), letter)
    found = []
    if name in NUMERIC and value is not None and not value.isdigit():
        found.append(CODES.finding(path, line, "MEM004",
                                   f"-{letter} {value}: {name} is a number"))
    if letter == "U" and value not in (None, "0"):
        found.append(CODES.finding(
            path, line, "MEM101", f"-U {value} opens UDP, which OpenStack "
            "clients do not use and which can amplify attack traffic; "
            "use -U 0"))
    if letter == "l" and value is not None:
        for address in value.split(","):
            # memcached's own rules: an optional notls: prefix, then
            # "[v6]:port", "v4:port", or a bare IPv6 address.
            host = net.split_host_port(address.removeprefix("notls:"),
                                       bare_ipv6=True)[0]
            if host in WILDCARDS:
                found.append(CODES.finding(
                    path, line, "MEM102", f"-l {value}: memcached has no "
                    "authentication; listen on the management address"))
            elif not net.is_ip(host):
                found.append(CODES.finding(
                    path, line, "MEM004", f"-l {value}: {host} is not an "
                    "IP address"))
    if letter == "o" and value is not None:
        for item in filter(None, value.split(",")):
            key = item.split("=", 1)[0].removeprefix("no_")
            if key not in data["extended"] and (
                    f"no_{key}" not in data["extended"]):
                found.append(CODES.finding(
                    path, line, "MEM001", f"-o {item}: not an extended "
                    "option of this memcached"))
    return found

