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
"""haproxy.cfg through ``haproxy -c``, on a copy made safe for this machine.

The tool half of the haproxy checker: haproxy.py reads the file (data,
parser, structural check, HA lints, all pure); this module makes the
copy haproxy may read here, runs it and turns its messages into findings
on the file's lines.
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
import re

from confcheck import external, net
from confcheck.checks._lines import strip_comment
from confcheck.checks.haproxy import (CODES, LUA_USE, NODE_LOCAL, SECTIONS,
                                      Section, tokens)
from confcheck.findings import Finding

HAPROXY_TIMEOUT = 30.0

_MSG = re.compile(r"^\[(ALERT|WARNING|NOTICE)\]\s*\(\d+\)\s*:\s*"
                  r"(?:\w+\s*:\s*)?(.*)$")
_LOCATION = re.compile(r"^(?:[Pp]arsing\s*)?\[([^\]\s]+):(\d+)\]\s*:?\s*")
_PROXY_NAME = re.compile(
    r"(?:[Pp]roxy|frontend|backend|listen) '([^']+)'|'server ([^'/]+)/")
# Summary lines and messages this module reports better itself.
_SKIP = re.compile(r"Error\(s\) found in configuration file|Fatal errors "
                   r"found|Failed to initialize server|missing timeouts for"
                   r"|Configuration file is valid")
# What only this machine lacks: the target node has these files and users.
_ARTEFACT = re.compile(r"cannot find (user|group) id|could not resolve "
                       r"address|unable to stat SSL|unable to load|"
                       r"No such file or directory|cannot open|"
                       r"[Cc]ouldn't open")
_QUOTED_PATH = re.compile(r"'(/[^']+)'|\s(/\S+)$")
_HOSTNAME = re.compile(r"^((?:ipv4@|ipv6@)?)([A-Za-z][A-Za-z0-9_.-]*)(:.*)?$")
_FILE_OPTIONS = {"crt": "pem", "ca-file": "cert", "crt-list": "list",
                 "ca-verify-file": "cert"}


def _throwaway_files() -> dict[str, str]:
    return _throwaway_files_in(external.tool_root(),
                               external.available("openssl"))


@functools.cache
def _throwaway_files_in(root: str | None,
                        openssl: str | None) -> dict[str, str]:
    """Paths of a throwaway certificate made once per process with openssl.

    Keys: pem (cert and key), cert, list (a crt-list naming pem), error (an
    HTTP error file); only 'error' exists when openssl is absent.
    """
    tmp = external.lasting_scratch("confcheck-cert-", root)
    error = os.path.join(tmp, "error.http")
    with open(error, "w", encoding="ascii") as f:
        f.write("HTTP/1.0 503 Service Unavailable\r\n\r\n")
    empty = os.path.join(tmp, "empty.lst")
    with open(empty, "w", encoding="ascii"):
        pass
    files = {"error": error, "empty": empty}
    if openssl is None:
        return files
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    try:
        proc = external.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
             "-out", cert, "-subj", "/CN=confcheck.invalid", "-days", "2"],
            timeout=30)
    except external.ExternalToolError:
        return files
    if proc.returncode != 0:
        return files
    pem = os.path.join(tmp, "combined.pem")
    with open(pem, "w", encoding="ascii") as out:
        for part in (cert, key):
            with open(part, encoding="ascii") as f:
                out.write(f.read())
    listing = os.path.join(tmp, "crt-list.txt")
    with open(listing, "w", encoding="ascii") as f:
        f.write(pem + "\n")
    files.update(pem=pem, cert=cert, list=listing)
    return files


def _quote(word: str) -> str:
    if word and not re.search(r"[\s\"'#\\]", word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _known(lookup, name: str) -> bool:
    if name.isdigit():
        return True
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def _safe_line(section: str, words: list[str], bases: dict[str, str],
               files: dict[str, str]) -> list[str] | None:
    """The words to give haproxy instead (None = drop), or words itself."""
    word = words[0]
    if section == "global":
        if word in ("user", "uid") and len(words) > 1 and not _known(
                pwd.getpwnam, words[1]):
            return None
        if word in ("group", "gid") and len(words) > 1 and not _known(
                grp.getgrnam, words[1]):
            return None
        if word in NODE_LOCAL:
            return None
    if any(LUA_USE.search(w) for w in words[1:]):
        return None  # what a dropped lua-load would have registered
    new = list(words)
    if word == "bind" and len(new) > 1 and _node_host(new[1]):
        host = _node_host(new[1])
        new[1] = new[1].replace(host, "127.0.0.1", 1)
    if word in ("server", "peer") and len(new) > 2:
        match = _HOSTNAME.match(new[2])
        if match and not net.is_ip(match.group(2)):
            # Name resolution is a property of the node, not of the file.
            new[2] = f"{match.group(1)}127.0.0.1{match.group(3) or ''}"
    # Files are the node's: haproxy -c reads stand-ins, never a file of
    # this machine (a pattern file's bad lines would be echoed).
    if word == "errorfile" and len(new) > 2:
        new[2] = files["error"]
    for i, opt in enumerate(new[:-1]):
        kind = _FILE_OPTIONS.get(opt)
        if kind is not None:
            # Without openssl the stand-in is empty: haproxy -c then
            # says it cannot load it, which is reported as not checkable.
            new[i + 1] = files.get(kind, files["empty"])
        elif opt == "-f" and word in ("acl", "http-request", "http-response",
                                      "tcp-request", "use_backend"):
            new[i + 1] = files["empty"]
    return new


def _local_names() -> frozenset[str]:
    """Host names this machine resolves without asking the network."""
    names = {"localhost"}
    try:
        with open("/etc/hosts", encoding="utf-8", errors="replace") as fh:
            for raw in fh.read(1 << 20).splitlines():
                names.update(strip_comment(raw, anywhere=True).split()[1:])
    except OSError:
        pass
    return frozenset(n.lower() for n in names)


def _node_host(address: str) -> str | None:
    """The host name of a bind address that only the node can resolve."""
    match = _HOSTNAME.match(address.split(",")[0])
    if not match or net.is_ip(match.group(2)) or \
            match.group(2).lower() in _local_names():
        return None
    return match.group(2)


def machine_notes(sections: list[Section], path: str) -> list[Finding]:
    """What haproxy -c cannot check here because it belongs to the node.

    safe_copy gives haproxy a stand-in for each (or drops the line), so
    they are warnings, never errors.
    """
    out = []
    for sec in sections:
        for stmt in sec.stmts:
            word, args = stmt.words[0], stmt.words[1:]
            if not args:
                continue
            if sec.kind == "global" and (
                    (word in ("user", "uid") and not _known(
                        pwd.getpwnam, args[0])) or
                    (word in ("group", "gid") and not _known(
                        grp.getgrnam, args[0]))):
                out.append(CODES.finding(
                    path, stmt.line, "HAP003",
                    f"not checkable on this machine: {word} {args[0]!r} "
                    f"does not exist here (it must on the node)"))
            elif word == "bind" and _node_host(args[0]):
                out.append(CODES.finding(
                    path, stmt.line, "HAP003",
                    f"not checkable on this machine: bind address "
                    f"{_node_host(args[0])!r} does not resolve here; the "
                    f"node must resolve it at start-up"))
    return out


def safe_copy(text: str) -> str:
    """text with node-specific names and files replaced, lines kept.

    chroot, pidfile and stats socket paths stay: haproxy -c never opens
    them. Users, groups, server names, certificates, CA files and error
    files are what it does look up on the machine it runs on.
    """
    files = _throwaway_files()
    bases: dict[str, str] = {}
    section = ""
    out = []
    for raw in text.splitlines():
        words = tokens(raw)
        if not words:
            out.append(raw)
            continue
        if words[0] in SECTIONS:
            section = words[0]
            out.append(raw)
            continue
        if section == "global" and words[0] in ("crt-base", "ca-base") \
                and len(words) > 1:
            bases[words[0]] = words[1]
        new = _safe_line(section, words, bases, files)
        if new is None:
            out.append("# (dropped by confcheck: not on this machine)")
        elif new == words:
            out.append(raw)
        else:
            out.append(" ".join(_quote(w) for w in new))
    return "\n".join(out) + "\n"


def run_haproxy(text: str, path: str, sections: list[Section]
                ) -> list[Finding] | None:
    """Findings from haproxy -c, or None when it cannot run here."""
    binary = external.available("haproxy")
    if binary is None:
        return None
    with external.scratch("confcheck-hap-") as tmp:
        copy = os.path.join(tmp, os.path.basename(path) or "haproxy.cfg")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(external.inside(safe_copy(text)))
        try:
            # -dr: any name still unresolved is a warning, not a failure.
            proc = external.run([binary, "-c", "-dr", "-f", copy],
                                timeout=HAPROXY_TIMEOUT)
        except external.ExternalToolError as exc:
            return [CODES.finding(path, 0, "HAP003",
                                  f"haproxy -c could not run: {exc}")]
    return _messages(proc.stdout + proc.stderr, copy, path, sections,
                     text.splitlines())


def _path_line(message: str, lines: list[str]) -> int:
    """The first line naming the file a message quotes, or 0."""
    for match in _QUOTED_PATH.finditer(message):
        quoted = match.group(1) or match.group(2)
        for number, raw in enumerate(lines, 1):
            if quoted in raw:
                return number
    return 0


def _messages(output: str, copy: str, path: str, sections: list[Section],
              text_lines: list[str]) -> list[Finding]:
    lines = _name_lines(sections)
    artefact_lines: set[int] = set()
    out = []
    for raw in output.splitlines():
        match = _MSG.match(raw.strip())
        if not match or match.group(1) == "NOTICE":
            continue
        level, message = match.groups()
        if _SKIP.search(message):
            continue
        line = 0
        loc = _LOCATION.match(message)
        if loc and os.path.basename(loc.group(1)) == os.path.basename(copy):
            line = int(loc.group(2))
            message = message[loc.end():]
        else:
            for name in _PROXY_NAME.findall(message):
                line = lines.get(name[0] or name[1], line)
                if line:
                    break
            line = line or _path_line(message, text_lines)
        message = message.replace(copy, path).strip()
        if _ARTEFACT.search(message):
            if line in artefact_lines:
                continue  # one file missing here is one finding
            artefact_lines.add(line)
            code = "HAP003"
            message = f"not checkable on this machine: {message}"
        else:
            code = "HAP001" if level == "ALERT" else "HAP002"
            message = f"haproxy -c: {message}"
        out.append(CODES.finding(path, line, code, message))
    return out


def _name_lines(sections: list[Section]) -> dict[str, int]:
    return {s.name: s.line for s in reversed(sections) if s.name}
