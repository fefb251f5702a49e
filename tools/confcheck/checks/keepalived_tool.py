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
"""keepalived.conf through ``keepalived -t``, in a throwaway namespace.

The tool half of the keepalived checker: keepalived.py reads the file
(keyword tables, brace parser, lints, all pure); this module makes the
copy keepalived may read here, runs it in a namespace with the file's
interfaces and turns its messages into findings on the file's lines.
"""

from __future__ import annotations

import os
import re

from confcheck import external
from confcheck.checks import _braces, _netns
from confcheck.checks.keepalived import CODES, INCLUDE, interfaces, parse
from confcheck.findings import Finding

KEEPALIVED_TIMEOUT = 20.0

# A stand-in for scripts that live on the node, not on this machine: it
# exists everywhere and is owned by root, so script security accepts it.
# (/usr/bin: keepalived 2.3 refuses a script reached through the /bin
# symlink of a merged-/usr system as insecure.)
STAND_IN_SCRIPT = "/usr/bin/true"
_SCRIPT_LINE = re.compile(r'^(\s*(?:script|notify\w*)\s+"?)([^\s"]+)')
_SCRIPT_USER = re.compile(r"^(\s*script_user\s+)(\S+(?:\s+[^\s#!]+)?)")


def safe_copy(text: str) -> str:
    """text with node-only scripts, script_user and includes replaced,
    lines kept.

    Scripts live on the node (/etc/keepalived/...), so a missing one is no
    config error here. keepalived 2.2.7 -t kills itself with SIGTERM after
    checking scripts as a non-root script_user, with no verdict, so the
    copy checks them as root.
    """
    out = []
    for raw in text.splitlines():
        if INCLUDE.search(raw):
            out.append("# (include not followed by confcheck)")
            continue
        match = _SCRIPT_LINE.match(raw)
        if match and match.group(2).startswith("/") and (
                not external.exists_for_tools(match.group(2))):
            raw = (match.group(1) + STAND_IN_SCRIPT
                   + raw[match.end():])
        raw = _SCRIPT_USER.sub(r"\g<1>root", raw)
        out.append(raw)
    return "\n".join(out) + "\n"


_MESSAGE = re.compile(r"^\((?:(.*?): )?Line (\d+)\)\s*(.*)$")
_NAMED = re.compile(r"^\(([^)]+)\)")
# Also a line saying what keepalived did instead and went on ("Truncating
# auth_pass to 8 characters": the daemon runs with the first eight).
_WARNING = re.compile(r"^(?:\([^)]*\)\s*)?(?:Warning|Truncating)\b")
_UNLINED = {
    "SECURITY VIOLATION": "vrrp_script",
}


def run_keepalived(text: str, path: str, root: _braces.Node
                   ) -> list[Finding] | None:
    """Findings from keepalived -t in a namespace, or None if not run."""
    binary = external.available("keepalived")
    if binary is None or _netns.usable() is None:
        return None
    with external.scratch("confcheck-ka-") as tmp:
        copy = os.path.join(tmp, "keepalived.conf")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(safe_copy(text))
        try:
            with _netns.namespace("cckeepalived") as ns:
                for index, name in enumerate(interfaces(root)):
                    _netns.add_veth(ns, name, index)
                # keepalived -t exits 0 for a missing file: make sure.
                if not os.path.isfile(copy):
                    raise external.ExternalToolError("copy vanished")
                proc = _netns.run_in(ns, [binary, "-t", "-f", copy],
                                     timeout=KEEPALIVED_TIMEOUT)
        except external.ExternalToolError as exc:
            return [CODES.finding(path, 0, "KAL003",
                                  f"keepalived -t could not run: {exc}")]
    return _messages(proc.stdout + proc.stderr, proc.returncode, copy,
                     path, text, root)


def _messages(output, returncode, copy, path, text,
              root: _braces.Node) -> list[Finding]:
    code = "KAL001" if returncode != 0 else "KAL002"
    names = {n.args[0]: n.line for n in _braces.walk(root)
             if n.children is not None and n.args}
    seen: set[tuple[int, str]] = set()
    out = []
    for raw in output.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        match = _MESSAGE.match(raw)
        if match:
            line, message = int(match.group(2)), match.group(3)
        else:
            line, message = 0, raw
            named = _NAMED.match(raw)
            if named:
                line = names.get(named.group(1), 0)
            for needle, block in _UNLINED.items():
                if needle in raw:
                    line = next((n.line for n in root.items(block)), 0)
            if "missing '}'" in raw:
                # Rare: only then is the text parsed again for the
                # unbalanced brace the built-in check found.
                errors = parse(text)[1]
                line = next((e.line for e in errors), 0)
        message = message.replace(copy, path)
        # keepalived's own severity: it also exits non-zero after lines
        # it calls warnings (and then ignores the setting).
        level = "KAL002" if _WARNING.match(message) else code
        if (line, message) in seen:
            continue  # keepalived prints some messages twice
        seen.add((line, message))
        out.append(CODES.finding(path, line, level,
                                 f"keepalived -t: {message}"))
    if returncode < 0 and not out:
        out.append(CODES.finding(path, 0, "KAL003",
                                 f"keepalived -t was ended by signal "
                                 f"{-returncode} without a verdict"))
    elif returncode != 0 and not out:
        out.append(CODES.finding(path, 0, "KAL001",
                                 f"keepalived -t exited with status "
                                 f"{returncode} and no message"))
    return out
