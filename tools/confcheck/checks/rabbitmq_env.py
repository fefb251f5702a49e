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
"""rabbitmq-env.conf: shell NAME=value lines with RabbitMQ's variables.

The file is sourced by /bin/sh, then RabbitMQ reads the names with or
without the RABBITMQ_ prefix. Known names come from the installed broker
(rabbit_env.beam and the rabbitmq-env/rabbitmq-defaults scripts) as
captured in tools/confcheck/data/rabbitmq-schema.json. Lines are split
with shlex, which follows the shell's quoting rules, after joining the
lines that a backslash at their end continues, as the shell does.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import shlex

from confcheck.checks import rabbitmq
from confcheck.checks._lines import meaningful
from confcheck.findings import Code, CodeBook, Finding

KIND = "rabbitmq-env"
DESCRIPTION = "rabbitmq-env.conf: known RabbitMQ variables, shell syntax"

ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)\Z")

CODES = CodeBook(
    Code("RME001", "error", "Unknown RabbitMQ environment variable",
         bad="NODE_NAME=rabbit@controller1",
         good="NODENAME=rabbit@controller1", lexer="bash",
         why="The start scripts read only the names they know, so the setting "
             "silently does not apply."),
    Code("RME002", "error", "Not a shell assignment",
         bad="NODENAME = rabbit@controller1",
         good="NODENAME=rabbit@controller1", lexer="bash",
         why="The file is read by a shell: a line that is not an assignment "
             "runs as a command or fails, and the setting does not apply."),
    Code("RME003", "error", "Shell quoting error",
         bad='SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface',
         good='SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface '
              '{10,0,0,12}"', lexer="bash",
         why="The shell cannot parse the file, so RabbitMQ's start script "
             "fails."),
    Code("RME004", "error", "Unquoted value with blanks runs a command",
         bad="SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface "
             "{10,0,0,12}",
         good='SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface '
              '{10,0,0,12}"', lexer="bash",
         why="In a shell, NAME=a b runs b as a command with NAME set to a: "
             "the value is cut and a command runs at every start."),
    Code("RME005", "warning", "Variable set twice",
         bad="NODE_PORT=5672\nRABBITMQ_NODE_PORT=5673",
         good="NODE_PORT=5672", lexer="bash",
         why="Both lines set one setting and only one takes effect, so the "
             "other misleads whoever edits the file."),
)


@functools.cache
def names() -> tuple[frozenset[str], frozenset[str]]:
    """(RabbitMQ names without prefix, other variables like ERL_*)."""
    with open(rabbitmq.DATA, encoding="utf-8") as fh:
        data = json.load(fh)
    return frozenset(data["env"]), frozenset(data["erl_env"])


def logical_lines(text: str):
    """(number of the first line, text) of each assignment.

    The shell removes a backslash at the end of a line together with the
    newline, inside double quotes as outside, so a long value can go on
    over several lines; they are joined here the same way and reported
    at the line where the assignment starts.
    """
    lines = text.splitlines()
    index = 0
    for number, line in meaningful(text):
        if number <= index:
            continue
        index = number
        raw = lines[number - 1]
        while _continued(raw) and index < len(lines):
            raw = raw[:-1] + lines[index]
            index += 1
        yield number, raw.strip() if index > number else line


def _continued(line: str) -> bool:
    """True if line ends with an unescaped backslash."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def check(text: str, path: str) -> list[Finding]:
    rabbit, other = names()
    findings = []
    seen: dict[str, int] = {}

    def add(line: int, code: str, message: str) -> None:
        findings.append(CODES.finding(path, line, code, message))

    for number, line in logical_lines(text):
        match = ASSIGNMENT.match(line)
        if not match:
            add(number, "RME002", f"{line!r} is not NAME=value (no blanks "
                "around '='): the shell would run it as a command")
            continue
        name, value = match.groups()
        try:
            words = shlex.split(value, comments=True)
        except ValueError as exc:
            add(number, "RME003", f"{name}: {exc}")
            continue
        if len(words) > 1:
            add(number, "RME004", f"{name}: the value has unquoted blanks, "
                f"so the shell runs {words[1]!r} as a command; quote it")
        short = name.removeprefix("RABBITMQ_")
        if short not in rabbit and name not in other:
            close = difflib.get_close_matches(short, rabbit, 1, 0.75)
            hint = f"; did you mean {close[0]}?" if close else ""
            add(number, "RME001", f"{name}: not a variable RabbitMQ "
                f"reads{hint}")
            continue
        key = short if short in rabbit else name
        if key in seen:
            add(number, "RME005", f"{name} is already set on line "
                f"{seen[key]}; the last one wins")
        seen[key] = number
    return findings
