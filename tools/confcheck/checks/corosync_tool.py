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
"""corosync.conf through ``corosync -t``, in a throwaway namespace.

The tool half of the corosync checker: corosync.py reads the file
(schema, brace parser, lints, all pure); this module makes the copy
corosync may read here, runs it in a namespace holding the first node's
addresses and turns its messages into findings on the file's lines.
"""

from __future__ import annotations

import os
import re

from confcheck import external
from confcheck.checks import _braces, _netns
from confcheck.checks.corosync import CODES, local_addresses
from confcheck.findings import Finding

COROSYNC_TIMEOUT = 20.0

_PARSER = re.compile(r"^parser error: (.*?):(\d+): (.*)$")
_LOG = re.compile(r"^\w{3} +\d+ [\d:.]+ (\w+) +\[[^\]]*\] *(.*)$")
_NODEID_TWICE = re.compile(r"Nodeid (\d+) appears twice")
# Unlined corosync -t messages -> the key whose line they are about.
_ABOUT = {"bindnetaddr": "bindnetaddr", "token timeout": "token",
          "migrate config file to nodelist": "bindnetaddr"}
# corosync -t messages that only say how it ends.
_SKIP = re.compile(r"Corosync Cluster Engine exiting")


# Keys whose value is a path corosync -t (run as root) writes to or
# creates: it appends to the logfile while testing the configuration, so
# a hostile file could write into any file of this machine.
NODE_PATHS = re.compile(r"^\s*(logfile|state_dir|run_dir)\s*:", re.MULTILINE)


def safe_copy(text: str) -> str:
    """text with the paths corosync -t would write to commented out
    (lines kept)."""
    return NODE_PATHS.sub(r"# (not used by confcheck) \g<0>", text)


def run_corosync(text: str, path: str, root: _braces.Node
                 ) -> list[Finding] | None:
    """Findings from corosync -t in a namespace, or None if not run."""
    binary = external.available("corosync")
    addresses = local_addresses(root)
    if binary is None or _netns.usable() is None or not addresses:
        return None
    with external.scratch("confcheck-cs-") as tmp:
        copy = os.path.join(tmp, "corosync.conf")
        key = os.path.join(tmp, "authkey")
        with open(key, "wb") as f:
            f.write(os.urandom(256))
        with open(copy, "w", encoding="utf-8") as f:
            # The authkey lives on the node; a totem block appended at the
            # end points at a throwaway one and keeps every line number.
            # Likewise a logging block keeps corosync -t off every log file.
            f.write(safe_copy(text).rstrip("\n") + f"\ntotem {{\n keyfile: "
                    f"{external.inside(key)}\n}}\nlogging {{\n to_logfile: "
                    f"no\n}}\n")
        try:
            with _netns.namespace("cccorosync") as ns:
                for address in addresses:
                    _netns.add_address(ns, address)
                proc = _netns.run_in(ns, [binary, "-t", "-c", copy],
                                     timeout=COROSYNC_TIMEOUT)
        except external.ExternalToolError as exc:
            return [CODES.finding(path, 0, "COR002",
                                  f"corosync -t could not run: {exc}")]
    return _messages(proc.stdout + proc.stderr, proc.returncode, copy,
                     path, root, len(text.splitlines()))


def _locate(message: str, root: _braces.Node) -> int:
    """The line an unlined corosync -t message is about, or 0."""
    twice = _NODEID_TWICE.search(message)
    if twice:
        return max((n.line for n in _braces.walk(root)
                    if n.name == "nodeid" and n.args == [twice.group(1)]),
                   default=0)
    for needle, key in _ABOUT.items():
        if needle in message:
            return next((n.line for n in _braces.walk(root)
                         if n.name == key), 0)
    return 0


def _messages(output, returncode, copy, path, root, last_line):
    out = []
    for raw in output.splitlines():
        parsed = _PARSER.match(raw.strip())
        log = _LOG.match(raw.strip())
        if parsed:
            line, message = int(parsed.group(2)), parsed.group(3)
            code = "COR001"
            line = line if line <= last_line else 0
        elif log and log.group(1) in ("error", "crit", "warning"):
            line, message = _locate(log.group(2), root), log.group(2)
            code = "COR003" if log.group(1) == "warning" else "COR001"
        else:
            continue
        if _SKIP.search(message):
            continue
        out.append(CODES.finding(path, line, code,
                                 f"corosync -t: "
                                 f"{message.replace(copy, path)}"))
    if returncode != 0 and not out:
        out.append(CODES.finding(path, 0, "COR001",
                                 f"corosync -t exited with status "
                                 f"{returncode}"))
    return out
