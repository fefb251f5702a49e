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
"""How an example is shown: sections, lexers, captions, command prompts.

Pure functions (no Sphinx), public so that the Sphinx adapter reaches the
checkers' parsers only through confcheck's public modules. Sections are
found by a small line scanner per file family because each format only
needs its headers recognised, not a full parse; the checkers do the
parsing.
"""

from __future__ import annotations

import functools
import re

from confcheck.layout import path_on_node, variant_of
from confcheck.checks import haproxy
from confcheck.checks._commands import read_commands

# kind -> Pygments lexer name. keepalived, corosync and xinetd lexers come
# from confcheck.lexers (pygments.lexers entry points); haproxy from the
# haproxy-pygments-lexer package.
LEXERS = {
    "oslo": "ini", "mysql": "ini", "sysctl": "ini", "memcached": "ini",
    "rabbitmq": "ini", "rabbitmq-env": "bash", "garb": "bash",
    "shell": "bash",
    "haproxy": "haproxy", "keepalived": "keepalived",
    "corosync": "corosync", "xinetd": "xinetd", "hosts": "text",
    "python": "python", "yaml": "yaml", "pcs": "console", "crm": "console",
}
# How sections are found, per kind: "ini" [name] headers, "haproxy"
# unindented keyword headers, "braces" blocks with a header then { ... }.
SECTION_STYLE = {
    "oslo": "ini", "mysql": "ini", "rabbitmq": "ini",
    "haproxy": "haproxy",
    "keepalived": "braces", "corosync": "braces", "xinetd": "braces",
}
COMMAND_CAPTIONS = {
    "pcs": "pcs commands, run on one controller",
    "crm": "crmsh commands, run on one controller",
    # crm files of bare statements, for "crm configure load update FILE"
    "crmsh": "crmsh configuration, load on one controller with "
             "crm configure",
}
ROOT_PROMPT = "# "
INI_HEADER = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*(?:[#;].*)?$")
COMMENT = re.compile(r"^\s*[#;]")


class UnknownSection(LookupError):
    """The requested section is not in the file; str() lists the known."""


def _ini_headers(lines: list[str]) -> list[tuple[int, str]]:
    return [(n, m["name"].strip()) for n, line in enumerate(lines)
            if (m := INI_HEADER.match(line))]


def _haproxy_headers(lines: list[str]) -> list[tuple[int, str]]:
    return [(s.line - 1, f"{s.kind} {s.name}".rstrip())
            for s in haproxy.parse("\n".join(lines))[0]]


def _brace_blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """Top-level (start, end, header) blocks; end is the closing line."""
    blocks, depth, start, header = [], 0, None, ""
    for n, line in enumerate(lines):
        code = line.split("#", 1)[0].split("!", 1)[0]
        if depth == 0 and code.strip() and code.strip() != "{":
            start, header = n, code.split("{", 1)[0].strip()
        for char in code:
            if char == "{":
                depth += 1
            elif char == "}" and depth:
                depth -= 1
                if depth == 0 and start is not None:
                    blocks.append((start, n, " ".join(header.split())))
                    start = None
    return blocks


def _section_end(lines: list[str], start: int, nxt: int | None) -> int:
    """Last line of the section at start, which runs to the next header
    (nxt) or the end: no trailing blank lines, nor the comment block
    directly above the next header, which describes that one."""
    last = (len(lines) if nxt is None else nxt) - 1
    attached = nxt is not None
    while last > start and (not lines[last].strip()
                            or (attached and COMMENT.match(lines[last]))):
        attached = attached and bool(lines[last].strip())
        last -= 1
    return last


def sections(text: str, kind: str) -> dict[str, tuple[int, int]]:
    """Section name -> (first, last) line, 1-based, inclusive."""
    return dict(_sections(text, kind))


# A page shows one file in several sections (haproxy.cfg a listen block
# at a time): parse each text once, not once per include.
@functools.lru_cache(maxsize=16)
def _sections(text: str, kind: str) -> dict[str, tuple[int, int]]:
    lines = text.splitlines()
    style = SECTION_STYLE.get(kind)
    found: dict[str, tuple[int, int]] = {}
    if style == "braces":
        for start, end, header in _brace_blocks(lines):
            found.setdefault(header, (start + 1, end + 1))
        return found
    headers = (_ini_headers if style == "ini" else _haproxy_headers)(lines)
    starts = [start for start, _name in headers] + [None]
    for (start, name), nxt in zip(headers, starts[1:], strict=True):
        found.setdefault(name, (start + 1,
                                _section_end(lines, start, nxt) + 1))
    return found


def section_lines(text: str, kind: str, name: str) -> tuple[int, int]:
    """(first, last) line of section name; raises UnknownSection."""
    if kind not in SECTION_STYLE:
        raise UnknownSection(
            f"files of kind {kind!r} have no sections" if kind else
            "confcheck does not know this file's kind, so it has no "
            "sections")
    found = sections(text, kind)
    wanted = " ".join(name.split())
    if wanted in found:
        return found[wanted]
    known = ", ".join(repr(s) for s in found) or "none"
    raise UnknownSection(f"no section {wanted!r}; the file has: {known}")


def lexer(kind: str | None) -> str:
    return LEXERS.get(kind or "", "text")


def caption(relpath: str, kind: str | None, node: str | None,
            text: str = "") -> str:
    """Where the file lives: '/etc/haproxy/haproxy.cfg on controller1'."""
    if kind in COMMAND_CAPTIONS:
        shown_as = language(kind, text)
        return COMMAND_CAPTIONS.get(shown_as, COMMAND_CAPTIONS[kind])
    shown = path_on_node(relpath)
    if node:
        shown += f" on {node}"
    variant = variant_of(relpath)
    return f"{shown} (variant: {variant})" if variant else shown


def commands_as_console(text: str) -> str:
    """Command file -> console transcript: a root prompt per command.

    Continuation lines (after a trailing backslash) keep no prompt, so the
    block reads as typed. Comment lines get a prompt too: typed at a shell
    they are comments, and the lexer shows them as such; a comment ends at
    its line even when it ends in a backslash, as in the shell.
    """
    out, continued = [], False
    for line in text.splitlines(keepends=True):
        comment = not continued and line.lstrip().startswith("#")
        if continued or not line.strip():
            out.append(line)
        else:
            out.append(ROOT_PROMPT + line)
        continued = line.rstrip("\r\n").endswith("\\") and not comment
    return "".join(out)


def language(kind: str | None, text: str) -> str:
    """The lexer for a file of kind with this text.

    crmsh files hold either shell commands (``crm configure ...``) or bare
    configure statements; only the former read as a console session.
    """
    if kind == "crm" and any(cmd.words[:1] != ("crm",)
                             for cmd in read_commands(text)):
        return "crmsh"
    return lexer(kind)
