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
"""Shell scripts (*.sh): shebang, ``bash -n`` / ``sh -n``, HA pitfalls."""

from __future__ import annotations

import os
import re

from confcheck import external
from confcheck.checks._lines import strip_comment
from confcheck.findings import Code, CodeBook, Finding

KIND = "shell"
DESCRIPTION = "Shell scripts: shebang and a syntax check with bash -n or sh -n"

# Interpreter (last path part of the shebang, or env's argument) -> the
# parser to check with. POSIX sh scripts go to sh, which is dash on
# Debian, so bashisms in them fail as they would on the node.
PARSERS = {"bash": "bash", "sh": "sh", "dash": "sh"}
SHEBANG = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")
# 'bash: line 3: ...' (bash) and 'FILE: 3: ...' (dash).
MESSAGE = re.compile(r"^.*?:(?: line)? (\d+): (.*)$")
# bash repeats the offending source line as "`text'": not a message.
ECHOED = re.compile(r"^`.*'$")
# systemctl passes no arguments to the unit: this flag never reaches
# mariadbd; galera_new_cluster is the way to bootstrap.
WSREP_NEW = re.compile(r"\bsystemctl\b.*--wsrep-new-cluster")
# bash reports an unterminated here-document at the end of the file; the
# line that opened it is in the message and is where the fix goes.
HEREDOC = re.compile(r"here-document at line (\d+)")
# Directories of files that an init script sources with /bin/sh: they have
# no shebang of their own, and sh is what reads them.
SOURCED_DIRS = frozenset({"default", "sysconfig"})
SHELL_TIMEOUT = 20.0

CODES = CodeBook(
    Code("SHL001", "error", "Shell syntax error",
         bad="#!/bin/bash\nif true; then\n  echo up\n",
         good="#!/bin/bash\nif true; then\n  echo up\nfi\n", lexer="bash",
         why="The script fails when it runs, so a health check built on it "
             "reports the node down (or up) whatever its real state."),
    Code("SHL002", "warning", "Shell parser warning",
         bad="#!/bin/bash\ncat <<EOF\nup\n",
         good="#!/bin/bash\ncat <<EOF\nup\nEOF\n", lexer="bash",
         why="The shell runs the script, but not as written (a here-document "
             "without its end marker takes in the rest of the file)."),
    Code("SHL003", "warning", "No shebang line",
         bad="echo up\n", good="#!/bin/sh\necho up\n", lexer="bash",
         why="Without a shebang the script runs under whatever shell starts "
             "it, which may not be the one it was written for."),
    Code("SHL004", "warning", "Shebang names no shell this checker knows",
         bad="#!/bin/csh\necho up\n", good="#!/bin/sh\necho up\n",
         lexer="bash",
         why="Only sh, bash and dash scripts are checked, so this script was "
             "not."),
    Code("SHL005", "warning", "systemctl with --wsrep-new-cluster",
         bad="#!/bin/sh\nsystemctl start mariadb --wsrep-new-cluster\n",
         good="#!/bin/sh\ngalera_new_cluster\n", lexer="bash",
         why="systemctl does not pass options to the service, so the cluster "
             "is not bootstrapped; MariaDB's galera_new_cluster does that "
             "under systemd."),
    Code("SHL006", "warning", "The syntax check could not run",
         bad="#!/bin/bash\necho up\n", good="#!/bin/sh\necho up\n",
         lexer="bash",
         why="The script's syntax was not checked, so its errors show only "
             "when it runs."),
)


def interpreter(first_line: str) -> str | None:
    """The shell a shebang line names ('bash', 'sh', ...), or None."""
    match = SHEBANG.match(first_line)
    if not match:
        return None
    program = os.path.basename(match.group(1))
    if program == "env" and match.group(2):
        program = os.path.basename(match.group(2))
    return program


def syntax(text: str, path: str, parser: str) -> list[Finding]:
    binary = external.available(parser)
    if binary is None:
        return []
    lines = len(text.splitlines()) or 1
    with external.scratch("confcheck-sh-") as tmp:
        copy = os.path.join(tmp, "script.sh")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            proc = external.run([binary, "-n", copy], timeout=SHELL_TIMEOUT)
        except external.ExternalToolError as exc:
            return [CODES.finding(path, 0, "SHL006", str(exc))]
    out = []
    for raw in proc.stderr.splitlines():
        match = MESSAGE.match(raw)
        if not match or ECHOED.match(match.group(2)):
            continue
        line = min(int(match.group(1)), lines)
        message = match.group(2).replace(copy, path)
        opened = HEREDOC.search(message)
        if opened:
            line = min(int(opened.group(1)), lines)
        code = "SHL002" if message.startswith("warning:") else "SHL001"
        out.append(CODES.finding(path, line, code,
                                 f"{parser} -n: {message}"))
    if proc.returncode != 0 and not out:
        out.append(CODES.finding(path, 0, "SHL001",
                                 f"{parser} -n exited with status "
                                 f"{proc.returncode}"))
    return out


def check(text: str, path: str) -> list[Finding]:
    out: list[Finding] = []
    first = text.splitlines()[0] if text.splitlines() else ""
    program = interpreter(first)
    if program is None and os.path.basename(
            os.path.dirname(path)) in SOURCED_DIRS:
        program = "sh"
    if program is None:
        out.append(CODES.finding(path, 1, "SHL003",
                                 "no '#!' line: the script runs under "
                                 "whatever shell calls it; start with "
                                 "#!/bin/sh or #!/bin/bash"))
        program = "bash"
    if program not in PARSERS:
        out.append(CODES.finding(path, 1, "SHL004",
                                 f"shebang names {program!r}; only sh, "
                                 f"dash and bash scripts are checked"))
    else:
        out.extend(syntax(text, path, PARSERS[program]))
    for number, raw in enumerate(text.splitlines(), 1):
        if WSREP_NEW.search(strip_comment(raw, anywhere=True)):
            out.append(CODES.finding(
                path, number, "SHL005",
                "systemctl does not pass --wsrep-new-cluster to the "
                "server; bootstrap the first Galera node with "
                "galera_new_cluster"))
    return out
